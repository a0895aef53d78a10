// HTTP answers of the REST API: the contract's error body, JSON and paged table answers
// in the format asked for, strong ETags with 304, and gzip of JSON answers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "serve/http.h"
#include "serve/request_params.h"
#include "serve/table_output.h"

namespace stocklake {

//! A request the API refuses: HTTP status, contract error code, message.
struct ApiError {
  int status;
  std::string code;
  std::string message;
};

inline ApiError BadRequest(std::string message) { return {400, "bad_request", std::move(message)}; }

//! {"error": {"code", "message"}} with the error's status.
void SendError(httplib::Response& res, const ApiError& e);
//! A 400 carrying `st`'s message (the request parsers' InvalidArgument).
void SendBadRequest(httplib::Response& res, const Status& st);

//! A failure of the server's own (a query, a registry or history read): logged on stderr
//! with the request and `st`, answered 500 with "`what`; see the server log".
void SendInternalError(const httplib::Request& req, httplib::Response& res, const Status& st, const std::string& what);

void SendJson(httplib::Response& res, const nlohmann::json& body, int status = 200);

//! Writes one page of a table in `format`; `next` goes in X-Next-Cursor and, for JSON,
//! in the body's next_cursor. `file_stem` names CSV and Parquet attachments.
void SendPage(httplib::Response& res, Format format, const TableSlice& slice, const std::optional<std::string>& next,
              const char* file_stem);

//! A JSON page whose rows the caller wrote: {"data": `rows` (a JSON array's text),
//! "next_cursor": ...}, `next` also in X-Next-Cursor.
void SendJsonRows(httplib::Response& res, const std::string& rows, const std::optional<std::string>& next);

//! Sets ETag (covering the snapshot, `version`, the whole request target, the
//! representation asked for and the content coding) and the caching headers; true, with
//! status 304, when the client already has it. `version` names what else the answer
//! depends on (the speed layer's rows change without a new snapshot); "" for nothing.
bool NotModified(const httplib::Request& req, httplib::Response& res, int64_t snapshot_id,
                 std::string_view version = {});

//! gzip of `in` (a gzip wrapper around deflate); nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view in);

//! Post-routing step: gzips a JSON answer of 256 bytes or more when the client accepts
//! gzip. (httplib compresses text/* itself but matches the bare type only, so not
//! "application/json; charset=utf-8".)
void CompressJsonAnswer(const httplib::Request& req, httplib::Response& res);

}  // namespace stocklake
