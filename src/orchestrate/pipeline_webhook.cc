#include "orchestrate/pipeline_webhook.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

namespace stocklake {

namespace {

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

// One POST; the HTTP status, or 0 with `error` set when no answer came.
long PostOnce(const std::string& url, const std::string& body, std::string* error) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    *error = "curl_easy_init failed";
    return 0;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stocklake-pipeline");
  long status = 0;
  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  } else {
    *error = curl_easy_strerror(code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

}  // namespace

std::string RunEndedPayload(const PipelineRunRecord& run) {
  const nlohmann::json record = nlohmann::json::parse(PipelineRunToJson(run));
  nlohmann::json failed = nlohmann::json::array();
  for (const TaskRecord& task : run.tasks) {
    if (task.state == TaskState::kFailed || task.state == TaskState::kUpstreamFailed) failed.push_back(task.task);
  }
  return nlohmann::json{{"run_id", run.run_id},         {"pipeline", run.pipeline}, {"trigger", record["trigger"]},
                        {"state", record["state"]},     {"quarter", run.quarter},   {"failed_tasks", failed},
                        {"started", record["started"]}, {"ended", record["ended"]}}
      .dump();
}

bool NotifyRunEnded(const std::string& url, const PipelineRunRecord& run, bool quiet) {
  const std::string body = RunEndedPayload(run);
  constexpr int kAttempts = 4;
  std::string last_error;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    std::string error;
    const long status = PostOnce(url, body, &error);
    if (status >= 200 && status < 300) return true;
    last_error = status > 0 ? "HTTP " + std::to_string(status) : error;
    if (attempt < kAttempts) std::this_thread::sleep_for(std::chrono::milliseconds(500 << (attempt - 1)));
  }
  if (!quiet) {
    std::fprintf(stderr,
                 "pipeline %s: run %s: webhook %s not delivered after %d attempts (%s); the run is unaffected\n",
                 run.pipeline.c_str(), run.run_id.c_str(), url.c_str(), kAttempts, last_error.c_str());
  }
  return false;
}

}  // namespace stocklake
