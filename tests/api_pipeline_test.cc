// The REST API's pipeline endpoints end to end: a lake made by the real binary, pipeline
// runs made by `stocklake pipeline run` (exec tasks in sh), the server in-process over
// real HTTP. The list is `pipeline history --json` to the value; one run adds the tail
// of each attempt's log; an admin starts runs that then land in the history; a lake held
// by a run is 409 and records nothing; every refusal (400, 401, 403, 404, 501).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "api_test_util.h"
#include "core/files.h"
#include "orchestrate/pipeline_history.h"
#include "orchestrate/pipeline_runner.h"
#include "serve/tokens.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::ExpectApiError;
using testing::RunCommand;
using testing::RunningServer;
using testing::StocklakeBinary;
using testing::TempDir;
using testing::WriteTextFile;

//! Waits up to 60 s for `done`; false if it never was.
bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 1200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class ApiPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    lake_ = dir_->Join("lake");
    auto gen = RunCommand(StocklakeBinary() + " generate --tickers 2 --days 30 --seed 1 --out " + dir_->Join("in"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir_->Join("in") + " --lake " + lake_);
    ASSERT_EQ(run.exit_code, 0) << run.output;

    // nightly: `prepare` logs 10000 x's and a last line; `load` fails both its attempts
    // (a reason and a line on stderr); `report` is then upstream_failed.
    nightly_ = dir_->Join("nightly.yaml");
    WriteTextFile(nightly_, "name: nightly\nlake: " + lake_ +
                                "\n"
                                "tasks:\n"
                                "  prepare: {exec: [sh, -c, 'head -c 10000 /dev/zero | tr \"\\0\" x; echo; echo "
                                "prepared {quarter}']}\n"
                                "  load: {exec: [sh, -c, 'echo loading; echo \"boom: disk full\" >&2; exit 3'], "
                                "after: [prepare], retries: 1, retry_delay: 100ms}\n"
                                "  report: {exec: ['true'], after: [load]}\n");
    // hold: one task that waits for the file `release` (removed before each use).
    hold_ = dir_->Join("hold.yaml");
    WriteTextFile(hold_, "name: hold\nlake: " + lake_ +
                             "\n"
                             "tasks:\n"
                             "  wait: {exec: [sh, -c, 'touch " +
                             dir_->Join("holding") + "; while [ ! -e " + dir_->Join("release") +
                             " ]; do sleep 0.05; done']}\n");
    auto failed = RunCommand(StocklakeBinary() + " pipeline run --quiet --config " + nightly_ + " --quarter 2017Q3");
    ASSERT_EQ(failed.exit_code, 1) << failed.output;
    WriteTextFile(dir_->Join("release"), "");
    auto held = RunCommand(StocklakeBinary() + " pipeline run --quiet --config " + hold_ + " --quarter 2017Q2");
    ASSERT_EQ(held.exit_code, 0) << held.output;

    viewer_ = new std::string(*CreateToken(lake_, Role::kViewer, "vera", 0));
    admin_ = new std::string(*CreateToken(lake_, Role::kAdmin, "ops", 0));
    ServeOptions o;
    o.lake_dir = lake_;
    o.rate_limit = 0;
    o.web_dir = dir_->Join("web");
    o.stocklake_binary = StocklakeBinary();
    o.pipeline_configs = {nightly_, hold_};
    server_ = new RunningServer(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete viewer_;
    delete admin_;
    delete dir_;
  }

  static httplib::Result Get(const std::string& path, const std::string& token) {
    return testing::GetAs(server_->port(), path, token);
  }
  static json GetJson(const std::string& path) { return testing::GetJsonAs(server_->port(), path, *viewer_); }
  static httplib::Result Post(const std::string& body, const std::string& token) {
    httplib::Client c("127.0.0.1", server_->port());
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return c.Post("/api/v1/pipeline/runs", headers, body, "application/json");
  }

  //! What `pipeline history --json` prints for `config`.
  static json CliHistory(const std::string& config) {
    auto r = RunCommand(StocklakeBinary() + " pipeline history --json --limit 1000 --config " + config);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output.substr(r.output.find('[')), nullptr, false);
  }
  static size_t RunCount() { return PipelineHistory(lake_).List("")->size(); }

  //! The run `run_id` once it has ended (a 404 until the runner records it).
  static json WaitForEnd(const std::string& run_id) {
    json run;
    WaitFor([&] {
      auto r = Get("/api/v1/pipeline/runs/" + run_id, *viewer_);
      if (!r || r->status != 200) return false;
      run = json::parse(r->body);
      return run["state"] != "running";
    });
    return run;
  }

  //! POSTs `body` as admin, again while the answer is 409: a runner whose run has ended
  //! in the history may still be exiting (it holds the lake until it has).
  static httplib::Result PostOnceIdle(const std::string& body) {
    httplib::Result r = Post(body, *admin_);
    for (int i = 0; i < 200 && r && r->status == 409; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = Post(body, *admin_);
    }
    return r;
  }

  //! Starts `hold` through the API and returns its run id once its task is waiting.
  static std::string StartHold() {
    std::remove(dir_->Join("release").c_str());
    std::remove(dir_->Join("holding").c_str());
    auto started = PostOnceIdle(R"({"pipeline": "hold"})");
    EXPECT_TRUE(started);
    if (!started) return "";
    EXPECT_EQ(started->status, 202) << started->body;
    EXPECT_TRUE(WaitFor([] { return PathExists(dir_->Join("holding")); })) << "the hold task never started";
    return json::parse(started->body)["run_id"].get<std::string>();
  }

  static TempDir* dir_;
  static std::string lake_;
  static std::string nightly_;
  static std::string hold_;
  static std::string* viewer_;
  static std::string* admin_;
  static RunningServer* server_;
};

