#include "orchestrate/store_url.h"

#include "core/files.h"

namespace stocklake {

std::string ServingStoreUrl(const std::string& store_option, const std::string& lake_dir) {
  if (store_option == "none") return "";
  if (store_option.empty()) return "sqlite:" + lake_dir + "/_store/stocklake.sqlite";
  return store_option;
}

Status CheckStoreUrl(const std::string& url) {
  if (url.starts_with("sqlite:") && url.size() > 7) return Status::OK();
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return Status::OK();
  return Status::InvalidArgument("--store " + url +
                                 ": expected none, sqlite:PATH or postgresql://USER@HOST:PORT/DB?...");
}

Status PrepareStoreLocation(const std::string& url) {
  if (!url.starts_with("sqlite:")) return Status::OK();
  const std::string path = url.substr(7);
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return Status::OK();
  return CreateDirectories(path.substr(0, slash));
}

std::string RedactUrl(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto at = url.find('@');
  if (scheme_end == std::string::npos || at == std::string::npos || at < scheme_end) return url;
  const auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace stocklake
