// The model registry (ml.md "Model registry"): every trained model version under the
// lake at _stocklake/models/<name>/, with what it was trained on (quarters, rows, the lake
// snapshot and the gold/ml_features files read), how (XGBoost version and parameters),
// how well it did (validation metrics beside the baseline's), the model file and its
// hash; and aliases (`champion`) whose every move is kept with its time and reason, so
// "which version was champion when, trained on what" always has an answer.
//
// Layout: <name>/versions/<N>/{version.json,model.json}, <name>/aliases.json (the alias
// moves, oldest first: the current aliases are derived from them). A version
// appears by one directory rename after its files are durable, so a failed or killed
// registration leaves no half-registered version.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

struct ModelVersion {
  std::string name;
  int version = 0;         //!< 1, 2, ...: assigned by Register
  std::string created_at;  //!< UTC ISO-8601: set by Register
  std::string quarter;     //!< "YYYYQn": the quarter T the model was made at the end of
  std::string train_first_quarter, train_last_quarter;
  int64_t train_rows = 0;
  std::vector<std::string> feature_names;  //!< the model's inputs, in order
  std::string label_transform;             //!< how the label was transformed to train ("cs_rank")
  std::string xgboost_version;
  nlohmann::json params = nlohmann::json::object();  //!< XGBoost parameters, seed and threads included
  //! validation: {"quarters": [...], "model": {...}, "baseline": {...}}
  nlohmann::json metrics = nlohmann::json::object();
  int64_t snapshot_id = 0;                 //!< lake snapshot the features came from
  std::vector<std::string> feature_files;  //!< gold/ml_features files read
  std::string model_file;                  //!< relative to the lake: set by Register
  std::string model_sha256;                //!< of the model file's bytes: set by Register
};

struct AliasEvent {
  std::string alias;
  int version = 0;  //!< 0: the alias was removed
  std::string at;   //!< UTC ISO-8601
  std::string reason;
};

class ModelRegistry {
 public:
  explicit ModelRegistry(std::string lake_dir, Env* env = Env::Default());

  //! Stores `model_json` (XGBoost's JSON) as the next version of `meta.name`, filling
  //! version, created_at, model_file and model_sha256. InvalidArgument for a name other
  //! than 1-64 of [A-Za-z0-9_.-] starting with a letter or digit. Atomic.
  Result<ModelVersion> Register(ModelVersion meta, const std::string& model_json);

  //! Names of registered models (those with at least one version), sorted. NotFound
  //! when the lake has no registry (no model was ever registered there).
  Result<std::vector<std::string>> ModelNames() const;
  //! Every version of `name`, ascending. NotFound for an unknown name.
  Result<std::vector<ModelVersion>> Versions(const std::string& name) const;
  //! NotFound when the name or version does not exist.
  Result<ModelVersion> Get(const std::string& name, int version) const;
  //! "NAME" (its newest version), "NAME:VERSION" or "NAME@ALIAS". NotFound with the
  //! names (or versions, or aliases) that do exist; InvalidArgument for a malformed ref.
  Result<ModelVersion> Resolve(const std::string& ref) const;
  //! The model file's text, after checking it still has the registered hash (Corruption if not).
  Result<std::string> ReadModelJson(const ModelVersion& version) const;

  //! Points `alias` of `name` at `version` (which must exist), recording the move with
  //! its time and `reason` (not empty). An alias is named like a model.
  Status SetAlias(const std::string& name, const std::string& alias, int version, const std::string& reason);
  //! Unsets `alias` (NotFound when it is not set), recorded as a move to version 0.
  Status RemoveAlias(const std::string& name, const std::string& alias, const std::string& reason);
  //! alias -> version, for the aliases currently set.
  Result<std::map<std::string, int>> Aliases(const std::string& name) const;
  //! Every alias move of `name`, oldest first.
  Result<std::vector<AliasEvent>> AliasHistory(const std::string& name) const;

  //! _stocklake/models under the lake.
  const std::string& root() const { return root_; }

 private:
  std::string lake_dir_;
  std::string root_;
  Env* env_;
};

//! ModelVersion <-> the JSON of version.json (the API serves the same document).
nlohmann::json ModelVersionToJson(const ModelVersion& version);
Result<ModelVersion> ModelVersionFromJson(const nlohmann::json& json);

}  // namespace stocklake
