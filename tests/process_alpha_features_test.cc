// Extra features (Alpha158-style): every catalogue entry compared with a naive reference
// written here in long double from Qlib's expressions (each window summed afresh, sorted
// for quantiles, scanned for ranks and extremes), at every row of random walks, series
// with ties, flat prices, flat volumes and zero volumes; plus the no-look-ahead property
// and independence from which other rows are asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "process/alpha_features.h"

namespace stocklake {
namespace {

using LD = long double;
constexpr LD kNullLD = std::numeric_limits<LD>::quiet_NaN();
const size_t kWindows[] = {5, 20, 60};

// Every feature at row n, by name, straight from the definitions.
std::map<std::string, LD> ReferenceAt(const DailySeries& s, size_t n) {
  std::map<std::string, LD> f;
  const LD o = s.open[n], h = s.high[n], l = s.low[n], c = s.close[n];
  const LD range = h - l;
  auto by_range = [&](LD x) { return range == 0 ? kNullLD : x / range; };
  f["kmid"] = (c - o) / o;
  f["klen"] = (h - l) / o;
  f["kmid2"] = by_range(c - o);
  f["kup"] = (h - std::max(o, c)) / o;
  f["kup2"] = by_range(h - std::max(o, c));
  f["klow"] = (std::min(o, c) - l) / o;
  f["klow2"] = by_range(std::min(o, c) - l);
  f["ksft"] = (2 * c - h - l) / o;
  f["ksft2"] = by_range(2 * c - h - l);
  const LD vn = static_cast<LD>(s.volume[n]);
  for (size_t d : kWindows) {
    const std::string w = "_" + std::to_string(d);
    const bool levels = n + 1 >= d, changes = n >= d;
    std::vector<LD> cs, hs, ls, vs, lvs;
    for (size_t i = n + 1 - std::min(n + 1, d); i <= n; ++i) {
      cs.push_back(s.close[i]);
      hs.push_back(s.high[i]);
      ls.push_back(s.low[i]);
      vs.push_back(static_cast<LD>(s.volume[i]));
      lvs.push_back(std::log(static_cast<LD>(s.volume[i]) + 1));
    }
    const LD dd = d;
    auto mean = [&](const std::vector<LD>& x) {
      LD sum = 0;
      for (LD v : x) sum += v;
      return sum / x.size();
    };
    auto cov = [&](const std::vector<LD>& x, const std::vector<LD>& y) {  // sum of products of deviations
      const LD mx = mean(x), my = mean(y);
      LD sum = 0;
      for (size_t i = 0; i < x.size(); ++i) sum += (x[i] - mx) * (y[i] - my);
      return sum;
    };
    for (const char* name : {"ma",   "std",  "beta", "rsqr", "resi", "max",   "min",   "qtlu", "qtld", "rank",
                             "rsv",  "imax", "imin", "imxd", "corr", "vma",   "vstd",  "roc",  "cntp", "cntn",
                             "cntd", "sump", "sumn", "sumd", "wvma", "vsump", "vsumn", "vsumd"}) {
      f[name + w] = kNullLD;
    }
    if (!levels) continue;
    std::vector<LD> t(d);
    for (size_t i = 0; i < d; ++i) t[i] = i + 1;
    const LD syy = cov(cs, cs), stt = cov(t, t), sty = cov(t, cs);
    const LD slope = sty / stt;
    f["ma" + w] = mean(cs) / c;
    f["std" + w] = std::sqrt(syy / (dd - 1)) / c;
    f["beta" + w] = slope / c;
    if (syy > 0) f["rsqr" + w] = sty * sty / (stt * syy);
    f["resi" + w] = (c - (mean(cs) - slope * mean(t) + slope * dd)) / c;
    const LD max_high = *std::max_element(hs.begin(), hs.end()), min_low = *std::min_element(ls.begin(), ls.end());
    f["max" + w] = max_high / c;
    f["min" + w] = min_low / c;
    std::vector<LD> sorted = cs;
    std::sort(sorted.begin(), sorted.end());
    auto quantile = [&](LD q) {
      const LD pos = q * (dd - 1);
      const size_t lo = static_cast<size_t>(std::floor(pos));
      return lo + 1 < d ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo) : sorted[lo];
    };
    f["qtlu" + w] = quantile(0.8L) / c;
    f["qtld" + w] = quantile(0.2L) / c;
    LD rank_sum = 0, ties = 0;  // average rank of c among the window
    for (size_t i = 0; i < d; ++i) {
      if (sorted[i] == c) {
        rank_sum += i + 1;
        ties += 1;
      }
    }
    f["rank" + w] = rank_sum / ties / dd;
    if (max_high > min_low) f["rsv" + w] = (c - min_low) / (max_high - min_low);
    const LD imax = std::max_element(hs.begin(), hs.end()) - hs.begin() + 1;  // the first maximum
    const LD imin = std::min_element(ls.begin(), ls.end()) - ls.begin() + 1;
    f["imax" + w] = imax / dd;
    f["imin" + w] = imin / dd;
    f["imxd" + w] = (imax - imin) / dd;
    const LD sll = cov(lvs, lvs);
    if (syy > 0 && sll > 0) f["corr" + w] = cov(cs, lvs) / std::sqrt(syy * sll);
    if (vn > 0) {
      f["vma" + w] = mean(vs) / vn;
      f["vstd" + w] = std::sqrt(cov(vs, vs) / (dd - 1)) / vn;
    }
    if (!changes) continue;
    f["roc" + w] = static_cast<LD>(s.close[n - d]) / c;
    LD up = 0, down = 0, rises = 0, falls = 0, vrises = 0, vfalls = 0;
    std::vector<LD> weighted;
    for (size_t i = n + 1 - d; i <= n; ++i) {
      const LD now = s.close[i], before = s.close[i - 1];
      up += now > before;
      down += now < before;
      rises += std::max(now - before, LD(0));
      falls += std::max(before - now, LD(0));
      const LD dv = static_cast<LD>(s.volume[i]) - static_cast<LD>(s.volume[i - 1]);
      vrises += std::max(dv, LD(0));
      vfalls += std::max(-dv, LD(0));
      weighted.push_back(std::fabs(now / before - 1) * static_cast<LD>(s.volume[i]));
    }
    f["cntp" + w] = up / dd;
    f["cntn" + w] = down / dd;
    f["cntd" + w] = (up - down) / dd;
    if (rises + falls > 0) {
      f["sump" + w] = rises / (rises + falls);
      f["sumn" + w] = falls / (rises + falls);
      f["sumd" + w] = (rises - falls) / (rises + falls);
    }
    if (mean(weighted) > 0) f["wvma" + w] = std::sqrt(cov(weighted, weighted) / (dd - 1)) / mean(weighted);
    if (vrises + vfalls > 0) {
      f["vsump" + w] = vrises / (vrises + vfalls);
      f["vsumn" + w] = vfalls / (vrises + vfalls);
      f["vsumd" + w] = (vrises - vfalls) / (vrises + vfalls);
    }
  }
  return f;
}

std::vector<std::vector<double>> Compute(const DailySeries& s, const std::vector<size_t>& rows) {
  std::vector<std::vector<double>> columns;
  ComputeAlphaFeatures(s, rows, &columns);
  return columns;
}

std::vector<size_t> AllRows(const DailySeries& s) {
  std::vector<size_t> rows(s.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return rows;
}

// Every feature at every row of `s` against the reference: NULL exactly where it is NULL,
// values within 1e-9 relative to max(|value|, 1e-6) (a feature near 0, like a slope or a
// residual, is a difference of quantities of the close's size).
void ExpectMatchesReference(const DailySeries& s, const std::string& label) {
  const std::vector<size_t> rows = AllRows(s);
  const std::vector<std::vector<double>> got = Compute(s, rows);
  const std::span<const FeatureDoc> catalog = AlphaFeatureCatalog();
  ASSERT_EQ(got.size(), catalog.size()) << label;
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::map<std::string, LD> want = ReferenceAt(s, rows[r]);
    ASSERT_EQ(want.size(), catalog.size()) << label;
    for (size_t k = 0; k < catalog.size(); ++k) {
      const std::string name(catalog[k].name);
      const std::string where = label + " row " + std::to_string(rows[r]) + " " + name;
      const auto it = want.find(name);
      ASSERT_NE(it, want.end()) << where << ": no reference";
      ASSERT_EQ(got[k].size(), rows.size()) << where;
      const double v = got[k][r];
      const LD w = it->second;
      ASSERT_EQ(std::isnan(v), std::isnan(w)) << where << " got " << v << " want " << static_cast<double>(w);
      if (std::isnan(w)) continue;
      ASSERT_TRUE(std::isfinite(v)) << where;
      const LD error = std::fabs(static_cast<LD>(v) - w) / std::max(std::fabs(w), LD(1e-6));
      ASSERT_LE(static_cast<double>(error), 1e-9) << where << " got " << v << " want " << static_cast<double>(w);
    }
  }
}

DailySeries RandomSeries(size_t rows, uint64_t seed, double start, double tick = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.02);
  std::uniform_real_distribution<double> spread(0.0, 0.02);
  std::uniform_int_distribution<int64_t> volume(1, 5'000'000);
  auto on_tick = [&](double x) { return tick > 0 ? std::max(tick, std::round(x / tick) * tick) : x; };
  DailySeries s;
  double x = start;
  for (size_t i = 0; i < rows; ++i) {
    x *= std::exp(step(rng));
    const double c = on_tick(x);
    const double o = on_tick(c * (1 + spread(rng) - 0.01));
    const double h = on_tick(std::max(o, c) * (1 + spread(rng)));
    const double l = on_tick(std::min(o, c) * (1 - spread(rng)));
    s.Append(static_cast<Date>(12000 + i), o, std::max({o, c, h}), std::min({o, c, l}), c, c, volume(rng));
  }
  return s;
}

