#include "core/duration.h"

#include <charconv>
#include <limits>

namespace stocklake {

bool ParseDurationMillis(std::string_view text, int64_t* millis) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() || value < 0) return false;
  const std::string_view unit(end, text.data() + text.size() - end);
  const int64_t scale = unit == "ms"                  ? 1
                        : unit == "s" || unit.empty() ? 1000
                        : unit == "m"                 ? 60'000
                        : unit == "h"                 ? 3'600'000
                        : unit == "d"                 ? 86'400'000
                                                      : 0;
  if (scale == 0 || value > std::numeric_limits<int64_t>::max() / scale) return false;
  *millis = value * scale;
  return true;
}

}  // namespace stocklake
