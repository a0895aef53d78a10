// The Kafka backend's own behaviour, beyond the conformance suite shared with the file log:
// configuration pass-through, kafka:// URLs, topic creation on a cluster that refuses
// CreateTopics, agreement with librdkafka's partitioner, and riding out broker outages.
// Runs against librdkafka's mock cluster (3 brokers) in this process.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kafka_mock_cluster.h"
#include "log/kafka_config.h"
#include "log/kafka_log.h"
#include "log/topics.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::MockCluster;

// Shared by the tests (destroying a mock cluster takes a second); each uses its own topics.
MockCluster& Cluster() {
  static MockCluster cluster;
  return cluster;
}

KafkaLogOptions TestOptions() {
  KafkaLogOptions options;
  options.properties["session.timeout.ms"] = "6000";
  options.request_timeout_ms = 30000;
  return options;
}

std::unique_ptr<MessageLog> MustOpen(const KafkaLogOptions& options = TestOptions()) {
  auto log = OpenKafkaLog(Cluster().bootstraps(), options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

std::string ConfValue(const KafkaConf& conf, const std::string& key) {
  auto value = KafkaConfValue(conf.get(), key);
  EXPECT_TRUE(value.ok()) << key << ": " << value.status().ToString();
  return value.ok() ? *value : "";
}

// Sets environment variables for one scope.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {
    for (const auto& [k, v] : vars_) setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : vars_) unsetenv(k.c_str());
  }

 private:
  std::map<std::string, std::string> vars_;
};

TEST(KafkaConfig, DefaultsMakeAnIdempotentProducerAndANeverAutoCommittingConsumer) {
  auto producer = BuildKafkaConf("h:1", {}, KafkaRole::kProducer);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  EXPECT_EQ(ConfValue(*producer, "enable.idempotence"), "true");
  const std::string acks = ConfValue(*producer, "acks");
  EXPECT_TRUE(acks == "all" || acks == "-1") << acks;
  EXPECT_EQ(ConfValue(*producer, "compression.type"), "lz4");
  EXPECT_EQ(ConfValue(*producer, "bootstrap.servers"), "h:1");

  auto consumer = BuildKafkaConf("h:1,h:2", {}, KafkaRole::kConsumer, "my-group");
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  EXPECT_EQ(ConfValue(*consumer, "enable.auto.commit"), "false");
  EXPECT_EQ(ConfValue(*consumer, "enable.auto.offset.store"), "false");
  EXPECT_EQ(ConfValue(*consumer, "group.id"), "my-group");
  EXPECT_EQ(ConfValue(*consumer, "bootstrap.servers"), "h:1,h:2");
}

