// The synthetic dataset behind `stocklake generate`: realistic daily bars in the
// per-ticker "Huge Stock Market Dataset" layout, for tests and benchmarks at any scale.
// Output depends only on the options (never on the clock, the thread count or the
// standard library's random distributions), so a seed names a dataset.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

struct GenerateOptions {
  int tickers = 100;  //!< 1..1,000,000 files
  int days = 2520;    //!< business days per ticker, 1..400,000, ending 2017-11-10
  uint64_t seed = 1;
  std::string out_dir;
  //! 0..1: about this fraction of rows is replaced by rows the job must reject.
  double bad_row_fraction = 0.0;
  //! Worker threads; 0 means min(2, hardware threads). Does not change the bytes.
  int threads = 0;
  //! Where the files are written.
  Env* env = Env::Default();
};

struct GenerateSummary {
  int64_t files = 0;
  int64_t rows = 0;      //!< data rows written (header and blank lines excluded)
  int64_t bad_rows = 0;  //!< rows the reference job rejects or drops as duplicates
  int64_t bytes = 0;
};

//! Writes out_dir/Stocks/<ticker>.us.txt and out_dir/ETFs/<ticker>.us.txt (about 80/20;
//! lower-case unique tickers), each with the header Date,Open,High,Low,Close,Volume,
//! OpenInt and prices with 4 decimals. Prices follow a geometric Brownian motion per
//! ticker (drift and 1.2..2.5% daily volatility drawn per ticker, start 5..500) with
//! occasional 2:1 or 3:1 splits; OHLC is consistent, volume positive, OpenInt 0;
//! weekends and about 0.3% of business days are missing. With bad_row_fraction f, about
//! f of the rows become, in equal shares: an unparsable date, a non-existent calendar
//! date, a malformed number, a wrong field count, a nan/inf price, a zero or negative
//! price, high < low, a negative volume, a zero volume, or a duplicate (a second valid
//! row for the same date placed before the real one); blank lines are sprinkled at
//! rate f/10. Existing files of the same names are overwritten, others left alone.
//! Same options -> same bytes. InvalidArgument for options out of range, IOError when
//! a file cannot be written.
Result<GenerateSummary> GenerateDataset(const GenerateOptions& options);

}  // namespace stocklake
