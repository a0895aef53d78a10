// XgbModel over XGBoost's C API; see xgboost_model.h.
#include "ml/xgboost_model.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <limits>
#include <utility>

namespace stocklake {

namespace {

using MakeStatus = Status (*)(std::string);

// The Status for an XGBoost call's return code: OK, or `make` with what was being done
// and XGBoost's own explanation.
Status Check(int rc, const char* what, MakeStatus make = &Status::InvalidArgument) {
  if (rc == 0) return Status::OK();
  return make(std::string("XGBoost ") + what + ": " + XGBGetLastError());
}

// A DMatrix freed when it goes out of scope.
class DMatrix {
 public:
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  //! rows x width row-major floats, NaN = missing. `threads` 0: XGBoost's default.
  Status Create(const float* values, size_t rows, size_t width, int threads) {
    return Check(
        XGDMatrixCreateFromMat_omp(values, rows, width, std::numeric_limits<float>::quiet_NaN(), &handle_, threads),
        "creating the input matrix");
  }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

Status CheckShape(const float* values, size_t rows, size_t width) {
  if (rows == 0 || width == 0) {
    return Status::InvalidArgument("XGBoost input of " + std::to_string(rows) + " rows x " + std::to_string(width) +
                                   " features: need at least one row and one feature");
  }
  if (values == nullptr) return Status::InvalidArgument("XGBoost input: no values (null pointer)");
  return Status::OK();
}

// XGBoosterSetParam's text for a parameter value.
std::string ParamText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

nlohmann::json XgbParams::ToJson() const {
  return {
      {"objective", objective},
      {"tree_method", "hist"},
      {"seed", seed},
      // Reseeding at every round keeps the random draws (subsample, colsample) a function
      // of the seed and the round alone, whatever else used XGBoost's generator before.
      {"seed_per_iteration", true},
      {"nthread", threads},
      {"eta", eta},
      {"max_depth", max_depth},
      {"max_bin", max_bin},
      {"subsample", subsample},
      {"colsample_bytree", colsample_bytree},
      {"min_child_weight", min_child_weight},
      {"lambda", lambda},
      {"rounds", rounds},
  };
}

Result<XgbModel> XgbModel::Train(const float* values, size_t rows, size_t width, const float* labels,
                                 const XgbParams& params) {
  SL_RETURN_IF_ERROR(CheckShape(values, rows, width));
  if (labels == nullptr) return Status::InvalidArgument("XGBoost training: no labels (null pointer)");
  for (size_t i = 0; i < rows; ++i) {
    if (!std::isfinite(labels[i])) {
      return Status::InvalidArgument("XGBoost training: the label of row " + std::to_string(i) +
                                     " is not a finite number; leave unlabelled rows out");
    }
  }
  if (params.rounds < 1 || params.threads < 1) {
    return Status::InvalidArgument("XGBoost training: rounds (" + std::to_string(params.rounds) + ") and threads (" +
                                   std::to_string(params.threads) + ") must be at least 1");
  }
  DMatrix train;
  SL_RETURN_IF_ERROR(train.Create(values, rows, width, params.threads));
  SL_RETURN_IF_ERROR(
      Check(XGDMatrixSetFloatInfo(train.get(), "label", labels, static_cast<bst_ulong>(rows)), "setting the labels"));
  DMatrixHandle caches[] = {train.get()};
  BoosterHandle booster = nullptr;
  SL_RETURN_IF_ERROR(Check(XGBoosterCreate(caches, 1, &booster), "creating the booster"));
  XgbModel model(booster, width);
  const nlohmann::json settings = params.ToJson();
  for (const auto& [name, value] : settings.items()) {
    if (name == "rounds") continue;
    const std::string text = ParamText(value);
    SL_RETURN_IF_ERROR(Check(XGBoosterSetParam(booster, name.c_str(), text.c_str()),
                             ("setting parameter " + name + "=" + text).c_str()));
  }
  for (int round = 0; round < params.rounds; ++round) {
    SL_RETURN_IF_ERROR(Check(XGBoosterUpdateOneIter(booster, round, train.get()), "training"));
  }
  return model;
}

Result<XgbModel> XgbModel::FromJson(const std::string& model_json) {
  BoosterHandle booster = nullptr;
  SL_RETURN_IF_ERROR(Check(XGBoosterCreate(nullptr, 0, &booster), "creating the booster"));
  XgbModel model(booster, 0);
  SL_RETURN_IF_ERROR(Check(XGBoosterLoadModelFromBuffer(booster, model_json.data(), model_json.size()),
                           "loading a JSON model", &Status::Corruption));
  bst_ulong width = 0;
  SL_RETURN_IF_ERROR(
      Check(XGBoosterGetNumFeature(booster, &width), "reading the model's feature count", &Status::Corruption));
  if (width == 0) return Status::Corruption("XGBoost loading a JSON model: the model has no features");
  model.width_ = width;
  return model;
}

Result<std::vector<float>> XgbModel::Predict(const float* values, size_t rows, size_t width) const {
  SL_RETURN_IF_ERROR(CheckShape(values, rows, width));
  if (width != width_) {
    return Status::InvalidArgument("XGBoost prediction: the input has " + std::to_string(width) +
                                   " features, the model was trained on " + std::to_string(width_));
  }
  DMatrix input;
  SL_RETURN_IF_ERROR(input.Create(values, rows, width, 0));
  // Every tree (iteration_end 0), no training-time dropout: each row's value is its own
  // sum over the trees in order, the same for any thread count.
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0,
                           "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* out = nullptr;
  SL_RETURN_IF_ERROR(Check(XGBoosterPredictFromDMatrix(booster_, input.get(), config, &shape, &dims, &out),
                           "predicting", &Status::Aborted));
  if (dims != 1 || shape[0] != rows) {
    return Status::NotSupported(
        "XGBoost prediction: the model gives several values per row; only single-output objectives are supported");
  }
  return std::vector<float>(out, out + rows);
}

Result<std::string> XgbModel::ToJson() const {
  bst_ulong length = 0;
  const char* text = nullptr;
  SL_RETURN_IF_ERROR(Check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &length, &text),
                           "saving the model", &Status::Aborted));
  return std::string(text, length);
}

Status XgbModel::SetThreads(int threads) {
  if (threads < 1) return Status::InvalidArgument("XGBoost threads must be at least 1, not " + std::to_string(threads));
  return Check(XGBoosterSetParam(booster_, "nthread", std::to_string(threads).c_str()), "setting nthread");
}

std::string XgbModel::LibraryVersion() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

XgbModel::XgbModel(XgbModel&& other) noexcept
    : booster_(std::exchange(other.booster_, nullptr)), width_(std::exchange(other.width_, 0)) {}

XgbModel& XgbModel::operator=(XgbModel&& other) noexcept {
  if (this != &other) {
    if (booster_ != nullptr) XGBoosterFree(booster_);
    booster_ = std::exchange(other.booster_, nullptr);
    width_ = std::exchange(other.width_, 0);
  }
  return *this;
}

XgbModel::~XgbModel() {
  if (booster_ != nullptr) XGBoosterFree(booster_);
}

}  // namespace stocklake
