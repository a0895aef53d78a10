// The windowing kernel: tumbling windows, per-symbol watermarks, finality, and the text
// form of the state a processor resumes from.
#include "stream/window_state.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace stocklake {

namespace {

constexpr std::string_view kMagic = "stocklake-window-state";
constexpr int kVersion = 1;

//! a - b, or INT64_MIN (minus infinity) when that is below the int64 range: a watermark
//! below every representable window end behaves as minus infinity.
int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? INT64_MIN : r;
}

//! floor(ts / w) * w, false when it or its end does not fit in int64.
bool WindowStartOf(int64_t ts, int64_t w, int64_t* start) {
  int64_t rem = ts % w;
  if (rem < 0) rem += w;
  int64_t end;
  return !__builtin_sub_overflow(ts, rem, start) && !__builtin_add_overflow(*start, w, &end);
}

//! A fast hash of a short name (tickers fit in one or two words). Not flooding-resistant:
//! symbols follow the ticker syntax and one processor sees thousands, not millions.
uint64_t HashName(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    h = (h ^ v) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  uint64_t v = 0;
  if (i < s.size()) std::memcpy(&v, s.data() + i, s.size() - i);
  h = (h ^ v) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

//! Neumaier's compensated sum: `sum + comp` carries what plain summation rounds away.
void AddCompensated(long double x, long double* sum, long double* comp) {
  const long double t = *sum + x;
  if (std::fabs(*sum) >= std::fabs(x)) {
    *comp += (*sum - t) + x;
  } else {
    *comp += (x - t) + *sum;
  }
  *sum = t;
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
  out->push_back(' ');
}

//! Hexadecimal floating point: exact, so a resumed state is the same bit for bit.
void AppendDouble(std::string* out, double v) {
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%a ", v);
  out->append(buf, n);
}

void AppendLongDouble(std::string* out, long double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%La ", v);
  out->append(buf, n);
}

//! Reads the tokens Serialize wrote, remembering the line for error messages.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Status Error(std::string_view what) const {
    return Status::Corruption("window state, line " + std::to_string(line_) + ": " + std::string(what) +
                              "; the stored stream state is damaged: restore it or reset the stream's offsets");
  }
  bool Token(std::string_view* tok) {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    const size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '\n') ++pos_;
    *tok = text_.substr(begin, pos_ - begin);
    return !tok->empty();
  }
  bool Int(int64_t* v) {
    std::string_view tok;
    if (!Token(&tok)) return false;
    auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), *v);
    return ec == std::errc() && end == tok.data() + tok.size();
  }
  bool Bool(bool* v) {
    int64_t i;
    if (!Int(&i) || (i != 0 && i != 1)) return false;
    *v = i == 1;
    return true;
  }
  template <typename F>
  bool Float(F* v) {
    std::string_view tok;
    if (!Token(&tok)) return false;
    const std::string s(tok);  // strtod needs a terminator
    char* end = nullptr;
    if constexpr (sizeof(F) == sizeof(double)) {
      *v = std::strtod(s.c_str(), &end);
    } else {
      *v = std::strtold(s.c_str(), &end);
    }
    return end == s.c_str() + s.size();
  }
  //! "<length>:<bytes>", so any symbol text survives.
  bool Name(std::string* name) {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    const size_t colon = text_.find(':', pos_);
    if (colon == std::string_view::npos) return false;
    uint64_t len;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + colon, len);
    if (ec != std::errc() || end != text_.data() + colon || len > text_.size() - colon - 1) return false;
    name->assign(text_.substr(colon + 1, len));
    pos_ = colon + 1 + len;
    return true;
  }
  bool AtEnd() {
    std::string_view tok;
    return !Token(&tok);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

WindowState::WindowState(int64_t window_ms, int64_t lateness_ms) : window_ms_(window_ms), lateness_ms_(lateness_ms) {
  assert(window_ms > 0 && lateness_ms >= 0);
}

void WindowState::UpdateWatermark(Symbol& s) {
  const int64_t from_max = s.seen ? SaturatingSub(s.max_ts, lateness_ms_) : INT64_MIN;
  s.watermark = std::max(from_max, s.closed_through);
}

int64_t WindowState::Find(std::string_view name, uint64_t hash) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.symbol_plus_one == 0) return -1;
    if (slot.hash == static_cast<uint32_t>(hash) && symbols_[slot.symbol_plus_one - 1].name == name) {
      return slot.symbol_plus_one - 1;
    }
  }
}

