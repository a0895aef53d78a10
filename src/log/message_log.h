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

  //! Consumer groups: the committed offset is the next offset to read. Durable when this returns.
  virtual Status CommitOffset(const std::string& group, const std::string& topic, int partition,
                              int64_t next_offset) = 0;

  //! The group's committed offset; BeginOffset (0 for an unknown topic) when it never committed.
  virtual Result<int64_t> CommittedOffset(const std::string& group, const std::string& topic, int partition) = 0;
};

}  // namespace stocklake
