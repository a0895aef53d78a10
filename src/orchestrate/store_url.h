// The --store option shared by `stocklake run` and `stocklake loader`: which serving
// store it names, checked before anything is written, and shown without its password.
#pragma once

#include <string>

#include "core/status.h"

namespace stocklake {

//! The store named by a --store value for the lake at `lake_dir`: "" (not given) is
//! SQLite under the lake, "none" is no store (returns "").
std::string ServingStoreUrl(const std::string& store_option, const std::string& lake_dir);

//! InvalidArgument unless `url` is sqlite:PATH or postgresql://... (nothing is opened).
Status CheckStoreUrl(const std::string& url);

//! Creates the directory an sqlite:PATH store lives in; nothing for other stores.
Status PrepareStoreLocation(const std::string& url);

//! `url` fit for messages: a password (user:password@) replaced by ***.
std::string RedactUrl(const std::string& url);

}  // namespace stocklake