TEST(AlphaFeaturesTest, CatalogueNamesEveryFeatureOnce) {
  const std::span<const FeatureDoc> catalog = AlphaFeatureCatalog();
  EXPECT_EQ(catalog.size(), 9u + 28u * std::size(kWindows));
  std::set<std::string> names;
  for (const FeatureDoc& doc : catalog) {
    EXPECT_TRUE(names.insert(std::string(doc.name)).second) << doc.name;
    EXPECT_FALSE(doc.description.empty()) << doc.name;
    EXPECT_EQ(doc.description.find("{d}"), std::string_view::npos) << doc.name;
    for (char ch : doc.name) EXPECT_TRUE(std::islower(ch) || std::isdigit(ch) || ch == '_') << doc.name;
  }
  for (const char* name : {"kmid", "ksft2", "roc_5", "ma_60", "beta_20", "rsqr_60", "qtlu_20", "rank_5", "imxd_60",
                           "corr_20", "cntd_5", "sumd_5", "vma_60", "wvma_60", "vsumd_20"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  EXPECT_EQ(catalog[0].name, "kmid");
  EXPECT_EQ(catalog[9].name, "roc_5");
  EXPECT_EQ(catalog[8 + std::size(kWindows)].name, "roc_60");
}

TEST(AlphaFeaturesTest, RandomWalksMatchReference) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    ExpectMatchesReference(RandomSeries(220, seed, seed == 2 ? 0.0173 : 48.2), "walk" + std::to_string(seed));
  }
}

