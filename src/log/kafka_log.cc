#include "log/kafka_log.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "log/kafka_handles.h"
#include "log/kafka_partition_reader.h"

namespace stocklake {

namespace {

using Clock = std::chrono::steady_clock;
using kafka::Client;
using kafka::Label;
using kafka::PartitionList;
using kafka::Retriable;
using kafka::TopicHandle;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
using Metadata = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

// A single network request waits at most this long before it is retried, so a request
// that went to a broker that just died does not use up the whole deadline.
constexpr int kAttemptMs = 2000;

class KafkaLog final : public MessageLog {
 public:
  KafkaLog(std::string bootstrap, KafkaLogOptions options)
      : bootstrap_(std::move(bootstrap)), options_(std::move(options)) {}
  ~KafkaLog() override;

  Status Init();

  Status EnsureTopic(const std::string& topic, int partitions) override;
  Result<int> PartitionCount(const std::string& topic) override;
  Status Produce(const std::string& topic, int partition, std::string_view key, std::string_view value) override;
  Status Flush() override;
  Result<int64_t> EndOffset(const std::string& topic, int partition) override;
  Result<int64_t> BeginOffset(const std::string& topic, int partition) override;
  Result<std::vector<LogRecord>> Fetch(const std::string& topic, int partition, int64_t offset,
                                       size_t max_bytes) override;
  Result<AvailableRecords> FetchAvailable(const std::string& topic, int partition, int64_t offset,
                                          size_t max_bytes) override;
  Status CommitOffset(const std::string& group, const std::string& topic, int partition, int64_t next_offset) override;
  Result<int64_t> CommittedOffset(const std::string& group, const std::string& topic, int partition) override;

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  Result<Client> NewClient(rd_kafka_type_t type, KafkaConf conf);
  Clock::time_point Deadline() const { return Clock::now() + std::chrono::milliseconds(options_.request_timeout_ms); }
  int AttemptMs(Clock::time_point deadline) const;
  std::string LastClientError();
  Status StickyError();
  Status Timeout(const std::string& what);

  // The end offset, after checking that `offset` is within the retained records.
  Result<int64_t> CheckFetchOffset(const std::string& topic, int partition, int64_t offset);
  Result<std::pair<int64_t, int64_t>> Watermarks(const std::string& topic, int partition);
  Result<int> MetadataPartitionCount(rd_kafka_t* rk, const std::string& topic);
  Status CreateTopic(const std::string& topic, int partitions);
  Status WarmProducer(const std::string& topic);
  Result<rd_kafka_t*> GroupClient(const std::string& group);

  const std::string bootstrap_;
  const KafkaLogOptions options_;
  Client producer_;
  std::unique_ptr<kafka::PartitionReaders> readers_;  // Fetch only; never joins a group
  // Watermarks and metadata. Not the reader: a broker answers one connection's requests in
  // order, so these would queue behind the reader's long-polling fetches.
  Client meta_;

  std::mutex topics_mu_;
  // Producer-side handles of the topics EnsureTopic saw, so the producer knows their
  // leaders before the first Produce instead of finding out on its 1 s topic scan.
  std::map<std::string, TopicHandle> producer_topics_;

  std::mutex groups_mu_;
  std::map<std::string, Client> groups_;  // one consumer per group name, for its offsets

