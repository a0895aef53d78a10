// The REST API server for the API tests: in-process on a thread (started on a free
// loopback port, ready once /healthz answers, stopped on destruction), or as the real
// binary in a child process (SpawnServe, StopChild); and the requests and checks the API
// tests share.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "serve/api_server.h"
#include "serve/http.h"
#include "test_util.h"

namespace stocklake::testing {

class RunningServer {
 public:
  explicit RunningServer(ServeOptions options) {
    options.port = 0;
    auto created = ApiServer::Create(options);
    if (!created.ok()) {
      ADD_FAILURE() << created.status().ToString();
      return;
    }
    server_ = std::move(*created);
    thread_ = std::thread([this] { EXPECT_TRUE(server_->Run().ok()); });
    // Ready when /healthz answers.
    for (int i = 0; i < 200; ++i) {
      httplib::Client c("127.0.0.1", port());
      if (server_->scheme() == "http" && c.Get("/healthz")) return;
      if (server_->scheme() == "https") {
        httplib::SSLClient s("127.0.0.1", port());
        s.enable_server_certificate_verification(false);
        if (s.Get("/healthz")) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "server did not come up";
  }
  ~RunningServer() {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return server_ ? server_->port() : 0; }

 private:
  std::unique_ptr<ApiServer> server_;
  std::thread thread_;
};

//! GET `path` from the server on `port` with `token` as the bearer token ("" none).
inline httplib::Result GetAs(int port, const std::string& path, const std::string& token,
                             httplib::Headers headers = {}) {
  httplib::Client c("127.0.0.1", port);
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return c.Get(path, headers);
}

//! GetAs's body, checked to be a 200 answer; null when there was no answer.
inline nlohmann::json GetJsonAs(int port, const std::string& path, const std::string& token) {
  auto r = GetAs(port, path, token);
  EXPECT_TRUE(r) << path;
  if (!r) return nlohmann::json();
  EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  return nlohmann::json::parse(r->body, nullptr, false);
}

//! A refusal: `status` and the contract's JSON error body with `code` and a message that
//! mentions `words`.
inline void ExpectApiError(const httplib::Result& r, int status, const std::string& code,
                           const std::string& words = "") {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r->body;
  EXPECT_EQ(j["error"]["code"], code) << r->body;
  ASSERT_TRUE(j["error"]["message"].is_string()) << r->body;
  EXPECT_NE(j["error"]["message"].get<std::string>().find(words), std::string::npos) << r->body;
}

//! Starts `stocklake serve ARGS` and returns its pid and port (from its first line);
//! port 0 when it did not start.
inline std::pair<pid_t, int> SpawnServe(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) return {-1, 0};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<std::string> all = {StocklakeBinary(), "serve"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  close(out[0]);
  const size_t colon = line.rfind(':');
  return {pid, colon == std::string::npos ? 0 : std::atoi(line.c_str() + colon + 1)};
}

//! SIGTERMs the child and returns its exit status (128 + N for a signal N).
inline int StopChild(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace stocklake::testing