TempDir* ApiPipelineTest::dir_ = nullptr;
std::string ApiPipelineTest::lake_;
std::string ApiPipelineTest::nightly_;
std::string ApiPipelineTest::hold_;
std::string* ApiPipelineTest::viewer_ = nullptr;
std::string* ApiPipelineTest::admin_ = nullptr;
RunningServer* ApiPipelineTest::server_ = nullptr;

TEST_F(ApiPipelineTest, ListsTheObjectsOfPipelineHistoryJsonNewestFirst) {
  const json nightly = CliHistory(nightly_);
  ASSERT_TRUE(nightly.is_array());
  ASSERT_GE(nightly.size(), 1u);
  EXPECT_EQ(GetJson("/api/v1/pipeline/runs?pipeline=nightly&limit=1000")["data"], nightly);
  EXPECT_EQ(GetJson("/api/v1/pipeline/runs?pipeline=hold")["data"], CliHistory(hold_));

  // Every pipeline of the lake, newest first; limit keeps the newest.
  const json all = GetJson("/api/v1/pipeline/runs")["data"];
  EXPECT_EQ(all, json::parse(PipelineRunsToJson(*PipelineHistory(lake_).List(""))));
  ASSERT_GE(all.size(), 2u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1]["started_ms"], all[i]["started_ms"]);
  const json one = GetJson("/api/v1/pipeline/runs?limit=1")["data"];
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], all[0]);
  EXPECT_EQ(GetJson("/api/v1/pipeline/runs?pipeline=nobody")["data"], json::array());
}