  std::mutex errors_mu_;
  Status sticky_;                  // first failed delivery or fatal producer error
  std::string last_client_error_;  // latest transient error, to explain timeouts
  Clock::time_point last_error_print_{};
};

void KafkaLog::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  auto* self = static_cast<KafkaLog*>(opaque);
  std::lock_guard<std::mutex> lock(self->errors_mu_);
  if (!self->sticky_.ok()) return;
  std::string key(static_cast<const char*>(msg->key), msg->key_len);
  self->sticky_ =
      Status::IOError("Kafka: a record for " + Label(rd_kafka_topic_name(msg->rkt), msg->partition) + " (key '" + key +
                      "') was not delivered: " + rd_kafka_err2str(msg->err) +
                      "; records produced after it may be missing too. Check the cluster and run the stage again "
                      "(reruns are idempotent)");
}

void KafkaLog::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaLog*>(opaque);
  std::lock_guard<std::mutex> lock(self->errors_mu_);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, buf, sizeof buf);
    if (self->sticky_.ok()) {
      self->sticky_ = Status::IOError(std::string("Kafka producer failed for good (") + rd_kafka_err2name(fatal) +
                                      "): " + buf + "; records may be missing, run the stage again");
    }
    return;
  }
  self->last_client_error_ = reason;
  // A broker outage produces a stream of these while librdkafka retries; say it now and
  // then, not thousands of times.
  const auto now = Clock::now();
  if (now - self->last_error_print_ >= std::chrono::seconds(5)) {
    self->last_error_print_ = now;
    std::fprintf(stderr, "kafka %s: %s (retrying)\n", rd_kafka_name(rk), reason);
  }
}

KafkaLog::~KafkaLog() {
  readers_.reset();
  meta_.reset();
  producer_topics_.clear();
  if (producer_) {
    // What was never flushed is not promised to be durable; bound the wait on a dead cluster.
    if (rd_kafka_flush(producer_.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(producer_.get(), 1000);
    }
    producer_.reset();
  }
  for (auto& [name, client] : groups_) rd_kafka_consumer_close(client.get());
  groups_.clear();
}

Result<Client> KafkaLog::NewClient(rd_kafka_type_t type, KafkaConf conf) {
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_error_cb(conf.get(), OnError);
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) return Status::InvalidArgument(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it
  return Client(rk);
}

Status KafkaLog::Init() {
  SL_ASSIGN_OR_RETURN(KafkaConf producer_conf, BuildKafkaConf(bootstrap_, options_, KafkaRole::kProducer));
  SL_ASSIGN_OR_RETURN(producer_, NewClient(RD_KAFKA_PRODUCER, std::move(producer_conf)));
  SL_ASSIGN_OR_RETURN(KafkaConf reader_conf, BuildKafkaConf(bootstrap_, options_, KafkaRole::kConsumer));
  SL_ASSIGN_OR_RETURN(Client reader, NewClient(RD_KAFKA_CONSUMER, std::move(reader_conf)));
  readers_ = std::make_unique<kafka::PartitionReaders>(std::move(reader));
  SL_ASSIGN_OR_RETURN(KafkaConf meta_conf, BuildKafkaConf(bootstrap_, options_, KafkaRole::kConsumer));
  SL_ASSIGN_OR_RETURN(meta_, NewClient(RD_KAFKA_CONSUMER, std::move(meta_conf)));

  // Fail at open, not at the first stage, when nothing answers at the given address.
  const int wait_ms = std::min(options_.request_timeout_ms, 30000);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(meta_.get(), 0, nullptr, &md, wait_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError("cannot reach Kafka at " + bootstrap_ + " within " + std::to_string(wait_ms) +
                           " ms: " + rd_kafka_err2str(err) + " (" + LastClientError() +
                           "); check the address, that the brokers run, and the security properties "
                           "(STOCKLAKE_KAFKA_* or the properties file)");
  }
  rd_kafka_metadata_destroy(md);
  return Status::OK();
}

int KafkaLog::AttemptMs(Clock::time_point deadline) const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 1, kAttemptMs));
}

std::string KafkaLog::LastClientError() {
  std::lock_guard<std::mutex> lock(errors_mu_);
  return last_client_error_.empty() ? "no client error reported" : "last client error: " + last_client_error_;
}

Status KafkaLog::StickyError() {
  std::lock_guard<std::mutex> lock(errors_mu_);
  return sticky_;
}

Status KafkaLog::Timeout(const std::string& what) {
  return Status::IOError("Kafka at " + bootstrap_ + ": " + what + " did not succeed within " +
                         std::to_string(options_.request_timeout_ms) + " ms (" + LastClientError() +
                         "); check that the brokers are up");
}

