#include "core/reject_reason.h"

namespace stocklake {

namespace {
constexpr std::string_view kNames[kRejectReasonCount] = {
    "",          "parse_error",        "bad_price", "high_low_inconsistent", "negative_volume", "zero_volume",
    "duplicate", "unrecognised_header"};
}  // namespace

std::string_view RejectReasonName(RejectReason reason) {
  const auto index = static_cast<size_t>(reason);
  return index < kRejectReasonCount ? kNames[index] : std::string_view("unknown");
}

std::optional<RejectReason> RejectReasonFromName(std::string_view name) {
  for (int i = 1; i < kRejectReasonCount; ++i) {
    if (kNames[i] == name) return static_cast<RejectReason>(i);
  }
  return std::nullopt;
}

}  // namespace stocklake
