// One behavioural suite over every MessageLog backend: the embedded file log and Kafka (on
// librdkafka's in-process mock cluster, 3 brokers). Whatever the stages rely on must hold
// for both.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "log/file_log.h"
#include "log/kafka_log.h"
#include "log/topics.h"
#include "test_util.h"

namespace stocklake {
namespace {

// librdkafka's mock cluster, owned by a dummy client handle of this process.
class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  void CreateTopic(const std::string& name, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mc_, name.c_str(), partitions, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

// A backend under test: the log, and how to make a topic exist before EnsureTopic sees it
// (the mock cluster times out CreateTopics; kafka_log_test covers that fallback).
struct Backend {
  std::unique_ptr<MessageLog> log;
  std::function<void(const std::string&, int)> prepare_topic = [](const std::string&, int) {};
};

class Harness {
 public:
  virtual ~Harness() = default;
  virtual Backend Open() = 0;
};

class FileHarness : public Harness {
 public:
  Backend Open() override {
    auto log = OpenFileLog(dir_.path());
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return Backend{std::move(*log)};
  }

 private:
  testing::TempDir dir_;
};

// One mock cluster for the whole suite (destroying one takes a second); every test uses
// its own topic and group names.
MockCluster& SharedCluster() {
  static MockCluster cluster(3);
  return cluster;
}

class KafkaHarness : public Harness {
 public:
  Backend Open() override {
    KafkaLogOptions options;
    options.properties["session.timeout.ms"] = "6000";
    options.request_timeout_ms = 20000;
    auto log = OpenKafkaLog(cluster_.bootstraps(), options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    Backend b{log.ok() ? std::move(*log) : nullptr};
    b.prepare_topic = [this](const std::string& topic, int partitions) { cluster_.CreateTopic(topic, partitions); };
    return b;
  }

 private:
  MockCluster& cluster_ = SharedCluster();
};

using Records = std::vector<LogRecord>;

class LogConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      harness_ = std::make_unique<FileHarness>();
    } else {
      harness_ = std::make_unique<KafkaHarness>();
    }
    backend_ = harness_->Open();
    ASSERT_NE(backend_.log, nullptr);
    log_ = backend_.log.get();
  }
  void TearDown() override {
    backend_.log.reset();
    harness_.reset();
  }

  void MakeTopic(const std::string& topic, int partitions) {
    backend_.prepare_topic(topic, partitions);
    ASSERT_TRUE(log_->EnsureTopic(topic, partitions).ok());
  }

  // Every record of a partition, read with Fetch calls of `max_bytes`.
  Records ReadAll(const std::string& topic, int partition, int64_t from, size_t max_bytes) {
    Records all;
    auto end = log_->EndOffset(topic, partition);
    EXPECT_TRUE(end.ok()) << end.status().ToString();
    int64_t offset = from;
    while (end.ok() && offset < *end) {
      auto got = log_->Fetch(topic, partition, offset, max_bytes);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;
      for (auto& r : *got) {
        offset = r.offset + 1;
        all.push_back(std::move(r));
      }
    }
    return all;
  }

