// Reads one input file's bytes into rows of a BarBatch, in any layout of
// input_layout.h, following reference-job.md ("Input", "Field syntax") to the letter.
// Only syntax is judged here: a row either parses (reason kNone) or is rejected as
// parse_error / unrecognised_header; the value checks (bad_price, high/low, volume,
// duplicates) belong to the cleaning stage.
//
// Decisions the spec leaves open, made here:
// - A row with the wrong number of fields still carries its date when its first field
//   parses as one; in the S&P 500 layout its ticker is then unknown (which field is Name
//   is unsure).
// - A per-ticker CSV whose file name gives no valid ticker (ticker.h): every row is a
//   parse_error with no ticker, and the stats carry a warning.
// - Yahoo chart JSON that is malformed or not the chart shape (no chart.result[0] with
//   meta.symbol, integer meta.gmtoffset, and, when timestamp[] is non-empty,
//   indicators.quote[0]) counts as ONE row, line 1, rejected as unrecognised_header
//   (ticker from the file name as for CSV), plus a warning: a file that yielded nothing
//   would otherwise leave no trace in the rejects table. A chart without timestamp[]
//   (Yahoo's answer for an empty range) is 0 rows, no warning.
// - In chart JSON: an invalid meta.symbol makes every entry a parse_error with no
//   ticker; a price array that is missing or shorter than timestamp[] makes the
//   affected entries parse_errors; volume must be a JSON integer; dates outside years
//   0000..9999 do not parse. Entries past the end of timestamp[] are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bar_batch.h"
#include "core/status.h"
#include "ingest/input_layout.h"
#include "ingest/source_files.h"

namespace stocklake {

struct ReadStats {
  InputLayout layout = InputLayout::kUnrecognised;
  //! Rows appended: accepted-so-far + parse errors + unrecognised-header rows.
  int64_t rows_read = 0;
  int64_t parse_errors = 0;
  int64_t unrecognised_rows = 0;
  //! One human-readable line naming the file, e.g. "unrecognised header in
  //! Stocks/x.us.txt: ..."; empty when there is nothing to say.
  std::string warning;
};

//! Parses one file's bytes, appending one row per data row to `out` (whose dictionary
//! may already hold tickers) with source = source_id and line = the 1-based physical
//! line (JSON: 1-based index into timestamp[]). Rows failing field syntax get
//! kParseError with the ticker code when known, the date when it parsed (else
//! kNullDate) and 0 in every numeric slot. In a file with an unrecognised first line each
//! non-blank line after the first gets kUnrecognisedHeader (ticker from the file name
//! when valid, else kNoTicker). Valid rows get kNone, adj_close = close when the layout
//! has none. Bad content never fails: the result is always OK (I/O is the caller's).
//! Safe to call from several threads at once on distinct batches.
Result<ReadStats> ReadBars(std::string_view content, const SourceFile& file, uint32_t source_id, BarBatch* out);

//! Maps file.absolute_path and calls ReadBars; an error only when the file cannot be
//! opened or mapped (the message names the path).
Result<ReadStats> ReadBarsFromFile(const SourceFile& file, uint32_t source_id, BarBatch* out);

}  // namespace stocklake