Result<int> KafkaLog::MetadataPartitionCount(rd_kafka_t* rk, const std::string& topic) {
  const auto deadline = Deadline();
  while (true) {
    // Asks for all topics: a request naming one missing topic makes brokers older than
    // Metadata v4 (and the mock cluster) create it.
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &raw, AttemptMs(deadline));
    Metadata md(raw);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        if (topic != t.topic) continue;
        if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt > 0) return t.partition_cnt;
        err = t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART : t.err;
        break;
      }
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      return Status::NotFound("Kafka topic '" + topic + "' does not exist at " + bootstrap_);
    }
    if (!Retriable(err)) {
      return Status::IOError("Kafka topic '" + topic + "': metadata request failed: " + rd_kafka_err2str(err));
    }
    if (Clock::now() >= deadline) return Timeout("the metadata request for topic '" + topic + "'");
  }
}

Result<int> KafkaLog::PartitionCount(const std::string& topic) { return MetadataPartitionCount(meta_.get(), topic); }

Status KafkaLog::CreateTopic(const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, options_.replication, err, sizeof err);
  if (nt == nullptr) return Status::InvalidArgument("cannot create Kafka topic '" + topic + "': " + err);
  // Records of up to 32768 bars exceed the broker's 1 MB default; let the topic take what
  // the producer may send.
  auto max_bytes = KafkaConfValue(rd_kafka_conf(producer_.get()), "message.max.bytes");
  if (max_bytes.ok()) rd_kafka_NewTopic_set_config(nt, "max.message.bytes", max_bytes->c_str());
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(producer_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(admin, options_.admin_timeout_ms, err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(admin, options_.admin_timeout_ms, err, sizeof err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_.get());
  rd_kafka_CreateTopics(producer_.get(), &nt, 1, admin, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, options_.admin_timeout_ms + 2000);
  Status status = Status::IOError("CreateTopics got no answer");
  if (ev != nullptr) {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(ev);
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = Status::IOError(std::string("CreateTopics failed: ") + rd_kafka_event_error_string(ev));
    } else if (result != nullptr) {
      size_t n = 0;
      const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &n);
      status = Status::OK();
      for (size_t i = 0; i < n; ++i) {
        const rd_kafka_resp_err_t terr = rd_kafka_topic_result_error(topics[i]);
        if (terr != RD_KAFKA_RESP_ERR_NO_ERROR && terr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          const char* msg = rd_kafka_topic_result_error_string(topics[i]);
          status = Status::IOError(std::string("CreateTopics refused: ") + (msg ? msg : rd_kafka_err2str(terr)));
        }
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_NewTopic_destroy(nt);
  return status;
}

Status KafkaLog::EnsureTopic(const std::string& topic, int partitions) {
  if (partitions <= 0) return Status::InvalidArgument("topic '" + topic + "' needs at least one partition");
  auto existing = PartitionCount(topic);
  if (existing.ok()) return WarmProducer(topic);
  if (!existing.status().IsNotFound()) return existing.status();

  const Status created = CreateTopic(topic, partitions);
  if (!created.ok()) {
    // Clusters that refuse CreateTopics (ACLs, the mock cluster) may still create topics
    // on first use: a producer's metadata request for the topic asks for that.
    TopicHandle rkt(rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    if (rkt && rd_kafka_metadata(producer_.get(), 0, rkt.get(), &md, options_.admin_timeout_ms) ==
                   RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
    }
  }
  // Creation propagates to the brokers' metadata asynchronously.
  const auto until = Clock::now() + std::chrono::milliseconds(options_.admin_timeout_ms);
  Result<int> count = PartitionCount(topic);
  while (!count.ok() && count.status().IsNotFound() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    count = PartitionCount(topic);
  }
  if (!count.ok()) {
    if (!count.status().IsNotFound()) return count.status();
    return Status::NotFound(
        "Kafka topic '" + topic + "' does not exist at " + bootstrap_ + " and could not be created (" +
        (created.ok() ? "created, but never appeared" : created.message()) +
        "; auto-creation did not create it either); create it with " + std::to_string(partitions) +
        " partitions, e.g. kafka-topics.sh --create --topic " + topic + " --partitions " + std::to_string(partitions));
  }
  if (*count != partitions) {
    return Status::InvalidArgument("Kafka topic '" + topic + "' was created by the cluster with " +
                                   std::to_string(*count) + " partitions, not the " + std::to_string(partitions) +
                                   " asked for (CreateTopics: " + (created.ok() ? "OK" : created.message()) +
                                   "); delete it and create it with " + std::to_string(partitions) + " partitions");
  }
  return WarmProducer(topic);
}

Status KafkaLog::WarmProducer(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(topics_mu_);
    if (producer_topics_.count(topic) != 0) return Status::OK();
  }
  TopicHandle rkt(rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr));
  if (!rkt) return Status::InvalidArgument("Kafka topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
  // Best effort: on failure the producer finds the leaders by itself, only later.
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(producer_.get(), 0, rkt.get(), &md, kAttemptMs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
  }
  std::lock_guard<std::mutex> lock(topics_mu_);
  producer_topics_.emplace(topic, std::move(rkt));
  return Status::OK();
}

Status KafkaLog::Produce(const std::string& topic, int partition, std::string_view key, std::string_view value) {
  SL_RETURN_IF_ERROR(StickyError());
  if (partition < 0) return Status::InvalidArgument("Produce to " + Label(topic, partition) + ": bad partition");
  const auto deadline = Deadline();
  while (true) {
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Back-pressure: wait for deliveries to free the local queue.
      rd_kafka_poll(producer_.get(), 10);
      if (Clock::now() >= deadline) return Timeout("producing to " + Label(topic, partition) + " (local queue full)");
      continue;
    }
    SL_RETURN_IF_ERROR(StickyError());
    const std::string what = "Produce to " + Label(topic, partition) + " (key '" + std::string(key) + "', " +
                             std::to_string(value.size()) + " bytes): " + rd_kafka_err2str(err);
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
      return Status::InvalidArgument(what);
    }
    return Status::IOError(what);
  }
  rd_kafka_poll(producer_.get(), 0);  // serve delivery reports as we go
  return Status::OK();
}

