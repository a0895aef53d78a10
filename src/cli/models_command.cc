// `stocklake models list|show|alias`: the model registry of a lake (ml/model_registry.h):
// what is registered, one version's model card, and moving an alias.
#include <cstdio>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "core/files.h"
#include "ml/model_registry.h"

namespace stocklake::cli {

namespace {

std::string Join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string AliasList(const std::map<std::string, int>& aliases) {
  std::vector<std::string> items;
  for (const auto& [alias, version] : aliases) items.push_back(alias + " -> " + std::to_string(version));
  return items.empty() ? "-" : Join(items);
}

Result<ModelRegistry> OpenRegistry(const std::string& lake) {
  if (!PathExists(lake)) return Status::NotFound("no lake at " + lake + " (check --lake)");
  return ModelRegistry(lake);
}

Status List(const std::string& lake, bool json) {
  SL_ASSIGN_OR_RETURN(ModelRegistry registry, OpenRegistry(lake));
  SL_ASSIGN_OR_RETURN(std::vector<std::string> names, registry.ModelNames());
  nlohmann::json out = nlohmann::json::array();
  if (!json) std::printf("%-24s  %8s  %6s  %-7s  %s\n", "name", "versions", "latest", "quarter", "aliases");
  for (const std::string& name : names) {
    SL_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, registry.Versions(name));
    SL_ASSIGN_OR_RETURN(auto aliases, registry.Aliases(name));
    const ModelVersion& latest = versions.back();
    if (json) {
      out.push_back({{"name", name},
                     {"versions", versions.size()},
                     {"latest_version", latest.version},
                     {"latest_quarter", latest.quarter},
                     {"latest_created_at", latest.created_at},
                     {"aliases", aliases}});
    } else {
      std::printf("%-24s  %8zu  %6d  %-7s  %s\n", name.c_str(), versions.size(), latest.version, latest.quarter.c_str(),
                  AliasList(aliases).c_str());
    }
  }
  if (json) std::printf("%s\n", out.dump(1).c_str());
  return Status::OK();
}

// "0.0512" for a number, "-" for null, the JSON text otherwise.
std::string Cell(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value.get<double>());
    return buffer;
  }
  return value.dump();
}

// The validation metrics: the model's and the baseline's side by side when they are the
// documented {"model": {...}, "baseline": {...}}, the JSON as it is otherwise.
void PrintMetrics(const nlohmann::json& metrics) {
  if (metrics.contains("quarters")) {
    const nlohmann::json& quarters = metrics["quarters"];
    std::vector<std::string> names;
    for (const nlohmann::json& q : quarters) names.push_back(q.is_string() ? q.get<std::string>() : q.dump());
    std::printf("  %-18s%s\n", "validated on", quarters.is_array() ? Join(names).c_str() : Cell(quarters).c_str());
  }
  const nlohmann::json& model = metrics.contains("model") ? metrics["model"] : nlohmann::json();
  const nlohmann::json& baseline = metrics.contains("baseline") ? metrics["baseline"] : nlohmann::json();
  if (!model.is_object()) {
    if (!metrics.empty()) std::printf("  %-18s%s\n", "metrics", metrics.dump().c_str());
    return;
  }
  std::set<std::string> names;
  for (const auto& [key, value] : model.items()) names.insert(key);
  if (baseline.is_object()) {
    for (const auto& [key, value] : baseline.items()) names.insert(key);
  }
  std::printf("  %-18s%-10s  %s\n", "metric", "model", "baseline");
  for (const std::string& name : names) {
    const std::string b = baseline.is_object() && baseline.contains(name) ? Cell(baseline[name]) : "-";
    std::printf("  %-18s%-10s  %s\n", name.c_str(), model.contains(name) ? Cell(model[name]).c_str() : "-", b.c_str());
  }
}

