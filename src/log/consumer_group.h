// Consumer groups as the services use them: which partitions a worker owns, and where
// its position in them is kept.
//
// The stages read partitions by offset range through MessageLog::Fetch (bounded batches,
// the same code as the one-shot `stocklake run`). A GroupMember adds what a long-running
// worker needs on top: membership in a Kafka consumer group, so the group coordinator
// spreads the partitions (and with them the tickers) over the workers and moves them
// when a worker joins, leaves or dies; and commits made as that member, so Kafka fences
// a worker that lost its partitions (its commits are refused) and the group's lag shows
// in Kafka's own tools (kafka-consumer-groups.sh --describe --group NAME).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "log/kafka_config.h"
#include "log/message_log.h"

namespace stocklake {

//! Where a consumer keeps its position in a topic.
class ConsumerOffsets {
 public:
  virtual ~ConsumerOffsets() = default;
  //! The next offset to read; the partition's begin offset when nothing was committed.
  virtual Result<int64_t> Committed(const std::string& topic, int partition) = 0;
  //! Commits (partition, next offset) pairs durably. Aborted when the commit is refused
  //! because the partitions changed owner (a rebalance): the caller must not treat the
  //! work as done, and the new owner redoes it.
  virtual Status Commit(const std::string& topic, const std::vector<std::pair<int, int64_t>>& offsets) = 0;
};

//! The offsets of `group` kept by a MessageLog (CommitOffset / CommittedOffset): for the
//! one-shot run, the only consumer of its group.
class LogGroupOffsets final : public ConsumerOffsets {
 public:
  LogGroupOffsets(MessageLog* log, std::string group) : log_(log), group_(std::move(group)) {}
  Result<int64_t> Committed(const std::string& topic, int partition) override;
  Status Commit(const std::string& topic, const std::vector<std::pair<int, int64_t>>& offsets) override;

 private:
  MessageLog* log_;
  std::string group_;
};

//! A worker's membership in a consumer group subscribed to one topic.
class GroupMember : public ConsumerOffsets {
 public:
  //! Serves the group protocol (join, heartbeats, rebalances) for up to `wait_ms` and
  //! returns the partitions this member owns now, ascending (empty before the first
  //! assignment, or when the group has more members than partitions). Call it at least
  //! every max.poll.interval.ms, or the group evicts the member.
  virtual Result<std::vector<int>> Poll(int wait_ms) = 0;
  //! Leaves the group at once (the others take over without waiting for the session
  //! timeout). Commit first: nothing is committed here.
  virtual void Leave() = 0;
};

//! Joins `group` on the Kafka cluster at `bootstrap_servers` as a member subscribed to
//! `topic` (eager rebalancing; librdkafka's assignment strategy, "range" by default).
Result<std::unique_ptr<GroupMember>> JoinKafkaGroup(const std::string& bootstrap_servers,
                                                    const KafkaLogOptions& options, const std::string& group,
                                                    const std::string& topic);

//! The only member there can be: owns every partition of `topic` in `log` and commits
//! through it. For the embedded log, which one process holds at a time.
Result<std::unique_ptr<GroupMember>> SoleGroupMember(MessageLog* log, const std::string& group,
                                                     const std::string& topic);

}  // namespace stocklake
