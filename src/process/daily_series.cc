// DailySeries column helpers; see daily_series.h.
#include "process/daily_series.h"

namespace stocklake {

void DailySeries::Clear() {
  date.clear();
  open.clear();
  high.clear();
  low.clear();
  close.clear();
  adj_close.clear();
  volume.clear();
}

void DailySeries::Reserve(size_t rows) {
  date.reserve(rows);
  open.reserve(rows);
  high.reserve(rows);
  low.reserve(rows);
  close.reserve(rows);
  adj_close.reserve(rows);
  volume.reserve(rows);
}

void DailySeries::Append(Date d, double o, double h, double l, double c, double adj, int64_t vol) {
  date.push_back(d);
  open.push_back(o);
  high.push_back(h);
  low.push_back(l);
  close.push_back(c);
  adj_close.push_back(adj);
  volume.push_back(vol);
}

}  // namespace stocklake
