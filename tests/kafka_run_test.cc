// End to end through Kafka: `stocklake run --log kafka://...` as a child process against
// librdkafka's mock cluster (3 brokers) living in this test process. The lake must equal,
// row for row in every table, the lake of the embedded log on the same input, also when a
// broker goes down and comes back in the middle of the run.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "kafka_mock_cluster.h"
#include "lake_test_util.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::AsInt;
using testing::DuckDb;
using testing::ExpectSameLakes;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

constexpr int kPartitions = 8;

// The cluster with the pipeline's topics (the mock times out CreateTopics, as a managed
// cluster may refuse it).
class PipelineCluster : public testing::MockCluster {
 public:
  PipelineCluster() {
    for (const char* topic : {"raw-stock-data", "processed-stock-data", "stock-rejects"})
      CreateTopic(topic, kPartitions);
  }
  std::string url() const { return "kafka://" + bootstraps(); }
};

testing::CommandResult RunStocklake(const std::string& data, const std::string& lake, const std::string& log_option) {
  // session.timeout.ms through the environment: the pass-through path a deployment uses.
  return RunCommand("STOCKLAKE_KAFKA_SESSION_TIMEOUT_MS=6000 " + StocklakeBinary() + " run --quiet --input " + data +
                    " --lake " + lake + " --partitions " + std::to_string(kPartitions) + log_option);
}

class KafkaRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto gen = RunCommand(
        StocklakeBinary() + " generate --tickers 10 --days 300 --seed 11 --bad-rows 0.02 --out " + dir_->Join("data"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    const auto embedded = RunStocklake(dir_->Join("data"), dir_->Join("embedded"), "");
    ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};
TempDir* KafkaRunTest::dir_ = nullptr;

TEST_F(KafkaRunTest, LakeThroughKafkaEqualsLakeThroughTheEmbeddedLog) {
  PipelineCluster cluster;
  const std::string lake = dir_->Join("kafka");
  const auto run = RunStocklake(dir_->Join("data"), lake, " --log " + cluster.url());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectSameLakes(lake, dir_->Join("embedded"), /*require_rows=*/true);

  // A rerun on the same input finds nothing new, in the lake or the cluster's offsets.
  const auto again = RunStocklake(dir_->Join("data"), lake, " --log " + cluster.url());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("0 ingested"), std::string::npos) << again.output;
  ExpectSameLakes(lake, dir_->Join("embedded"), /*require_rows=*/true);
}

TEST_F(KafkaRunTest, BrokerDownAndUpMidRunLosesAndDuplicatesNothing) {
  PipelineCluster cluster;
  const std::string lake = dir_->Join("kafka-outage");
  std::atomic<bool> run_done{false};
  std::atomic<bool> outage_inside_run{false};
  // Broker 1 leads a third of the partitions and may be the group coordinator: while it is
  // down, produce, fetch, offset queries and commits on it must wait and retry. It goes
  // down 0.1 s after the child starts (a whole run takes about 0.4 s), so the run cannot
  // finish without it coming back. Then broker 2, to catch the later stages too.
  std::thread outage([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (run_done) return;
    rd_kafka_mock_broker_set_down(cluster.get(), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    rd_kafka_mock_broker_set_up(cluster.get(), 1);
    outage_inside_run = !run_done;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    if (run_done) return;
    rd_kafka_mock_broker_set_down(cluster.get(), 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    rd_kafka_mock_broker_set_up(cluster.get(), 2);
  });
  const auto run = RunStocklake(dir_->Join("data"), lake, " --log " + cluster.url());
  run_done = true;
  outage.join();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(outage_inside_run) << "the run ended before the broker came back; the test proves nothing\n"
                                 << run.output;
  ExpectSameLakes(lake, dir_->Join("embedded"), /*require_rows=*/true);
}

TEST_F(KafkaRunTest, UnreachableClusterAndBadUrlsFailClearly) {
  const std::string lake = dir_->Join("kafka-bad");
  const auto bad_url = RunStocklake(dir_->Join("data"), lake, " --log kafka://nohostport");
  EXPECT_EQ(bad_url.exit_code, 2) << bad_url.output;
  EXPECT_NE(bad_url.output.find("kafka://HOST:PORT"), std::string::npos) << bad_url.output;

  const auto bad_property =
      RunCommand("STOCKLAKE_KAFKA_NO_SUCH_PROPERTY=1 " + StocklakeBinary() + " run --quiet --input " +
                 dir_->Join("data") + " --lake " + lake + " --log kafka://127.0.0.1:1");
  EXPECT_EQ(bad_property.exit_code, 2) << bad_property.output;
  EXPECT_NE(bad_property.output.find("no.such.property"), std::string::npos) << bad_property.output;

  // Port 1 on loopback: nothing listens, the open fails fast instead of hanging.
  const auto start = std::chrono::steady_clock::now();
  const auto down = RunCommand("STOCKLAKE_KAFKA_SASL_PASSWORD=hunter2-secret " + StocklakeBinary() +
                               " run --quiet --input " + dir_->Join("data") + " --lake " + lake +
                               " --log 'kafka://127.0.0.1:1?config=/dev/null&timeout_ms=3000'");
  EXPECT_EQ(down.exit_code, 1) << down.output;
  EXPECT_NE(down.output.find("cannot reach Kafka at 127.0.0.1:1"), std::string::npos) << down.output;
  EXPECT_EQ(down.output.find("hunter2"), std::string::npos) << down.output;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

}  // namespace
}  // namespace stocklake
