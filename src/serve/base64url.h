// base64url without padding (RFC 4648 section 5): API tokens and pagination cursors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stocklake {

std::string Base64UrlEncode(std::string_view bytes);

//! nullopt when `text` holds a character outside the base64url alphabet. Trailing bits
//! that do not fill a byte are dropped.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace stocklake
