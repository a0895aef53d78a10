// The synthetic trade stream (trade_generator.h). One pass, one random sequence: every
// choice is drawn from a single xoshiro256** stream in a fixed order, so a seed names
// the bytes.
#include "stream/trade_generator.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "core/random.h"
#include "stream/trade_event.h"

namespace stocklake {

namespace {

constexpr size_t kFlushBytes = 1 << 20;

using Rng = SeededRandom;

struct SymbolState {
  std::string ticker;
  double price;  // the walk, unrounded
};

std::vector<SymbolState> MakeSymbols(Rng& rng, int count) {
  std::set<std::string> seen;
  std::vector<SymbolState> symbols;
  symbols.reserve(static_cast<size_t>(count));
  while (static_cast<int>(symbols.size()) < count) {
    const int length = 1 + static_cast<int>(rng.Below(count > 1000 ? 5 : 4));
    std::string ticker;
    for (int i = 0; i < length; ++i) ticker += static_cast<char>('A' + rng.Below(26));
    const uint32_t suffix = rng.Below(100);
    if (suffix < 2) ticker += ".B";
    if (suffix == 2) ticker += "-A";
    if (!seen.insert(ticker).second) continue;
    symbols.push_back({ticker, 5.0 + 495.0 * rng.Uniform()});
  }
  return symbols;
}

void AppendFormat(std::string* out, const char* format, auto... args) {
  char text[128];
  const int n = std::snprintf(text, sizeof(text), format, args...);
  out->append(text, static_cast<size_t>(n));
}

void AppendPrice(std::string* out, int64_t cents) {
  AppendFormat(out, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
}

// The event time as text (quoted when a string), naming exactly `ts_ms`.
void AppendTs(Rng& rng, int64_t ts_ms, std::string* out) {
  const uint32_t form = rng.Below(100);
  if (form < 15) {
    AppendFormat(out, "%" PRId64, ts_ms);
    return;
  }
  if (form < 25) {
    static constexpr int kOffsetsMin[] = {330, -300, 0, 0, 540, -210};
    static constexpr const char* kOffsetText[] = {"+05:30", "-05:00", "+00:00", "-00:00", "+09:00", "-03:30"};
    const uint32_t pick = rng.Below(6);
    const std::string local = FormatRfc3339Millis(ts_ms + int64_t{kOffsetsMin[pick]} * 60'000);
    out->push_back('"');
    out->append(local, 0, local.size() - 1);  // without the Z
    out->append(kOffsetText[pick]);
    out->push_back('"');
    return;
  }
  std::string text = FormatRfc3339Millis(ts_ms);
  text.pop_back();  // the Z, put back below
  if (form < 35) {
    AppendFormat(&text, "%03u", rng.Below(1000));  // sub-millisecond digits, truncated away
  } else if (form < 40) {
    AppendFormat(&text, "%06u", rng.Below(1000000));
  } else if (form < 45) {
    while (text.back() == '0') text.pop_back();  // fewest digits: ".5", ".12", or none
    if (text.back() == '.') text.pop_back();
  }
  out->push_back('"');
  out->append(text);
  out->append(rng.Below(50) == 0 ? "z\"" : "Z\"");
}

constexpr int kBadKinds = 21;

// An invalid record of kind `kind` (trade_generator.h lists them), built from a real-looking trade.
void AppendBad(Rng& rng, int kind, const std::string& ticker, int64_t cents, int64_t ts_ms, std::string* out) {
  std::string symbol = "\"symbol\": \"" + ticker + "\"";
  std::string price;
  AppendPrice(&price, cents);
  price = "\"price\": " + price;
  std::string size = "\"size\": 100";
  std::string ts = "\"ts\": \"" + FormatRfc3339Millis(ts_ms) + "\"";
  switch (kind) {
    case 0:  // not JSON: a record cut short
      out->append("{" + symbol + ", " + price + ", \"size\": 1");
      return;
    case 1:  // not an object
      out->append("[\"" + ticker + "\", 187.15, 100]");
      return;
    case 2: symbol.clear(); break;
    case 3: price.clear(); break;
    case 4: size.clear(); break;
    case 5: ts.clear(); break;
    case 6: symbol = "\"symbol\": 42"; break;
    case 7: {
      static constexpr const char* kNotTickers[] = {"", "AA PL", "..X", "A/B", "TOOLONGTICKERNAMEXXXXXXXXXXXXXXXXX"};
      symbol = std::string("\"symbol\": \"") + kNotTickers[rng.Below(5)] + "\"";
      break;
    }
    case 8: price = "\"price\": \"187.15\""; break;
    case 9: price = "\"price\": 0"; break;
    case 10: price = "\"price\": -" + price.substr(9); break;
    case 11:
      price = "\"price\": NaN";  // what a careless producer writes; not JSON
      break;
    case 12: size = rng.Below(2) == 0 ? "\"size\": 100.0" : "\"size\": 1e2"; break;
    case 13: size = "\"size\": 0"; break;
    case 14: size = "\"size\": -100"; break;
    case 15: size = "\"size\": 9223372036854775808"; break;
    case 16: ts = rng.Below(2) == 0 ? "\"ts\": \"2025-13-02T14:30:00Z\"" : "\"ts\": \"2025-02-29T14:30:00Z\""; break;
    case 17: {
      std::string local = FormatRfc3339Millis(ts_ms);
      local.pop_back();
      ts = "\"ts\": \"" + local + "\"";
      break;
    }
    case 18: ts = "\"ts\": " + std::to_string(ts_ms) + ".5"; break;
    case 19: ts = rng.Below(2) == 0 ? "\"ts\": null" : "\"ts\": true"; break;
    default: ts = "\"ts\": 253402300800000"; break;
  }
  out->push_back('{');
  bool first = true;
  for (const std::string* field : {&symbol, &price, &size, &ts}) {
    if (field->empty()) continue;
    if (!first) out->append(", ");
    out->append(*field);
    first = false;
  }
  out->push_back('}');
}

Status CheckOptions(const TradeGeneratorOptions& o) {
  if (o.out_path.empty()) return Status::InvalidArgument("generate-trades needs --out FILE");
  if (o.events < 0 || o.events > 1'000'000'000) return Status::InvalidArgument("--events must be 0..1000000000");
  if (o.symbols < 1 || o.symbols > 100'000) return Status::InvalidArgument("--symbols must be 1..100000");
  if (!std::isfinite(o.rate) || !(o.rate > 0)) return Status::InvalidArgument("--rate must be a number > 0");
  if (!(o.late_fraction >= 0 && o.late_fraction <= 1)) return Status::InvalidArgument("--late must be 0..1");
  if (!(o.bad_fraction >= 0 && o.bad_fraction <= 1)) return Status::InvalidArgument("--bad must be 0..1");
  return Status::OK();
}

}  // namespace

Result<TradeGeneratorSummary> GenerateTrades(const TradeGeneratorOptions& options) {
  SL_RETURN_IF_ERROR(CheckOptions(options));
  // Like `generate --out`, the file's directory is made when missing.
  if (const size_t slash = options.out_path.rfind('/'); slash != std::string::npos && slash > 0) {
    SL_RETURN_IF_ERROR(options.env->CreateDirectories(options.out_path.substr(0, slash)));
  }
  SL_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                      options.env->NewWritableFile(options.out_path, OpenMode::kTruncate));
  Rng rng(options.seed);
  std::vector<SymbolState> symbols = MakeSymbols(rng, options.symbols);
  const double ms_per_event = 1000.0 / options.rate;

  TradeGeneratorSummary summary;
  std::string buffer;
  buffer.reserve(kFlushBytes + 512);
  for (int64_t i = 0; i < options.events; ++i) {
    // A few symbols trade most: index = K * u^2.
    const double u = rng.Uniform();
    SymbolState& s = symbols[std::min(symbols.size() - 1, static_cast<size_t>(u * u * symbols.size()))];
    s.price = std::max(0.01, s.price * std::exp(0.0005 * rng.UnpairedNormal()));
    const int64_t cents = std::max<int64_t>(1, std::llround(s.price * 100));
    const int64_t size = rng.Below(10) < 6 ? 100 * (1 + rng.Below(10)) : 1 + rng.Below(99);
    int64_t ts_ms = options.start_ms + static_cast<int64_t>(std::floor(static_cast<double>(i) * ms_per_event));
    const bool late = rng.Uniform() < options.late_fraction;
    if (late) {
      ts_ms -= 120'000 + rng.Below(780'000);
    } else if (rng.Below(100) < 5) {
      ts_ms -= rng.Below(5000);
    }

    if (rng.Uniform() < options.bad_fraction) {
      AppendBad(rng, static_cast<int>(rng.Below(kBadKinds)), s.ticker, cents, ts_ms, &buffer);
      ++summary.bad;
    } else {
      if (late) ++summary.late;
      std::string symbol = s.ticker;
      const uint32_t look = rng.Below(100);
      if (look == 0) {
        for (char& c : symbol) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      } else if (look == 1) {
        symbol = " " + symbol + " ";
      }
      buffer.append("{\"symbol\": \"").append(symbol).append("\", \"price\": ");
      AppendPrice(&buffer, cents);
      AppendFormat(&buffer, ", \"size\": %" PRId64 ", \"ts\": ", size);
      AppendTs(rng, ts_ms, &buffer);
      if (rng.Below(20) == 0) AppendFormat(&buffer, ", \"venue\": \"XNAS\", \"id\": %" PRId64, i);
      buffer.push_back('}');
    }
    buffer.push_back('\n');
    ++summary.events;
    if (buffer.size() >= kFlushBytes) {
      SL_RETURN_IF_ERROR(file->Append(buffer));
      summary.bytes += static_cast<int64_t>(buffer.size());
      buffer.clear();
    }
  }
  SL_RETURN_IF_ERROR(file->Append(buffer));
  summary.bytes += static_cast<int64_t>(buffer.size());
  SL_RETURN_IF_ERROR(file->Close());
  return summary;
}

}  // namespace stocklake
