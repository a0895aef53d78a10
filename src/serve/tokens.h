// API tokens: bearer secrets for the REST API, each with a role and an optional rate
// limit. Only a token's SHA-256 is stored (LAKE/_stocklake/tokens.json, replaced
// atomically), so the file grants nothing to whoever reads it; the token itself is shown
// once, when it is created.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! Ordered: a higher role may do everything a lower one may.
enum class Role { kViewer = 0, kAnalyst = 1, kAdmin = 2 };

//! "viewer" | "analyst" | "admin"; InvalidArgument otherwise.
Result<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

struct TokenRecord {
  std::string id;    //!< first 12 hex digits of the hash: names a token without revealing it
  std::string name;  //!< free text chosen by the admin ("" when none)
  Role role = Role::kViewer;
  std::string sha256;  //!< lower-case hex SHA-256 of the token text
  std::string created_at;
  double rate_limit = 0;   //!< requests per second; 0 = the server's default
  std::string revoked_at;  //!< "" while the token is valid
};

//! A new token: 32 random bytes (OpenSSL RAND_bytes), base64url without padding.
Result<std::string> GenerateTokenText();

//! Path of the token file of the lake at `lake_dir`.
std::string TokenFilePath(const std::string& lake_dir);

//! Every token recorded for the lake (none when the file does not exist yet).
//! Corruption when the file exists but is not a token file.
Result<std::vector<TokenRecord>> LoadTokens(const std::string& lake_dir);

//! Creates a token, records its hash and returns the token text (never stored).
//! `rate_limit` <= 0 means the server's default.
Result<std::string> CreateToken(const std::string& lake_dir, Role role, const std::string& name, double rate_limit,
                                TokenRecord* record = nullptr);

//! Marks every valid token whose id or name equals `id_or_name` as revoked; NotFound
//! when none matched. Returns how many were revoked.
Result<int> RevokeToken(const std::string& lake_dir, const std::string& id_or_name);

}  // namespace stocklake
