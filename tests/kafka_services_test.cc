// The long-running services against librdkafka's mock cluster (3 brokers) living in this
// test process: `stocklake producer`, two `stocklake processor`s in one consumer group
// (one killed in the middle of a cycle) and `stocklake loader`, each a child process.
// The lake they build must equal, row for row in every table, the lake of the one-shot
// `stocklake run` over the same inputs, and SIGTERM must stop a service cleanly.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "core/files.h"
#include "kafka_mock_cluster.h"
#include "lake/snapshot.h"
#include "lake_test_util.h"
#include "log/kafka_log.h"
#include "log/topics.h"
#include "orchestrate/services.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::ExpectSameLakes;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

constexpr int kPartitions = 8;
// The pass-through path a deployment uses; 6 s so a dead member's partitions move soon.
constexpr const char* kKafkaEnv = "STOCKLAKE_KAFKA_SESSION_TIMEOUT_MS=6000 ";

// A child process running a shell command line, its output going to a file.
class Child {
 public:
  Child(const std::string& command_line, std::string log_path) : log_path_(std::move(log_path)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", ("exec env " + command_line + " >" + log_path_ + " 2>&1").c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  //! The exit status (128 + signal when killed); -1 when still running after `timeout`.
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exit_code_;
  }
  std::string Output() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Polls `done` every 100 ms for up to `timeout`.
template <typename Predicate>
bool Eventually(Predicate done, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class KafkaServicesTest : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // Two deliveries of data: the second adds days to the same tickers (so indicator
    // state must continue from the first) and repeats some (duplicates across batches).
    for (const auto& [name, seed, days] : {std::tuple{"first", 21, 260}, std::tuple{"second", 22, 300}}) {
      const auto gen = RunCommand(StocklakeBinary() + " generate --tickers 12 --days " + std::to_string(days) +
                                  " --seed " + std::to_string(seed) + " --bad-rows 0.02 --out " + dir_->Join(name));
      ASSERT_EQ(gen.exit_code, 0) << gen.output;
    }
    const auto reference = RunCommand(StocklakeBinary() + " run --quiet --store none --partitions " +
                                      std::to_string(kPartitions) + " --input " + dir_->Join("first") + " --input " +
                                      dir_->Join("second") + " --lake " + dir_->Join("reference"));
    ASSERT_EQ(reference.exit_code, 0) << reference.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    for (const char* topic : {"raw-stock-data", "processed-stock-data", "stock-rejects"}) {
      cluster_.CreateTopic(topic, kPartitions);
    }
    auto log = OpenKafkaLog(cluster_.bootstraps());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }

  std::string Service(const std::string& lake, const std::string& args) const {
    return std::string(kKafkaEnv) + StocklakeBinary() + " " + args + " --lake " + lake + " --log kafka://" +
           cluster_.bootstraps() + " --poll-seconds 0.2";
  }

  void Produce(const std::string& lake, const std::string& input) {
    const auto produced = RunCommand(Service(lake, "producer --once --input " + dir_->Join(input)));
    ASSERT_EQ(produced.exit_code, 0) << produced.output;
  }

  // Every raw record cleaned by the processors' group, every processed record in the lake.
  bool PipelineCaughtUp(const std::string& lake) {
    auto snapshot = LoadCurrentSnapshot(lake);
    if (!snapshot.ok()) return false;
    const auto& applied = snapshot->consumed_offsets[std::string(kProcessedTopic)];
    for (int p = 0; p < kPartitions; ++p) {
      auto raw_end = log_->EndOffset(std::string(kRawTopic), p);
      auto cleaned = log_->CommittedOffset(kCleanGroup, std::string(kRawTopic), p);
      auto processed_end = log_->EndOffset(std::string(kProcessedTopic), p);
      if (!raw_end.ok() || !cleaned.ok() || !processed_end.ok()) return false;
      if (*cleaned != *raw_end) return false;
      if (static_cast<size_t>(p) >= applied.size() || applied[static_cast<size_t>(p)] != *processed_end) return false;
    }
    return true;
  }

  static bool OwnsSomething(const Child& child) {
    const std::string out = child.Output();
    const auto last = out.rfind("owns partitions ");
    return last != std::string::npos && out.compare(last + 16, 4, "none") != 0;
  }

  static TempDir* dir_;
  testing::MockCluster cluster_;
  std::unique_ptr<MessageLog> log_;
};
TempDir* KafkaServicesTest::dir_ = nullptr;

