// The OpenAPI 3.0 description of the REST API, served at /api/v1/openapi.json.
#pragma once

#include <string_view>

namespace stocklake {

//! The document, as JSON text.
std::string_view OpenApiDocument();

}  // namespace stocklake