TEST_F(ApiPipelineTest, OneRunHasItsTasksAttemptsAndTheTailOfEachLog) {
  json failed;
  for (const json& run : CliHistory(nightly_)) {
    if (run["quarter"] == "2017Q3" && run["trigger"] == "manual") failed = run;
  }
  ASSERT_TRUE(failed.is_object()) << "the run made in SetUp";
  const json run = GetJson("/api/v1/pipeline/runs/" + failed["run_id"].get<std::string>());
  EXPECT_EQ(run["state"], "failed");

  // The history's object, plus log_tail and log_size in every attempt that has a log.
  json without_logs = run;
  for (json& task : without_logs["tasks"]) {
    for (json& attempt : task["attempts"]) {
      EXPECT_TRUE(attempt.contains("log_tail")) << attempt.dump();
      EXPECT_EQ(attempt["log_size"], std::filesystem::file_size(attempt["log_path"].get<std::string>()));
      attempt.erase("log_tail");
      attempt.erase("log_size");
    }
  }
  EXPECT_EQ(without_logs, failed);

  const json& prepare = run["tasks"][0];
  ASSERT_EQ(prepare["task"], "prepare");
  const std::string prepared = prepare["attempts"][0]["log_tail"];
  EXPECT_EQ(prepared.size(), 4096u) << "the last 4 kB of a longer log";
  EXPECT_TRUE(prepared.ends_with("x\nprepared 2017Q3\n")) << prepared.substr(prepared.size() - 40);
  EXPECT_EQ(prepare["attempts"][0]["log_size"], 10000 + 1 + 16);

  const json& load = run["tasks"][1];
  ASSERT_EQ(load["task"], "load");
  EXPECT_EQ(load["state"], "failed");
  ASSERT_EQ(load["attempts"].size(), 2u);
  for (const json& attempt : load["attempts"]) {
    EXPECT_EQ(attempt["reason"], "exit status 3");
    EXPECT_EQ(attempt["exit_status"], 3);
    EXPECT_EQ(attempt["log_tail"], "loading\nboom: disk full\n");
    EXPECT_LE(attempt["started_ms"], attempt["ended_ms"]);
  }
  EXPECT_EQ(run["tasks"][2]["state"], "upstream_failed");
  EXPECT_EQ(run["tasks"][2]["attempts"], json::array());
}

TEST_F(ApiPipelineTest, RefusesBadParametersAndUnknownRuns) {
  ExpectApiError(Get("/api/v1/pipeline/runs/20990101T000000Z-000000", *viewer_), 404, "not_found",
                 "no pipeline run 20990101T000000Z-000000");
  ExpectApiError(Get("/api/v1/pipeline/runs/..", *viewer_), 400, "bad_request", "run id");
  ExpectApiError(Get("/api/v1/pipeline/runs/x.json", *viewer_), 400, "bad_request", "run id");
  for (const char* escape : {"/api/v1/pipeline/runs/..%2F..%2Ftokens", "/api/v1/pipeline/runs/%2E%2E"}) {
    auto r = Get(escape, *viewer_);
    ASSERT_TRUE(r) << escape;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << escape << ": " << r->status << " " << r->body;
  }
  ExpectApiError(Get("/api/v1/pipeline/runs?limit=0", *viewer_), 400, "bad_request", "limit");
  ExpectApiError(Get("/api/v1/pipeline/runs?limit=1001", *viewer_), 400, "bad_request", "limit");
  ExpectApiError(Get("/api/v1/pipeline/runs?since=1", *viewer_), 400, "bad_request", "since");
  ExpectApiError(Get("/api/v1/pipeline/runs?pipeline=", *viewer_), 400, "bad_request", "pipeline");
  ExpectApiError(Get("/api/v1/pipeline/runs?pipeline=a&pipeline=b", *viewer_), 400, "bad_request", "more than once");
  ExpectApiError(Get("/api/v1/pipeline/runs", ""), 401, "unauthorized");
}

