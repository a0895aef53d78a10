// The synthetic trade stream behind `stocklake generate-trades`: JSON lines of trades for
// demos, tests and benchmarks of the speed layer. Output depends only on the options
// (never on the clock or the standard library's distributions), so a seed names a stream.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

struct TradeGeneratorOptions {
  std::string out_path;
  int64_t events = 1000;  //!< lines written, 0..1,000,000,000
  int symbols = 10;       //!< distinct symbols, 1..100,000
  uint64_t seed = 1;
  double rate = 1000;        //!< events per second of event time (spacing of the timestamps), > 0
  double late_fraction = 0;  //!< 0..1: events sent back in time far enough to be late
  double bad_fraction = 0;   //!< 0..1: lines replaced by invalid records
  //! Event time of the first event, Unix ms (2025-01-02T14:30:00Z unless set).
  int64_t start_ms = 1'735'828'200'000;
  Env* env = Env::Default();
};

struct TradeGeneratorSummary {
  int64_t events = 0;  //!< lines written
  int64_t late = 0;    //!< valid events moved back by more than two minutes
  int64_t bad = 0;     //!< invalid records
  int64_t bytes = 0;
};

//! Writes `events` JSON lines to out_path (replacing it). Each symbol (upper-case tickers,
//! a few with '.' or '-') has its own random-walk price (start 5..500, cents) and trades
//! of round lots (100..1000) or odd lots (1..99). Event i's nominal time is start_ms +
//! i * 1000 / rate; about 5% of events jitter back by up to 5 s (out of order, not late),
//! and about late_fraction go back 2..15 minutes (late under the default 60 s window and
//! lateness, when the symbol has traded since). The ts is written as RFC 3339 with Z
//! (milliseconds, none when whole, or 6 or 9 digits whose sub-ms part truncates away),
//! with a numeric offset (+05:30, -05:00, +00:00, -00:00), or as integer Unix ms, always
//! naming exactly the generated millisecond; symbols are sometimes lower-case or padded
//! and some records carry extra fields (all still valid). With bad_fraction f, about f of
//! the lines are invalid records, in equal shares of: not JSON, not an object, a field
//! missing (each of the four), a symbol of the wrong type or no ticker, a price of the
//! wrong type, zero, negative or NaN (not JSON), a size that is a float, zero, negative or
//! beyond int64, a ts that is malformed, zone-less, a float, of the wrong type or out of
//! range. Same options -> same bytes. InvalidArgument for options out of range, IOError
//! when the file cannot be written.
Result<TradeGeneratorSummary> GenerateTrades(const TradeGeneratorOptions& options);

}  // namespace stocklake
