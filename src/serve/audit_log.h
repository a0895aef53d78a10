// The access audit log: one JSON line per request (time, who, method, path, status,
// duration) appended to LAKE/_stocklake/audit.log. Records the token's name, never the
// token, and the path without its query string's values being secrets (the API takes
// no secrets in URLs).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace stocklake {

struct AuditEntry {
  std::string_view who;   //!< token name (or id when unnamed), or "anonymous"
  std::string_view role;  //!< "" when the request carried no valid identity
  std::string_view method;
  std::string_view path;    //!< path and query string as requested
  std::string_view remote;  //!< client address
  int status = 0;
  double seconds = 0;
};

class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  //! Opens `path` for appending (creating it).
  Status Open(const std::string& path);
  //! Appends one line and flushes it. Thread-safe.
  void Write(const AuditEntry& entry);

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

}  // namespace stocklake
