#include "ingest/input_layout.h"

#include <array>

#include "ingest/field_syntax.h"

namespace stocklake {

namespace {

using Header = std::array<std::string_view, 7>;
constexpr Header kHugeHeader = {"date", "open", "high", "low", "close", "volume", "openint"};
constexpr Header kSp500Header = {"date", "open", "high", "low", "close", "volume", "name"};
constexpr Header kYahooHeader = {"date", "open", "high", "low", "close", "adj close", "volume"};

bool EqualsLowerCase(std::string_view field, std::string_view lower) {
  if (field.size() != lower.size()) return false;
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool MatchesHeader(std::string_view line, const Header& header) {
  size_t index = 0;
  for (;;) {
    const size_t comma = line.find(',');
    const std::string_view field = TrimSpaces(line.substr(0, comma));
    if (index >= header.size() || !EqualsLowerCase(field, header[index])) return false;
    ++index;
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return index == header.size();
}

}  // namespace

std::string_view StripBom(std::string_view content) {
  if (content.size() >= 3 && content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  return content;
}

InputLayout DetectLayout(std::string_view content) {
  content = StripBom(content);
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{') return InputLayout::kYahooChartJson;
  std::string_view line = content.substr(0, content.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (MatchesHeader(line, kHugeHeader)) return InputLayout::kHugeStockMarket;
  if (MatchesHeader(line, kSp500Header)) return InputLayout::kSp500;
  if (MatchesHeader(line, kYahooHeader)) return InputLayout::kYahooCsv;
  return InputLayout::kUnrecognised;
}

std::string_view InputLayoutName(InputLayout layout) {
  switch (layout) {
    case InputLayout::kHugeStockMarket: return "huge_stock_market";
    case InputLayout::kSp500: return "sp500";
    case InputLayout::kYahooCsv: return "yahoo_csv";
    case InputLayout::kYahooChartJson: return "yahoo_chart_json";
    case InputLayout::kUnrecognised: return "unrecognised";
  }
  return "unrecognised";
}

}  // namespace stocklake
