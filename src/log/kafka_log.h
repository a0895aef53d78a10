// The Apache Kafka backend of MessageLog, on librdkafka's C API: the pipeline's stages run
// unchanged against a Kafka cluster (`--log kafka://HOST:PORT[,...]`).
//
// Mapping of the interface onto Kafka:
//   Produce          idempotent producer (acks=all, lz4), explicit partition; asynchronous,
//                    so a record is visible to Fetch only once delivered (after Flush)
//   Flush            rd_kafka_flush; any failed delivery since the log was opened is
//                    returned here and by every later Produce/Flush (records may be missing)
//   Begin/EndOffset  the partition's low/high watermarks, asked of the cluster
//   Fetch            a legacy (per-partition) consumer that keeps reading ahead from where
//                    the previous Fetch of that partition stopped
//   Commit/Committed the consumer group's committed offsets (synchronous OffsetCommit /
//                    OffsetFetch); nothing is ever committed automatically
//   EnsureTopic      Admin CreateTopics (KafkaLogOptions::replication); when the cluster
//                    refuses or times out, the broker's auto-creation; error if still missing
// Transient cluster errors (a broker down, a leader moving) are retried until
// KafkaLogOptions::request_timeout_ms; producer retries are librdkafka's (message.timeout.ms).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "log/kafka_config.h"
#include "log/message_log.h"

namespace stocklake {

//! Connects to the cluster at `bootstrap_servers` ("HOST:PORT,HOST:PORT"). IOError when no
//! broker answers within request_timeout_ms (at most 30 s); InvalidArgument for a bad
//! pass-through property. Thread-safe as MessageLog requires: Produce from any number of
//! threads, Fetch from several threads on different partitions.
Result<std::unique_ptr<MessageLog>> OpenKafkaLog(const std::string& bootstrap_servers,
                                                 const KafkaLogOptions& options = {});

}  // namespace stocklake
