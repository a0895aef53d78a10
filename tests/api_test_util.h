// The REST API server running in-process on a thread, for the API tests: started on a
// free loopback port, ready once /healthz answers, stopped on destruction; and the
// requests and checks the API tests share.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "serve/api_server.h"
#include "serve/http.h"

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

}  // namespace stocklake::testing
