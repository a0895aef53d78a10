// SHA-256 as lowercase hex (OpenSSL's EVP): the digest the lake records for files it
// must recognise later (model files in the registry) and the form API tokens are kept in.
#pragma once

#include <string>
#include <string_view>

namespace stocklake {

//! The SHA-256 of `bytes`, 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace stocklake
