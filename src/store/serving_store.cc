#include "store/serving_store.h"

#include <algorithm>
#include <cmath>

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace stocklake {

Result<BarInterval> ParseBarInterval(std::string_view name) {
  if (name == "day") return BarInterval::kDay;
  if (name == "week") return BarInterval::kWeek;
  if (name == "month") return BarInterval::kMonth;
  if (name == "quarter") return BarInterval::kQuarter;
  return Status::InvalidArgument("unknown interval '" + std::string(name) + "': use day, week, month or quarter");
}

double RelativeDifference(double a, double b) {
  const double scale = std::max(std::abs(a), std::abs(b));
  return scale == 0 ? 0 : std::abs(a - b) / scale;
}

std::vector<FieldDifference> DifferingFields(const SpeedBatchDay& day, double price_tolerance) {
  std::vector<FieldDifference> out;
  const std::pair<std::string_view, double DayOhlcv::*> prices[] = {
      {"open", &DayOhlcv::open}, {"high", &DayOhlcv::high}, {"low", &DayOhlcv::low}, {"close", &DayOhlcv::close}};
  for (const auto& [name, field] : prices) {
    const double speed = day.speed.*field, batch = day.batch.*field;
    const double relative = RelativeDifference(speed, batch);
    if (relative > price_tolerance) out.push_back({name, speed, batch, relative});
  }
  if (day.speed.volume != day.batch.volume) {
    const double speed = static_cast<double>(day.speed.volume), batch = static_cast<double>(day.batch.volume);
    out.push_back({"volume", speed, batch, RelativeDifference(speed, batch)});
  }
  return out;
}

Result<std::unique_ptr<ServingStore>> OpenServingStore(const std::string& url, const StoreOptions& options) {
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty()) return Status::InvalidArgument("store URL 'sqlite:' needs a path: sqlite:PATH");
    return OpenSqliteStore(path, options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return OpenPostgresStore(url, options);
  // Never echo the whole URL: it may carry a password.
  const size_t colon = url.find(':');
  return Status::InvalidArgument("unknown store URL scheme '" + url.substr(0, colon == std::string::npos ? 0 : colon) +
                                 "': use sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

}  // namespace stocklake
