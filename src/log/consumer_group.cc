#include "log/consumer_group.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "log/kafka_handles.h"

namespace stocklake {

Result<int64_t> LogGroupOffsets::Committed(const std::string& topic, int partition) {
  return log_->CommittedOffset(group_, topic, partition);
}

Status LogGroupOffsets::Commit(const std::string& topic, const std::vector<std::pair<int, int64_t>>& offsets) {
  for (const auto& [partition, next] : offsets) SL_RETURN_IF_ERROR(log_->CommitOffset(group_, topic, partition, next));
  return Status::OK();
}

namespace {

using Clock = std::chrono::steady_clock;

using kafka::PartitionList;

// The group moved on without this member: its generation is over.
bool OwnershipLost(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID ||
         err == RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST || err == RD_KAFKA_RESP_ERR__STATE;
}

// The coordinator is moving or a broker is restarting: the same commit succeeds later.
bool Transient(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__WAIT_COORD || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS || err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         err == RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION;
}

class KafkaGroupMember final : public GroupMember {
 public:
  KafkaGroupMember(std::string group, std::string topic, int request_timeout_ms)
      : group_(std::move(group)), topic_(std::move(topic)), request_timeout_ms_(request_timeout_ms) {}
  ~KafkaGroupMember() override { Leave(); }

  Status Init(const std::string& bootstrap, const KafkaLogOptions& options) {
    SL_ASSIGN_OR_RETURN(KafkaConf conf, BuildKafkaConf(bootstrap, options, KafkaRole::kConsumer, group_));
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), OnRebalance);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
    if (rk_ == nullptr) return Status::InvalidArgument(std::string("cannot create a Kafka consumer: ") + err);
    conf.release();
    rd_kafka_poll_set_consumer(rk_);
    PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t sub = rd_kafka_subscribe(rk_, topics.get());
    if (sub != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::IOError("cannot subscribe group '" + group_ + "' to topic '" + topic_ +
                             "': " + rd_kafka_err2str(sub));
    }
    return Status::OK();
  }

  Result<std::vector<int>> Poll(int wait_ms) override {
    if (rk_ == nullptr) return Status::Aborted("the member left group '" + group_ + "'");
    const auto until = Clock::now() + std::chrono::milliseconds(wait_ms);
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_, static_cast<int>(std::max<int64_t>(left, 0)));
      if (msg == nullptr) break;  // nothing happened within the wait
      const rd_kafka_resp_err_t err = msg->err;
      // Records fetched before the pause took effect are dropped: the stages read by
      // offset range through the log, from the committed offsets.
      std::string text = err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_message_errstr(msg) : "";
      rd_kafka_message_destroy(msg);
      if (err == RD_KAFKA_RESP_ERR__FATAL) return Status::IOError("Kafka consumer of group '" + group_ + "': " + text);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::fprintf(stderr, "kafka group %s: %s (retrying)\n", group_.c_str(), text.c_str());
      }
    } while (Clock::now() < until);
    return owned_;
  }

  Result<int64_t> Committed(const std::string& topic, int partition) override {
    const auto deadline = Clock::now() + std::chrono::milliseconds(request_timeout_ms_);
    while (true) {
      PartitionList list(rd_kafka_topic_partition_list_new(1));
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
      rd_kafka_resp_err_t err = rd_kafka_committed(rk_, list.get(), 5000);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (list->elems[0].offset >= 0) return list->elems[0].offset;
        int64_t low = 0, high = 0;
        err = rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &low, &high, 5000);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return low;
      }
      if (!Transient(err) || Clock::now() >= deadline) {
        return Status::IOError("committed offset of group '" + group_ + "' for " + topic + ":" +
                               std::to_string(partition) + ": " + rd_kafka_err2str(err));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Status Commit(const std::string& topic, const std::vector<std::pair<int, int64_t>>& offsets) override {
    if (offsets.empty()) return Status::OK();
    const auto deadline = Clock::now() + std::chrono::milliseconds(request_timeout_ms_);
    while (true) {
      PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
      for (const auto& [partition, next] : offsets) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = next;
      }
      rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.get(), 0);
      for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) err = list->elems[i].err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
      if (OwnershipLost(err)) {
        return Status::Aborted("group '" + group_ + "' refused the commit on " + topic + " (" + rd_kafka_err2str(err) +
                               "): the partitions changed owner, and the new owner redoes this work");
      }
      if (!Transient(err) || Clock::now() >= deadline) {
        return Status::IOError("commit of group '" + group_ + "' on " + topic + " failed: " + rd_kafka_err2str(err));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  void Leave() override {
    if (rk_ == nullptr) return;
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
    owned_.clear();
  }

 private:
  // Served inside rd_kafka_consumer_poll, on the thread that calls Poll.
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                          void* opaque) {
    auto* self = static_cast<KafkaGroupMember*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(rk, partitions);
      // The member only owns; the stages fetch. A paused partition stays paused across
      // rebalances, so pausing each new assignment is enough.
      rd_kafka_pause_partitions(rk, partitions);
      self->owned_.clear();
      for (int i = 0; i < partitions->cnt; ++i) {
        if (self->topic_ == partitions->elems[i].topic) self->owned_.push_back(partitions->elems[i].partition);
      }
      std::sort(self->owned_.begin(), self->owned_.end());
    } else {
      rd_kafka_assign(rk, nullptr);
      self->owned_.clear();
    }
  }

  const std::string group_;
  const std::string topic_;
  const int request_timeout_ms_;
  rd_kafka_t* rk_ = nullptr;
  std::vector<int> owned_;
};

class SoleMember final : public GroupMember {
 public:
  SoleMember(MessageLog* log, std::string group, std::string topic)
      : offsets_(log, std::move(group)), log_(log), topic_(std::move(topic)) {}

  Result<std::vector<int>> Poll(int wait_ms) override {
    if (left_) return Status::Aborted("the member left its group");
    // Nothing can change the assignment of the only member: the first call answers at
    // once, later ones wait as a real member's would (the services' idle wait).
    if (joined_) std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    joined_ = true;
    auto count = log_->PartitionCount(topic_);
    if (!count.ok()) {
      if (count.status().IsNotFound()) return std::vector<int>{};
      return count.status();
    }
    std::vector<int> all(static_cast<size_t>(*count));
    for (int p = 0; p < *count; ++p) all[static_cast<size_t>(p)] = p;
    return all;
  }
  Result<int64_t> Committed(const std::string& topic, int partition) override {
    return offsets_.Committed(topic, partition);
  }
  Status Commit(const std::string& topic, const std::vector<std::pair<int, int64_t>>& offsets) override {
    return offsets_.Commit(topic, offsets);
  }
  void Leave() override { left_ = true; }

 private:
  LogGroupOffsets offsets_;
  MessageLog* log_;
  std::string topic_;
  bool joined_ = false;
  bool left_ = false;
};

}  // namespace

Result<std::unique_ptr<GroupMember>> JoinKafkaGroup(const std::string& bootstrap_servers,
                                                    const KafkaLogOptions& options, const std::string& group,
                                                    const std::string& topic) {
  auto member = std::make_unique<KafkaGroupMember>(group, topic, options.request_timeout_ms);
  SL_RETURN_IF_ERROR(member->Init(bootstrap_servers, options));
  return std::unique_ptr<GroupMember>(std::move(member));
}

Result<std::unique_ptr<GroupMember>> SoleGroupMember(MessageLog* log, const std::string& group,
                                                     const std::string& topic) {
  return std::unique_ptr<GroupMember>(std::make_unique<SoleMember>(log, group, topic));
}

}  // namespace stocklake
