// The REST API server running in-process on a thread, for the API tests: started on a
// free loopback port, ready once /healthz answers, stopped on destruction.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
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

}  // namespace stocklake::testing