  std::unique_ptr<Harness> harness_;
  Backend backend_;
  MessageLog* log_ = nullptr;
};

std::string ValueFor(int i) { return "value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x'); }

TEST_P(LogConformance, RoundTripsRecordsByKeyAcrossPartitions) {
  const std::string topic = "round-trip";
  const int partitions = 4;
  MakeTopic(topic, partitions);
  auto count = log_->PartitionCount(topic);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, partitions);

  std::vector<Records> model(partitions);
  for (int i = 0; i < 300; ++i) {
    const std::string key = "TICK" + std::to_string(i % 23);
    const int p = PartitionForKey(key, partitions);
    ASSERT_TRUE(log_->Produce(topic, p, key, ValueFor(i)).ok());
    model[p].push_back({static_cast<int64_t>(model[p].size()), key, ValueFor(i)});
  }
  ASSERT_TRUE(log_->Flush().ok());

  for (int p = 0; p < partitions; ++p) {
    SCOPED_TRACE("partition " + std::to_string(p));
    auto begin = log_->BeginOffset(topic, p);
    auto end = log_->EndOffset(topic, p);
    ASSERT_TRUE(begin.ok() && end.ok());
    EXPECT_EQ(*begin, 0);
    EXPECT_EQ(*end, static_cast<int64_t>(model[p].size()));
    const Records got = ReadAll(topic, p, 0, 1 << 20);
    ASSERT_EQ(got.size(), model[p].size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].offset, model[p][i].offset);
      EXPECT_EQ(got[i].key, model[p][i].key);
      EXPECT_EQ(got[i].value, model[p][i].value);
      EXPECT_EQ(PartitionForKey(got[i].key, partitions), p);
    }
    // Any offset inside the partition is a valid start, also going backwards.
    if (model[p].size() > 10) {
      for (const int64_t from : {int64_t{7}, int64_t{3}, static_cast<int64_t>(model[p].size()) - 1}) {
        const Records tail = ReadAll(topic, p, from, 1 << 20);
        ASSERT_EQ(tail.size(), model[p].size() - static_cast<size_t>(from));
        EXPECT_EQ(tail.front().offset, from);
        EXPECT_EQ(tail.front().value, model[p][static_cast<size_t>(from)].value);
      }
    }
  }
}

TEST_P(LogConformance, FetchRespectsMaxBytesButReturnsAtLeastOneRecord) {
  const std::string topic = "max-bytes";
  MakeTopic(topic, 1);
  const std::string value(1000, 'v');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log_->Produce(topic, 0, "k", value + std::to_string(i)).ok());
  ASSERT_TRUE(log_->Flush().ok());

  auto one = log_->Fetch(topic, 0, 0, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().value, value + "0");

  // 2500 bytes hold two 1001-byte values but not three.
  auto two = log_->Fetch(topic, 0, 1, 2500);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].offset, 1);
  EXPECT_EQ((*two)[1].offset, 2);

  const Records all = ReadAll(topic, 0, 3, 3000);
  ASSERT_EQ(all.size(), 17u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].offset, static_cast<int64_t>(i + 3));
    EXPECT_EQ(all[i].value, value + std::to_string(i + 3));
  }
}

TEST_P(LogConformance, FetchAtTheEndIsEmptyAndBeyondItIsAnError) {
  const std::string topic = "at-end";
  MakeTopic(topic, 2);
  auto empty = log_->Fetch(topic, 1, 0, 1 << 20);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  auto end = log_->EndOffset(topic, 1);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log_->Produce(topic, 1, "k", "v" + std::to_string(i)).ok());
  ASSERT_TRUE(log_->Flush().ok());
  auto at_end = log_->Fetch(topic, 1, 3, 1 << 20);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->empty());
  auto beyond = log_->Fetch(topic, 1, 4, 1 << 20);
  EXPECT_TRUE(beyond.status().IsInvalidArgument()) << beyond.status().ToString();
  // Producing more after reading to the end continues at the next offset.
  ASSERT_TRUE(log_->Produce(topic, 1, "k", "v3").ok());
  ASSERT_TRUE(log_->Flush().ok());
  auto more = log_->Fetch(topic, 1, 3, 1 << 20);
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(more->size(), 1u);
  EXPECT_EQ(more->front().offset, 3);
  EXPECT_EQ(more->front().value, "v3");
}

TEST_P(LogConformance, UnknownTopicsAndPartitionsAreErrors) {
  EXPECT_TRUE(log_->PartitionCount("no-such-topic").status().IsNotFound());
  MakeTopic("small", 2);
  EXPECT_FALSE(log_->EndOffset("small", 5).ok());
  EXPECT_FALSE(log_->Fetch("small", 5, 0, 100).ok());
  // EnsureTopic on an existing topic keeps it.
  EXPECT_TRUE(log_->EnsureTopic("small", 2).ok());
  auto count = log_->PartitionCount("small");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 2);
}