TEST_P(KafkaServicesTest, TwoProcessorsOneKilledMidCycleGiveTheLakeOfAOneShotRun) {
  const char* crash_point = GetParam();
  const std::string lake = dir_->Join(std::string("lake-") + crash_point);
  Produce(lake, "first");

  // The survivor processes the first delivery alone.
  Child survivor(Service(lake, "processor"), lake + "-survivor.log");
  ASSERT_TRUE(Eventually([&] { return PipelineCaughtUp(lake); }, std::chrono::seconds(60))) << survivor.Output();

  // A second member joins (the group splits the partitions), and dies in the middle of
  // its first cycle with work: after cleaning, before its offsets or its lake commit.
  Child doomed("STOCKLAKE_CRASH_AT=" + std::string(crash_point) + " " + Service(lake, "processor"),
               lake + "-doomed.log");
  ASSERT_TRUE(Eventually([&] { return OwnsSomething(doomed) && OwnsSomething(survivor); }, std::chrono::seconds(60)))
      << doomed.Output() << survivor.Output();
  Produce(lake, "second");
  EXPECT_EQ(doomed.Wait(std::chrono::seconds(60)), 128 + SIGKILL) << doomed.Output();

  // The survivor takes the dead member's partitions over (after the session timeout)
  // and completes its work from the committed offsets and the lake's buckets.
  ASSERT_TRUE(Eventually([&] { return PipelineCaughtUp(lake); }, std::chrono::seconds(90))) << survivor.Output();
  survivor.Signal(SIGTERM);
  EXPECT_EQ(survivor.Wait(std::chrono::seconds(30)), 0) << survivor.Output();
  EXPECT_NE(survivor.Output().find("processor: stopped"), std::string::npos) << survivor.Output();
  // All partitions, then half (the split), then all again (the takeover).
  const std::string said = survivor.Output();
  const auto split = said.find("owns partitions", said.find("owns partitions 0-7") + 1);
  EXPECT_NE(said.find("owns partitions 0-7", split), std::string::npos) << said;

  ExpectSameLakes(lake, dir_->Join("reference"), /*require_rows=*/true);

  // The loader brings the serving store level with the lake, once; a second pass loads nothing.
  const auto loaded = RunCommand(Service(lake, "loader --once"));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_NE(loaded.output.find("lag 0 processed records"), std::string::npos) << loaded.output;
  const auto again = RunCommand(Service(lake, "loader --once"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("buckets loaded"), std::string::npos) << again.output;
  auto store = OpenServingStore("sqlite:" + lake + "/_store/stocklake.sqlite");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const int64_t lake_bars =
      testing::AsInt(testing::DuckDb("SELECT count(*) AS n FROM " + testing::LakeTable(lake, "silver/bars"))[0]["n"]);
  auto stored = (*store)->ScanTable("silver/bars");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(static_cast<int64_t>(stored->num_rows()), lake_bars);

  // Once the services stopped, a one-shot run over the same inputs takes its turn: the
  // registry and the group offsets are the same, so it finds nothing new.
  const auto run =
      RunCommand(std::string(kKafkaEnv) + StocklakeBinary() + " run --quiet --input " + dir_->Join("first") +
                 " --input " + dir_->Join("second") + " --lake " + lake + " --log kafka://" + cluster_.bootstraps());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("nothing new"), std::string::npos) << run.output;
  ExpectSameLakes(lake, dir_->Join("reference"), /*require_rows=*/true);
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, KafkaServicesTest, ::testing::Values("clean-flushed", "lake-files-written"));

