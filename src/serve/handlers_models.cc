// /api/v1/models: the model registry (ml/model_registry.h) under the lake, read on every
// request (registering a model commits no lake snapshot, so answers carry no ETag).
#include "ml/model_registry.h"
#include "serve/handlers.h"

namespace stocklake {

namespace {

using nlohmann::json;

//! A registry read that failed for another reason than an unknown name: logged, 500.
void SendRegistryError(const httplib::Request& req, httplib::Response& res, const Status& st) {
  SendInternalError(req, res, st, "the model registry cannot be read");
}

json AliasesToJson(const std::map<std::string, int>& aliases) {
  json out = json::object();
  for (const auto& [alias, version] : aliases) out[alias] = version;
  return out;
}

}  // namespace

void HandleModels(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const ModelRegistry registry(ctx.options.lake_dir);
  auto names = registry.ModelNames();
  if (!names.ok()) return SendRegistryError(req, res, names.status());
  json data = json::array();
  for (const std::string& name : *names) {
    auto versions = registry.Versions(name);
    auto aliases = versions.ok() ? registry.Aliases(name) : Result<std::map<std::string, int>>(versions.status());
    if (!aliases.ok()) return SendRegistryError(req, res, aliases.status());
    json list = json::array();
    for (const ModelVersion& v : *versions) {
      list.push_back({{"version", v.version}, {"quarter", v.quarter}, {"created_at", v.created_at}});
    }
    data.push_back({{"name", name},
                    {"latest", versions->empty() ? json(nullptr) : json(versions->back().version)},
                    {"versions", list},
                    {"aliases", AliasesToJson(*aliases)}});
  }
  res.set_header("Cache-Control", "no-store");
  SendJson(res, {{"data", data}});
}

void HandleModel(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  // Checked before the name is used as a directory under the registry.
  auto name = ParseModelName(req.matches[1].str());
  if (!name.ok()) return SendBadRequest(res, name.status());
  const ModelRegistry registry(ctx.options.lake_dir);
  auto versions = registry.Versions(*name);
  if (!versions.ok() && versions.status().IsNotFound()) {
    return SendError(res, {404, "not_found", "no model " + *name + " (GET /api/v1/models lists them)"});
  }
  auto aliases = versions.ok() ? registry.Aliases(*name) : Result<std::map<std::string, int>>(versions.status());
  auto history = aliases.ok() ? registry.AliasHistory(*name) : Result<std::vector<AliasEvent>>(aliases.status());
  if (!history.ok()) return SendRegistryError(req, res, history.status());
  json cards = json::array();
  for (const ModelVersion& v : *versions) cards.push_back(ModelVersionToJson(v));
  json events = json::array();
  for (const AliasEvent& e : *history) {
    events.push_back({{"alias", e.alias},
                      {"version", e.version == 0 ? json(nullptr) : json(e.version)},
                      {"at", e.at},
                      {"reason", e.reason}});
  }
  res.set_header("Cache-Control", "no-store");
  SendJson(res, {{"name", *name},
                 {"latest", versions->empty() ? json(nullptr) : json(versions->back().version)},
                 {"aliases", AliasesToJson(*aliases)},
                 {"alias_history", events},
                 {"versions", cards}});
}

}  // namespace stocklake
