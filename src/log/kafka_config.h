// How the Kafka backend configures librdkafka: the options of a kafka:// log, the URL that
// names one, and the client configurations built from our defaults plus any librdkafka
// property passed through (a properties file, STOCKLAKE_KAFKA_* environment variables), so
// SASL/SSL and tuning need no code change.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace stocklake {

struct KafkaLogOptions {
  //! Replication factor of topics this log creates; -1 = the cluster's default.
  int replication = -1;
  //! librdkafka properties file: `key=value` lines, `#` comments, blank lines ignored.
  std::string config_file;
  //! Properties set by code (tests, embedding programs); they override the file and the
  //! environment.
  std::map<std::string, std::string> properties;
  //! How long EnsureTopic waits for CreateTopics before falling back to auto-creation.
  int admin_timeout_ms = 5000;
  //! Longest wait of one call for the cluster (a record known to exist, a watermark, a
  //! commit, the delivery of what Flush waits for is bounded by message.timeout.ms instead).
  int request_timeout_ms = 120000;
};

//! Which kind of client a configuration is for: role-specific defaults go only where they
//! apply so librdkafka prints no "property will be ignored" warnings for ours.
enum class KafkaRole { kProducer, kConsumer };

//! What a `kafka://HOST:PORT[,HOST:PORT...][?replication=N&config=PATH&timeout_ms=MS]` URL
//! says: KafkaLogOptions' replication, config_file and request_timeout_ms.
struct KafkaUrl {
  std::string bootstrap_servers;  // "HOST:PORT,HOST:PORT"
  KafkaLogOptions options;
};

//! Parses a kafka:// URL. InvalidArgument (naming the URL and the expected form) for a
//! missing host or port or an unknown query key.
Result<KafkaUrl> ParseKafkaUrl(const std::string& url);

//! The environment variable name of a librdkafka property and back:
//! sasl.mechanisms <-> STOCKLAKE_KAFKA_SASL_MECHANISMS (no librdkafka property has `_`).
std::string KafkaPropertyFromEnvName(std::string_view env_name_after_prefix);

//! True for properties whose values must never appear in messages or logs (passwords,
//! private keys, OAuth secrets).
bool IsSecretKafkaProperty(std::string_view key);

//! The pass-through properties in the order they apply (later wins): the properties file,
//! then STOCKLAKE_KAFKA_* variables of the current environment, then options.properties.
//! IOError when the file cannot be read, InvalidArgument (file:line) for a line with no `=`.
Result<std::vector<std::pair<std::string, std::string>>> CollectKafkaProperties(const KafkaLogOptions& options);

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;

//! A client configuration: our defaults for `role` (idempotent lz4 producer with acks=all;
//! consumer that never auto-commits), then the pass-through properties, then
//! bootstrap.servers and, for a consumer, group.id when not empty. InvalidArgument naming
//! the property (never a secret value) when librdkafka rejects one.
Result<KafkaConf> BuildKafkaConf(const std::string& bootstrap_servers, const KafkaLogOptions& options, KafkaRole role,
                                 const std::string& group_id = "");

//! The value librdkafka holds for `key` in `conf`; NotFound for an unknown property.
Result<std::string> KafkaConfValue(const rd_kafka_conf_t* conf, const std::string& key);

}  // namespace stocklake