// `stocklake producer --yahoo` against a local server with Yahoo's v8 chart bodies,
// through Kafka to the lake: the charts' rows arrive like any input file's.
TEST(ServicesYahoo, ChartsDownloadedByTheProducerReachTheLake) {
  testing::MockCluster cluster;
  for (const char* topic : {"raw-stock-data", "processed-stock-data", "stock-rejects"}) cluster.CreateTopic(topic, 4);
  httplib::Server yahoo;
  int requests = 0;
  yahoo.Get(R"(/v8/finance/chart/([A-Za-z^]+))", [&](const httplib::Request& req, httplib::Response& res) {
    ++requests;
    const std::string symbol = req.matches[1];
    if (symbol != "AAPL" && symbol != "MSFT") {
      res.status = 404;
      res.set_content(ReadFileToString(testing::FixturePath("yahoo/not_found.json")).value(), "application/json");
      return;
    }
    // The first request for MSFT is throttled: the producer retries it.
    if (symbol == "MSFT" && requests == 2) {
      res.status = 429;
      return;
    }
    res.set_content(ReadFileToString(testing::FixturePath("yahoo/" + symbol + ".json")).value(), "application/json");
  });
  const int port = yahoo.bind_to_any_port("127.0.0.1");
  std::thread server([&] { yahoo.listen_after_bind(); });
  while (!yahoo.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  TempDir dir;
  const std::string lake = dir.Join("lake");
  const std::string log = " --lake " + lake + " --log kafka://" + cluster.bootstraps();
  const auto produced =
      RunCommand(std::string(kKafkaEnv) + StocklakeBinary() + " producer --once --yahoo AAPL,MSFT,NOPE" +
                 " --range 10y --yahoo-rate 50 --yahoo-url http://127.0.0.1:" + std::to_string(port) + log);
  yahoo.stop();
  server.join();
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  EXPECT_NE(produced.output.find("2 of 3 symbols downloaded"), std::string::npos) << produced.output;
  EXPECT_NE(produced.output.find("yahoo NOPE: NotFound"), std::string::npos) << produced.output;
  EXPECT_EQ(requests, 4) << "AAPL, MSFT throttled, MSFT again, NOPE";
  const auto processed = RunCommand(std::string(kKafkaEnv) + StocklakeBinary() + " processor --once" + log);
  ASSERT_EQ(processed.exit_code, 0) << processed.output;

  // Every row of the two charts, by ticker: AAPL's five days; MSFT's days, of which the
  // one with a null open is a parse_error reject of MSFT.json.
  const auto bars = testing::DuckDb("SELECT ticker, count(*) AS n, min(date)::VARCHAR AS first FROM " +
                                    testing::LakeTable(lake, "silver/bars") + " GROUP BY ticker ORDER BY ticker");
  ASSERT_EQ(bars.size(), 2u) << bars.dump();
  EXPECT_EQ(bars[0]["ticker"], "AAPL");
  EXPECT_EQ(testing::AsInt(bars[0]["n"]), 5);
  EXPECT_EQ(bars[1]["ticker"], "MSFT");
  const auto rejects =
      testing::DuckDb("SELECT source_file, reason FROM " + testing::LakeTable(lake, "rejects") + " ORDER BY reason");
  const auto msft = nlohmann::json::parse(ReadFileToString(testing::FixturePath("yahoo/MSFT.json")).value());
  const size_t msft_days = msft["chart"]["result"][0]["timestamp"].size();
  EXPECT_EQ(testing::AsInt(bars[1]["n"]) + static_cast<int64_t>(rejects.size()), static_cast<int64_t>(msft_days));
  bool null_open_rejected = false;
  for (const auto& r : rejects) {
    EXPECT_EQ(r["source_file"], "MSFT.json") << rejects.dump();
    null_open_rejected |= r["reason"] == "parse_error";
  }
  EXPECT_TRUE(null_open_rejected) << rejects.dump();
  // The downloads were ingested into bronze and are gone from the landing directory.
  EXPECT_FALSE(PathExists(lake + "/_downloads/yahoo") && !ListDirectory(lake + "/_downloads/yahoo")->empty());
}

TEST(ServicesUsage, BadOptionsExitTwoAndRunRefusesALakeServicesHold) {
  TempDir dir;
  const auto no_source = RunCommand(StocklakeBinary() + " producer --lake " + dir.Join("lake"));
  EXPECT_EQ(no_source.exit_code, 2) << no_source.output;
  EXPECT_NE(no_source.output.find("--input PATH or --yahoo"), std::string::npos) << no_source.output;
  const auto missing = RunCommand(StocklakeBinary() + " producer --once --lake " + dir.Join("lake") + " --input " +
                                  dir.Join("no-such-dir"));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  const auto bad_range =
      RunCommand(StocklakeBinary() + " producer --once --lake " + dir.Join("lake") + " --yahoo AAPL --range 7y");
  EXPECT_EQ(bad_range.exit_code, 2) << bad_range.output;
  EXPECT_FALSE(PathExists(dir.Join("lake/_log"))) << "a bad option must write nothing";

  // A processor on the embedded log waits for the raw topic; meanwhile a one-shot run on
  // the same lake is refused instead of racing it.
  Child processor(StocklakeBinary() + " processor --lake " + dir.Join("lake") + " --poll-seconds 0.2",
                  dir.Join("processor.log"));
  ASSERT_TRUE(Eventually([&] { return processor.Output().find("waiting for topic") != std::string::npos; },
                         std::chrono::seconds(20)))
      << processor.Output();
  testing::WriteTextFile(dir.Join("data/AAA.us.txt"),
                         "Date,Open,High,Low,Close,Volume,OpenInt\n2020-01-02,1,2,1,1.5,100,0\n");
  const auto run =
      RunCommand(StocklakeBinary() + " run --quiet --input " + dir.Join("data") + " --lake " + dir.Join("lake"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("in use"), std::string::npos) << run.output;
  processor.Signal(SIGTERM);
  EXPECT_EQ(processor.Wait(std::chrono::seconds(20)), 0) << processor.Output();
}

}  // namespace
}  // namespace stocklake
