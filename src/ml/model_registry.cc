// ModelRegistry; see model_registry.h.
#include "ml/model_registry.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <type_traits>

#include "core/clock.h"
#include "core/file_lock.h"
#include "core/files.h"
#include "core/sha256.h"

namespace stocklake {

namespace {

constexpr const char* kPendingPrefix = ".pending-";

// 1-64 of [A-Za-z0-9_.-] starting with a letter or digit: a safe directory name that
// cannot hold the ':' and '@' of a reference.
bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// A positive decimal without leading zeros ("3", not "03" or ".pending-3"); 0 otherwise.
int ParseVersion(std::string_view text) {
  int value = 0;
  if (text.empty() || text[0] == '0') return 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0 ? value : 0;
}

template <typename T>
std::string JoinList(const std::vector<T>& items) {
  std::string out;
  for (const T& item : items) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<T, std::string>) {
      out += item;
    } else {
      out += std::to_string(item);
    }
  }
  return out;
}

Status CheckName(const std::string& name, const char* what) {
  if (IsValidName(name)) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " '" + name +
                                 "' is not 1-64 of the characters A-Z a-z 0-9 _ . - starting with a letter or digit");
}

nlohmann::json ToJson(const AliasEvent& e) {
  return {{"alias", e.alias}, {"version", e.version}, {"at", e.at}, {"reason", e.reason}};
}

}  // namespace

nlohmann::json ModelVersionToJson(const ModelVersion& v) {
  return {
      {"name", v.name},
      {"version", v.version},
      {"created_at", v.created_at},
      {"quarter", v.quarter},
      {"train_first_quarter", v.train_first_quarter},
      {"train_last_quarter", v.train_last_quarter},
      {"train_rows", v.train_rows},
      {"feature_names", v.feature_names},
      {"label_transform", v.label_transform},
      {"xgboost_version", v.xgboost_version},
      {"params", v.params},
      {"metrics", v.metrics},
      {"snapshot_id", v.snapshot_id},
      {"feature_files", v.feature_files},
      {"model_file", v.model_file},
      {"model_sha256", v.model_sha256},
  };
}

Result<ModelVersion> ModelVersionFromJson(const nlohmann::json& j) {
  ModelVersion v;
  try {
    j.at("name").get_to(v.name);
    j.at("version").get_to(v.version);
    j.at("created_at").get_to(v.created_at);
    j.at("quarter").get_to(v.quarter);
    j.at("train_first_quarter").get_to(v.train_first_quarter);
    j.at("train_last_quarter").get_to(v.train_last_quarter);
    j.at("train_rows").get_to(v.train_rows);
    j.at("feature_names").get_to(v.feature_names);
    j.at("label_transform").get_to(v.label_transform);
    j.at("xgboost_version").get_to(v.xgboost_version);
    v.params = j.at("params");
    v.metrics = j.at("metrics");
    j.at("snapshot_id").get_to(v.snapshot_id);
    j.at("feature_files").get_to(v.feature_files);
    j.at("model_file").get_to(v.model_file);
    j.at("model_sha256").get_to(v.model_sha256);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("not a model version document: ") + e.what());
  }
  return v;
}

ModelRegistry::ModelRegistry(std::string lake_dir, Env* env)
    : lake_dir_(std::move(lake_dir)), root_(lake_dir_ + "/_stocklake/models"), env_(env) {}