Status Show(const std::string& lake, const std::string& ref, bool json) {
  SL_ASSIGN_OR_RETURN(ModelRegistry registry, OpenRegistry(lake));
  SL_ASSIGN_OR_RETURN(ModelVersion v, registry.Resolve(ref));
  SL_ASSIGN_OR_RETURN(auto aliases, registry.Aliases(v.name));
  SL_ASSIGN_OR_RETURN(std::vector<AliasEvent> history, registry.AliasHistory(v.name));
  const Status verified = registry.ReadModelJson(v).status();
  if (json) {
    nlohmann::json events = nlohmann::json::array();
    for (const AliasEvent& e : history) {
      events.push_back({{"alias", e.alias}, {"version", e.version}, {"at", e.at}, {"reason", e.reason}});
    }
    const nlohmann::json out = {{"model", ModelVersionToJson(v)},
                                {"model_file_verified", verified.ok()},
                                {"aliases", aliases},
                                {"alias_history", events}};
    std::printf("%s\n", out.dump(1).c_str());
    return Status::OK();
  }
  std::vector<std::string> own_aliases;
  for (const auto& [alias, version] : aliases) {
    if (version == v.version) own_aliases.push_back(alias);
  }
  const std::string marks = own_aliases.empty() ? "" : " (" + Join(own_aliases) + ")";
  std::printf("model %s version %d%s\n", v.name.c_str(), v.version, marks.c_str());
  std::printf("  %-18s%s\n", "created_at", v.created_at.c_str());
  std::printf("  %-18s%s\n", "made for quarter", v.quarter.c_str());
  std::printf("  %-18s%s .. %s, %lld rows\n", "trained on", v.train_first_quarter.c_str(), v.train_last_quarter.c_str(),
              static_cast<long long>(v.train_rows));
  std::printf("  %-18s%s\n", "label_transform", v.label_transform.empty() ? "-" : v.label_transform.c_str());
  std::printf("  %-18s%zu: %s\n", "features", v.feature_names.size(), Join(v.feature_names).c_str());
  std::printf("  %-18s%s\n", "xgboost", v.xgboost_version.c_str());
  std::printf("  %-18s%s\n", "params", v.params.dump().c_str());
  PrintMetrics(v.metrics);
  std::printf("  %-18ssnapshot %lld, %zu file(s)\n", "lineage", static_cast<long long>(v.snapshot_id),
              v.feature_files.size());
  for (const std::string& file : v.feature_files) std::printf("  %-18s%s\n", "", file.c_str());
  std::printf("  %-18s%s\n", "model_file", v.model_file.c_str());
  std::printf("  %-18s%s (%s)\n", "sha256", v.model_sha256.c_str(),
              verified.ok() ? "verified" : verified.message().c_str());
  std::printf("aliases of %s: %s\n", v.name.c_str(), AliasList(aliases).c_str());
  if (!history.empty()) std::printf("alias history (oldest first):\n");
  for (const AliasEvent& e : history) {
    const std::string target = e.version == 0 ? "removed" : "-> " + std::to_string(e.version);
    std::printf("  %s  %s %s  %s\n", e.at.c_str(), e.alias.c_str(), target.c_str(), e.reason.c_str());
  }
  return Status::OK();
}

Status MoveAlias(const std::string& lake, const std::string& name, const std::string& alias, int version,
                 const std::string& reason) {
  SL_ASSIGN_OR_RETURN(ModelRegistry registry, OpenRegistry(lake));
  SL_ASSIGN_OR_RETURN(auto before, registry.Aliases(name));
  SL_RETURN_IF_ERROR(registry.SetAlias(name, alias, version, reason));
  const auto previous = before.find(alias);
  const std::string was = previous == before.end() ? "new alias" : "was " + std::to_string(previous->second);
  std::printf("%s@%s -> version %d (%s)\n", name.c_str(), alias.c_str(), version, was.c_str());
  return Status::OK();
}

}  // namespace

CommandRunner AddModelsCommand(CLI::App& app) {
  struct Parsed {
    std::string lake, ref, name, alias, reason;
    int version = 0;
    bool json = false;
  };
  auto parsed = std::make_shared<Parsed>();
  auto* cmd = app.add_subcommand("models", "The model registry: list models, show a version's card, move an alias");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "Registered models: versions, the latest one's quarter, aliases");
  AddLakeOption(list, &parsed->lake);
  list->add_flag("--json", parsed->json, "Print JSON");
  auto* show = cmd->add_subcommand("show", "The model card of one version: training, metrics, lineage, aliases");
  AddLakeOption(show, &parsed->lake);
  show->add_option("model", parsed->ref, "NAME (newest version), NAME:VERSION or NAME@ALIAS")->required();
  show->add_flag("--json", parsed->json, "Print JSON");
  auto* alias = cmd->add_subcommand("alias", "Point an alias (such as champion) at a version, recording why");
  AddLakeOption(alias, &parsed->lake);
  alias->add_option("name", parsed->name, "Model name")->required();
  alias->add_option("alias", parsed->alias, "Alias name")->required();
  alias->add_option("version", parsed->version, "Version to point at")->required()->check(CLI::PositiveNumber);
  alias->add_option("--reason", parsed->reason, "Why (kept in the alias history)")->required();

  return [cmd, list, show, alias, parsed]() -> int {
    if (!cmd->parsed()) return -1;
    const auto finish = [](const char* command, const Status& status) {
      return status.ok() ? 0 : ReportError(command, status);
    };
    if (list->parsed()) return finish("models list", List(parsed->lake, parsed->json));
    if (show->parsed()) return finish("models show", Show(parsed->lake, parsed->ref, parsed->json));
    if (alias->parsed()) {
      return finish("models alias",
                    MoveAlias(parsed->lake, parsed->name, parsed->alias, parsed->version, parsed->reason));
    }
    return kExitUsage;
  };
}

}  // namespace stocklake::cli
