#include "serve/tokens.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/files.h"
#include "core/sha256.h"
#include "serve/base64url.h"

namespace stocklake {

namespace {

constexpr int kTokenFileFormat = 1;

nlohmann::json ToJson(const TokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(RoleName(t.role))},
          {"sha256", t.sha256},
          {"created_at", t.created_at},
          {"rate_limit", t.rate_limit},
          {"revoked_at", t.revoked_at}};
}

Status SaveTokens(const std::string& lake_dir, const std::vector<TokenRecord>& tokens) {
  nlohmann::json j = {{"format", kTokenFileFormat}, {"tokens", nlohmann::json::array()}};
  for (const TokenRecord& t : tokens) j["tokens"].push_back(ToJson(t));
  SL_RETURN_IF_ERROR(CreateDirectories(lake_dir + "/_stocklake"));
  return WriteFileAtomic(TokenFilePath(lake_dir), j.dump(2) + "\n");
}

}  // namespace

Result<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "analyst") return Role::kAnalyst;
  if (name == "admin") return Role::kAdmin;
  return Status::InvalidArgument("unknown role '" + std::string(name) + "': use viewer, analyst or admin");
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kAnalyst: return "analyst";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

Result<std::string> GenerateTokenText() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::IOError("OpenSSL RAND_bytes failed: no token created");
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string TokenFilePath(const std::string& lake_dir) { return lake_dir + "/_stocklake/tokens.json"; }

Result<std::vector<TokenRecord>> LoadTokens(const std::string& lake_dir) {
  const std::string path = TokenFilePath(lake_dir);
  if (!PathExists(path)) return std::vector<TokenRecord>{};
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption(path + ": " + what + "; restore it or delete it and create new tokens");
  };
  if (!j.is_object() || !j.contains("tokens") || !j["tokens"].is_array()) return corrupt("not a token file");
  std::vector<TokenRecord> out;
  for (const nlohmann::json& e : j["tokens"]) {
    if (!e.is_object()) return corrupt("a token entry is not an object");
    TokenRecord t;
    t.id = e.value("id", "");
    t.name = e.value("name", "");
    t.sha256 = e.value("sha256", "");
    t.created_at = e.value("created_at", "");
    t.rate_limit = e.value("rate_limit", 0.0);
    t.revoked_at = e.value("revoked_at", "");
    auto role = ParseRole(e.value("role", ""));
    if (!role.ok()) return corrupt("token '" + t.id + "': " + role.status().message());
    t.role = *role;
    if (t.sha256.size() != 64) return corrupt("token '" + t.id + "' has no SHA-256");
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::string> CreateToken(const std::string& lake_dir, Role role, const std::string& name, double rate_limit,
                                TokenRecord* record) {
  SL_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, LoadTokens(lake_dir));
  SL_ASSIGN_OR_RETURN(std::string text, GenerateTokenText());
  TokenRecord t;
  t.sha256 = Sha256Hex(text);
  t.id = t.sha256.substr(0, 12);
  t.name = name;
  t.role = role;
  t.created_at = UtcTimestampNow();
  t.rate_limit = rate_limit > 0 ? rate_limit : 0;
  tokens.push_back(t);
  SL_RETURN_IF_ERROR(SaveTokens(lake_dir, tokens));
  if (record != nullptr) *record = t;
  return text;
}

Result<int> RevokeToken(const std::string& lake_dir, const std::string& id_or_name) {
  SL_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, LoadTokens(lake_dir));
  int revoked = 0;
  const std::string now = UtcTimestampNow();
  for (TokenRecord& t : tokens) {
    if (!t.revoked_at.empty() || id_or_name.empty()) continue;
    if (t.id == id_or_name || t.name == id_or_name) {
      t.revoked_at = now;
      ++revoked;
    }
  }
  if (revoked == 0)
    return Status::NotFound("no valid token with id or name '" + id_or_name + "' (see `stocklake token list`)");
  SL_RETURN_IF_ERROR(SaveTokens(lake_dir, tokens));
  return revoked;
}

}  // namespace stocklake