Status KafkaLog::Flush() {
  // Each queued record ends delivered or failed within message.timeout.ms, so this ends.
  // Short waits: librdkafka 2.0's flush may miss the wake-up of the last delivery report
  // and sleep out its whole timeout.
  while (rd_kafka_flush(producer_.get(), 20) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    SL_RETURN_IF_ERROR(StickyError());
  }
  return StickyError();
}

Result<std::pair<int64_t, int64_t>> KafkaLog::Watermarks(const std::string& topic, int partition) {
  if (partition < 0) return Status::InvalidArgument(Label(topic, partition) + ": bad partition");
  const auto deadline = Deadline();
  while (true) {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(meta_.get(), topic.c_str(), partition, &low, &high, AttemptMs(deadline));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::make_pair(low, high);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
      return Status::NotFound(Label(topic, partition) + " does not exist at " + bootstrap_);
    }
    if (!Retriable(err)) {
      return Status::IOError("Kafka offsets of " + Label(topic, partition) + ": " + rd_kafka_err2str(err));
    }
    if (Clock::now() >= deadline) return Timeout("asking the offsets of " + Label(topic, partition));
  }
}

Result<int64_t> KafkaLog::EndOffset(const std::string& topic, int partition) {
  SL_ASSIGN_OR_RETURN(auto marks, Watermarks(topic, partition));
  return marks.second;
}

Result<int64_t> KafkaLog::BeginOffset(const std::string& topic, int partition) {
  SL_ASSIGN_OR_RETURN(auto marks, Watermarks(topic, partition));
  return marks.first;
}

Result<int64_t> KafkaLog::CheckFetchOffset(const std::string& topic, int partition, int64_t offset) {
  SL_ASSIGN_OR_RETURN(auto marks, Watermarks(topic, partition));
  const auto [low, high] = marks;
  if (offset < low) {
    return Status::NotFound("Fetch " + Label(topic, partition, offset) +
                            ": offset out of range, the partition holds [" + std::to_string(low) + ", " +
                            std::to_string(high) + "); older records were deleted by retention");
  }
  if (offset > high) {
    return Status::InvalidArgument("Fetch " + Label(topic, partition, offset) + ": beyond the end offset " +
                                   std::to_string(high));
  }
  return high;
}

