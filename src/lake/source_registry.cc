#include "lake/source_registry.h"

#include <xxhash.h>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "lake/bronze.h"

namespace stocklake {

uint64_t SourceRegistry::HashContent(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

Result<SourceRegistry> SourceRegistry::Open(const std::string& lake_dir, Env* env) { return Read(lake_dir, true, env); }

Result<SourceRegistry> SourceRegistry::OpenReadOnly(const std::string& lake_dir, Env* env) {
  return Read(lake_dir, false, env);
}

Result<SourceRegistry> SourceRegistry::Read(const std::string& lake_dir, bool repair_torn_tail, Env* env) {
  SourceRegistry registry;
  registry.env_ = env;
  registry.journal_path_ = lake_dir + "/_stocklake/sources.jsonl";
  if (!env->FileExists(registry.journal_path_)) return registry;
  SL_ASSIGN_OR_RETURN(std::string text, env->ReadFile(registry.journal_path_));
  size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      // No newline: an append that never finished (or, for a reader, is under way).
      // The ingester cuts it off so the next append starts on a fresh line.
      if (repair_torn_tail) {
        SL_RETURN_IF_ERROR(env->TruncateFile(registry.journal_path_, pos).WithContext("cutting the torn tail"));
      }
      break;
    }
    ++line_number;
    const nlohmann::json j = nlohmann::json::parse(text.begin() + pos, text.begin() + end, nullptr, false);
    pos = end + 1;
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption(registry.journal_path_ + ":" + std::to_string(line_number) + ": not a JSON object");
    }
    try {
      if (j.contains("commit") || j.contains("abandon")) {
        const bool commit = j.contains("commit");
        const auto& range = commit ? j["commit"] : j["abandon"];
        const auto first = range[0].get<uint32_t>();
        const auto last = range[1].get<uint32_t>();
        for (uint32_t id = first; id <= last && id < registry.records_.size(); ++id) {
          (commit ? registry.records_[id].committed : registry.records_[id].abandoned) = true;
        }
        continue;
      }
      SourceRecord r;
      r.id = j.at("id").get<uint32_t>();
      r.relative_path = j.at("path").get<std::string>();
      r.input_path = j.at("input").get<std::string>();
      r.content_hash = std::stoull(j.at("hash").get<std::string>(), nullptr, 16);
      r.bytes = j.at("bytes").get<int64_t>();
      r.ingest_date = j.at("ingest_date").get<std::string>();
      r.bronze_path = j.at("bronze").get<std::string>();
      if (r.id != registry.records_.size()) {
        return Status::Corruption(registry.journal_path_ + ":" + std::to_string(line_number) +
                                  ": source ids out of sequence");
      }
      registry.ids_by_path_[r.relative_path].push_back(r.id);
      registry.records_.push_back(std::move(r));
    } catch (const std::exception& e) {
      return Status::Corruption(registry.journal_path_ + ":" + std::to_string(line_number) + ": " + e.what());
    }
  }
  return registry;
}

bool SourceRegistry::IsIngested(const std::string& relative_path, uint64_t content_hash) const {
  auto it = ids_by_path_.find(relative_path);
  if (it == ids_by_path_.end()) return false;
  for (uint32_t id : it->second) {
    if (records_[id].committed && records_[id].content_hash == content_hash) return true;
  }
  return false;
}

Status SourceRegistry::AppendLines(const std::string& lines) {
  SL_RETURN_IF_ERROR(env_->CreateDirectories(journal_path_.substr(0, journal_path_.rfind('/'))));
  SL_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(journal_path_, OpenMode::kAppend));
  SL_RETURN_IF_ERROR(file->Append(lines));
  SL_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status SourceRegistry::Register(std::vector<SourceRecord>* sources) {
  std::string lines;
  uint32_t id = next_id();
  for (SourceRecord& r : *sources) {
    r.id = id++;
    r.committed = false;
    char id_text[16];
    std::snprintf(id_text, sizeof id_text, "%08u", r.id);
    // One flat directory per day: a directory per source would cost an inode each.
    const std::string base_name = r.relative_path.substr(r.relative_path.find_last_of('/') + 1);
    r.bronze_path =
        "bronze/ingest_date=" + r.ingest_date + "/" + id_text + "-" + base_name + std::string(kBronzeSuffix);
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.content_hash));
    nlohmann::json j = {{"id", r.id},       {"path", r.relative_path},      {"input", r.input_path},  {"hash", hash},
                        {"bytes", r.bytes}, {"ingest_date", r.ingest_date}, {"bronze", r.bronze_path}};
    lines += j.dump();
    lines += '\n';
  }
  if (lines.empty()) return Status::OK();
  SL_RETURN_IF_ERROR(AppendLines(lines));
  for (const SourceRecord& r : *sources) {
    ids_by_path_[r.relative_path].push_back(r.id);
    records_.push_back(r);
  }
  return Status::OK();
}

Status SourceRegistry::MarkCommitted(uint32_t first, uint32_t last) {
  if (first > last || last >= records_.size()) return Status::InvalidArgument("commit of unknown source ids");
  nlohmann::json j = {{"commit", {first, last}}};
  SL_RETURN_IF_ERROR(AppendLines(j.dump() + "\n"));
  for (uint32_t id = first; id <= last; ++id) records_[id].committed = true;
  return Status::OK();
}

Status SourceRegistry::AbandonUnfinished() {
  std::string lines;
  for (size_t id = 0; id < records_.size();) {
    if (records_[id].committed || records_[id].abandoned) {
      ++id;
      continue;
    }
    size_t last = id;
    while (last + 1 < records_.size() && !records_[last + 1].committed && !records_[last + 1].abandoned) ++last;
    lines += nlohmann::json({{"abandon", {id, last}}}).dump() + "\n";
    id = last + 1;
  }
  if (lines.empty()) return Status::OK();
  SL_RETURN_IF_ERROR(AppendLines(lines));
  for (SourceRecord& r : records_) {
    if (!r.committed) r.abandoned = true;
  }
  return Status::OK();
}

bool SourceRegistry::IsCommitted(uint32_t id) const { return id < records_.size() && records_[id].committed; }

bool SourceRegistry::IsPending(uint32_t id) const {
  // An id not in this copy of the journal was registered after it was read: pending too.
  return id >= records_.size() || (!records_[id].committed && !records_[id].abandoned);
}

const SourceRecord* SourceRegistry::Find(uint32_t id) const { return id < records_.size() ? &records_[id] : nullptr; }

}  // namespace stocklake
