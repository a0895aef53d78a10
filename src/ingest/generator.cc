#include "ingest/generator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/date.h"
#include "core/files.h"
#include "core/random.h"

namespace stocklake {

namespace {

constexpr int kMaxTickers = 1000000;
constexpr int kMaxDays = 400000;
constexpr std::string_view kHeader = "Date,Open,High,Low,Close,Volume,OpenInt\n";

using Rng = SeededRandom;

struct TickerSpec {
  std::string name;  // lower-case, as the real set names its files
  bool etf = false;
};

std::vector<TickerSpec> MakeTickers(int count, uint64_t seed) {
  Rng rng(seed ^ 0x7469636B65727321ULL);
  std::vector<TickerSpec> tickers;
  tickers.reserve(static_cast<size_t>(count));
  std::unordered_set<std::string> seen;
  size_t max_length = 4;
  int misses = 0;
  while (static_cast<int>(tickers.size()) < count) {
    // Mostly 3-4 letters like real symbols; grows when the short names run out.
    const double u = rng.Uniform();
    size_t length = u < 0.03 ? 1 : u < 0.15 ? 2 : u < 0.5 ? 3 : 4;
    length = std::min(length + (max_length - 4), max_length);
    std::string name(length, 'a');
    for (char& c : name) c = static_cast<char>('a' + rng.Below(26));
    if (!seen.insert(name).second) {
      if (++misses > 64) {
        ++max_length;
        misses = 0;
      }
      continue;
    }
    misses = 0;
    tickers.push_back(TickerSpec{std::move(name), rng.Below(5) == 0});
  }
  return tickers;
}

// The `days` business days (Monday..Friday) ending on 2017-11-10, the real set's last
// day, as "YYYY-MM-DD" texts, oldest first.
std::vector<char> BusinessDays(int days) {
  std::vector<Date> dates;
  dates.reserve(static_cast<size_t>(days));
  for (Date d = DaysFromCivil(2017, 11, 10); static_cast<int>(dates.size()) < days; --d) {
    if (WeekdayMondayZero(d) < 5) dates.push_back(d);
  }
  std::reverse(dates.begin(), dates.end());
  std::vector<char> text(dates.size() * 10);
  for (size_t i = 0; i < dates.size(); ++i) std::memcpy(&text[i * 10], FormatDate(dates[i]).data(), 10);
  return text;
}

// Appends decimal text to a row under construction; the row buffer is sized for the
// longest row, so no bounds checks are needed.
class RowWriter {
 public:
  explicit RowWriter(char* begin) : p_(begin), begin_(begin) {}
  void Text(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Char(char c) { *p_++ = c; }
  void Int(int64_t v) {
    if (v < 0) {
      *p_++ = '-';
      v = -v;
    }
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) *p_++ = digits[--n];
  }
  //! A price held in ten-thousandths, printed with exactly 4 decimals.
  void Price(int64_t ten_thousandths) {
    if (ten_thousandths < 0) {
      *p_++ = '-';
      ten_thousandths = -ten_thousandths;
    }
    Int(ten_thousandths / 10000);
    const int64_t frac = ten_thousandths % 10000;
    *p_++ = '.';
    *p_++ = static_cast<char>('0' + frac / 1000);
    *p_++ = static_cast<char>('0' + frac / 100 % 10);
    *p_++ = static_cast<char>('0' + frac / 10 % 10);
    *p_++ = static_cast<char>('0' + frac % 10);
  }
  size_t size() const { return static_cast<size_t>(p_ - begin_); }

