#include "pg_harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.h"

namespace stocklake::testing {

namespace {

//! The newest /usr/lib/postgresql/<version>/bin holding initdb, or "".
std::string FindPgBin() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && std::filesystem::exists(entry.path() / "bin" / "initdb")) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  return best;
}

//! Prefix that runs a command as the postgres user (only needed as root).
std::string AsPostgres() { return geteuid() == 0 ? "runuser -u postgres -- " : ""; }

// The shared server once a test has asked for it; null in test programs that never do.
PgServer* shared_server = nullptr;

// Stops the server after the last test, also when it was started lazily mid-run (and
// does not start one just to stop it: every test process would pay an initdb).
class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (shared_server != nullptr) shared_server->Stop();
  }
};
[[maybe_unused]] ::testing::Environment* const kPgEnvironment = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

}  // namespace

PgServer& PgServer::Shared() {
  static PgServer* server = [] {
    auto* s = new PgServer();
    s->Start();
    shared_server = s;
    return s;
  }();
  return *server;
}

void PgServer::Start() {
  bin_ = FindPgBin();
  if (bin_.empty()) {
    error_ =
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/install-deps.sh "
        "(installs the postgresql package)";
    return;
  }
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/stocklake-pg-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    error_ = "mkdtemp failed for " + templ;
    return;
  }
  dir_ = templ;
  if (geteuid() == 0) {
    auto chown = RunCommand("chown postgres:postgres " + dir_ + " && chmod 700 " + dir_);
    if (chown.exit_code != 0) {
      error_ = "cannot hand " + dir_ + " to the postgres user: " + chown.output;
      return;
    }
  }
  auto init = RunCommand(AsPostgres() + bin_ + "/initdb -D " + dir_ + "/data -U postgres -A trust -E UTF8 " +
                         "--locale=C.UTF-8 --no-sync");
  if (init.exit_code != 0) {
    error_ = "initdb failed: " + init.output;
    return;
  }
  // A port found free can be taken before the server binds it: retry a few times.
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = FreeLoopbackPort();
    auto start =
        RunCommand(AsPostgres() + bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 30 " +
                   "-o \"-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_ + "\" start");
    if (start.exit_code == 0) {
      running_ = true;
    } else {
      error_ = "pg_ctl start failed: " + start.output + RunCommand("tail -5 " + dir_ + "/server.log").output;
    }
  }
  if (running_) error_.clear();
}

std::string PgServer::CreateDatabase() {
  if (!running_) return "";
  const std::string name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  auto created = RunCommand(AsPostgres() + bin_ + "/createdb -h " + dir_ + " -p " + std::to_string(port_) +
                            " -U postgres " + name);
  if (created.exit_code != 0) {
    error_ = "createdb failed: " + created.output;
    return "";
  }
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void PgServer::Stop() {
  if (running_) {
    RunCommand(AsPostgres() + bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop");
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

PgServer::~PgServer() { Stop(); }

}  // namespace stocklake::testing
