// The input layouts stocklake reads (reference-job.md "Input") and how one is recognised
// from a file's bytes: a CSV by its header line, a Yahoo chart body by being JSON.
#pragma once

#include <string_view>

namespace stocklake {

enum class InputLayout {
  kHugeStockMarket,  //!< Date,Open,High,Low,Close,Volume,OpenInt (per-ticker files)
  kSp500,            //!< date,open,high,low,close,volume,Name (one file, many tickers)
  kYahooCsv,         //!< Date,Open,High,Low,Close,Adj Close,Volume (per-ticker files)
  kYahooChartJson,   //!< body of Yahoo Finance's v8 chart endpoint
  kUnrecognised,
};

//! Decides the layout from content alone. A UTF-8 BOM is skipped. JSON when the rest,
//! after whitespace, starts with '{'; otherwise the first line (up to LF, a trailing CR
//! dropped) is split at commas, each field trimmed of spaces and compared
//! case-insensitively with the headers above, field count included.
InputLayout DetectLayout(std::string_view content);

//! "huge_stock_market", "sp500", "yahoo_csv", "yahoo_chart_json", "unrecognised".
std::string_view InputLayoutName(InputLayout layout);

//! `content` without a leading UTF-8 byte order mark.
std::string_view StripBom(std::string_view content);

}  // namespace stocklake
