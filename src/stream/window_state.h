// The windowing kernel of the speed layer (stream.md "Windows", "Watermark and
// lateness"): per-symbol event-time tumbling windows, the per-symbol watermark, lateness
// and finality, and the state a processor stores with its offsets to resume exactly.
// Pure logic: no I/O, no clock (the caller passes processing time in).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "stream/trade_event.h"

namespace stocklake {

//! One window's bar as the serving store keeps it (a row of `intraday_bars`).
struct WindowBar {
  std::string symbol;
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;  //!< window_start_ms + W
  double open = 0, high = 0, low = 0, close = 0, vwap = 0;
  int64_t volume = 0, trades = 0;
  bool final = false;  //!< the numbers will never change again

  bool operator==(const WindowBar&) const = default;
};

//! The windows and watermarks of every symbol a processor has seen. Not thread-safe.
//!
//! Watermark: wm(S) = max(ts of the events of S accepted or late so far) - L, minus
//! infinity before the first. One extension the spec implies but does not spell out: once
//! CloseIdle finalises a quiet symbol's windows, wm(S) is also at least the end of those
//! windows, so an event that would land in one is late (the spec promises a final window's
//! numbers never change).
class WindowState {
 public:
  //! Why Apply did or did not fold an event in.
  enum class Outcome {
    kAccepted,    //!< folded into its window
    kLate,        //!< window_end <= wm(S): changes no window (dead-letter it as `late`)
    kOutOfRange,  //!< the window's bounds or its volume would not fit in int64: changes
                  //!< nothing, moves no watermark (dead-letter it as `invalid`)
  };
  struct Applied {
    Outcome outcome;
    //! wm(S) the event met, before it was applied; INT64_MIN stands for minus infinity.
    int64_t watermark_ms;
  };

  //! Requires window_ms > 0 and lateness_ms >= 0 (the CLI validates its flags).
  WindowState(int64_t window_ms, int64_t lateness_ms);

  //! Applies one valid event (price finite and > 0, size > 0). Calls must follow each
  //! symbol's arrival order (offset order: a resumed state continues after the stored
  //! offsets), which is what breaks open/close ties on ts, so no sequence number is kept.
  //! `now_ms` is the processing time, remembered for CloseIdle. No allocation once the
  //! symbol and its windows exist.
  Applied Apply(const TradeEvent& event, int64_t now_ms);

  //! The windows changed (numbers or `final`) since the last call, ordered by symbol then
  //! window start, to UPSERT. Final windows are then forgotten: their rows are complete.
  std::vector<WindowBar> TakeChanges();

  //! Finalises the open windows of every symbol whose last event (accepted or late) was
  //! processed at or before now_ms - idle_ms. Changes only `final`, never the numbers;
  //! later events of those windows are late. Returns the number of windows finalised.
  size_t CloseIdle(int64_t now_ms, int64_t idle_ms);

  //! Everything needed to resume exactly (store it in the transaction that records the
  //! offsets): per symbol the max ts, the idle-close bound, the last processing time and
  //! every window not yet forgotten, with the ts of its open and close (for later ties)
  //! and the vwap accumulator bit for bit. Text, versioned, deterministic.
  std::string Serialize() const;
  //! The state Serialize wrote; Corruption (saying what and where) for anything else.
  static Result<WindowState> Deserialize(std::string_view text);

  int64_t window_ms() const { return window_ms_; }
  int64_t lateness_ms() const { return lateness_ms_; }
  //! wm(S) now; INT64_MIN (minus infinity) for a symbol never seen.
  int64_t Watermark(std::string_view symbol) const;
  //! Windows held in memory (open ones and final ones not yet taken).
  size_t WindowCount() const;

 private:
  //! One window's accumulators. sum(price * size) is kept in long double (64-bit
  //! mantissa, 15-bit exponent on x86-64; binary128 on AArch64) with Neumaier
  //! compensation: each product is rounded once to 2^-64 relative and the compensated sum
  //! adds O(2^-64) whatever the number of terms, so vwap is within a few 1e-16 of the
  //! definition, and price * size never overflows the way it can in double.
  struct Window {
    int64_t start = 0;
    double open = 0, close = 0, high = 0, low = 0;
    int64_t open_ts = 0, close_ts = 0;  //!< of the events open and close come from
    int64_t volume = 0, trades = 0;
    long double pv_sum = 0, pv_comp = 0;
    bool final = false;
    bool dirty = false;  //!< changed since the last TakeChanges
  };
  struct Symbol {
    std::string name;
    bool seen = false;                   //!< an event accepted or late: max_ts is set
    int64_t max_ts = 0;                  //!< of the events accepted or late
    int64_t closed_through = INT64_MIN;  //!< end of the windows CloseIdle finalised
    int64_t watermark = INT64_MIN;       //!< wm(S), kept up to date
    int64_t last_now = 0;                //!< processing time of the last event
    bool dirty = false;                  //!< some window is dirty
    std::vector<Window> windows;         //!< not yet forgotten, few (about (W + L) / W)
  };
  //! A slot of the symbol index: open addressing, linear probing, at most half full.
  struct Slot {
    uint32_t hash = 0;
    uint32_t symbol_plus_one = 0;  //!< 0: empty
  };

  void UpdateWatermark(Symbol& s);
  //! The symbol's index in symbols_, or -1.
  int64_t Find(std::string_view name, uint64_t hash) const;
  Symbol& Intern(const std::string& name);

  int64_t window_ms_;
  int64_t lateness_ms_;
  std::vector<Symbol> symbols_;  //!< in order of first event
  std::vector<Slot> slots_;      //!< the index of symbols_ by name; size a power of two
};

}  // namespace stocklake
