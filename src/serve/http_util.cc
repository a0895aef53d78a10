#include "serve/http_util.h"

#include <zlib.h>

#include <cinttypes>
#include <cstdio>

namespace stocklake {

namespace {

using nlohmann::json;

std::string JsonText(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

void SendError(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(JsonText({{"error", {{"code", e.code}, {"message", e.message}}}}), "application/json; charset=utf-8");
}

void SendBadRequest(httplib::Response& res, const Status& st) { SendError(res, BadRequest(st.message())); }

void SendInternalError(const httplib::Request& req, httplib::Response& res, const Status& st, const std::string& what) {
  std::fprintf(stderr, "stocklake serve: %s %s: %s\n", req.method.c_str(), req.path.c_str(), st.ToString().c_str());
  SendError(res, {500, "internal", what + "; see the server log"});
}

void SendJson(httplib::Response& res, const json& body, int status) {
  res.status = status;
  res.set_content(JsonText(body), "application/json; charset=utf-8");
}

void SendPage(httplib::Response& res, Format format, const TableSlice& slice, const std::optional<std::string>& next,
              const char* file_stem) {
  if (format == Format::kJson) return SendJsonRows(res, SliceToJsonText(slice), next);
  if (next) res.set_header("X-Next-Cursor", *next);
  switch (format) {
    case Format::kJson: return;
    case Format::kCsv:
      res.set_header("Content-Disposition", std::string("attachment; filename=\"") + file_stem + ".csv\"");
      res.set_content(SliceToCsv(slice), "text/csv; charset=utf-8");
      return;
    case Format::kParquet: {
      auto bytes = SliceToParquet(slice);
      if (!bytes.ok()) {
        SendError(res, {500, "internal", "could not encode Parquet"});
        return;
      }
      res.set_header("Content-Disposition", std::string("attachment; filename=\"") + file_stem + ".parquet\"");
      res.set_content(std::move(*bytes), "application/vnd.apache.parquet");
      return;
    }
  }
}

void SendJsonRows(httplib::Response& res, const std::string& rows, const std::optional<std::string>& next) {
  if (next) res.set_header("X-Next-Cursor", *next);
  // Written directly: the data endpoints' hot path (cursors are base64url, no escaping).
  res.set_content("{\"data\":" + rows + ",\"next_cursor\":" + (next ? "\"" + *next + "\"" : "null") + "}",
                  "application/json; charset=utf-8");
}

bool NotModified(const httplib::Request& req, httplib::Response& res, int64_t snapshot_id, std::string_view version) {
  const std::string accept_encoding = req.get_header_value("Accept-Encoding");
  uint64_t h = Fnv1a(std::to_string(snapshot_id));
  if (!version.empty()) h = Fnv1a(version, Fnv1a("\n", h));
  h = Fnv1a(req.method, Fnv1a("\n", h));
  h = Fnv1a(req.target.empty() ? req.path : req.target, Fnv1a("\n", h));
  h = Fnv1a(req.get_header_value("Accept"), Fnv1a("\n", h));
  h = Fnv1a(accept_encoding.find("br") != std::string::npos     ? "br"
            : accept_encoding.find("gzip") != std::string::npos ? "gzip"
                                                                : "identity",
            Fnv1a("\n", h));
  char tag[40];
  std::snprintf(tag, sizeof tag, "\"%" PRId64 "-%016" PRIx64 "\"", snapshot_id, h);
  res.set_header("ETag", tag);
  res.set_header("Vary", "Accept, Accept-Encoding, Authorization");
  res.set_header("Cache-Control", "private, no-cache");
  const std::string inm = req.get_header_value("If-None-Match");
  if (!inm.empty() && (inm == "*" || inm.find(tag) != std::string::npos)) {
    res.status = 304;
    return true;
  }
  return false;
}

std::optional<std::string> Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void CompressJsonAnswer(const httplib::Request& req, httplib::Response& res) {
  if (res.body.size() < 256 || res.has_header("Content-Encoding")) return;
  if (!res.get_header_value("Content-Type").starts_with("application/json")) return;
  const std::string accept = req.get_header_value("Accept-Encoding");
  if (accept.find("gzip") == std::string::npos) return;
  if (auto gz = Gzip(res.body)) {
    res.body = std::move(*gz);
    res.set_header("Content-Encoding", "gzip");
    // httplib has already set Content-Length from the uncompressed body.
    res.headers.erase("Content-Length");
    res.set_header("Content-Length", std::to_string(res.body.size()));
  }
}

}  // namespace stocklake
