#include "ingest/ticker.h"

namespace stocklake {

namespace {

bool IsTickerChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '^' || c == '=';
}

}  // namespace

bool IsValidTicker(std::string_view ticker) {
  if (ticker.empty() || ticker.size() > kMaxTickerLength || ticker[0] == '.') return false;
  for (size_t i = 0; i < ticker.size(); ++i) {
    if (!IsTickerChar(ticker[i])) return false;
    if (ticker[i] == '.' && i + 1 < ticker.size() && ticker[i + 1] == '.') return false;
  }
  return true;
}

std::string_view UpperCaseInto(std::string_view text, char* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return {out, text.size()};
}

std::optional<std::string> TickerFromPath(std::string_view relative_path) {
  const size_t slash = relative_path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? relative_path : relative_path.substr(slash + 1);
  name = name.substr(0, name.find('.'));
  if (name.empty() || name.size() > kMaxTickerLength) return std::nullopt;
  std::string ticker(name.size(), '\0');
  UpperCaseInto(name, ticker.data());
  if (!IsValidTicker(ticker)) return std::nullopt;
  return ticker;
}

}  // namespace stocklake
