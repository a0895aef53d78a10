// The registry of input files the lake has received (the bronze catalog). Each file gets
// an id before any of its rows enter the log, and is marked committed once all its rows
// are durable in the raw topic. A file seen again with the same relative path and the
// same content is skipped, which makes reruns idempotent; rows of an attempt that never
// committed (a crash mid-ingest) are ignored downstream because their id never commits.
// Stored as an append-only JSON-lines journal, _stocklake/sources.jsonl; a torn last
// line (a crash mid-append) is ignored.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

struct SourceRecord {
  uint32_t id = 0;
  std::string relative_path;  // as reported in rejects.source_file
  std::string input_path;     // the --input it came from, as given
  uint64_t content_hash = 0;  // XXH3-64 of the bytes
  int64_t bytes = 0;
  std::string ingest_date;  // YYYY-MM-DD (UTC) of the run that received it
  std::string bronze_path;  // copy of the bytes under the lake, relative to it
  bool committed = false;
  bool abandoned = false;  // its ingest attempt died before committing: never will
};

class SourceRegistry {
 public:
  //! Reads the journal of the lake at `lake_dir` (none yet: an empty registry), for the
  //! one process that ingests: a torn last line is cut off so appends continue cleanly.
  static Result<SourceRegistry> Open(const std::string& lake_dir, Env* env = Env::Default());

  //! Reads the journal for a process that only reads it while an ingester may be
  //! appending: a line without its newline yet is skipped, the file is not touched.
  static Result<SourceRegistry> OpenReadOnly(const std::string& lake_dir, Env* env = Env::Default());

  //! True when a committed source has this relative path and content.
  bool IsIngested(const std::string& relative_path, uint64_t content_hash) const;

  //! Assigns ids and bronze paths to `sources` (in order, after every id ever
  //! assigned) and appends them to the journal durably. Their `committed` stays false.
  Status Register(std::vector<SourceRecord>* sources);

  //! Marks ids [first, last] committed, durably.
  Status MarkCommitted(uint32_t first, uint32_t last);

  //! Marks every registered source that neither committed nor was abandoned as
  //! abandoned, durably. The ingester calls it before registering new sources: those
  //! belong to an attempt that died, whose rows downstream stages must drop, not wait for.
  Status AbandonUnfinished();

  bool IsCommitted(uint32_t id) const;
  //! Neither committed nor abandoned: an ingest still at work (or one that died and has
  //! not been followed by another yet). Its rows are worth waiting for.
  bool IsPending(uint32_t id) const;
  //! nullptr for an unknown id.
  const SourceRecord* Find(uint32_t id) const;
  uint32_t next_id() const { return static_cast<uint32_t>(records_.size()); }
  const std::vector<SourceRecord>& records() const { return records_; }

  //! XXH3-64 of `bytes`, the content identity used above.
  static uint64_t HashContent(std::string_view bytes);

 private:
  static Result<SourceRegistry> Read(const std::string& lake_dir, bool repair_torn_tail, Env* env);
  Status AppendLines(const std::string& lines);

  Env* env_ = Env::Default();
  std::string journal_path_;
  std::vector<SourceRecord> records_;  // index == id
  std::unordered_map<std::string, std::vector<uint32_t>> ids_by_path_;
};

}  // namespace stocklake
