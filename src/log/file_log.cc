#include "log/file_log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>

#include "core/clock.h"
#include "core/files.h"
#include "log/log_segment.h"

namespace stocklake {

using namespace log_segment;  // the segment format is this file's vocabulary

namespace {

constexpr size_t kMaxRecordBytes = size_t{1} << 30;
constexpr const char* kGroupsDir = "_groups";
constexpr const char* kTopicMetaFile = "topic.json";

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

struct Partition {
  std::mutex mu;
  std::string label;  // "topic:partition" for messages
  std::string dir;
  std::vector<Segment> segments;
  int64_t next_offset = 0;  // includes the pending records
  std::string pending;      // payload of the batch being filled
  int64_t pending_base = 0;
  uint32_t pending_count = 0;
  std::unique_ptr<WritableFile> write_file;  // the last segment, opened on first write
  bool needs_sync = false;                   // written since the last fsync of write_file
  bool dir_needs_sync = false;
  Status broken;  // set when loading or writing failed; every call then returns it
  // The last batch Fetch read and verified: consumers reading a batch record by record
  // would otherwise re-read and re-checksum it once per record. Batches never change once
  // written, and retention only removes whole segments below Begin(), which Fetch refuses.
  int64_t cached_base = -1;
  std::string cached_payload;
  RecordPosition cached_resume;  // where the last Fetch stopped inside the cached batch

  int64_t WrittenEnd() const { return next_offset - pending_count; }
  int64_t Begin() const { return segments.empty() ? WrittenEnd() : segments.front().base_offset; }
};

struct Topic {
  std::vector<std::unique_ptr<Partition>> partitions;
};

struct FileLog::Impl {
  std::string dir;
  FileLogOptions options;
  Env* env() const { return options.env; }
  std::unique_ptr<FileLockHandle> lock;

  std::shared_mutex topics_mu;
  std::map<std::string, std::unique_ptr<Topic>> topics;

  std::mutex groups_mu;
  // group -> topic -> partition -> next offset to read
  std::map<std::string, std::map<std::string, std::map<int, int64_t>>> groups;

