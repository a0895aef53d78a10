// The speed layer's tools: `stocklake generate-trades` (a synthetic trade stream),
// `stocklake publish` (JSON lines into a topic) and `stocklake topic cat` (a topic's
// record values back out, one a line).
#include <charconv>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "core/duration.h"
#include "orchestrate/stream_service.h"
#include "orchestrate/stream_tools.h"
#include "stream/trade_event.h"
#include "stream/trade_generator.h"

namespace stocklake::cli {

namespace {

// A duration option (core/duration.h) as milliseconds; CLI11 reports the error with the
// option's name.
void AddDurationOption(CLI::App* cmd, const std::string& name, int64_t* out_ms, const std::string& description) {
  cmd->add_option_function<std::string>(
      name,
      [name, out_ms](const std::string& text) {
        if (!ParseDurationMillis(text, out_ms)) {
          throw CLI::ValidationError(name,
                                     "'" + text + "' is not a duration such as " + std::string(kDurationExamples));
        }
      },
      description);
}

}  // namespace

CommandRunner AddStreamCommand(CLI::App& app) {
  auto options = std::make_shared<StreamOptions>();
  auto* cmd =
      app.add_subcommand("stream", "The speed layer: trades -> event-time windows -> intraday_bars, exactly once");
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option("--log", options->log_url, "Message log: file:DIR or kafka://HOST:PORT (default <lake>/_log)");
  cmd->add_option("--store", options->store_url, "Serving store (default sqlite:<lake>/_store/stocklake.sqlite)")
      ->envname("STOCKLAKE_STORE");
  AddDurationOption(cmd, "--window", &options->window_ms, "Tumbling window length (default 60s)");
  AddDurationOption(cmd, "--lateness", &options->lateness_ms, "Allowed lateness behind a symbol's newest event (60s)");
  AddDurationOption(cmd, "--idle-close", &options->idle_close_ms,
                    "Finalise a symbol's open window after this long without its events (processing time)");
  AddDurationOption(cmd, "--lake-export", &options->lake_export_ms,
                    "How often final windows go to the lake's silver/intraday_bars (default 60s; 0: at stop only)");
  cmd->add_flag("--once", options->once, "Stop when every owned partition is caught up");
  cmd->add_option("--fetch-bytes", options->fetch_bytes, "Bytes read per partition and commit (default 4 MiB)")
      ->check(CLI::Range(static_cast<size_t>(1), static_cast<size_t>(1) << 30));
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    return RunUntilSignalled("stream", [&](const std::atomic<bool>& stop) {
      StreamReport report;
      Status status = RunStream(*options, stop, &report);
      if (status.ok()) {
        std::printf("stream: %lld accepted, %lld late, %lld invalid; %lld commits, %lld window updates\n",
                    static_cast<long long>(report.accepted), static_cast<long long>(report.late),
                    static_cast<long long>(report.invalid), static_cast<long long>(report.commits),
                    static_cast<long long>(report.bars_written));
      }
      return status;
    });
  };
}

CommandRunner AddGenerateTradesCommand(CLI::App& app) {
  auto options = std::make_shared<TradeGeneratorOptions>();
  auto start = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("generate-trades", "Write a synthetic trade stream as JSON lines (stream.md)");
  cmd->add_option("--out", options->out_path, "Output file (replaced)")->required();
  cmd->add_option("--events", options->events, "Number of lines")->required()->check(CLI::Range(0, 1000000000));
  cmd->add_option("--symbols", options->symbols, "Number of distinct symbols")
      ->required()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", options->seed, "Random seed: same seed, same bytes")->required();
  cmd->add_option("--rate", options->rate, "Events per second of event time (timestamp spacing; default 1000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--late", options->late_fraction, "Fraction of events sent 2..15 minutes back (late)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--bad", options->bad_fraction, "Fraction of invalid records (every kind)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--start", *start, "Event time of the first event, RFC 3339 (default 2025-01-02T14:30:00Z)");
  return [cmd, options, start]() -> int {
    if (!cmd->parsed()) return -1;
    if (!start->empty() && !ParseRfc3339Millis(*start, &options->start_ms)) {
      return ReportError("generate-trades",
                         Status::InvalidArgument("--start " + *start +
                                                 ": expected an RFC 3339 timestamp such as 2025-01-02T14:30:00Z"));
    }
    auto summary = GenerateTrades(*options);
    if (!summary.ok()) return ReportError("generate-trades", summary.status());
    std::printf("generated %lld trades (%lld late, %lld invalid), %lld bytes in %s\n",
                static_cast<long long>(summary->events), static_cast<long long>(summary->late),
                static_cast<long long>(summary->bad), static_cast<long long>(summary->bytes),
                options->out_path.c_str());
    return 0;
  };
}

CommandRunner AddPublishCommand(CLI::App& app) {
  auto options = std::make_shared<PublishOptions>();
  auto* cmd = app.add_subcommand("publish", "Publish JSON lines to a topic, keyed by the normalised symbol");
  AddLakeOption(cmd, &options->lake_dir);
  cmd->add_option("--log", options->log_url, "Message log: file:DIR or kafka://HOST:PORT (default <lake>/_log)");
  cmd->add_option("--topic", options->topic, "Topic (created with the lake's partition count when missing)")
      ->required();
  cmd->add_option("--input", options->input_path, "JSON lines, one record each")->required();
  return [cmd, options]() -> int {
    if (!cmd->parsed()) return -1;
    auto summary = RunPublish(*options);
    if (!summary.ok()) return ReportError("publish", summary.status());
    std::printf("published %lld records to %s (%d partitions; %lld without a valid symbol, %lld blank lines skipped)\n",
                static_cast<long long>(summary->records), options->topic.c_str(), summary->partitions,
                static_cast<long long>(summary->unkeyed), static_cast<long long>(summary->blank_lines));
    return 0;
  };
}

CommandRunner AddTopicCommand(CLI::App& app) {
  auto options = std::make_shared<TopicCatOptions>();
  auto partition = std::make_shared<int>(-1);
  auto from_beginning = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("topic", "Inspect a topic of the message log");
  cmd->require_subcommand(1);
  auto* cat = cmd->add_subcommand("cat", "Print a topic's record values, one a line, in partition then offset order");
  AddLakeOption(cat, &options->lake_dir);
  cat->add_option("--log", options->log_url, "Message log: file:DIR or kafka://HOST:PORT (default <lake>/_log)");
  cat->add_option("--topic", options->topic, "Topic")->required();
  cat->add_option("--partition", *partition, "Only this partition")->check(CLI::NonNegativeNumber);
  // Reading always starts at the oldest retained record (kcat's default); the flag is
  // accepted for those used to kafka-console-consumer.
  cat->add_flag("--from-beginning", *from_beginning, "Start at the oldest retained record (the default)");
  return [cmd, options, partition, from_beginning]() -> int {
    if (!cmd->parsed()) return -1;
    if (*partition >= 0) options->partition = *partition;
    auto records = RunTopicCat(*options, stdout);
    if (std::fflush(stdout) != 0 && records.ok()) records = Status::IOError("writing to stdout failed");
    if (!records.ok()) return ReportError("topic cat", records.status());
    return 0;
  };
}

}  // namespace stocklake::cli
