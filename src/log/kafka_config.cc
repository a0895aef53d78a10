#include "log/kafka_config.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/files.h"

extern char** environ;

namespace stocklake {

namespace {

constexpr std::string_view kEnvPrefix = "STOCKLAKE_KAFKA_";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// librdkafka logs through this instead of its default stderr printer: warnings and worse
// only, and not the notice that a pass-through property does not apply to this client
// kind (every property goes to every client).
void LogToStderr(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  if (level > 4) return;
  if (std::strstr(message, "property and will be ignored") != nullptr) return;
  // Connection failures also reach the log's error callback, which reports them rate-limited.
  if (std::strcmp(facility, "FAIL") == 0) return;
  // Brokers before 0.11 (and the mock cluster) cannot be asked not to create topics; the
  // log asks for all topics where that matters.
  if (std::strstr(message, "allow.auto.create.topics=false not supported") != nullptr) return;
  std::fprintf(stderr, "kafka %s %s: %s\n", rd_kafka_name(rk), facility, message);
}

bool ParseInt(std::string_view s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int sign = 1;
  if (s.front() == '-') {
    sign = -1;
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = sign * v;
  return true;
}

struct Default {
  const char* key;
  const char* value;
};

// Producer: idempotent (no duplicates or reordering on retries), acks from every in-sync
// replica, lz4 (fast enough to keep up with a 1M bars/s producer), and short lingering
// so full batches form without delaying Flush. A record holds up to 32768 bars (about
// 2.3 MB encoded), above librdkafka's 1 MB default, hence message.max.bytes.
constexpr Default kProducerDefaults[] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"compression.type", "lz4"},
    {"linger.ms", "10"},
    {"batch.num.messages", "10000"},
    {"message.max.bytes", "16777216"},
    {"queue.buffering.max.kbytes", "262144"},
};

// Consumer: never commits or stores offsets by itself (stages commit after their output is
// durable), reading below the retained range is an error instead of a silent reset, and
// per-partition prefetch is bounded because Fetch may start many partitions.
constexpr Default kConsumerDefaults[] = {
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
    {"auto.offset.reset", "error"},
    {"allow.auto.create.topics", "false"},
    {"fetch.wait.max.ms", "50"},
    {"max.partition.fetch.bytes", "8388608"},
    {"queued.max.messages.kbytes", "16384"},
    {"receive.message.max.bytes", "100000000"},
};

Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK) return Status::OK();
  std::string why = err;
  if (IsSecretKafkaProperty(key) || (!value.empty() && why.find(value) != std::string::npos)) {
    why = "librdkafka rejected the value (not shown: it may be a secret)";
  }
  return Status::InvalidArgument("Kafka property " + key + ": " + why +
                                 "; check the properties file and STOCKLAKE_KAFKA_* environment variables");
}

}  // namespace

Result<KafkaUrl> ParseKafkaUrl(const std::string& url) {
  const std::string expected = "expected kafka://HOST:PORT[,HOST:PORT...][?replication=N&config=PATH&timeout_ms=MS]";
  if (!url.starts_with("kafka://")) return Status::InvalidArgument("--log " + url + ": " + expected);
  std::string_view rest = std::string_view(url).substr(8);
  std::string_view query;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  KafkaUrl out;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view server = rest.substr(0, comma);
    const size_t colon = server.rfind(':');
    int port = 0;
    if (server.empty() || colon == std::string_view::npos || colon == 0 || !ParseInt(server.substr(colon + 1), &port) ||
        port <= 0 || port > 65535) {
      return Status::InvalidArgument("--log " + url + ": bad broker address '" + std::string(server) + "'; " +
                                     expected);
    }
    if (!out.bootstrap_servers.empty()) out.bootstrap_servers += ',';
    out.bootstrap_servers += server;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "replication") {
      int r = 0;
      if (!ParseInt(value, &r) || (r < 1 && r != -1)) {
        return Status::InvalidArgument("--log " + url + ": replication must be a positive number (or -1); " + expected);
      }
      out.options.replication = r;
    } else if (key == "timeout_ms") {
      int ms = 0;
      if (!ParseInt(value, &ms) || ms < 1) {
        return Status::InvalidArgument("--log " + url + ": timeout_ms must be a positive number of milliseconds; " +
                                       expected);
      }
      out.options.request_timeout_ms = ms;
    } else if (key == "config") {
      if (value.empty()) return Status::InvalidArgument("--log " + url + ": config= needs a file path; " + expected);
      out.options.config_file = std::string(value);
    } else {
      return Status::InvalidArgument("--log " + url + ": unknown option '" + std::string(key) + "'; " + expected);
    }
  }
  return out;
}

