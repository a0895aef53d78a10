// The REST API's route table: one row per method and path, driving routing, the metrics
// label, the role check before routing, and the paths, methods and roles of the OpenAPI
// document (openapi.cc adds only the descriptions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "serve/api_context.h"
#include "serve/http.h"
#include "serve/tokens.h"

namespace stocklake {

using RouteHandler = void (*)(ApiContext& ctx, const httplib::Request& req, httplib::Response& res);

struct Route {
  std::string_view method;  //!< "GET", "POST" or "DELETE"
  //! OpenAPI path template; each {name} matches one non-empty path segment.
  std::string_view path;
  std::string_view name;  //!< metrics label (the token routes share one)
  Role min_role = Role::kViewer;
  bool needs_token = true;  //!< false: open to anyone (health, readiness, the document)
  bool exportable = false;  //!< answers CSV / Parquet too, which need the analyst role
  RouteHandler handler = nullptr;
};

const std::vector<Route>& ApiRoutes();

//! The regular expression httplib matches `path` (a template) with: {name} -> ([^/]+).
std::string RouteRegex(std::string_view path);

//! The route serving `method` on `path`; when only another method has the path, that
//! route (its name and role apply; httplib answers the method); else nullptr.
const Route* FindRoute(std::string_view method, const std::string& path);

}  // namespace stocklake