 private:
  char* p_;
  char* begin_;
};

struct Bar {
  int64_t open, high, low, close;  // ten-thousandths
  int64_t volume;
};

enum class BadKind {
  kUnparsableDate,
  kImpossibleDate,
  kBadNumber,
  kWrongFieldCount,
  kNonFinitePrice,
  kNonPositivePrice,
  kHighBelowLow,
  kNegativeVolume,
  kZeroVolume,
  kDuplicate,
};
constexpr uint32_t kBadKinds = 10;

void WriteGoodRow(std::string_view date, const Bar& bar, std::string* out) {
  char row[160];
  RowWriter w(row);
  w.Text(date);
  w.Char(',');
  w.Price(bar.open);
  w.Char(',');
  w.Price(bar.high);
  w.Char(',');
  w.Price(bar.low);
  w.Char(',');
  w.Price(bar.close);
  w.Char(',');
  w.Int(bar.volume);
  w.Text(",0\n");
  out->append(row, w.size());
}

// Writes a row that the reference job rejects (or, for kDuplicate, a valid row for the
// same date followed by the real one, so the first is dropped as a duplicate).
void WriteBadRow(BadKind kind, std::string_view date, const Bar& bar, Rng& rng, std::string* out) {
  std::string_view date_text = date;
  char date_buf[16];
  std::string_view fields[4];  // replacement texts for open, high, low, close ("" = keep)
  std::string_view volume_text;
  bool drop_open_interest = false;
  bool extra_field = false;
  Bar b = bar;
  switch (kind) {
    case BadKind::kUnparsableDate: {
      // YYYY/MM/DD, YYYYMMDD, YYYY-MM-DDT or DD-MM.
      const uint32_t form = rng.Below(4);
      size_t n = 0;
      auto put = [&](std::string_view part) {
        std::memcpy(date_buf + n, part.data(), part.size());
        n += part.size();
      };
      const std::string_view y = date.substr(0, 4), m = date.substr(5, 2), d = date.substr(8, 2);
      if (form == 3) {
        put(d), put("-"), put(m);
      } else {
        const std::string_view sep = form == 0 ? "/" : form == 1 ? "" : "-";
        put(y), put(sep), put(m), put(sep), put(d);
        if (form == 2) put("T");
      }
      date_text = std::string_view(date_buf, n);
      break;
    }
    case BadKind::kImpossibleDate: {
      static constexpr std::string_view kMonthDays[] = {"-02-30", "-04-31", "-13-01", "-00-10", "-06-31"};
      std::memcpy(date_buf, date.data(), 4);
      std::memcpy(date_buf + 4, kMonthDays[rng.Below(5)].data(), 6);
      date_text = std::string_view(date_buf, 10);
      break;
    }
    case BadKind::kBadNumber: {
      static constexpr std::string_view kBad[] = {"12.3.4", "abc", "", "0x1A", "1e", "--5", "1.5$"};
      const uint32_t which = rng.Below(5);
      if (which < 4) {
        fields[which] = kBad[rng.Below(7)];
      } else {
        static constexpr std::string_view kBadVolume[] = {"1000.0", "1e6", "99999999999999999999", "12k"};
        volume_text = kBadVolume[rng.Below(4)];
      }
      break;
    }
    case BadKind::kWrongFieldCount:
      if (rng.Below(2) == 0) {
        drop_open_interest = true;
      } else {
        extra_field = true;
      }
      break;
    case BadKind::kNonFinitePrice: {
      static constexpr std::string_view kNonFinite[] = {"nan", "NaN", "inf", "-inf", "Infinity", "-NAN"};
      fields[rng.Below(4)] = kNonFinite[rng.Below(6)];
      break;
    }
    case BadKind::kNonPositivePrice: {
      const uint32_t which = rng.Below(4);
      int64_t* slot[] = {&b.open, &b.high, &b.low, &b.close};
      *slot[which] = rng.Below(2) == 0 ? 0 : -*slot[which];
      break;
    }
    case BadKind::kHighBelowLow: {
      const int64_t high = b.high;
      b.high = b.low;
      b.low = high + 100;  // strictly above the new high even for a flat bar
      break;
    }
    case BadKind::kNegativeVolume: b.volume = -b.volume; break;
    case BadKind::kZeroVolume: b.volume = 0; break;
    case BadKind::kDuplicate: {
      Bar twin = bar;
      const int64_t shift = 1 + rng.Below(50);
      twin.open += shift;
      twin.high += shift;
      twin.low += shift;
      twin.close += shift;
      WriteGoodRow(date, twin, out);
      WriteGoodRow(date, bar, out);
      return;
    }
  }
  char row[200];
  RowWriter w(row);
  w.Text(date_text);
  const int64_t prices[] = {b.open, b.high, b.low, b.close};
  for (int i = 0; i < 4; ++i) {
    w.Char(',');
    if (!fields[i].data()) {
      w.Price(prices[i]);
    } else {
      w.Text(fields[i]);
    }
  }
  w.Char(',');
  if (volume_text.data()) {
    w.Text(volume_text);
  } else {
    w.Int(b.volume);
  }
  if (!drop_open_interest) w.Text(",0");
  if (extra_field) w.Text(",0");
  w.Char('\n');
  out->append(row, w.size());
}

// Prices are kept in integer ten-thousandths so that what is printed (4 decimals) is
// exactly what the OHLC consistency was established on.
int64_t TenThousandths(double price) { return static_cast<int64_t>(std::llround(price * 1e4)); }

struct TickerOutput {
  int64_t rows = 0;
  int64_t bad_rows = 0;
};

// One ticker's whole file content; depends only on (seed, index) and the day list.
TickerOutput GenerateTicker(uint64_t seed, int index, const std::vector<char>& day_text, int days, double bad_fraction,
                            std::string* out) {
  uint64_t mix = seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(index) * 0xD1B54A32D192ED03ULL;
  Rng rng(Rng::SplitMix64(&mix));
  TickerOutput result;
  out->clear();
  out->append(kHeader);

  const double sigma = 0.012 + 0.013 * rng.Uniform();
  const double mu = 0.0002 + 0.0004 * rng.Normal();
  double price = std::exp(std::log(5.0) + rng.Uniform() * std::log(100.0));
  double base_volume = std::max(1000.0, std::exp(13.0 + 1.5 * rng.Normal()));
  constexpr double kMissingDay = 0.003;
  constexpr double kSplit = 1.0 / 1500;

  for (int t = 0; t < days; ++t) {
    if (rng.Uniform() < kSplit) {
      const double factor = rng.Below(2) == 0 ? 2.0 : 3.0;
      price /= factor;
      base_volume *= factor;
    }
    // Keep prices where 4 decimals stay meaningful and in the range of listed shares:
    // a reverse split below 1, a split above 5000.
    if (price < 1.0) {
      price *= 10;
      base_volume /= 10;
    } else if (price > 5000) {
      price /= 3;
      base_volume *= 3;
    }
    const double z = rng.Normal();
    const double open = price * std::exp(0.3 * sigma * rng.Normal());
    const double close = price * std::exp(mu - 0.5 * sigma * sigma + sigma * z);
    const double high = std::max(open, close) * std::exp(0.5 * sigma * std::fabs(rng.Normal()));
    const double low = std::min(open, close) * std::exp(-0.5 * sigma * std::fabs(rng.Normal()));
    const double volume = base_volume * std::exp(0.5 * rng.Normal()) * (1.0 + std::fabs(z));
    price = close;
    if (rng.Uniform() < kMissingDay) continue;

    Bar bar;
    bar.open = TenThousandths(open);
    bar.close = TenThousandths(close);
    bar.high = std::max({TenThousandths(high), bar.open, bar.close});
    bar.low = std::max<int64_t>(1, std::min({TenThousandths(low), bar.open, bar.close}));
    bar.volume = std::max<int64_t>(1, static_cast<int64_t>(std::llround(volume)));
    const std::string_view date(&day_text[static_cast<size_t>(t) * 10], 10);

    if (bad_fraction > 0 && rng.Uniform() < bad_fraction * 0.1) out->append(rng.Below(2) == 0 ? "\n" : "   \n");
    if (bad_fraction > 0 && rng.Uniform() < bad_fraction) {
      const auto kind = static_cast<BadKind>(rng.Below(kBadKinds));
      WriteBadRow(kind, date, bar, rng, out);
      result.rows += kind == BadKind::kDuplicate ? 2 : 1;
      result.bad_rows += 1;
    } else {
      WriteGoodRow(date, bar, out);
      result.rows += 1;
    }
  }
  return result;
}

// Not synced: a generated dataset is reproducible from its options.
Status WriteWholeFile(const std::string& path, std::string_view data, Env* env) {
  SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path, OpenMode::kTruncate));
  SL_RETURN_IF_ERROR(file->Append(data));
  return file->Close();
}

}  // namespace

