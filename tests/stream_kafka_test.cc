// The speed layer on Kafka (librdkafka's mock cluster) with PostgreSQL: two `stocklake
// stream` processors share the partitions of `trades` as one consumer group; one is killed
// with SIGKILL mid-stream, the survivor takes its partitions over (claiming them in the
// store, which fences the dead one's epoch), and the intraday bars equal one uninterrupted
// pass of the spec over the published records.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "kafka_mock_cluster.h"
#include "pg_harness.h"
#include "store/serving_store.h"
#include "stream_reference.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

constexpr int kPartitions = 4;

// Starts `stocklake stream` in the background with its output in `log`; its pid.
pid_t StartProcessor(const std::string& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c",
          ("exec env STOCKLAKE_KAFKA_SESSION_TIMEOUT_MS=6000 " + StocklakeBinary() + " stream " + args + " >" + log +
           " 2>&1")
              .c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int64_t Consumed(ServingStore& store) {
  auto checkpoints = store.LoadStreamCheckpoints("trades");
  EXPECT_TRUE(checkpoints.ok()) << checkpoints.status().ToString();
  int64_t consumed = 0;
  if (checkpoints.ok()) {
    for (const auto& [partition, checkpoint] : *checkpoints) consumed += checkpoint.next_offset;
  }
  return consumed;
}

TEST(StreamKafka, TwoProcessorsOneKilledGiveTheBarsOfOnePass) {
  testing::PgServer& pg = testing::PgServer::Shared();
  ASSERT_TRUE(pg.running()) << pg.error();
  const std::string store_url = pg.CreateDatabase();
  ASSERT_FALSE(store_url.empty()) << pg.error();
  testing::MockCluster cluster;
  cluster.CreateTopic("trades", kPartitions);
  cluster.CreateTopic("trades-dlq", kPartitions);
  TempDir dir;
  const std::string lake = dir.Join("lake");
  const std::string input = dir.Join("trades.jsonl");
  const std::string kafka = " --log kafka://" + cluster.bootstraps();
  constexpr int kEvents = 60'000;
  auto gen = RunCommand(StocklakeBinary() + " generate-trades --out " + input + " --events " + std::to_string(kEvents) +
                        " --symbols 40 --seed 9 --late 0.02 --bad 0.02");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto pub = RunCommand(StocklakeBinary() + " publish --lake " + lake + kafka + " --topic trades --input " + input);
  ASSERT_EQ(pub.exit_code, 0) << pub.output;

  // Small fetches so that both members are still working when one dies.
  const std::string args = "--lake " + lake + kafka + " --store " + store_url + " --fetch-bytes 2000";
  const pid_t first = StartProcessor(args, dir.Join("first.log"));
  const pid_t second = StartProcessor(args, dir.Join("second.log"));
  auto store = OpenServingStore(store_url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // Both own partitions and have committed some work: then the first dies.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    const std::string first_log = RunCommand("cat " + dir.Join("first.log")).output;
    const std::string second_log = RunCommand("cat " + dir.Join("second.log")).output;
    if (first_log.find("owns partitions") != std::string::npos &&
        second_log.find("owns partitions") != std::string::npos && Consumed(**store) > kEvents / 10) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_LT(Consumed(**store), kEvents) << "the first processor must die mid-stream";
  kill(first, SIGKILL);
  waitpid(first, nullptr, 0);

  // The survivor takes everything over and catches up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (Consumed(**store) < kEvents && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  kill(second, SIGTERM);
  int status = 0;
  waitpid(second, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << RunCommand("cat " + dir.Join("second.log")).output;
  ASSERT_EQ(Consumed(**store), kEvents) << RunCommand("cat " + dir.Join("second.log")).output;

  int64_t late = 0, invalid = 0;
  const auto expected = testing::Expected(input, &late, &invalid);
  testing::ExpectSameBars(expected, testing::StoredBarsAt(store_url, expected));
  // Every partition was claimed again by the survivor: its epoch moved past the first's.
  auto checkpoints = (*store)->LoadStreamCheckpoints("trades");
  ASSERT_TRUE(checkpoints.ok());
  ASSERT_EQ(checkpoints->size(), static_cast<size_t>(kPartitions));
  int64_t reclaimed = 0;
  for (const auto& [partition, checkpoint] : *checkpoints) reclaimed += checkpoint.epoch >= 2;
  EXPECT_GT(reclaimed, 0);
}

}  // namespace
}  // namespace stocklake
