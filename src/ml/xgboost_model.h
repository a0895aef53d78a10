// XgbModel: a gradient-boosted tree model trained and evaluated through XGBoost's C API
// (Debian's libxgboost). Owns the Booster handle; every DMatrix it makes is freed before
// the call returns, and every XGBoost error comes back as a Status carrying
// XGBGetLastError()'s text. Training is deterministic for given inputs, parameters (seed
// included) and thread count; predictions do not depend on the thread count.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! The training parameters. Defaults suit a few thousand noisy rows per quarter.
struct XgbParams {
  // Defaults chosen for noisy quarterly cross-sections and for speed (a 40-quarter backtest
  // over 8,000 tickers trains 40 models on up to 300k rows): shallow trees, few coarse
  // bins, row and column sampling; on the benchmark lake they score the rank IC of 200
  // rounds at eta 0.05 within noise, at a fifth of the time.
  int seed = 7;
  int threads = 2;  //!< XGBoost's nthread; >= 1 (the model depends on it)
  int rounds = 100;
  double eta = 0.1;
  int max_depth = 4;
  int max_bin = 64;
  double subsample = 0.5;
  double colsample_bytree = 0.5;
  double min_child_weight = 20;
  double lambda = 1.0;
  std::string objective = "reg:squarederror";

  //! Every parameter as XGBoost names it (nthread for threads), plus the ones Train
  //! always sets (tree_method=hist, seed_per_iteration) and `rounds`: what a model
  //! registry records, and exactly what Train passes to XGBoost.
  nlohmann::json ToJson() const;
};

class XgbModel {
 public:
  //! Trains `params.rounds` rounds on `rows` x `width` row-major floats (NaN = missing)
  //! with one label per row. InvalidArgument for rows or width 0, a null pointer, a
  //! non-finite label, rounds or threads < 1, or parameters XGBoost rejects.
  static Result<XgbModel> Train(const float* values, size_t rows, size_t width, const float* labels,
                                const XgbParams& params);
  //! Loads a model saved by ToJson. Corruption when XGBoost cannot read it.
  static Result<XgbModel> FromJson(const std::string& model_json);

  //! One prediction per row of `rows` x `width` row-major floats (NaN = missing), using
  //! every tree. InvalidArgument when `width` differs from the model's feature count or
  //! rows is 0. Not for concurrent use from several threads on one model.
  Result<std::vector<float>> Predict(const float* values, size_t rows, size_t width) const;
  //! XGBoost's JSON model text; FromJson of it predicts bit-identically.
  Result<std::string> ToJson() const;
  //! Sets the threads used by later Predict calls (the predictions are the same for any
  //! count). A loaded model uses all cores until this is called.
  Status SetThreads(int threads);
  //! The model's feature count.
  size_t width() const { return width_; }

  //! "1.7.4": the linked library's XGBoostVersion.
  static std::string LibraryVersion();

  XgbModel(XgbModel&& other) noexcept;
  XgbModel& operator=(XgbModel&& other) noexcept;
  XgbModel(const XgbModel&) = delete;
  XgbModel& operator=(const XgbModel&) = delete;
  ~XgbModel();

 private:
  XgbModel(void* booster, size_t width) : booster_(booster), width_(width) {}
  void* booster_ = nullptr;  //!< BoosterHandle; null only after a move
  size_t width_ = 0;
};

}  // namespace stocklake