std::string KafkaPropertyFromEnvName(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

bool IsSecretKafkaProperty(std::string_view key) {
  for (const std::string_view word : {"password", "secret", "ssl.key.pem", "ssl_key", "keystore", "oauthbearer.config",
                                      "sasl.oauthbearer.client.secret"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

Result<std::vector<std::pair<std::string, std::string>>> CollectKafkaProperties(const KafkaLogOptions& options) {
  std::vector<std::pair<std::string, std::string>> props;
  if (!options.config_file.empty()) {
    auto contents = ReadFileToString(options.config_file);
    if (!contents.ok()) return contents.status().WithContext("reading the Kafka properties file");
    std::string_view text = *contents;
    int line_no = 0;
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      ++line_no;
      line = Trim(line);
      if (line.empty() || line.front() == '#') continue;
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos || Trim(line.substr(0, eq)).empty()) {
        return Status::InvalidArgument(options.config_file + ":" + std::to_string(line_no) +
                                       ": expected key=value (librdkafka property), or a # comment");
      }
      props.emplace_back(std::string(Trim(line.substr(0, eq))), std::string(Trim(line.substr(eq + 1))));
    }
  }
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    const std::string_view entry(*env);
    if (!entry.starts_with(kEnvPrefix)) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == kEnvPrefix.size()) continue;
    props.emplace_back(KafkaPropertyFromEnvName(entry.substr(kEnvPrefix.size(), eq - kEnvPrefix.size())),
                       std::string(entry.substr(eq + 1)));
  }
  for (const auto& [key, value] : options.properties) props.emplace_back(key, value);
  return props;
}

Result<KafkaConf> BuildKafkaConf(const std::string& bootstrap_servers, const KafkaLogOptions& options, KafkaRole role,
                                 const std::string& group_id) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogToStderr);
  SL_RETURN_IF_ERROR(SetProperty(conf.get(), "client.id", "stocklake"));
  // A batch run waits on a restarted broker: reconnect within a second, not librdkafka's
  // 10 s back-off ceiling.
  SL_RETURN_IF_ERROR(SetProperty(conf.get(), "reconnect.backoff.max.ms", "1000"));
  if (role == KafkaRole::kProducer) {
    for (const Default& d : kProducerDefaults) SL_RETURN_IF_ERROR(SetProperty(conf.get(), d.key, d.value));
  } else {
    for (const Default& d : kConsumerDefaults) SL_RETURN_IF_ERROR(SetProperty(conf.get(), d.key, d.value));
  }
  SL_ASSIGN_OR_RETURN(auto props, CollectKafkaProperties(options));
  for (const auto& [key, value] : props) SL_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  SL_RETURN_IF_ERROR(SetProperty(conf.get(), "bootstrap.servers", bootstrap_servers));
  if (role == KafkaRole::kConsumer && !group_id.empty()) {
    SL_RETURN_IF_ERROR(SetProperty(conf.get(), "group.id", group_id));
  }
  return conf;
}

Result<std::string> KafkaConfValue(const rd_kafka_conf_t* conf, const std::string& key) {
  size_t size = 0;
  if (rd_kafka_conf_get(conf, key.c_str(), nullptr, &size) != RD_KAFKA_CONF_OK) {
    return Status::NotFound("no Kafka property " + key);
  }
  std::string value(size, '\0');
  if (rd_kafka_conf_get(conf, key.c_str(), value.data(), &size) != RD_KAFKA_CONF_OK) {
    return Status::NotFound("no Kafka property " + key);
  }
  if (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

}  // namespace stocklake