TEST_F(ApiPipelineTest, StartingARunNeedsAnAdminAndAGoodBody) {
  const size_t runs = RunCount();
  ExpectApiError(Post("{}", ""), 401, "unauthorized");
  ExpectApiError(Post(R"({"pipeline": "nightly"})", *viewer_), 403, "forbidden", "admin");
  ExpectApiError(Post("{}", *admin_), 400, "bad_request", "one of nightly, hold");
  ExpectApiError(Post(R"({"pipeline": "weekly"})", *admin_), 400, "bad_request", "unknown pipeline 'weekly'");
  ExpectApiError(Post(R"({"pipeline": "nightly", "quarter": "2017Q5"})", *admin_), 400, "bad_request", "quarter");
  ExpectApiError(Post(R"({"pipeline": "nightly", "quarter": 2017})", *admin_), 400, "bad_request", "string");
  ExpectApiError(Post(R"({"pipeline": "nightly", "when": "now"})", *admin_), 400, "bad_request", "unknown field");
  ExpectApiError(Post("[1]", *admin_), 400, "bad_request", "JSON object");
  ExpectApiError(Post("{", *admin_), 400, "bad_request", "JSON object");
  EXPECT_EQ(RunCount(), runs) << "no refused request records a run";
}

TEST_F(ApiPipelineTest, AnAdminStartsARunThatLandsInTheHistory) {
  auto started = PostOnceIdle(R"({"pipeline": "nightly", "quarter": "2016q4"})");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const json answer = json::parse(started->body);
  EXPECT_EQ(answer["status"], "started");
  const std::string run_id = answer["run_id"];
  const json run = WaitForEnd(run_id);
  ASSERT_TRUE(run.is_object()) << "run " << run_id << " never ended";
  EXPECT_EQ(run["run_id"], run_id);
  EXPECT_EQ(run["pipeline"], "nightly");
  EXPECT_EQ(run["trigger"], "manual");
  EXPECT_EQ(run["quarter"], "2016Q4");
  EXPECT_EQ(run["state"], "failed");
  EXPECT_EQ(run["tasks"][0]["attempts"][0]["log_tail"].get<std::string>().substr(4096 - 16), "prepared 2016Q4\n")
      << "{quarter} reached the task";
  // The same object in the list and in `pipeline history --json`.
  const json cli = CliHistory(nightly_);
  ASSERT_FALSE(cli.empty());
  EXPECT_EQ(cli[0]["run_id"], run_id);
  EXPECT_EQ(GetJson("/api/v1/pipeline/runs?pipeline=nightly&limit=1")["data"][0], cli[0]);
  // The runner's own output is in the run's log directory.
  const std::string runner_log = PipelineDirectory(lake_) + "/logs/" + run_id + "/runner.log";
  auto text = ReadFileToString(runner_log);
  ASSERT_TRUE(text.ok()) << runner_log;
  EXPECT_NE(text->find("run " + run_id), std::string::npos) << *text;
}

TEST_F(ApiPipelineTest, ALakeHeldByARunIsAConflictAndRecordsNothing) {
  // Held by a runner outside serve: `stocklake pipeline run` from the command line.
  std::remove(dir_->Join("release").c_str());
  std::remove(dir_->Join("holding").c_str());
  std::thread outside([] {
    auto r = RunCommand(StocklakeBinary() + " pipeline run --quiet --config " + hold_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  });
  ASSERT_TRUE(WaitFor([] { return PathExists(dir_->Join("holding")); }));
  ASSERT_TRUE(PipelineLock::IsHeld(lake_));
  size_t runs = RunCount();
  ExpectApiError(Post(R"({"pipeline": "nightly"})", *admin_), 409, "bad_request", "one run at a time per lake");
  EXPECT_EQ(RunCount(), runs);
  WriteTextFile(dir_->Join("release"), "");
  outside.join();

  // Held by the run serve itself started: refused even before that child takes the lock.
  const std::string hold_id = StartHold();
  ASSERT_FALSE(hold_id.empty());
  runs = RunCount();
  ExpectApiError(Post(R"({"pipeline": "hold"})", *admin_), 409, "bad_request", "one run at a time per lake");
  EXPECT_EQ(RunCount(), runs);
  WriteTextFile(dir_->Join("release"), "");
  EXPECT_EQ(WaitForEnd(hold_id)["state"], "succeeded");

  // Back to back: the second request comes before the first child can hold the lock.
  std::remove(dir_->Join("release").c_str());
  auto first = PostOnceIdle(R"({"pipeline": "hold"})");
  auto second = Post(R"({"pipeline": "hold"})", *admin_);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 202) << first->body;
  ExpectApiError(second, 409, "bad_request");
  WriteTextFile(dir_->Join("release"), "");
  EXPECT_EQ(WaitForEnd(json::parse(first->body)["run_id"])["state"], "succeeded");
}

