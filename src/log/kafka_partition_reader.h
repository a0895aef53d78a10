// Reading Kafka partitions by offset, for KafkaLog's Fetch and FetchAvailable: one legacy
// (per-partition) consumer whose partitions, once started at an offset, keep prefetching,
// so a read that continues where the previous one of that partition stopped streams
// instead of restarting the fetcher.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "log/kafka_handles.h"
#include "log/message_log.h"

namespace stocklake::kafka {

class PartitionReaders {
 public:
  using Clock = std::chrono::steady_clock;
  //! The partition's end offset after checking that an offset lies within its retained
  //! records (a request to the broker; NotFound / InvalidArgument when it does not).
  using CheckOffset = std::function<Result<int64_t>()>;
  //! The error for `what` not succeeding before the deadline.
  using TimeoutError = std::function<Status(const std::string& what)>;

  //! Reads through `client`, a consumer that never joins a group.
  explicit PartitionReaders(Client client) : client_(std::move(client)) {}
  //! Stops every started partition before the client goes.
  ~PartitionReaders();

  //! Records from `offset` up to `end` (the high watermark the caller was told), at most
  //! about `max_bytes` (at least one record), waiting for them until `deadline`; once it
  //! has something, a read does not wait longer than a second for more. A partition that
  //! caught up is stopped: its idle long-polling fetches would delay the others' starts.
  Result<std::vector<LogRecord>> ReadUpTo(const std::string& topic, int partition, int64_t offset, int64_t end,
                                          size_t max_bytes, Clock::time_point deadline, const TimeoutError& timeout);

  //! The records from `offset` already prefetched (at most about `max_bytes`, maybe none),
  //! without waiting, and the end offset as last seen. `check` runs only when the
  //! partition is (re)started there; it then stays started, prefetching, when caught up.
  Result<AvailableRecords> ReadAvailable(const std::string& topic, int partition, int64_t offset, size_t max_bytes,
                                         const CheckOffset& check);

 private:
  // Where the previous read of one partition stopped.
  struct Reader {
    std::mutex mu;
    bool started = false;
    int64_t next = -1;              // offset the next record handed out must have (or above)
    std::optional<LogRecord> held;  // consumed but did not fit the previous read's max_bytes
    int64_t known_end = 0;          // the highest end offset seen (ReadAvailable's lag figure)
  };
  struct Topic {
    TopicHandle handle;
    std::map<int, std::unique_ptr<Reader>> partitions;
  };

  // The topic's handle and the partition's reader, created on first use.
  Result<std::pair<rd_kafka_topic_t*, Reader*>> Find(const std::string& topic, int partition);
  // Starts reading at `offset` unless the reader is already there (then it keeps streaming).
  static Status Position(rd_kafka_topic_t* rkt, Reader* reader, const std::string& topic, int partition,
                         int64_t offset);
  // A consumed message as a record; none for one to skip (already handed out, end of
  // partition, a transient error); an error for the rest (the reader is stopped).
  static Result<std::optional<LogRecord>> Take(rd_kafka_topic_t* rkt, Reader* reader, rd_kafka_message_t* msg,
                                               const std::string& topic, int partition);
  // Appends a record unless it would take `out` past max_bytes (then it is held for the
  // next read); false when the caller should stop.
  static bool HandOut(Reader* reader, LogRecord record, size_t max_bytes, size_t* bytes, std::vector<LogRecord>* out);

  Client client_;
  std::mutex topics_mu_;
  std::map<std::string, Topic> topics_;
};

}  // namespace stocklake::kafka
