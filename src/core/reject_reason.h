// Why a row was not accepted. The names are the spec's reason strings
// (reference-job.md, "Cleaning"); kNone marks a row that has not been rejected.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stocklake {

enum class RejectReason : uint8_t {
  kNone = 0,
  kParseError = 1,
  kBadPrice = 2,
  kHighLowInconsistent = 3,
  kNegativeVolume = 4,
  kZeroVolume = 5,
  kDuplicate = 6,
  kUnrecognisedHeader = 7,
};
inline constexpr int kRejectReasonCount = 8;

//! "parse_error", "bad_price", ...; "" for kNone.
std::string_view RejectReasonName(RejectReason reason);
std::optional<RejectReason> RejectReasonFromName(std::string_view name);

}  // namespace stocklake