TEST(KafkaConfig, FileAndEnvironmentPropertiesReachLibrdkafkaInOrder) {
  testing::TempDir dir;
  const std::string file = dir.Join("client.properties");
  testing::WriteTextFile(file,
                         "# SASL over TLS for the production cluster\n"
                         "\n"
                         "sasl.mechanisms = SCRAM-SHA-256\n"
                         "socket.timeout.ms=12345\n"
                         "linger.ms=7\n"
                         "  compression.type=zstd  \n");
  KafkaLogOptions options;
  options.config_file = file;
  options.properties["linger.ms"] = "3";
  ScopedEnv env({{"STOCKLAKE_KAFKA_SASL_MECHANISMS", "PLAIN"},
                 {"STOCKLAKE_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
                 {"STOCKLAKE_KAFKA_SASL_USERNAME", "alice"},
                 {"STOCKLAKE_KAFKA_SASL_PASSWORD", "s3cret-pw"}});
  for (const KafkaRole role : {KafkaRole::kProducer, KafkaRole::kConsumer}) {
    auto conf = BuildKafkaConf("h:1", options, role);
    ASSERT_TRUE(conf.ok()) << conf.status().ToString();
    EXPECT_EQ(ConfValue(*conf, "sasl.mechanisms"), "PLAIN");  // environment over file
    EXPECT_EQ(ConfValue(*conf, "security.protocol"), "sasl_ssl");
    EXPECT_EQ(ConfValue(*conf, "sasl.username"), "alice");
    EXPECT_EQ(ConfValue(*conf, "socket.timeout.ms"), "12345");  // file over defaults
    EXPECT_EQ(ConfValue(*conf, "linger.ms"), "3");              // code over file
  }
  auto producer = BuildKafkaConf("h:1", options, KafkaRole::kProducer);
  ASSERT_TRUE(producer.ok());
  EXPECT_EQ(ConfValue(*producer, "compression.type"), "zstd");  // file over our lz4

  auto props = CollectKafkaProperties(options);
  ASSERT_TRUE(props.ok());
  bool saw_password = false;
  for (const auto& [k, v] : *props) saw_password |= (k == "sasl.password" && v == "s3cret-pw");
  EXPECT_TRUE(saw_password);
}

TEST(KafkaConfig, BadPropertiesAreClearErrorsThatShowNoSecret) {
  testing::TempDir dir;
  const std::string file = dir.Join("bad.properties");
  testing::WriteTextFile(file, "# ok\nlinger.ms=5\nthis line has no equals sign\n");
  KafkaLogOptions options;
  options.config_file = file;
  auto bad_line = BuildKafkaConf("h:1", options, KafkaRole::kProducer);
  EXPECT_TRUE(bad_line.status().IsInvalidArgument());
  EXPECT_NE(bad_line.status().message().find(file + ":3"), std::string::npos) << bad_line.status().ToString();

  options.config_file = dir.Join("missing.properties");
  auto missing = BuildKafkaConf("h:1", options, KafkaRole::kProducer);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.properties"), std::string::npos);

  KafkaLogOptions unknown;
  unknown.properties["no.such.property"] = "1";
  auto no_such = BuildKafkaConf("h:1", unknown, KafkaRole::kConsumer);
  EXPECT_TRUE(no_such.status().IsInvalidArgument());
  EXPECT_NE(no_such.status().message().find("no.such.property"), std::string::npos);

  // A rejected value is never echoed: it may be a secret put in the wrong property.
  KafkaLogOptions bad_value;
  bad_value.properties["acks"] = "hunter2-secret";
  auto rejected = BuildKafkaConf("h:1", bad_value, KafkaRole::kProducer);
  EXPECT_TRUE(rejected.status().IsInvalidArgument());
  EXPECT_NE(rejected.status().message().find("acks"), std::string::npos);
  EXPECT_EQ(rejected.status().message().find("hunter2"), std::string::npos) << rejected.status().ToString();

  EXPECT_TRUE(IsSecretKafkaProperty("sasl.password"));
  EXPECT_TRUE(IsSecretKafkaProperty("ssl.key.password"));
  EXPECT_TRUE(IsSecretKafkaProperty("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(IsSecretKafkaProperty("sasl.username"));
  EXPECT_EQ(KafkaPropertyFromEnvName("SASL_MECHANISMS"), "sasl.mechanisms");
  EXPECT_EQ(KafkaPropertyFromEnvName("SSL_CA_LOCATION"), "ssl.ca.location");
}

TEST(KafkaConfig, ParsesKafkaUrls) {
  auto one = ParseKafkaUrl("kafka://broker:9092");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->bootstrap_servers, "broker:9092");
  EXPECT_EQ(one->options.replication, -1);

  auto many =
      ParseKafkaUrl("kafka://a:1,b.example.com:9093,10.0.0.1:19092?replication=3&config=/etc/k.conf&timeout_ms=900");
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->bootstrap_servers, "a:1,b.example.com:9093,10.0.0.1:19092");
  EXPECT_EQ(many->options.replication, 3);
  EXPECT_EQ(many->options.config_file, "/etc/k.conf");
  EXPECT_EQ(many->options.request_timeout_ms, 900);

  for (const char* bad : {"kafka://", "kafka://host", "kafka://host:", "kafka://:9092", "kafka://h:99999",
                          "kafka://h:1,", "kafka://h:1?replication=0", "kafka://h:1?colour=red", "file:/x"}) {
    auto parsed = ParseKafkaUrl(bad);
    EXPECT_TRUE(parsed.status().IsInvalidArgument()) << bad;
    EXPECT_NE(parsed.status().message().find("kafka://HOST:PORT"), std::string::npos) << bad;
  }
}

TEST(KafkaLog, EnsureTopicFallsBackToAutoCreationWhenCreateTopicsTimesOut) {
  KafkaLogOptions options = TestOptions();
  options.admin_timeout_ms = 300;  // the mock never answers CreateTopics
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  // The mock auto-creates topics with 4 partitions.
  ASSERT_TRUE(log->EnsureTopic("made-on-demand", 4).ok());
  auto count = log->PartitionCount("made-on-demand");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 4);
  ASSERT_TRUE(log->Produce("made-on-demand", 3, "k", "v").ok());
  ASSERT_TRUE(log->Flush().ok());
  auto end = log->EndOffset("made-on-demand", 3);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 1);

  // Asked for 3, got the cluster's 4: producing by PartitionForKey(key, 3) would be wrong.
  const Status wrong = log->EnsureTopic("wrong-count", 3);
  EXPECT_TRUE(wrong.IsInvalidArgument()) << wrong.ToString();
  EXPECT_NE(wrong.message().find("4 partitions"), std::string::npos) << wrong.ToString();
}

TEST(KafkaLog, KeysLandWhereLibrdkafkasOwnPartitionerPutsThem) {
  const std::string topic = "partitioner";
  const int partitions = 7;
  Cluster().CreateTopic(topic, partitions);
  // A plain librdkafka producer choosing partitions itself (Java's default, murmur2).
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", Cluster().bootstraps().c_str(), err, sizeof err),
            RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof err), RD_KAFKA_CONF_OK);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(producer, nullptr) << err;
  std::vector<std::string> keys;
  for (int i = 0; i < 150; ++i)
    keys.push_back(i % 3 == 0 ? "T" + std::to_string(i) : "BRK.B-" + std::to_string(i * 7919));
  for (const std::string& key : keys) {
    ASSERT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(key.data()), key.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);

  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  size_t seen = 0;
  for (int p = 0; p < partitions; ++p) {
    auto records = log->Fetch(topic, p, 0, 1 << 20);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    for (const LogRecord& r : *records) {
      EXPECT_EQ(PartitionForKey(r.key, partitions), p) << r.key;
      ++seen;
    }
  }
  EXPECT_EQ(seen, keys.size());
}

