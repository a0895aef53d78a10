// A real Prometheus (Debian's `prometheus` package) for the tests that check what it
// scrapes and evaluates: started on a free loopback port with a given config file and a
// temporary data directory, queried over its HTTP API, stopped on destruction. Targets
// show as up only about 6 s after the start even with a 1 s scrape interval, so tests
// poll (WaitUntilUp) rather than sleep. Header-only: the test links stocklake_serve,
// which brings cpp-httplib.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "serve/http.h"
#include "test_util.h"

namespace stocklake::testing {

class PrometheusServer {
 public:
  //! Starts `prometheus` with `config_file`, keeping its data in `data_dir`. If it cannot
  //! start, running() is false and error() says why.
  PrometheusServer(const std::string& config_file, const std::string& data_dir) {
    if (RunCommand("command -v prometheus").exit_code != 0) {
      error_ = "prometheus is not installed: install the Debian package prometheus (scripts/install-deps.sh)";
      return;
    }
    port_ = FreeLoopbackPort();
    pid_ = fork();
    if (pid_ == 0) {
      const std::string config = "--config.file=" + config_file, data = "--storage.tsdb.path=" + data_dir,
                        listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
      if (freopen("/dev/null", "w", stderr) == nullptr) _exit(126);
      execlp("prometheus", "prometheus", config.c_str(), data.c_str(), listen.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready in about 0.3 s: wait for /-/ready.
    for (int i = 0; i < 100; ++i) {
      httplib::Client client("127.0.0.1", port_);
      client.set_connection_timeout(0, 200'000);
      if (auto r = client.Get("/-/ready"); r && r->status == 200) {
        running_ = true;
        return;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    error_ = "prometheus did not become ready (is " + config_file + " valid? `promtool check config` it)";
  }
  ~PrometheusServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  bool running() const { return running_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

  //! GET `path` with `params`: the parsed JSON answer (any status: Prometheus explains
  //! errors in JSON), or null when there is no answer.
  nlohmann::json Get(const std::string& path, const httplib::Params& params = {}) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(5, 0);
    auto r = client.Get(path, params, httplib::Headers{});
    if (!r) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  //! An instant query.
  nlohmann::json Query(const std::string& promql) const { return Get("/api/v1/query", {{"query", promql}}); }

  //! Polls up{job="JOB"} until its first series is 1; false after `timeout`.
  bool WaitUntilUp(const std::string& job, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const nlohmann::json j = Query("up{job=\"" + job + "\"}");
      if (j.is_object() && j["data"]["result"].is_array() && !j["data"]["result"].empty() &&
          j["data"]["result"][0]["value"][1] == "1") {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool running_ = false;
  std::string error_;
};

}  // namespace stocklake::testing
