// Row checks: every reason of reference-job.md "Cleaning" checks 2..5, their order, and
// that rows already rejected keep their reason.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "process/row_checks.h"

namespace stocklake {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Row {
  double open = 10, high = 12, low = 9, close = 11, adj = 10.5;
  int64_t volume = 100;
  RejectReason reason = RejectReason::kNone;
};

RejectReason Check(const Row& r) {
  BarBatch batch;
  batch.Append(batch.InternTicker("AAA"), 19000, r.open, r.high, r.low, r.close, r.adj, r.volume, 0, 2, r.reason);
  ApplyRowChecks(&batch);
  return batch.reason[0];
}

TEST(RowChecksTest, AcceptsAGoodRow) {
  EXPECT_EQ(Check(Row{}), RejectReason::kNone);
  // Equalities are allowed: high == max(...) and low == min(...).
  EXPECT_EQ(Check(Row{.open = 5, .high = 5, .low = 5, .close = 5, .adj = 5, .volume = 1}), RejectReason::kNone);
}

TEST(RowChecksTest, BadPriceForEveryPriceColumnAndEveryBadValue) {
  for (double bad : {0.0, -0.0, -1.0, kNaN, -kNaN, kInf, -kInf, -1e-300}) {
    for (int column = 0; column < 5; ++column) {
      Row r;
      double* fields[] = {&r.open, &r.high, &r.low, &r.close, &r.adj};
      *fields[column] = bad;
      EXPECT_EQ(Check(r), RejectReason::kBadPrice) << "column " << column << " value " << bad;
    }
  }
  // The smallest positive and the largest finite prices are fine (consistent row).
  const double tiny = std::numeric_limits<double>::denorm_min();
  const double huge = std::numeric_limits<double>::max();
  EXPECT_EQ(Check(Row{.open = tiny, .high = huge, .low = tiny, .close = huge, .adj = tiny}), RejectReason::kNone);
}

TEST(RowChecksTest, HighLowInconsistent) {
  EXPECT_EQ(Check(Row{.open = 13}), RejectReason::kHighLowInconsistent);     // high < open
  EXPECT_EQ(Check(Row{.close = 12.5}), RejectReason::kHighLowInconsistent);  // high < close
  EXPECT_EQ(Check(Row{.open = 8.5}), RejectReason::kHighLowInconsistent);    // low > open
  EXPECT_EQ(Check(Row{.close = 8}), RejectReason::kHighLowInconsistent);     // low > close
  // high < low: open and close cannot lie between them, so other comparisons fail too.
  EXPECT_EQ(Check(Row{.open = 10, .high = 9, .low = 10, .close = 10}), RejectReason::kHighLowInconsistent);
  EXPECT_EQ(Check(Row{.open = 10, .high = 10, .low = 10.000001, .close = 10}), RejectReason::kHighLowInconsistent);
  // adj_close is not part of the high/low check.
  EXPECT_EQ(Check(Row{.adj = 1000}), RejectReason::kNone);
}

TEST(RowChecksTest, Volumes) {
  EXPECT_EQ(Check(Row{.volume = -1}), RejectReason::kNegativeVolume);
  EXPECT_EQ(Check(Row{.volume = std::numeric_limits<int64_t>::min()}), RejectReason::kNegativeVolume);
  EXPECT_EQ(Check(Row{.volume = 0}), RejectReason::kZeroVolume);
  EXPECT_EQ(Check(Row{.volume = 1}), RejectReason::kNone);
  EXPECT_EQ(Check(Row{.volume = std::numeric_limits<int64_t>::max()}), RejectReason::kNone);
}

TEST(RowChecksTest, FirstFailingCheckWins) {
  // bad price beats everything else.
  EXPECT_EQ(Check(Row{.open = kNaN, .high = 1, .low = 5, .volume = -3}), RejectReason::kBadPrice);
  EXPECT_EQ(Check(Row{.adj = 0, .volume = 0}), RejectReason::kBadPrice);
  // inconsistent high/low beats volumes.
  EXPECT_EQ(Check(Row{.high = 1, .volume = -3}), RejectReason::kHighLowInconsistent);
  EXPECT_EQ(Check(Row{.low = 50, .volume = 0}), RejectReason::kHighLowInconsistent);
  // negative volume is not also "zero".
  EXPECT_EQ(Check(Row{.volume = -5}), RejectReason::kNegativeVolume);
}

TEST(RowChecksTest, RowsAlreadyRejectedAreLeftAlone) {
  EXPECT_EQ(Check(Row{.open = kNaN, .reason = RejectReason::kParseError}), RejectReason::kParseError);
  EXPECT_EQ(Check(Row{.volume = 0, .reason = RejectReason::kUnrecognisedHeader}), RejectReason::kUnrecognisedHeader);
  EXPECT_EQ(Check(Row{.reason = RejectReason::kParseError}), RejectReason::kParseError);
}

TEST(RowChecksTest, WholeBatchEachRowIndependently) {
  BarBatch batch;
  const int32_t t = batch.InternTicker("X");
  batch.Append(t, 1, 10, 12, 9, 11, 11, 5, 0, 2, RejectReason::kNone);
  batch.Append(t, 2, 10, 12, 9, 11, 11, 0, 0, 3, RejectReason::kNone);
  batch.Append(t, 3, -1, 12, 9, 11, 11, 5, 0, 4, RejectReason::kNone);
  batch.Append(kNoTicker, kNullDate, 0, 0, 0, 0, 0, 0, 0, 5, RejectReason::kParseError);
  batch.Append(t, 4, 10, 12, 9, 13, 13, 5, 0, 6, RejectReason::kNone);
  batch.Append(t, 5, 10, 12, 9, 11, 11, -7, 0, 7, RejectReason::kNone);
  ApplyRowChecks(&batch);
  const RejectReason expected[] = {
      RejectReason::kNone,       RejectReason::kZeroVolume,          RejectReason::kBadPrice,
      RejectReason::kParseError, RejectReason::kHighLowInconsistent, RejectReason::kNegativeVolume};
  ASSERT_EQ(batch.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(batch.reason[i], expected[i]) << "row " << i;
  // Nothing but the reason changes.
  EXPECT_EQ(batch.open[2], -1);
  EXPECT_EQ(batch.volume[5], -7);
}

TEST(RowChecksTest, EmptyBatch) {
  BarBatch batch;
  ApplyRowChecks(&batch);
  EXPECT_TRUE(batch.empty());
}

}  // namespace
}  // namespace stocklake