TEST(KafkaLog, RidesOutAClusterWideOutage) {
  const std::string topic = "outage";
  Cluster().CreateTopic(topic, 3);
  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->EnsureTopic(topic, 3).ok());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(log->Produce(topic, i % 3, "k", "before-" + std::to_string(i)).ok());
  ASSERT_TRUE(log->Flush().ok());

  // Every broker down for 1.5 s: produce, flush, offsets, fetch and commits wait and retry.
  Cluster().SetAllBrokers(false);
  std::thread restore([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    Cluster().SetAllBrokers(true);
  });
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(log->Produce(topic, i % 3, "k", "during-" + std::to_string(i)).ok());
  const Status flushed = log->Flush();
  restore.join();
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
  for (int p = 0; p < 3; ++p) {
    auto end = log->EndOffset(topic, p);
    ASSERT_TRUE(end.ok()) << end.status().ToString();
    EXPECT_EQ(*end, 20);  // no record lost, none written twice by the retries
    auto records = log->Fetch(topic, p, 0, 1 << 20);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    ASSERT_EQ(records->size(), 20u);
    for (int i = 0; i < 20; ++i) {
      const int n = p + 3 * (i % 10);
      EXPECT_EQ((*records)[static_cast<size_t>(i)].value, (i < 10 ? "before-" : "during-") + std::to_string(n));
    }
  }
  Cluster().SetAllBrokers(false);
  std::thread restore_again([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    Cluster().SetAllBrokers(true);
  });
  const Status committed = log->CommitOffset("outage-group", topic, 1, 15);
  auto read_back = log->CommittedOffset("outage-group", topic, 1);
  auto fetched = log->Fetch(topic, 2, 5, 1 << 20);
  restore_again.join();
  EXPECT_TRUE(committed.ok()) << committed.ToString();
  ASSERT_TRUE(read_back.ok()) << read_back.status().ToString();
  EXPECT_EQ(*read_back, 15);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->size(), 15u);
}

TEST(KafkaLog, UndeliverableRecordsFailFlushAndEveryLaterCall) {
  const std::string topic = "undeliverable";
  Cluster().CreateTopic(topic, 2);
  KafkaLogOptions options = TestOptions();
  options.properties["message.timeout.ms"] = "800";
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->EnsureTopic(topic, 2).ok());
  Cluster().SetAllBrokers(false);
  ASSERT_TRUE(log->Produce(topic, 1, "AAPL", "lost").ok());
  const Status flushed = log->Flush();
  Cluster().SetAllBrokers(true);
  EXPECT_TRUE(flushed.IsIOError()) << flushed.ToString();
  EXPECT_NE(flushed.message().find("undeliverable:1"), std::string::npos) << flushed.ToString();
  EXPECT_NE(flushed.message().find("AAPL"), std::string::npos) << flushed.ToString();
  // Later records would sit after a gap: refuse them rather than report success.
  EXPECT_FALSE(log->Produce(topic, 0, "MSFT", "after").ok());
  EXPECT_FALSE(log->Flush().ok());
}

TEST(KafkaLog, ErrorsNameTopicPartitionAndOffset) {
  const std::string topic = "errors";
  Cluster().CreateTopic(topic, 1);
  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Produce(topic, 0, "k", "v").ok());
  ASSERT_TRUE(log->Flush().ok());
  auto beyond = log->Fetch(topic, 0, 9, 100);
  EXPECT_TRUE(beyond.status().IsInvalidArgument());
  EXPECT_NE(beyond.status().message().find("errors:0:9"), std::string::npos) << beyond.status().ToString();
  const Status negative = log->CommitOffset("g", topic, 0, -5);
  EXPECT_TRUE(negative.IsInvalidArgument());
  EXPECT_NE(negative.message().find("errors:0:-5"), std::string::npos) << negative.ToString();
  EXPECT_TRUE(log->PartitionCount("never-made").status().IsNotFound());
  EXPECT_FALSE(log->Produce(topic, 4, "k", "v").ok() && log->Flush().ok());
}

TEST(KafkaLog, UnreachableClusterFailsAtOpenWithinTheTimeout) {
  KafkaLogOptions options;
  options.request_timeout_ms = 1000;
  const auto start = std::chrono::steady_clock::now();
  auto log = OpenKafkaLog("127.0.0.1:1", options);
  EXPECT_TRUE(log.status().IsIOError()) << log.status().ToString();
  EXPECT_NE(log.status().message().find("cannot reach Kafka at 127.0.0.1:1"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace stocklake
