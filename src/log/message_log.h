// MessageLog: the Kafka-shaped interface the pipeline's stages talk through. Topics are
// split into partitions (keyed by ticker, see topics.h); each partition is an append-only
// sequence of records numbered by offset; consumer groups remember the next offset to read.
// Backends: the embedded file log (file_log.h) and Apache Kafka (kafka_log.h), behind the same calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace stocklake {

//! One record of a partition as returned by Fetch.
struct LogRecord {
  int64_t offset;
  std::string key;
  std::string value;
};

//! What FetchAvailable returns: the records at hand and the partition's end offset as last
//! seen (it may trail the log; never below the records' next offset).
struct AvailableRecords {
  std::vector<LogRecord> records;
  int64_t end_offset = 0;
};

//! A durable, partitioned, offset-addressed message log. Every method is thread-safe.
class MessageLog {
 public:
  virtual ~MessageLog() = default;

  //! Creates the topic with `partitions` partitions when missing; OK when it exists (its
  //! partition count is kept). Topic names use Kafka's alphabet [A-Za-z0-9._-].
  virtual Status EnsureTopic(const std::string& topic, int partitions) = 0;

  //! Number of partitions of an existing topic; NotFound when the topic does not exist.
  virtual Result<int> PartitionCount(const std::string& topic) = 0;

  //! Appends a record to a partition. Thread-safe (several producer threads at once). The
  //! record is visible to Fetch at once but not durable until Flush returns OK.
  virtual Status Produce(const std::string& topic, int partition, std::string_view key, std::string_view value) = 0;

  //! Makes everything produced so far durable (file backend: write + fsync of touched segments).
  virtual Status Flush() = 0;

  //! Offset the next produced record will get (= number of records ever appended; survives
  //! retention).
  virtual Result<int64_t> EndOffset(const std::string& topic, int partition) = 0;

  //! Oldest offset still retained (= EndOffset when nothing is retained).
  virtual Result<int64_t> BeginOffset(const std::string& topic, int partition) = 0;

  //! Records from `offset` on, in offset order, with at most about `max_bytes` of values (at
  //! least one record if any). Empty at EndOffset. Reading below BeginOffset (records deleted
  //! by retention) is NotFound with "out of range" in the message; above EndOffset is
  //! InvalidArgument. Corrupt stored data is Corruption naming topic:partition:offset.
  virtual Result<std::vector<LogRecord>> Fetch(const std::string& topic, int partition, int64_t offset,
                                               size_t max_bytes) = 0;

  //! A streaming reader's Fetch: the records from `offset` on that can be had without waiting
  //! for the log (at most about `max_bytes`, possibly none). A reader that asks again from
  //! where the previous call ended keeps streaming: Kafka keeps the partition started and
  //! prefetching, and asks the broker nothing. Out-of-range offsets fail as in Fetch.
  virtual Result<AvailableRecords> FetchAvailable(const std::string& topic, int partition, int64_t offset,
                                                  size_t max_bytes) {
    AvailableRecords out;
    SL_ASSIGN_OR_RETURN(out.end_offset, EndOffset(topic, partition));
    if (offset < out.end_offset) {
      SL_ASSIGN_OR_RETURN(out.records, Fetch(topic, partition, offset, max_bytes));
    } else if (offset > out.end_offset) {
      return Status::InvalidArgument(topic + ":" + std::to_string(partition) + ": offset " + std::to_string(offset) +
                                     " is beyond the end offset " + std::to_string(out.end_offset));
    }
    return out;
  }
  //! Consumer groups: the committed offset is the next offset to read. Durable when this returns.
  virtual Status CommitOffset(const std::string& group, const std::string& topic, int partition,
                              int64_t next_offset) = 0;

  //! The group's committed offset; BeginOffset (0 for an unknown topic) when it never committed.
  virtual Result<int64_t> CommittedOffset(const std::string& group, const std::string& topic, int partition) = 0;
};

}  // namespace stocklake
