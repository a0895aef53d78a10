// XGBoost training time through XgbModel: `ml_train_bench [rows] [width] [rounds]
// [threads...]` trains on synthetic rows (a planted signal, 10% missing values) with
// the default parameters and prints seconds per thread count.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "bench_util.h"
#include "ml/xgboost_model.h"

int main(int argc, char** argv) {
  using namespace stocklake;
  const size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 300000;
  const size_t width = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 200;
  std::vector<int> threads;
  for (int i = 4; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};

  std::vector<float> values(rows * width), labels(rows);
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss(0, 1);
  std::uniform_real_distribution<float> unit(0, 1);
  for (size_t r = 0; r < rows; ++r) {
    float* x = &values[r * width];
    for (size_t c = 0; c < width; ++c) x[c] = unit(rng) < 0.1f ? std::numeric_limits<float>::quiet_NaN() : gauss(rng);
    const float x0 = std::isnan(x[0]) ? 0 : x[0];
    labels[r] = 0.1f * x0 + gauss(rng);
  }
  std::printf("%zu rows x %zu features, %d rounds (XGBoost %s)\n", rows, width, rounds,
              XgbModel::LibraryVersion().c_str());
  for (int n : threads) {
    XgbParams params;
    params.rounds = rounds;
    params.threads = n;
    const auto start = std::chrono::steady_clock::now();
    auto model = XgbModel::Train(values.data(), rows, width, labels.data(), params);
    if (!model.ok()) return bench::Fail("ml_train_bench", model.status());
    std::printf("threads %d: %.2f s\n", n, bench::SecondsSince(start));
  }
  return 0;
}