// Closes jumping by a factor 1e4 both ways: windows whose closes are far from the as-of
// close, so their differences from it are rounded.
TEST(AlphaFeaturesTest, JumpsMatchReference) {
  DailySeries s = RandomSeries(200, 5, 30.0);
  for (size_t i = 0; i < s.size(); ++i) {
    if ((i / 23) % 2 == 1 || i == 150) {
      for (auto* column : {&s.open, &s.high, &s.low, &s.close, &s.adj_close}) (*column)[i] *= 1e-4;
    }
  }
  ExpectMatchesReference(s, "jumps");
}

// Prices on a 0.25 tick around 3: ties among closes (rank), highs and lows (first
// extreme), high = low days and unchanged closes.
TEST(AlphaFeaturesTest, TiesMatchReference) { ExpectMatchesReference(RandomSeries(160, 9, 3.0, 0.25), "ticks"); }

TEST(AlphaFeaturesTest, FlatPricesAndVolumes) {
  DailySeries s;
  for (int i = 0; i < 90; ++i) s.Append(i, 20.1, 20.1, 20.1, 20.1, 20.1, 700);
  ExpectMatchesReference(s, "flat");
  const std::vector<std::vector<double>> got = Compute(s, {89});
  const std::span<const FeatureDoc> catalog = AlphaFeatureCatalog();
  for (size_t k = 0; k < catalog.size(); ++k) {
    const std::string name(catalog[k].name);
    const double v = got[k][0];
    const std::string family = name.substr(0, name.find('_'));
    static const std::set<std::string> undefined = {"kmid2", "kup2", "klow2", "ksft2", "rsqr",  "rsv",   "corr",
                                                    "sump",  "sumn", "sumd",  "wvma",  "vsump", "vsumn", "vsumd"};
    if (undefined.count(family)) {
      EXPECT_TRUE(std::isnan(v)) << name;
    } else if (family == "ma" || family == "max" || family == "min" || family == "qtlu" || family == "qtld" ||
               family == "roc" || family == "vma") {
      EXPECT_EQ(v, 1.0) << name;
    } else if (family == "rank") {
      EXPECT_EQ(v, 0.5 + 0.5 / std::stod(name.substr(5))) << name;  // every close ties: mean rank (d + 1) / 2
    } else if (family == "imax" || family == "imin") {
      EXPECT_EQ(v, 1.0 / std::stod(name.substr(5))) << name;  // the first (oldest) of equal extremes
    } else {
      EXPECT_EQ(v, 0.0) << name;  // std, beta, resi, imxd, cnt*, vstd, the candle
    }
  }
}