TEST_P(LogConformance, CommittedOffsetsArePerGroupTopicAndPartition) {
  const std::string topic = "commits";
  MakeTopic(topic, 3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log_->Produce(topic, i % 3, "k", "v").ok());
  ASSERT_TRUE(log_->Flush().ok());

  auto never = log_->CommittedOffset("group-a", topic, 0);
  ASSERT_TRUE(never.ok()) << never.status().ToString();
  EXPECT_EQ(*never, 0);
  auto unknown_topic = log_->CommittedOffset("group-a", "no-such-topic", 0);
  ASSERT_TRUE(unknown_topic.ok()) << unknown_topic.status().ToString();
  EXPECT_EQ(*unknown_topic, 0);

  ASSERT_TRUE(log_->CommitOffset("group-a", topic, 0, 3).ok());
  ASSERT_TRUE(log_->CommitOffset("group-a", topic, 2, 2).ok());
  ASSERT_TRUE(log_->CommitOffset("group-b", topic, 0, 1).ok());
  auto a0 = log_->CommittedOffset("group-a", topic, 0);
  auto a1 = log_->CommittedOffset("group-a", topic, 1);
  auto a2 = log_->CommittedOffset("group-a", topic, 2);
  auto b0 = log_->CommittedOffset("group-b", topic, 0);
  ASSERT_TRUE(a0.ok() && a1.ok() && a2.ok() && b0.ok());
  EXPECT_EQ(*a0, 3);
  EXPECT_EQ(*a1, 0);
  EXPECT_EQ(*a2, 2);
  EXPECT_EQ(*b0, 1);
  // A later commit replaces the earlier one.
  ASSERT_TRUE(log_->CommitOffset("group-a", topic, 0, 4).ok());
  auto again = log_->CommittedOffset("group-a", topic, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 4);
}

TEST_P(LogConformance, CommittedOffsetsOutliveTheLogObject) {
  const std::string topic = "durable-commits";
  MakeTopic(topic, 1);
  ASSERT_TRUE(log_->Produce(topic, 0, "k", "v").ok());
  ASSERT_TRUE(log_->Flush().ok());
  ASSERT_TRUE(log_->CommitOffset("group-d", topic, 0, 1).ok());
  backend_.log.reset();
  backend_ = harness_->Open();
  log_ = backend_.log.get();
  ASSERT_NE(log_, nullptr);
  auto committed = log_->CommittedOffset("group-d", topic, 0);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(*committed, 1);
  auto end = log_->EndOffset(topic, 0);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 1);
}

TEST_P(LogConformance, ConcurrentProducersAndFetchersLoseNothing) {
  const std::string topic = "concurrent";
  const int partitions = 4;
  MakeTopic(topic, partitions);
  const int per_thread = 400;
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string key = "T" + std::to_string(t) + "-" + std::to_string(i % 17);
        EXPECT_TRUE(
            log_->Produce(topic, PartitionForKey(key, partitions), key, std::to_string(t) + ":" + std::to_string(i))
                .ok());
      }
    });
  }
  for (auto& th : producers) th.join();
  ASSERT_TRUE(log_->Flush().ok());

  std::vector<Records> read(partitions);
  std::vector<std::thread> fetchers;
  for (int t = 0; t < 2; ++t) {
    fetchers.emplace_back([&, t] {
      for (int p = t; p < partitions; p += 2) read[p] = ReadAll(topic, p, 0, 700);
    });
  }
  for (auto& th : fetchers) th.join();

  // Every record once, each producer's records of one key in production order.
  std::map<std::string, int> last_by_key;
  size_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    for (size_t i = 0; i < read[p].size(); ++i) {
      const LogRecord& r = read[p][i];
      EXPECT_EQ(r.offset, static_cast<int64_t>(i));
      EXPECT_EQ(PartitionForKey(r.key, partitions), p);
      const int seq = std::stoi(r.value.substr(r.value.find(':') + 1));
      auto [it, fresh] = last_by_key.emplace(r.key, seq);
      if (!fresh) {
        EXPECT_GT(seq, it->second) << r.key;
        it->second = seq;
      }
    }
    total += read[p].size();
  }
  EXPECT_EQ(total, static_cast<size_t>(2 * per_thread));
}

INSTANTIATE_TEST_SUITE_P(Backends, LogConformance, ::testing::Values("file", "kafka"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace stocklake