TEST_F(ApiPipelineTest, TheDocumentListsThePipelineRoutesAndRoles) {
  const json doc = json::parse(Get("/api/v1/openapi.json", "")->body);
  EXPECT_EQ(doc["paths"]["/api/v1/pipeline/runs"]["get"]["x-minimum-role"], "viewer");
  EXPECT_EQ(doc["paths"]["/api/v1/pipeline/runs"]["post"]["x-minimum-role"], "admin");
  EXPECT_EQ(doc["paths"]["/api/v1/pipeline/runs/{run_id}"]["get"]["x-minimum-role"], "viewer");
  EXPECT_TRUE(doc["components"]["schemas"].contains("PipelineRunDetail"));
}

// ---- Servers of their own ----------------------------------------------------------------

TEST(ApiPipelineConfigTest, WithoutAPipelineStartingIsNotImplemented) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  ASSERT_EQ(
      RunCommand(StocklakeBinary() + " generate --tickers 1 --days 20 --seed 1 --out " + dir.Join("in")).exit_code, 0);
  ASSERT_EQ(RunCommand(StocklakeBinary() + " run --quiet --input " + dir.Join("in") + " --lake " + lake).exit_code, 0);
  const std::string admin = *CreateToken(lake, Role::kAdmin, "ops", 0);
  ServeOptions o;
  o.lake_dir = lake;
  RunningServer server(o);
  httplib::Client c("127.0.0.1", server.port());
  const httplib::Headers auth = {{"Authorization", "Bearer " + admin}};
  auto r = c.Post("/api/v1/pipeline/runs", auth, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501) << r->body;
  EXPECT_NE(r->body.find("--pipeline"), std::string::npos) << r->body;
  auto list = c.Get("/api/v1/pipeline/runs", auth);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(json::parse(list->body)["data"], json::array()) << "a lake without pipeline history";

  // Serve refuses to start with a pipeline of another lake, a broken one, or two of a name.
  WriteTextFile(dir.Join("other.yaml"),
                "name: p\nlake: " + dir.Join("elsewhere") + "\ntasks:\n  t: {exec: ['true']}\n");
  WriteTextFile(dir.Join("broken.yaml"), "name: p\nlake: " + lake + "\ntasks:\n  t: {exec: ['true'], after: [u]}\n");
  WriteTextFile(dir.Join("p1.yaml"), "name: p\nlake: " + lake + "\ntasks:\n  t: {exec: ['true']}\n");
  WriteTextFile(dir.Join("p2.yaml"), "name: p\nlake: " + lake + "/.\ntasks:\n  u: {exec: ['true']}\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{dir.Join("other.yaml")}, "is not serve's"},
      {{dir.Join("broken.yaml")}, "broken.yaml:"},
      {{dir.Join("p1.yaml"), dir.Join("p2.yaml")}, "both define pipeline p"},
      {{dir.Join("missing.yaml")}, "missing.yaml"},
  };
  for (const auto& [configs, words] : refused) {
    ServeOptions bad = o;
    bad.pipeline_configs = configs;
    auto created = ApiServer::Create(bad);
    ASSERT_FALSE(created.ok()) << words;
    EXPECT_NE(created.status().message().find(words), std::string::npos) << created.status().ToString();
  }
}

}  // namespace
}  // namespace stocklake
