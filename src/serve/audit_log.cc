#include "serve/audit_log.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace stocklake {

AuditLog::~AuditLog() {
  if (file_ != nullptr) std::fclose(file_);
}

Status AuditLog::Open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "ae");
  if (file_ == nullptr) return Status::IOError("cannot open the audit log " + path + ": " + std::strerror(errno));
  return Status::OK();
}

void AuditLog::Write(const AuditEntry& e) {
  const nlohmann::json line = {{"time", UtcTimestampNow()},
                               {"who", e.who},
                               {"role", e.role},
                               {"method", e.method},
                               {"path", e.path},
                               {"remote", e.remote},
                               {"status", e.status},
                               {"duration_ms", std::round(e.seconds * 1e6) / 1e3}};
  // Replacement keeps a client's invalid UTF-8 from making dump() throw.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  if (file_ == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

}  // namespace stocklake