Result<GenerateSummary> GenerateDataset(const GenerateOptions& options) {
  if (options.out_dir.empty()) return Status::InvalidArgument("generate: no output directory given (--out DIR)");
  if (options.tickers < 1 || options.tickers > kMaxTickers) {
    return Status::InvalidArgument("generate: --tickers must be 1.." + std::to_string(kMaxTickers) + ", got " +
                                   std::to_string(options.tickers));
  }
  if (options.days < 1 || options.days > kMaxDays) {
    return Status::InvalidArgument("generate: --days must be 1.." + std::to_string(kMaxDays) + ", got " +
                                   std::to_string(options.days));
  }
  if (!(options.bad_row_fraction >= 0.0 && options.bad_row_fraction <= 1.0)) {
    return Status::InvalidArgument("generate: --bad-rows must be a fraction in 0..1, got " +
                                   std::to_string(options.bad_row_fraction));
  }
  Env* env = options.env;
  for (const char* sub : {"/Stocks", "/ETFs"}) SL_RETURN_IF_ERROR(env->CreateDirectories(options.out_dir + sub));

  const std::vector<TickerSpec> tickers = MakeTickers(options.tickers, options.seed);
  const std::vector<char> day_text = BusinessDays(options.days);
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::min(2u, std::max(1u, std::thread::hardware_concurrency())));
  threads = std::min(threads, options.tickers);

  struct WorkerResult {
    GenerateSummary summary;
    Status status;
  };
  std::vector<WorkerResult> results(static_cast<size_t>(threads));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](WorkerResult* r) {
    std::string content;
    content.reserve(static_cast<size_t>(options.days) * 48 + 64);
    for (int i = next++; i < options.tickers && !failed; i = next++) {
      const TickerSpec& spec = tickers[static_cast<size_t>(i)];
      const TickerOutput t =
          GenerateTicker(options.seed, i, day_text, options.days, options.bad_row_fraction, &content);
      const std::string path = options.out_dir + (spec.etf ? "/ETFs/" : "/Stocks/") + spec.name + ".us.txt";
      r->status = WriteWholeFile(path, content, env);
      if (!r->status.ok()) {
        failed = true;
        return;
      }
      r->summary.files += 1;
      r->summary.rows += t.rows;
      r->summary.bad_rows += t.bad_rows;
      r->summary.bytes += static_cast<int64_t>(content.size());
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(work, &results[static_cast<size_t>(w)]);
  work(&results[0]);
  for (std::thread& t : pool) t.join();

  GenerateSummary total;
  for (const WorkerResult& r : results) {
    if (!r.status.ok()) return r.status.WithContext("generate");
    total.files += r.summary.files;
    total.rows += r.summary.rows;
    total.bad_rows += r.summary.bad_rows;
    total.bytes += r.summary.bytes;
  }
  return total;
}

}  // namespace stocklake