WindowState::Symbol& WindowState::Intern(const std::string& name) {
  const uint64_t hash = HashName(name);
  if (const int64_t found = Find(name, hash); found >= 0) return symbols_[found];
  if (2 * (symbols_.size() + 1) > slots_.size()) {
    // Grow and re-insert: the index stays at most half full, so probes stay short.
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    for (const Slot& slot : old) {
      if (slot.symbol_plus_one == 0) continue;
      const size_t mask = slots_.size() - 1;
      size_t i = HashName(symbols_[slot.symbol_plus_one - 1].name) & mask;
      while (slots_[i].symbol_plus_one != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].symbol_plus_one != 0) i = (i + 1) & mask;
  Symbol& s = symbols_.emplace_back();
  s.name = name;
  slots_[i] = Slot{static_cast<uint32_t>(hash), static_cast<uint32_t>(symbols_.size())};
  return s;
}

WindowState::Applied WindowState::Apply(const TradeEvent& event, int64_t now_ms) {
  assert(event.size > 0 && event.price > 0 && std::isfinite(event.price));
  int64_t start;
  if (!WindowStartOf(event.ts_ms, window_ms_, &start)) {
    return {Outcome::kOutOfRange, Watermark(event.symbol)};
  }
  const int64_t end = start + window_ms_;
  Symbol& s = Intern(event.symbol);
  const int64_t met = s.watermark;
  if (end <= met) {
    // Late: its ts is below wm + L <= max_ts, so the watermark cannot move.
    s.last_now = now_ms;
    return {Outcome::kLate, met};
  }
  // Most events fall in the newest window: search from the back, keeping starts sorted.
  Window* w = nullptr;
  size_t insert_at = 0;
  for (size_t i = s.windows.size(); i-- > 0;) {
    if (s.windows[i].start <= start) {
      if (s.windows[i].start == start) w = &s.windows[i];
      insert_at = i + 1;
      break;
    }
  }
  int64_t volume;
  if (w != nullptr && __builtin_add_overflow(w->volume, event.size, &volume)) {
    return {Outcome::kOutOfRange, met};
  }
  s.last_now = now_ms;
  const long double pv = static_cast<long double>(event.price) * static_cast<long double>(event.size);
  if (w == nullptr) {
    w = &*s.windows.emplace(s.windows.begin() + static_cast<ptrdiff_t>(insert_at));
    w->start = start;
    w->open = w->close = w->high = w->low = event.price;
    w->open_ts = w->close_ts = event.ts_ms;
    w->volume = event.size;
    w->trades = 1;
    w->pv_sum = pv;
  } else {
    // Calls come in arrival order, so a tie on ts keeps the open and moves the close.
    if (event.ts_ms < w->open_ts) {
      w->open = event.price;
      w->open_ts = event.ts_ms;
    }
    if (event.ts_ms >= w->close_ts) {
      w->close = event.price;
      w->close_ts = event.ts_ms;
    }
    w->high = std::max(w->high, event.price);
    w->low = std::min(w->low, event.price);
    w->volume = volume;
    ++w->trades;
    AddCompensated(pv, &w->pv_sum, &w->pv_comp);
  }
  w->dirty = true;
  s.dirty = true;
  if (!s.seen || event.ts_ms > s.max_ts) {
    s.seen = true;
    s.max_ts = event.ts_ms;
    UpdateWatermark(s);
    for (size_t i = s.windows.size(); i-- > 0;) {
      Window& open = s.windows[i];
      if (open.final) break;  // the final ones are a prefix
      if (open.start + window_ms_ <= s.watermark) {
        open.final = true;
        open.dirty = true;
      }
    }
  }
  return {Outcome::kAccepted, met};
}

std::vector<WindowBar> WindowState::TakeChanges() {
  std::vector<WindowBar> out;
  for (Symbol& s : symbols_) {
    if (!s.dirty) continue;
    s.dirty = false;
    for (Window& w : s.windows) {
      if (!w.dirty) continue;
      w.dirty = false;
      WindowBar& bar = out.emplace_back();
      bar.symbol = s.name;
      bar.window_start_ms = w.start;
      bar.window_end_ms = w.start + window_ms_;
      bar.open = w.open;
      bar.high = w.high;
      bar.low = w.low;
      bar.close = w.close;
      bar.vwap = static_cast<double>((w.pv_sum + w.pv_comp) / static_cast<long double>(w.volume));
      bar.volume = w.volume;
      bar.trades = w.trades;
      bar.final = w.final;
    }
    std::erase_if(s.windows, [](const Window& w) { return w.final; });
  }
  std::sort(out.begin(), out.end(), [](const WindowBar& a, const WindowBar& b) {
    return a.symbol != b.symbol ? a.symbol < b.symbol : a.window_start_ms < b.window_start_ms;
  });
  return out;
}

size_t WindowState::CloseIdle(int64_t now_ms, int64_t idle_ms) {
  size_t closed = 0;
  for (Symbol& s : symbols_) {
    // Quiet when now - last_now >= idle, written so that it cannot overflow.
    if (s.last_now > SaturatingSub(now_ms, idle_ms)) continue;
    for (Window& w : s.windows) {
      if (w.final) continue;
      w.final = true;
      w.dirty = true;
      s.dirty = true;
      s.closed_through = std::max(s.closed_through, w.start + window_ms_);
      ++closed;
    }
    UpdateWatermark(s);
  }
  return closed;
}

int64_t WindowState::Watermark(std::string_view symbol) const {
  const int64_t found = Find(symbol, HashName(symbol));
  return found < 0 ? INT64_MIN : symbols_[found].watermark;
}

size_t WindowState::WindowCount() const {
  size_t n = 0;
  for (const Symbol& s : symbols_) n += s.windows.size();
  return n;
}

// Layout: "stocklake-window-state 1 <W> <L> <symbols>", then per symbol a line
// "<len>:<name> <seen> <max_ts> <closed_through> <last_now> <windows>" and one line per
// window. The watermark is derived, not stored.
std::string WindowState::Serialize() const {
  std::string out;
  out.append(kMagic);
  out.push_back(' ');
  AppendInt(&out, kVersion);
  AppendInt(&out, window_ms_);
  AppendInt(&out, lateness_ms_);
  AppendInt(&out, static_cast<int64_t>(symbols_.size()));
  out.back() = '\n';
  for (const Symbol& s : symbols_) {
    out += std::to_string(s.name.size()) + ":" + s.name + " ";
    AppendInt(&out, s.seen);
    AppendInt(&out, s.max_ts);
    AppendInt(&out, s.closed_through);
    AppendInt(&out, s.last_now);
    AppendInt(&out, static_cast<int64_t>(s.windows.size()));
    out.back() = '\n';
    for (const Window& w : s.windows) {
      AppendInt(&out, w.start);
      AppendDouble(&out, w.open);
      AppendInt(&out, w.open_ts);
      AppendDouble(&out, w.close);
      AppendInt(&out, w.close_ts);
      AppendDouble(&out, w.high);
      AppendDouble(&out, w.low);
      AppendInt(&out, w.volume);
      AppendInt(&out, w.trades);
      AppendLongDouble(&out, w.pv_sum);
      AppendLongDouble(&out, w.pv_comp);
      AppendInt(&out, w.final);
      AppendInt(&out, w.dirty);
      out.back() = '\n';
    }
  }
  return out;
}

Result<WindowState> WindowState::Deserialize(std::string_view text) {
  Reader in(text);
  std::string_view magic;
  int64_t version, window_ms, lateness_ms, symbols;
  if (!in.Token(&magic) || magic != kMagic) return in.Error("not a window state (no '" + std::string(kMagic) + "')");
  if (!in.Int(&version) || version != kVersion) return in.Error("unknown version (this build reads version 1)");
  if (!in.Int(&window_ms) || window_ms <= 0) return in.Error("window must be > 0 ms");
  if (!in.Int(&lateness_ms) || lateness_ms < 0) return in.Error("lateness must be >= 0 ms");
  if (!in.Int(&symbols) || symbols < 0) return in.Error("bad symbol count");
  WindowState state(window_ms, lateness_ms);
  for (int64_t i = 0; i < symbols; ++i) {
    std::string name;
    if (!in.Name(&name)) return in.Error("bad symbol name");
    if (state.Find(name, HashName(name)) >= 0) return in.Error("symbol '" + name + "' appears twice");
    Symbol& s = state.Intern(name);
    int64_t windows;
    if (!in.Bool(&s.seen) || !in.Int(&s.max_ts) || !in.Int(&s.closed_through) || !in.Int(&s.last_now) ||
        !in.Int(&windows) || windows < 0) {
      return in.Error("bad state of symbol '" + name + "'");
    }
    state.UpdateWatermark(s);
    for (int64_t j = 0; j < windows; ++j) {
      Window& w = s.windows.emplace_back();
      int64_t end;
      if (!in.Int(&w.start) || !in.Float(&w.open) || !in.Int(&w.open_ts) || !in.Float(&w.close) ||
          !in.Int(&w.close_ts) || !in.Float(&w.high) || !in.Float(&w.low) || !in.Int(&w.volume) || !in.Int(&w.trades) ||
          !in.Float(&w.pv_sum) || !in.Float(&w.pv_comp) || !in.Bool(&w.final) || !in.Bool(&w.dirty)) {
        return in.Error("bad window of symbol '" + name + "'");
      }
      int64_t aligned;
      if (!WindowStartOf(w.start, window_ms, &aligned) || aligned != w.start || w.volume <= 0 || w.trades <= 0 ||
          __builtin_add_overflow(w.start, window_ms, &end) || w.open_ts < w.start || w.open_ts >= end ||
          w.close_ts < w.open_ts || w.close_ts >= end) {
        return in.Error("window of symbol '" + name + "' is not aligned or is empty");
      }
      if (j > 0 && (s.windows[j - 1].start >= w.start || (w.final && !s.windows[j - 1].final))) {
        return in.Error("windows of symbol '" + name + "' out of order");
      }
      s.dirty = s.dirty || w.dirty;
    }
  }
  if (!in.AtEnd()) return in.Error("trailing data after the last symbol");
  return state;
}

}  // namespace stocklake