Result<std::vector<LogRecord>> KafkaLog::Fetch(const std::string& topic, int partition, int64_t offset,
                                               size_t max_bytes) {
  SL_ASSIGN_OR_RETURN(const int64_t high, CheckFetchOffset(topic, partition, offset));
  return readers_->ReadUpTo(topic, partition, offset, high, max_bytes, Deadline(),
                            [this](const std::string& what) { return Timeout(what); });
}

Result<AvailableRecords> KafkaLog::FetchAvailable(const std::string& topic, int partition, int64_t offset,
                                                  size_t max_bytes) {
  return readers_->ReadAvailable(topic, partition, offset, max_bytes,
                                 [&] { return CheckFetchOffset(topic, partition, offset); });
}

Result<rd_kafka_t*> KafkaLog::GroupClient(const std::string& group) {
  if (group.empty()) return Status::InvalidArgument("consumer group name is empty");
  std::lock_guard<std::mutex> lock(groups_mu_);
  auto it = groups_.find(group);
  if (it != groups_.end()) return it->second.get();
  SL_ASSIGN_OR_RETURN(KafkaConf conf, BuildKafkaConf(bootstrap_, options_, KafkaRole::kConsumer, group));
  SL_ASSIGN_OR_RETURN(Client client, NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_t* rk = client.get();
  groups_.emplace(group, std::move(client));
  return rk;
}

Status KafkaLog::CommitOffset(const std::string& group, const std::string& topic, int partition, int64_t next_offset) {
  if (next_offset < 0) {
    return Status::InvalidArgument("commit of group '" + group + "' at " + Label(topic, partition, next_offset) +
                                   ": negative offset");
  }
  SL_ASSIGN_OR_RETURN(rd_kafka_t * rk, GroupClient(group));
  const auto deadline = Deadline();
  while (true) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = next_offset;
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk, list.get(), 0);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
    if (!Retriable(err)) {
      return Status::IOError("commit of group '" + group + "' at " + Label(topic, partition, next_offset) +
                             " failed: " + rd_kafka_err2str(err));
    }
    if (Clock::now() >= deadline) {
      return Timeout("the commit of group '" + group + "' at " + Label(topic, partition, next_offset));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<int64_t> KafkaLog::CommittedOffset(const std::string& group, const std::string& topic, int partition) {
  SL_ASSIGN_OR_RETURN(rd_kafka_t * rk, GroupClient(group));
  const auto deadline = Deadline();
  int64_t committed = RD_KAFKA_OFFSET_INVALID;
  while (true) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, list.get(), AttemptMs(deadline));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      committed = list->elems[0].offset;
      break;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) break;
    if (!Retriable(err)) {
      return Status::IOError("committed offset of group '" + group + "' for " + Label(topic, partition) + ": " +
                             rd_kafka_err2str(err));
    }
    if (Clock::now() >= deadline) {
      return Timeout("asking the committed offset of group '" + group + "' for " + Label(topic, partition));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (committed >= 0) return committed;
  // Not via BeginOffset alone: asking offsets of a missing topic may create it.
  auto exists = PartitionCount(topic);
  if (!exists.ok() && exists.status().IsNotFound()) return int64_t{0};
  auto begin = BeginOffset(topic, partition);
  if (!begin.ok() && begin.status().IsNotFound()) return int64_t{0};
  return begin;
}

}  // namespace

Result<std::unique_ptr<MessageLog>> OpenKafkaLog(const std::string& bootstrap_servers, const KafkaLogOptions& options) {
  if (bootstrap_servers.empty()) return Status::InvalidArgument("Kafka needs bootstrap servers (HOST:PORT[,...])");
  auto log = std::make_unique<KafkaLog>(bootstrap_servers, options);
  SL_RETURN_IF_ERROR(log->Init());
  return std::unique_ptr<MessageLog>(std::move(log));
}

}  // namespace stocklake
