// /api/v1/tokens: listing, creating and revoking API tokens (admin).
#include <algorithm>
#include <cctype>

#include "serve/handlers.h"

namespace stocklake {

namespace {

using nlohmann::json;

json TokenJson(const TokenRecord& t) {
  // Never the hash, let alone the text: the id names a token without revealing it.
  return {{"id", t.id},
          {"name", t.name},
          {"role", RoleName(t.role)},
          {"created_at", t.created_at},
          {"rate_limit", t.rate_limit},
          {"revoked_at", t.revoked_at.empty() ? json(nullptr) : json(t.revoked_at)}};
}

//! A token name or id: at most 64 of [A-Za-z0-9._-].
bool IsPlainName(const std::string& name) {
  return name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

}  // namespace

void HandleListTokens(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  auto tokens = LoadTokens(ctx.options.lake_dir);
  if (!tokens.ok()) return SendError(res, {500, "internal", "cannot read the token file"});
  json data = json::array();
  for (const TokenRecord& t : *tokens) data.push_back(TokenJson(t));
  SendJson(res, {{"data", data}, {"next_cursor", nullptr}});
}

void HandleCreateToken(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return SendError(res, BadRequest("body must be a JSON object {\"role\", \"name\", \"rate_limit\"}"));
  for (const auto& [key, value] : body.items()) {
    if (key != "role" && key != "name" && key != "rate_limit")
      return SendError(res, BadRequest("unknown field '" + key + "'"));
  }
  if (!body.contains("role") || !body["role"].is_string())
    return SendError(res, BadRequest("role is required: viewer, analyst or admin"));
  auto role = ParseRole(body["role"].get<std::string>());
  if (!role.ok()) return SendError(res, BadRequest("role must be viewer, analyst or admin"));
  std::string name;
  if (body.contains("name")) {
    if (!body["name"].is_string()) return SendError(res, BadRequest("name must be a string"));
    name = body["name"].get<std::string>();
    if (!IsPlainName(name)) return SendError(res, BadRequest("name must be at most 64 of [A-Za-z0-9._-]"));
  }
  double rate_limit = 0;
  if (body.contains("rate_limit")) {
    if (!body["rate_limit"].is_number() || body["rate_limit"].get<double>() < 0 ||
        body["rate_limit"].get<double>() > 1e6) {
      return SendError(res, BadRequest("rate_limit must be a number of requests per second, 0 to 1000000"));
    }
    rate_limit = body["rate_limit"].get<double>();
  }
  TokenRecord record;
  auto token = CreateToken(ctx.options.lake_dir, *role, name, rate_limit, &record);
  if (!token.ok()) return SendError(res, {500, "internal", "cannot record the new token"});
  json out = TokenJson(record);
  out["token"] = *token;  // shown once, here; only its hash is kept
  res.set_header("Cache-Control", "no-store");
  SendJson(res, out, 201);
}

void HandleRevokeToken(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (Status st = CheckParamNames(req.params, {}); !st.ok()) return SendBadRequest(res, st);
  const std::string id_or_name = req.matches[1];
  if (id_or_name.empty() || !IsPlainName(id_or_name))
    return SendError(res, {404, "not_found", "no such resource: " + req.path});
  auto revoked = RevokeToken(ctx.options.lake_dir, id_or_name);
  if (!revoked.ok()) {
    if (revoked.status().IsNotFound()) return SendError(res, {404, "not_found", "no valid token with that id or name"});
    return SendError(res, {500, "internal", "cannot update the token file"});
  }
  SendJson(res, {{"revoked", *revoked}});
}

}  // namespace stocklake
