// See kafka_partition_reader.h.
#include "log/kafka_partition_reader.h"

#include <algorithm>
#include <utility>

namespace stocklake::kafka {

PartitionReaders::~PartitionReaders() {
  for (auto& [name, topic] : topics_) {
    for (auto& [p, reader] : topic.partitions) {
      if (reader->started) rd_kafka_consume_stop(topic.handle.get(), p);
    }
    topic.handle.reset();
  }
  topics_.clear();
  client_.reset();
}

Result<std::pair<rd_kafka_topic_t*, PartitionReaders::Reader*>> PartitionReaders::Find(const std::string& topic,
                                                                                       int partition) {
  std::lock_guard<std::mutex> lock(topics_mu_);
  Topic& t = topics_[topic];
  if (!t.handle) {
    t.handle.reset(rd_kafka_topic_new(client_.get(), topic.c_str(), nullptr));
    if (!t.handle) {
      return Status::InvalidArgument("Kafka topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
    }
  }
  auto& slot = t.partitions[partition];
  if (!slot) slot = std::make_unique<Reader>();
  return std::make_pair(t.handle.get(), slot.get());
}

Status PartitionReaders::Position(rd_kafka_topic_t* rkt, Reader* reader, const std::string& topic, int partition,
                                  int64_t offset) {
  if (reader->started && reader->next == offset) return Status::OK();
  if (reader->started) rd_kafka_consume_stop(rkt, partition);
  reader->started = false;
  reader->held.reset();
  if (rd_kafka_consume_start(rkt, partition, offset) != 0) {
    return Status::IOError("Fetch " + Label(topic, partition, offset) +
                           ": cannot start reading: " + rd_kafka_err2str(rd_kafka_last_error()));
  }
  reader->started = true;
  reader->next = offset;
  return Status::OK();
}

Result<std::optional<LogRecord>> PartitionReaders::Take(rd_kafka_topic_t* rkt, Reader* reader, rd_kafka_message_t* msg,
                                                        const std::string& topic, int partition) {
  const rd_kafka_resp_err_t err = msg->err;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string text = rd_kafka_message_errstr(msg);
    rd_kafka_message_destroy(msg);
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF || Retriable(err)) return std::optional<LogRecord>();
    rd_kafka_consume_stop(rkt, partition);
    reader->started = false;
    if (err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE || err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
      return Status::NotFound("Fetch " + Label(topic, partition, reader->next) +
                              ": offset out of range (deleted by retention meanwhile?): " + text);
    }
    return Status::IOError("Fetch " + Label(topic, partition, reader->next) + ": " + text);
  }
  if (msg->offset < reader->next) {  // already handed out
    rd_kafka_message_destroy(msg);
    return std::optional<LogRecord>();
  }
  LogRecord record;
  record.offset = msg->offset;
  if (msg->key != nullptr) record.key.assign(static_cast<const char*>(msg->key), msg->key_len);
  if (msg->payload != nullptr) record.value.assign(static_cast<const char*>(msg->payload), msg->len);
  rd_kafka_message_destroy(msg);
  return std::optional<LogRecord>(std::move(record));
}

bool PartitionReaders::HandOut(Reader* reader, LogRecord record, size_t max_bytes, size_t* bytes,
                               std::vector<LogRecord>* out) {
  if (!out->empty() && *bytes + record.value.size() > max_bytes) {
    reader->held = std::move(record);
    return false;
  }
  *bytes += record.value.size();
  reader->next = record.offset + 1;
  out->push_back(std::move(record));
  return *bytes < max_bytes;
}

Result<std::vector<LogRecord>> PartitionReaders::ReadUpTo(const std::string& topic, int partition, int64_t offset,
                                                          int64_t end, size_t max_bytes, Clock::time_point deadline,
                                                          const TimeoutError& timeout) {
  std::vector<LogRecord> out;
  if (offset >= end) return out;
  SL_ASSIGN_OR_RETURN(auto found, Find(topic, partition));
  auto [rkt, reader] = found;
  std::lock_guard<std::mutex> lock(reader->mu);
  SL_RETURN_IF_ERROR(Position(rkt, reader, topic, partition, offset));

  size_t bytes = 0;
  auto last_progress = Clock::now();
  while (reader->next < end) {
    std::optional<LogRecord> record = std::move(reader->held);
    reader->held.reset();
    if (!record) {
      rd_kafka_message_t* msg = rd_kafka_consume(rkt, partition, 100);
      if (msg != nullptr) {
        SL_ASSIGN_OR_RETURN(record, Take(rkt, reader, msg, topic, partition));
      }
      if (!record) {
        const auto now = Clock::now();
        // Records below the high watermark exist; wait for them, except that one read
        // need not wait for all of them once it has something to return.
        if (!out.empty() && now - last_progress > std::chrono::seconds(1)) break;
        if (now >= deadline) {
          return timeout("reading " + Label(topic, partition, reader->next) + " (end offset " + std::to_string(end) +
                         ")");
        }
        continue;
      }
      last_progress = Clock::now();
    }
    if (!HandOut(reader, std::move(*record), max_bytes, &bytes, &out)) break;
  }
  if (reader->next >= end && !reader->held) {
    rd_kafka_consume_stop(rkt, partition);
    reader->started = false;
  }
  return out;
}

Result<AvailableRecords> PartitionReaders::ReadAvailable(const std::string& topic, int partition, int64_t offset,
                                                         size_t max_bytes, const CheckOffset& check) {
  SL_ASSIGN_OR_RETURN(auto found, Find(topic, partition));
  auto [rkt, reader] = found;
  std::lock_guard<std::mutex> lock(reader->mu);
  if (!reader->started || reader->next != offset) {
    SL_ASSIGN_OR_RETURN(const int64_t end, check());
    reader->known_end = std::max(reader->known_end, end);
  }
  SL_RETURN_IF_ERROR(Position(rkt, reader, topic, partition, offset));
  AvailableRecords out;
  size_t bytes = 0;
  while (true) {
    std::optional<LogRecord> record = std::move(reader->held);
    reader->held.reset();
    if (!record) {
      rd_kafka_message_t* msg = rd_kafka_consume(rkt, partition, 0);
      if (msg == nullptr) break;  // nothing prefetched yet: the next call takes it
      SL_ASSIGN_OR_RETURN(record, Take(rkt, reader, msg, topic, partition));
      if (!record) continue;
    }
    if (!HandOut(reader, std::move(*record), max_bytes, &bytes, &out.records)) break;
  }
  // The high watermark of the latest fetch response (none before the first): no request to
  // the broker.
  int64_t low = 0, high = 0;
  if (rd_kafka_get_watermark_offsets(client_.get(), topic.c_str(), partition, &low, &high) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    reader->known_end = std::max(reader->known_end, high);
  }
  out.end_offset = std::max(reader->known_end, reader->next);
  return out;
}

}  // namespace stocklake::kafka
