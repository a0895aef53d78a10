// `stocklake producer`: input files (rescanned) and Yahoo Finance downloads -> bronze ->
// raw-stock-data, through the same ingest stage as the one-shot run.
#include <cctype>
#include <chrono>
#include <set>

#include "core/clock.h"
#include "core/files.h"
#include "ingest/source_files.h"
#include "ingest/yahoo_client.h"
#include "lake/snapshot.h"
#include "lake/source_registry.h"
#include "log/topics.h"
#include "orchestrate/ingest_stage.h"
#include "orchestrate/lake_lock.h"
#include "orchestrate/log_url.h"
#include "orchestrate/service_support.h"
#include "orchestrate/services.h"

namespace stocklake {

namespace {

constexpr const char* kService = "producer";

Status CheckProducerOptions(const ServiceOptions& options) {
  if (options.lake_dir.empty()) return Status::InvalidArgument("producer needs --lake DIR");
  if (options.inputs.empty() && options.yahoo_symbols.empty()) {
    return Status::InvalidArgument("producer needs --input PATH or --yahoo SYMBOL[,SYMBOL...]");
  }
  SL_RETURN_IF_ERROR(CheckLogUrl(options.log_url));
  if (!options.inputs.empty()) SL_RETURN_IF_ERROR(ListSourceFiles(options.inputs).status());
  if (!options.yahoo_symbols.empty()) {
    if (!IsValidYahooRange(options.yahoo_range)) {
      return Status::InvalidArgument("--range " + options.yahoo_range +
                                     ": expected 1d, 5d, 1mo, 3mo, 6mo, 1y, 2y, 5y, 10y, ytd or max");
    }
    std::set<std::string> seen;
    for (const std::string& symbol : options.yahoo_symbols) {
      if (!IsValidYahooSymbol(symbol)) {
        return Status::InvalidArgument("--yahoo: '" + symbol + "' is not a Yahoo Finance symbol");
      }
      std::string upper = symbol;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!seen.insert(upper).second) return Status::InvalidArgument("--yahoo: '" + symbol + "' is given twice");
    }
  }
  if (options.poll_seconds <= 0) return Status::InvalidArgument("--poll-seconds must be positive");
  return Status::OK();
}

// Downloads every symbol's chart into a fresh directory under the lake; "" when none
// could be downloaded. The ingest stage then takes the files like any input.
Result<std::string> DownloadYahooRound(YahooClient& client, const ServiceOptions& options, const std::string& range) {
  std::string stamp = UtcTimestampNow();
  for (char& c : stamp) {
    if (c == ':') c = '-';
  }
  const std::string dir = options.lake_dir + "/_downloads/yahoo/" + stamp;
  SL_ASSIGN_OR_RETURN(std::vector<YahooDownload> downloads, DownloadCharts(client, options.yahoo_symbols, range, dir));
  int ok = 0;
  for (const YahooDownload& d : downloads) {
    if (d.status.ok()) {
      ++ok;
    } else {
      ReportServiceLine(kService, "yahoo %s: %s", d.symbol.c_str(), d.status.ToString().c_str());
    }
  }
  ReportServiceLine(kService, "yahoo: %d of %zu symbols downloaded (range %s, %lld requests, %lld retries)", ok,
                    downloads.size(), range.c_str(), static_cast<long long>(client.counters().requests),
                    static_cast<long long>(client.counters().retries));
  if (ok == 0) {
    (void)RemoveDirectoryTree(dir);
    return std::string();
  }
  return dir;
}

}  // namespace

Status RunProducer(const ServiceOptions& options, const std::atomic<bool>& stop) {
  SL_RETURN_IF_ERROR(CheckProducerOptions(options));
  SL_ASSIGN_OR_RETURN(FileLock shared, LockLake(options.lake_dir, FileLock::Mode::kShared));
  SL_ASSIGN_OR_RETURN(FileLock ingest, LockLakeIngest(options.lake_dir));
  SL_ASSIGN_OR_RETURN(SourceRegistry registry, SourceRegistry::Open(options.lake_dir));
  SL_ASSIGN_OR_RETURN(std::unique_ptr<MessageLog> log, OpenLogFromUrl(options.log_url, options.lake_dir + "/_log"));
  SL_ASSIGN_OR_RETURN(const LakeSnapshot base, LoadCurrentSnapshot(options.lake_dir));
  const int partitions = LakePartitions(base, log.get(), options.partitions);

  std::unique_ptr<YahooClient> yahoo;
  if (!options.yahoo_symbols.empty()) {
    YahooClientOptions client_options;
    if (!options.yahoo_base_url.empty()) client_options.base_url = options.yahoo_base_url;
    client_options.requests_per_second = options.yahoo_requests_per_second;
    SL_ASSIGN_OR_RETURN(yahoo, YahooClient::Create(client_options));
  }
  auto next_yahoo_round = std::chrono::steady_clock::now();
  std::string yahoo_range = options.yahoo_range;
  ReportServiceLine(kService, "lake %s, %d partitions, %zu input paths, %zu Yahoo symbols", options.lake_dir.c_str(),
                    partitions, options.inputs.size(), options.yahoo_symbols.size());

  while (!stop.load()) {
    RunOptions cycle;
    cycle.lake_dir = options.lake_dir;
    cycle.threads = options.threads;
    cycle.inputs = options.inputs;
    std::string download_dir;
    if (yahoo && std::chrono::steady_clock::now() >= next_yahoo_round) {
      auto round = DownloadYahooRound(*yahoo, options, yahoo_range);
      if (!round.ok()) return round.status();
      download_dir = *round;
      if (!download_dir.empty()) cycle.inputs.push_back(download_dir);
      // After the first full range, refreshes only need the latest days.
      yahoo_range = "5d";
      next_yahoo_round += std::chrono::milliseconds(static_cast<int64_t>(options.yahoo_refresh_seconds * 1000));
    }
    if (!cycle.inputs.empty()) {
      auto ingested = RunIngestStage(cycle, partitions, &registry, log.get());
      if (!ingested.ok()) {
        // A path that went away or a cluster that does not answer: say so and retry.
        if (ingested.status().IsInvalidArgument() || ingested.status().IsCorruption()) return ingested.status();
        ReportServiceLine(kService, "cycle failed, retrying: %s", ingested.status().ToString().c_str());
      } else {
        if (ingested->files_ingested > 0 || options.once) {
          ReportServiceLine(kService, "ingested %lld files (%lld rows) into raw-stock-data; %lld already in the lake",
                            static_cast<long long>(ingested->files_ingested),
                            static_cast<long long>(ingested->rows_read),
                            static_cast<long long>(ingested->files_skipped));
        }
        for (const std::string& w : ingested->warnings) ReportServiceLine(kService, "warning: %s", w.c_str());
        // The bronze copies hold the bytes now.
        if (!download_dir.empty()) (void)RemoveDirectoryTree(download_dir);
      }
    }
    if (options.once) break;
    if (WaitOrStop(stop, options.poll_seconds)) break;
  }
  ReportServiceLine(kService, "stopped");
  return Status::OK();
}

}  // namespace stocklake