namespace {

// Where things are under the registry's root.
struct Paths {
  const std::string& root;
  std::string Model(const std::string& name) const { return root + "/" + name; }
  std::string Versions(const std::string& name) const { return Model(name) + "/versions"; }
  std::string Version(const std::string& name, int v) const { return Versions(name) + "/" + std::to_string(v); }
  std::string Aliases(const std::string& name) const { return Model(name) + "/aliases.json"; }
  std::string Lock(const std::string& name) const { return Model(name) + "/REGISTER.lock"; }
};

// The version numbers present in versions/, ascending; empty when it is missing.
Result<std::vector<int>> ListVersionNumbers(Env* env, const std::string& versions_dir) {
  std::vector<int> out;
  if (!env->FileExists(versions_dir)) return out;
  SL_ASSIGN_OR_RETURN(std::vector<std::string> entries, env->ListDirectory(versions_dir));
  for (const std::string& entry : entries) {
    if (int v = ParseVersion(entry); v > 0) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<AliasEvent>> ReadAliasHistory(Env* env, const std::string& path) {
  std::vector<AliasEvent> history;
  if (!env->FileExists(path)) return history;
  SL_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  try {
    if (j.is_discarded()) throw std::runtime_error("not JSON");
    for (const nlohmann::json& e : j.at("history")) {
      history.push_back({e.at("alias").get<std::string>(), e.at("version").get<int>(), e.at("at").get<std::string>(),
                         e.at("reason").get<std::string>()});
    }
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": not an alias history (" + e.what() + "); restore it from a backup");
  }
  return history;
}

std::map<std::string, int> CurrentAliases(const std::vector<AliasEvent>& history) {
  std::map<std::string, int> aliases;
  for (const AliasEvent& e : history) {
    if (e.version == 0) {
      aliases.erase(e.alias);
    } else {
      aliases[e.alias] = e.version;
    }
  }
  return aliases;
}

// Writes the files of a version into `dir` and makes them durable.
Status WriteVersionFiles(Env* env, const std::string& dir, const ModelVersion& meta, const std::string& model_json) {
  SL_RETURN_IF_ERROR(env->CreateDirectories(dir));
  SL_RETURN_IF_ERROR(WriteFileDurable(dir + "/model.json", model_json, env));
  SL_RETURN_IF_ERROR(WriteFileDurable(dir + "/version.json", ModelVersionToJson(meta).dump(1) + "\n", env));
  return env->SyncDirectory(dir);
}

}  // namespace

Result<ModelVersion> ModelRegistry::Register(ModelVersion meta, const std::string& model_json) {
  SL_RETURN_IF_ERROR(CheckName(meta.name, "model name"));
  if (!env_->FileExists(lake_dir_)) return Status::NotFound("no lake at " + lake_dir_);
  const Paths paths{root_};
  const std::string& name = meta.name;
  const std::string versions_dir = paths.Versions(name);
  SL_RETURN_IF_ERROR(env_->CreateDirectories(versions_dir));
  SL_ASSIGN_OR_RETURN(FileLock lock,
                      FileLock::Acquire(paths.Lock(name), FileLock::Mode::kExclusive, /*wait=*/true, env_));

  // Under the lock nobody else stages a version: a pending directory is the leftover of a
  // registration that failed or was killed, and its number is free again.
  SL_ASSIGN_OR_RETURN(std::vector<std::string> entries, env_->ListDirectory(versions_dir));
  int last = 0;
  for (const std::string& entry : entries) {
    if (entry.starts_with(kPendingPrefix)) SL_RETURN_IF_ERROR(env_->RemoveDirectoryTree(versions_dir + "/" + entry));
    last = std::max(last, ParseVersion(entry));
  }
  meta.version = last + 1;
  meta.created_at = UtcTimestampNow();
  meta.model_file = "_stocklake/models/" + name + "/versions/" + std::to_string(meta.version) + "/model.json";
  meta.model_sha256 = Sha256Hex(model_json);

  const std::string what = "registering version " + std::to_string(meta.version) + " of model " + name;
  const std::string pending = versions_dir + "/" + kPendingPrefix + std::to_string(meta.version);
  const std::string final_dir = paths.Version(name, meta.version);
  Status staged = WriteVersionFiles(env_, pending, meta, model_json);
  if (staged.ok()) staged = env_->RenameFile(pending, final_dir);
  if (!staged.ok()) {
    (void)env_->RemoveDirectoryTree(pending);  // best effort: the next registration removes it too
    return staged.WithContext(what + " (nothing was registered)");
  }
  // The rename is visible but a crash may still undo it until the directory is synced: on
  // failure the version is taken back, so what readers see agrees with the error.
  const Status synced = env_->SyncDirectory(versions_dir);
  if (synced.ok()) return meta;
  Status undone = env_->RenameFile(final_dir, pending);
  if (undone.ok()) undone = env_->RemoveDirectoryTree(pending);
  if (undone.ok()) return synced.WithContext(what + " (nothing was registered)");
  return synced.WithContext(what + ": the version is visible but may not survive a crash, and taking it back failed (" +
                            undone.ToString() + "); check the disk");
}

Result<std::vector<std::string>> ModelRegistry::ModelNames() const {
  if (!env_->FileExists(root_)) {
    return Status::NotFound("no model registry in the lake at " + lake_dir_ +
                            " (no model was registered there yet: `stocklake train` makes one)");
  }
  SL_ASSIGN_OR_RETURN(std::vector<std::string> entries, env_->ListDirectory(root_));
  std::vector<std::string> names;
  for (const std::string& entry : entries) {
    if (!IsValidName(entry)) continue;
    SL_ASSIGN_OR_RETURN(std::vector<int> versions, ListVersionNumbers(env_, Paths{root_}.Versions(entry)));
    if (!versions.empty()) names.push_back(entry);
  }
  return names;
}

namespace {

// The versions of a model that exists; NotFound naming the models that do.
Result<std::vector<int>> ExistingVersions(const ModelRegistry& registry, Env* env, const std::string& name) {
  SL_RETURN_IF_ERROR(CheckName(name, "model name"));
  SL_ASSIGN_OR_RETURN(std::vector<int> versions, ListVersionNumbers(env, Paths{registry.root()}.Versions(name)));
  if (!versions.empty()) return versions;
  SL_ASSIGN_OR_RETURN(std::vector<std::string> names, registry.ModelNames());
  return Status::NotFound("no model named " + name + " in " + registry.root() + "; " +
                          (names.empty() ? std::string("no model is registered") : "models: " + JoinList(names)));
}

}  // namespace

Result<std::vector<ModelVersion>> ModelRegistry::Versions(const std::string& name) const {
  SL_ASSIGN_OR_RETURN(std::vector<int> numbers, ExistingVersions(*this, env_, name));
  std::vector<ModelVersion> out;
  for (int v : numbers) {
    SL_ASSIGN_OR_RETURN(ModelVersion version, Get(name, v));
    out.push_back(std::move(version));
  }
  return out;
}

Result<ModelVersion> ModelRegistry::Get(const std::string& name, int version) const {
  SL_ASSIGN_OR_RETURN(std::vector<int> numbers, ExistingVersions(*this, env_, name));
  if (!std::binary_search(numbers.begin(), numbers.end(), version)) {
    return Status::NotFound("model " + name + " has no version " + std::to_string(version) +
                            "; versions: " + JoinList(numbers));
  }
  const std::string path = Paths{root_}.Version(name, version) + "/version.json";
  SL_ASSIGN_OR_RETURN(std::string text, env_->ReadFile(path));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::Corruption(path + ": not JSON");
  auto parsed = ModelVersionFromJson(j);
  if (!parsed.ok()) return Status::Corruption(path + ": " + parsed.status().message());
  if (parsed->name != name || parsed->version != version) {
    return Status::Corruption(path + ": describes " + parsed->name + ":" + std::to_string(parsed->version) +
                              ", not the version of its directory");
  }
  return parsed;
}

Result<ModelVersion> ModelRegistry::Resolve(const std::string& ref) const {
  const size_t at = ref.find('@'), colon = ref.find(':');
  const Status malformed =
      Status::InvalidArgument("malformed model reference '" + ref + "': expected NAME, NAME:VERSION or NAME@ALIAS");
  if (at != std::string::npos && colon != std::string::npos) return malformed;
  const std::string name = ref.substr(0, std::min(at, colon));
  if (!IsValidName(name)) return malformed;
  if (colon != std::string::npos) {
    const int version = ParseVersion(std::string_view(ref).substr(colon + 1));
    if (version == 0) return malformed;
    return Get(name, version);
  }
  if (at != std::string::npos) {
    const std::string alias = ref.substr(at + 1);
    if (!IsValidName(alias)) return malformed;
    SL_ASSIGN_OR_RETURN(auto aliases, Aliases(name));
    const auto found = aliases.find(alias);
    if (found == aliases.end()) {
      std::vector<std::string> set;
      for (const auto& [a, v] : aliases) set.push_back(a + " -> " + std::to_string(v));
      return Status::NotFound("model " + name + " has no alias " + alias + "; " +
                              (set.empty() ? std::string("it has no aliases") : "aliases: " + JoinList(set)));
    }
    return Get(name, found->second);
  }
  SL_ASSIGN_OR_RETURN(std::vector<int> numbers, ExistingVersions(*this, env_, name));
  return Get(name, numbers.back());
}

Result<std::string> ModelRegistry::ReadModelJson(const ModelVersion& version) const {
  const std::string path = lake_dir_ + "/" + version.model_file;
  SL_ASSIGN_OR_RETURN(std::string text, env_->ReadFile(path));
  const std::string actual = Sha256Hex(text);
  if (actual != version.model_sha256) {
    return Status::Corruption(path + " has SHA-256 " + actual + " but version " + std::to_string(version.version) +
                              " of model " + version.name + " was registered with " + version.model_sha256 +
                              ": the file changed after registration; train and register the model again");
  }
  return text;
}

namespace {

// Appends one move to the alias history of a model, under the model's lock.
Status AppendAliasEvent(Env* env, const Paths& paths, const std::string& name, AliasEvent event) {
  SL_ASSIGN_OR_RETURN(FileLock lock,
                      FileLock::Acquire(paths.Lock(name), FileLock::Mode::kExclusive, /*wait=*/true, env));
  SL_ASSIGN_OR_RETURN(std::vector<AliasEvent> history, ReadAliasHistory(env, paths.Aliases(name)));
  if (event.version == 0 && !CurrentAliases(history).contains(event.alias)) {
    return Status::NotFound("model " + name + " has no alias " + event.alias + " to remove");
  }
  event.at = UtcTimestampNow();
  history.push_back(std::move(event));
  nlohmann::json events = nlohmann::json::array();
  for (const AliasEvent& e : history) events.push_back(ToJson(e));
  return WriteFileAtomic(paths.Aliases(name), nlohmann::json{{"history", events}}.dump(1) + "\n", env);
}

Status CheckReason(const std::string& reason) {
  if (!reason.empty()) return Status::OK();
  return Status::InvalidArgument("an alias move needs a reason (why this version, for whoever reads the history)");
}

}  // namespace

Status ModelRegistry::SetAlias(const std::string& name, const std::string& alias, int version,
                               const std::string& reason) {
  SL_RETURN_IF_ERROR(CheckName(alias, "alias"));
  SL_RETURN_IF_ERROR(CheckReason(reason));
  SL_RETURN_IF_ERROR(Get(name, version).status());
  return AppendAliasEvent(env_, Paths{root_}, name, AliasEvent{alias, version, "", reason});
}

Status ModelRegistry::RemoveAlias(const std::string& name, const std::string& alias, const std::string& reason) {
  SL_RETURN_IF_ERROR(CheckName(alias, "alias"));
  SL_RETURN_IF_ERROR(CheckReason(reason));
  SL_RETURN_IF_ERROR(ExistingVersions(*this, env_, name).status());
  return AppendAliasEvent(env_, Paths{root_}, name, AliasEvent{alias, 0, "", reason});
}

Result<std::map<std::string, int>> ModelRegistry::Aliases(const std::string& name) const {
  SL_ASSIGN_OR_RETURN(std::vector<AliasEvent> history, AliasHistory(name));
  return CurrentAliases(history);
}

Result<std::vector<AliasEvent>> ModelRegistry::AliasHistory(const std::string& name) const {
  SL_RETURN_IF_ERROR(ExistingVersions(*this, env_, name).status());
  return ReadAliasHistory(env_, Paths{root_}.Aliases(name));
}

}  // namespace stocklake