// Volume 0 on some days (rejected by cleaning, but the kernel must not divide by it).
TEST(AlphaFeaturesTest, ZeroVolumes) {
  DailySeries s = RandomSeries(130, 4, 12.0);
  for (size_t i = 60; i < 130; i += 3) s.volume[i] = 0;
  for (size_t i = 100; i < 130; ++i) s.volume[i] = 0;
  ExpectMatchesReference(s, "zero volume");
  const std::vector<std::vector<double>> got = Compute(s, {129});
  for (size_t k = 0; k < AlphaFeatureCatalog().size(); ++k) {
    const std::string name(AlphaFeatureCatalog()[k].name);
    if (name.rfind("vma_", 0) == 0 || name.rfind("vstd_", 0) == 0 || name == "vsump_20" || name == "wvma_20") {
      EXPECT_TRUE(std::isnan(got[k][0])) << name;
    }
  }
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A row's features do not change, to the bit, when the rows after it are removed or when
// other rows are asked for with it.
TEST(AlphaFeaturesTest, NoLookAheadAndNoDependenceOnOtherRows) {
  const DailySeries full = RandomSeries(300, 17, 25.0);
  const std::vector<size_t> rows = {3, 4, 5, 9, 10, 59, 60, 61, 62, 120, 121, 190, 250, 299};
  const std::vector<std::vector<double>> all = Compute(full, rows);
  for (size_t r = 0; r < rows.size(); ++r) {
    DailySeries cut = full;
    const size_t keep = rows[r] + 1;
    for (auto* column : {&cut.open, &cut.high, &cut.low, &cut.close, &cut.adj_close}) column->resize(keep);
    cut.date.resize(keep);
    cut.volume.resize(keep);
    const std::vector<size_t> prefix(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(r + 1));
    const std::vector<std::vector<double>> part = Compute(cut, prefix);
    const std::vector<std::vector<double>> alone = Compute(full, {rows[r]});
    for (size_t k = 0; k < all.size(); ++k) {
      for (size_t p = 0; p <= r; ++p) {
        ASSERT_TRUE(SameBits(part[k][p], all[k][p]))
            << "cut after row " << rows[r] << ", row " << rows[p] << " " << AlphaFeatureCatalog()[k].name;
      }
      ASSERT_TRUE(SameBits(alone[k][0], all[k][r])) << "row " << rows[r] << " " << AlphaFeatureCatalog()[k].name;
    }
  }
}

TEST(AlphaFeaturesTest, NoRowsGiveEmptyColumns) {
  std::vector<std::vector<double>> columns(3, std::vector<double>(7, 1.0));
  ComputeAlphaFeatures(RandomSeries(10, 1, 5.0), {}, &columns);
  ASSERT_EQ(columns.size(), AlphaFeatureCatalog().size());
  for (const std::vector<double>& column : columns) EXPECT_TRUE(column.empty());
}

}  // namespace
}  // namespace stocklake