  Result<Partition*> Find(const std::string& topic, int partition);
  Status LoadTopic(const std::string& name, int partitions, bool create);
  Status LoadGroups();
  Status WriteBatch(Partition& p);
  Status Roll(Partition& p, int64_t base_offset);
  Status FlushPartition(Partition& p);
  void Retain(Partition& p, int64_t now_ms);
};

namespace {

Status LoadPartition(Partition& p, Env* env) {
  SL_RETURN_IF_ERROR(env->CreateDirectories(p.dir));
  SL_ASSIGN_OR_RETURN(auto names, env->ListDirectory(p.dir));
  for (const auto& name : names) {
    int64_t base = 0;
    if (!ParseSegmentName(name, &base)) continue;
    Segment s;
    s.base_offset = base;
    s.end_offset = base;
    s.path = p.dir + "/" + name;
    SL_ASSIGN_OR_RETURN(const FileInfo info, env->GetFileInfo(s.path));
    s.size = info.size;
    s.mtime_ms = info.mtime_ms;
    p.segments.push_back(std::move(s));
  }
  for (size_t i = 0; i < p.segments.size(); ++i) {
    Segment& s = p.segments[i];
    if (i > 0 && s.base_offset != p.segments[i - 1].end_offset) {
      return Status::Corruption(p.label + ": segment '" + s.path + "' starts at offset " +
                                std::to_string(s.base_offset) + " but the previous one ends at " +
                                std::to_string(p.segments[i - 1].end_offset) +
                                "; a segment is missing or damaged, restore it from a backup");
    }
    if (i + 1 < p.segments.size()) {
      SL_RETURN_IF_ERROR(ScanSealedSegment(s, p.label, env));
    } else {
      SL_RETURN_IF_ERROR(RecoverLastSegment(s, p.label, env, ReadRecoveryPoint(p.dir, s.base_offset, env)));
    }
  }
  p.next_offset = p.segments.empty() ? 0 : p.segments.back().end_offset;
  return Status::OK();
}

}  // namespace

Result<Partition*> FileLog::Impl::Find(const std::string& topic, int partition) {
  std::shared_lock lock(topics_mu);
  auto it = topics.find(topic);
  if (it == topics.end()) {
    return Status::NotFound("topic '" + topic + "' does not exist in the log at '" + dir +
                            "'; create it with EnsureTopic");
  }
  const auto& partitions = it->second->partitions;
  if (partition < 0 || static_cast<size_t>(partition) >= partitions.size()) {
    return Status::InvalidArgument("partition " + std::to_string(partition) + " of topic '" + topic +
                                   "' does not exist; the topic has " + std::to_string(partitions.size()) +
                                   " partitions");
  }
  return partitions[static_cast<size_t>(partition)].get();
}

Status FileLog::Impl::LoadTopic(const std::string& name, int partitions, bool create) {
  auto topic = std::make_unique<Topic>();
  const std::string topic_dir = dir + "/" + name;
  for (int i = 0; i < partitions; ++i) {
    auto p = std::make_unique<Partition>();
    p->label = name + ":" + std::to_string(i);
    p->dir = topic_dir + "/" + std::to_string(i);
    // A damaged partition does not stop the others: its own calls report the damage.
    p->broken = LoadPartition(*p, env());
    if (!p->broken.ok() && create) return p->broken;
    topic->partitions.push_back(std::move(p));
  }
  if (create) {
    const nlohmann::json meta = {{"partitions", partitions}};
    SL_RETURN_IF_ERROR(WriteFileAtomic(topic_dir + "/" + kTopicMetaFile, meta.dump() + "\n", env()));
    SL_RETURN_IF_ERROR(env()->SyncDirectory(dir));
  }
  topics[name] = std::move(topic);
  return Status::OK();
}

Status FileLog::Impl::LoadGroups() {
  const std::string groups_dir = dir + "/" + kGroupsDir;
  SL_RETURN_IF_ERROR(env()->CreateDirectories(groups_dir));
  SL_ASSIGN_OR_RETURN(auto names, env()->ListDirectory(groups_dir));
  for (const auto& name : names) {
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
    const std::string path = groups_dir + "/" + name;
    SL_ASSIGN_OR_RETURN(std::string text, env()->ReadFile(path));
    auto& group = groups[name.substr(0, name.size() - 5)];
    try {
      const auto json = nlohmann::json::parse(text);
      for (const auto& [topic, parts] : json.at("topics").items()) {
        for (const auto& [partition, offset] : parts.items()) {
          group[topic][std::stoi(partition)] = offset.get<int64_t>();
        }
      }
    } catch (const std::exception& e) {
      return Status::Corruption("committed offsets file '" + path + "' does not parse (" + e.what() +
                                "); it is replaced atomically, so restore it or delete it to restart the group");
    }
  }
  return Status::OK();
}

Status FileLog::Impl::Roll(Partition& p, int64_t base_offset) {
  if (p.write_file) {
    // The sealed segment must be durable before a later one can exist: recovery only
    // expects torn writes in the last segment.
    if (p.needs_sync) SL_RETURN_IF_ERROR(p.write_file->SyncData());
    p.write_file.reset();
    p.needs_sync = false;
  }
  Segment s;
  s.base_offset = base_offset;
  s.end_offset = base_offset;
  s.path = p.dir + "/" + SegmentName(base_offset);
  s.mtime_ms = NowMillis();
  SL_ASSIGN_OR_RETURN(p.write_file, env()->NewWritableFile(s.path, OpenMode::kCreateNew));
  p.segments.push_back(std::move(s));
  p.dir_needs_sync = true;
  return Status::OK();
}

Status FileLog::Impl::WriteBatch(Partition& p) {
  if (p.pending_count == 0) return Status::OK();
  const uint64_t batch_size = kHeaderSize + p.pending.size();
  if (p.segments.empty() ||
      (p.segments.back().size > 0 && p.segments.back().size + batch_size > options.segment_bytes)) {
    SL_RETURN_IF_ERROR(Roll(p, p.pending_base));
  }
  Segment& s = p.segments.back();
  if (!p.write_file) {
    SL_ASSIGN_OR_RETURN(p.write_file, env()->NewWritableFile(s.path, OpenMode::kExisting));
  }
  char header[kHeaderSize];
  BatchHeader h;
  h.magic = kBatchMagic;
  h.length = static_cast<uint32_t>(p.pending.size());
  h.base_offset = p.pending_base;
  h.count = p.pending_count;
  EncodeHeader(h, header);
  h.crc = BatchCrc(header, p.pending);
  EncodeHeader(h, header);
  SL_RETURN_IF_ERROR(p.write_file->WriteAt(s.size, std::string_view(header, kHeaderSize), p.pending));
  // Start the write-back now so the fsync at Flush finds little left to do and the disk
  // works while the producer computes.
  p.write_file->StartWriteBack(s.size, batch_size);
  s.AddBatch(h.base_offset, s.size);
  s.size += batch_size;
  s.end_offset += h.count;
  s.mtime_ms = NowMillis();
  p.needs_sync = true;
  p.pending.clear();
  // A single huge record grows the buffer; do not keep that memory for every later batch.
  if (p.pending.capacity() > 4 * options.batch_bytes) p.pending.shrink_to_fit();
  p.pending_count = 0;
  return Status::OK();
}

Status FileLog::Impl::FlushPartition(Partition& p) {
  if (!p.broken.ok()) return p.broken;
  Status st = WriteBatch(p);
  if (!st.ok()) {
    // A half-written batch may now sit at the end of the file; the next open cuts it.
    p.broken = st.WithContext(p.label + ": the log must be reopened");
    return st;
  }
  const bool synced = p.needs_sync;
  if (p.needs_sync) {
    if (Status st = p.write_file->SyncData(); !st.ok()) {
      // After a failed fsync the kernel may have dropped the dirty pages: what was written
      // since the last good sync is in doubt until the log is reopened and verified.
      p.broken = st.WithContext(p.label + ": the log must be reopened");
      return p.broken;
    }
    p.needs_sync = false;
  }
  if (p.dir_needs_sync) {
    SL_RETURN_IF_ERROR(env()->SyncDirectory(p.dir));
    p.dir_needs_sync = false;
  }
  if (synced && !p.segments.empty()) {
    // What this sync made durable: the next open verifies checksums past it only.
    SL_RETURN_IF_ERROR(WriteRecoveryPoint(p.dir, p.segments.back().base_offset, p.segments.back().size, env()));
  }
  return Status::OK();
}

void FileLog::Impl::Retain(Partition& p, int64_t now_ms) {
  uint64_t total = 0;
  for (const auto& s : p.segments) total += s.size;
  while (p.segments.size() > 1) {
    const Segment& s = p.segments.front();
    const bool by_size =
        options.retention_bytes >= 0 && total - s.size >= static_cast<uint64_t>(options.retention_bytes);
    const bool by_age = options.retention_ms >= 0 && now_ms - s.mtime_ms > options.retention_ms;
    if (!by_size && !by_age) break;
    if (!env()->RemoveFile(s.path).ok()) break;  // retried at the next Flush
    total -= s.size;
    p.segments.erase(p.segments.begin());
    p.dir_needs_sync = true;
  }
}

FileLog::FileLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FileLog::~FileLog() {
  if (impl_) (void)Flush();
}

Result<std::unique_ptr<FileLog>> FileLog::Open(const std::string& dir, const FileLogOptions& options) {
  if (options.segment_bytes == 0 || options.batch_bytes == 0) {
    return Status::InvalidArgument("file log options: segment_bytes and batch_bytes must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  Env* env = options.env;
  SL_RETURN_IF_ERROR(env->CreateDirectories(dir));
  auto lock = env->LockFile(dir + "/.lock", LockMode::kExclusive, /*wait=*/false);
  if (!lock.ok()) {
    if (!lock.status().IsAborted()) return lock.status();
    return Status::Aborted("the log directory '" + dir +
                           "' is in use by another FileLog (this or another process); close it first");
  }
  impl->lock = std::move(*lock);
  SL_ASSIGN_OR_RETURN(auto names, env->ListDirectory(dir));
  for (const auto& name : names) {
    if (name == kGroupsDir || !ValidName(name)) continue;
    const std::string meta_path = dir + "/" + name + "/" + kTopicMetaFile;
    if (!env->FileExists(meta_path)) continue;  // a topic whose creation did not finish
    SL_ASSIGN_OR_RETURN(std::string text, env->ReadFile(meta_path));
    int partitions = 0;
    try {
      partitions = nlohmann::json::parse(text).at("partitions").get<int>();
    } catch (const std::exception& e) {
      return Status::Corruption("topic file '" + meta_path + "' does not parse: " + e.what());
    }
    if (partitions <= 0) return Status::Corruption("topic file '" + meta_path + "' has no partitions");
    SL_RETURN_IF_ERROR(impl->LoadTopic(name, partitions, false));
  }
  SL_RETURN_IF_ERROR(impl->LoadGroups());
  auto log = std::unique_ptr<FileLog>(new FileLog(std::move(impl)));
  SL_RETURN_IF_ERROR(log->ApplyRetention());
  return log;
}

Result<std::unique_ptr<MessageLog>> OpenFileLog(const std::string& dir, const FileLogOptions& options) {
  SL_ASSIGN_OR_RETURN(auto log, FileLog::Open(dir, options));
  return std::unique_ptr<MessageLog>(std::move(log));
}

Status FileLog::EnsureTopic(const std::string& topic, int partitions) {
  if (!ValidName(topic) || topic == kGroupsDir) {
    return Status::InvalidArgument("invalid topic name '" + topic +
                                   "': use 1 to 249 characters of [A-Za-z0-9._-], not '.', '..' or '_groups'");
  }
  std::unique_lock lock(impl_->topics_mu);
  if (impl_->topics.count(topic) != 0) return Status::OK();
  if (partitions <= 0 || partitions > 100000) {
    return Status::InvalidArgument("topic '" + topic + "': partition count " + std::to_string(partitions) +
                                   " must be between 1 and 100000");
  }
  return impl_->LoadTopic(topic, partitions, true);
}

Result<int> FileLog::PartitionCount(const std::string& topic) {
  std::shared_lock lock(impl_->topics_mu);
  auto it = impl_->topics.find(topic);
  if (it == impl_->topics.end()) {
    return Status::NotFound("topic '" + topic + "' does not exist in the log at '" + impl_->dir +
                            "'; create it with EnsureTopic");
  }
  return static_cast<int>(it->second->partitions.size());
}

Status FileLog::Produce(const std::string& topic, int partition, std::string_view key, std::string_view value) {
  SL_ASSIGN_OR_RETURN(Partition * p, impl_->Find(topic, partition));
  if (key.size() + value.size() > kMaxRecordBytes) {
    return Status::InvalidArgument(p->label + ": record of " + std::to_string(key.size() + value.size()) +
                                   " bytes is larger than the 1 GiB limit; split it");
  }
  std::lock_guard lock(p->mu);
  if (!p->broken.ok()) return p->broken;
  const size_t record_size = kRecordOverhead + key.size() + value.size();
  // Seal first when this record would push the batch past its size, so a batch exceeds
  // batch_bytes only when it holds a single large record.
  if (p->pending_count > 0 && p->pending.size() + record_size > impl_->options.batch_bytes) {
    if (Status st = impl_->WriteBatch(*p); !st.ok()) {
      p->broken = st.WithContext(p->label + ": the log must be reopened");
      return st;
    }
  }
  if (p->pending_count == 0) {
    p->pending_base = p->next_offset;
    if (p->pending.capacity() < impl_->options.batch_bytes) p->pending.reserve(impl_->options.batch_bytes);
  }
  const auto key_len = static_cast<uint32_t>(key.size());
  const auto value_len = static_cast<uint32_t>(value.size());
  const size_t at = p->pending.size();
  p->pending.resize(at + record_size);
  char* out = p->pending.data() + at;
  std::memcpy(out, &key_len, 4);
  std::memcpy(out + 4, &value_len, 4);
  if (!key.empty()) std::memcpy(out + kRecordOverhead, key.data(), key.size());
  if (!value.empty()) std::memcpy(out + kRecordOverhead + key.size(), value.data(), value.size());
  ++p->pending_count;
  ++p->next_offset;
  return Status::OK();
}

Status FileLog::Flush() {
  Status first_error;
  {
    std::shared_lock lock(impl_->topics_mu);
    for (auto& [name, topic] : impl_->topics) {
      for (auto& p : topic->partitions) {
        std::lock_guard plock(p->mu);
        if (!p->broken.ok() && p->pending_count == 0 && !p->needs_sync) continue;  // nothing to lose
        Status st = impl_->FlushPartition(*p);
        if (!st.ok() && first_error.ok()) first_error = st;
      }
    }
  }
  SL_RETURN_IF_ERROR(first_error);
  return ApplyRetention();
}

Status FileLog::ApplyRetention() {
  if (impl_->options.retention_bytes < 0 && impl_->options.retention_ms < 0) return Status::OK();
  const int64_t now = NowMillis();
  std::shared_lock lock(impl_->topics_mu);
  for (auto& [name, topic] : impl_->topics) {
    for (auto& p : topic->partitions) {
      std::lock_guard plock(p->mu);
      if (!p->broken.ok()) continue;
      impl_->Retain(*p, now);
      if (p->dir_needs_sync) {
        SL_RETURN_IF_ERROR(impl_->env()->SyncDirectory(p->dir));
        p->dir_needs_sync = false;
      }
    }
  }
  return Status::OK();
}

Result<int64_t> FileLog::EndOffset(const std::string& topic, int partition) {
  SL_ASSIGN_OR_RETURN(Partition * p, impl_->Find(topic, partition));
  std::lock_guard lock(p->mu);
  if (!p->broken.ok()) return p->broken;
  return p->next_offset;
}

Result<int64_t> FileLog::BeginOffset(const std::string& topic, int partition) {
  SL_ASSIGN_OR_RETURN(Partition * p, impl_->Find(topic, partition));
  std::lock_guard lock(p->mu);
  if (!p->broken.ok()) return p->broken;
  return p->Begin();
}

Result<std::vector<LogRecord>> FileLog::Fetch(const std::string& topic, int partition, int64_t offset,
                                              size_t max_bytes) {
  SL_ASSIGN_OR_RETURN(Partition * p, impl_->Find(topic, partition));
  std::lock_guard lock(p->mu);
  if (!p->broken.ok()) return p->broken;
  const int64_t begin = p->Begin();
  if (offset < begin) {
    return Status::NotFound(p->label + ": offset " + std::to_string(offset) + " is out of range: records before " +
                            std::to_string(begin) + " were deleted by retention; resume from BeginOffset");
  }
  if (offset > p->next_offset) {
    return Status::InvalidArgument(p->label + ": offset " + std::to_string(offset) +
                                   " is out of range: the partition ends at " + std::to_string(p->next_offset));
  }
  std::vector<LogRecord> out;
  size_t used = 0;
  const auto take = [&](int64_t record_offset, std::string_view key, std::string_view value) {
    if (record_offset < offset) return Take::kNext;
    if (!out.empty() && used + value.size() > max_bytes) return Take::kStopBefore;
    out.push_back(LogRecord{record_offset, std::string(key), std::string(value)});
    used += value.size();
    return used < max_bytes ? Take::kNext : Take::kStopAfter;
  };
  bool stopped = false;
  int64_t cursor = offset;
  if (cursor < p->WrittenEnd()) {
    auto seg = std::upper_bound(p->segments.begin(), p->segments.end(), cursor,
                                [](int64_t o, const Segment& s) { return o < s.base_offset; });
    if (seg != p->segments.begin()) --seg;
    char buf[kHeaderSize];
    for (; seg != p->segments.end() && !stopped && cursor < p->WrittenEnd(); ++seg) {
      auto opened = impl_->env()->NewRandomAccessFile(seg->path);
      if (!opened.ok()) return opened.status().WithContext(p->label);
      const RandomAccessFile& file = **opened;
      uint64_t pos = seg->SeekPosition(cursor);
      while (pos < seg->size && !stopped) {
        const auto where = [&] {
          return p->label + " (segment '" + seg->path + "', byte " + std::to_string(pos) + ")";
        };
        SL_RETURN_IF_ERROR(file.ReadExact(pos, kHeaderSize, buf));
        const BatchHeader h = DecodeHeader(buf);
        if (!HeaderFits(h, pos, seg->size) || h.base_offset > cursor) {
          return Status::Corruption(where() + ": invalid batch header near offset " + std::to_string(cursor) +
                                    "; the segment was damaged after it was written, restore it from a backup");
        }
        const uint64_t next_pos = pos + kHeaderSize + h.length;
        if (h.base_offset + h.count <= cursor) {
          pos = next_pos;
          continue;
        }
        if (p->cached_base != h.base_offset || p->cached_payload.size() != h.length) {
          p->cached_base = -1;
          p->cached_resume = {};
          p->cached_payload.resize(h.length);
          SL_RETURN_IF_ERROR(file.ReadExact(pos + kHeaderSize, h.length, p->cached_payload.data()));
          if (BatchCrc(buf, p->cached_payload) != h.crc) {
            return Status::Corruption(where() + ": checksum mismatch in the batch of offsets " +
                                      std::to_string(h.base_offset) + ".." +
                                      std::to_string(h.base_offset + h.count - 1) +
                                      "; the segment was damaged after it was written, restore it from a backup");
          }
          p->cached_base = h.base_offset;
        }
        RecordPosition at;
        if (p->cached_resume.index > 0 && h.base_offset + p->cached_resume.index == cursor) at = p->cached_resume;
        SL_RETURN_IF_ERROR(ForEachRecord(p->cached_payload, h.base_offset, h.count, where, take, &at, &stopped));
        p->cached_resume = at;
        cursor = h.base_offset + h.count;
        pos = next_pos;
      }
    }
  }
  if (!stopped && p->pending_count > 0 && cursor < p->next_offset) {
    RecordPosition at;
    SL_RETURN_IF_ERROR(ForEachRecord(
        p->pending, p->pending_base, p->pending_count, [&] { return p->label; }, take, &at, &stopped));
  }
  return out;
}

Status FileLog::CommitOffset(const std::string& group, const std::string& topic, int partition, int64_t next_offset) {
  if (!ValidName(group) || group.size() > 200) {
    return Status::InvalidArgument("invalid consumer group name '" + group +
                                   "': use 1 to 200 characters of [A-Za-z0-9._-], not '.' or '..'");
  }
  if (partition < 0 || next_offset < 0) {
    return Status::InvalidArgument("commit for group '" + group + "' on " + topic + ":" + std::to_string(partition) +
                                   ": partition and offset must not be negative");
  }
  std::lock_guard lock(impl_->groups_mu);
  auto& offsets = impl_->groups[group];
  offsets[topic][partition] = next_offset;
  nlohmann::json json = {{"topics", nlohmann::json::object()}};
  for (const auto& [t, parts] : offsets) {
    auto& entry = json["topics"][t];
    entry = nlohmann::json::object();
    for (const auto& [part, off] : parts) entry[std::to_string(part)] = off;
  }
  return WriteFileAtomic(impl_->dir + "/" + kGroupsDir + "/" + group + ".json", json.dump() + "\n", impl_->env());
}

Result<int64_t> FileLog::CommittedOffset(const std::string& group, const std::string& topic, int partition) {
  {
    std::lock_guard lock(impl_->groups_mu);
    auto g = impl_->groups.find(group);
    if (g != impl_->groups.end()) {
      auto t = g->second.find(topic);
      if (t != g->second.end()) {
        auto it = t->second.find(partition);
        if (it != t->second.end()) return it->second;
      }
    }
  }
  auto p = impl_->Find(topic, partition);
  if (!p.ok()) return int64_t{0};
  std::lock_guard lock((*p)->mu);
  return (*p)->Begin();
}

}  // namespace stocklake
