#include "log/log_segment.h"

#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace stocklake::log_segment {

uint32_t BatchCrc(const char* header, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(header + kCrcStart), kHeaderSize - kCrcStart);
  // zlib takes uInt lengths; payloads stay far below 4 GiB (records are at most 1 GiB) but be exact.
  size_t done = 0;
  while (done < payload.size()) {
    const size_t n = std::min<size_t>(payload.size() - done, size_t{1} << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data() + done), static_cast<uInt>(n));
    done += n;
  }
  return static_cast<uint32_t>(crc);
}

std::string SegmentName(int64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020" PRId64 ".log", base_offset);
  return buf;
}

bool ParseSegmentName(const std::string& name, int64_t* base_offset) {
  if (name.size() != 24 || name.compare(20, 4, ".log") != 0) return false;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (name[i] - '0');
  }
  *base_offset = v;
  return true;
}

namespace {

// True when a whole valid batch (header, length and checksum) starts at `pos` of `data`.
bool ValidBatchAt(std::string_view data, uint64_t pos) {
  if (data.size() - pos < kHeaderSize) return false;
  const BatchHeader h = DecodeHeader(data.data() + pos);
  if (!HeaderFits(h, pos, data.size())) return false;
  return BatchCrc(data.data() + pos, data.substr(pos + kHeaderSize, h.length)) == h.crc;
}

}  // namespace

Status ScanSealedSegment(Segment& s, const std::string& label, Env* env) {
  SL_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(s.path));
  uint64_t pos = 0;
  int64_t expected = s.base_offset;
  char buf[kHeaderSize];
  while (pos < s.size) {
    const auto damaged = [&](const std::string& what) {
      return Status::Corruption(label + ": segment '" + s.path + "' is damaged at byte " + std::to_string(pos) +
                                " (offset " + std::to_string(expected) + "): " + what +
                                ". It is not the last segment, so this is not a torn write; restore the file "
                                "from a backup, or delete it and every later segment of the partition");
    };
    if (s.size - pos < kHeaderSize) return damaged("a partial batch header");
    SL_RETURN_IF_ERROR(file->ReadExact(pos, kHeaderSize, buf));
    const BatchHeader h = DecodeHeader(buf);
    if (!HeaderFits(h, pos, s.size)) return damaged("an invalid batch header");
    if (h.base_offset != expected) return damaged("batch base offset " + std::to_string(h.base_offset));
    s.AddBatch(h.base_offset, pos);
    expected += h.count;
    pos += kHeaderSize + h.length;
  }
  s.end_offset = expected;
  return Status::OK();
}

Status RecoverLastSegment(Segment& s, const std::string& label, Env* env, uint64_t durable_bytes) {
  uint64_t good = 0;
  int64_t expected = s.base_offset;
  bool torn = false;
  {
    SL_ASSIGN_OR_RETURN(MappedFile file, env->MapFile(s.path));
    const std::string_view data = file.data();
    // The synced prefix: headers only. A walk that does not land on its end (a recovery
    // point of an older file of that name) verifies everything instead.
    while (durable_bytes <= data.size() && good < durable_bytes) {
      const BatchHeader h = DecodeHeader(data.data() + good);
      if (data.size() - good < kHeaderSize || !HeaderFits(h, good, data.size()) || h.base_offset != expected) break;
      s.AddBatch(h.base_offset, good);
      expected += h.count;
      good += kHeaderSize + h.length;
    }
    if (good != durable_bytes) {
      good = 0;
      expected = s.base_offset;
      s.index.clear();
    }
    while (good < data.size()) {
      if (!ValidBatchAt(data, good)) break;
      const BatchHeader h = DecodeHeader(data.data() + good);
      if (h.base_offset != expected) break;
      s.AddBatch(h.base_offset, good);
      expected += h.count;
      good += kHeaderSize + h.length;
    }
    if (good < data.size()) {
      torn = true;
      const std::string_view magic(reinterpret_cast<const char*>(&kBatchMagic), 4);
      for (size_t at = data.find(magic, good + 1); at != std::string_view::npos; at = data.find(magic, at + 1)) {
        if (ValidBatchAt(data, at)) {
          return Status::Corruption(
              label + ": segment '" + s.path + "' is damaged at byte " + std::to_string(good) + " (offset " +
              std::to_string(expected) + ") but holds a valid batch at byte " + std::to_string(at) +
              ", so this is not a torn write; restore the file from a backup, or truncate it "
              "to " +
              std::to_string(good) + " bytes to drop the records from offset " + std::to_string(expected) + " on");
        }
      }
    }
  }
  if (torn) {
    // The tail was never acknowledged by a Flush that completed; cut it so appends continue
    // from the last whole batch.
    SL_RETURN_IF_ERROR(env->TruncateFile(s.path, good));
    SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(s.path, OpenMode::kExisting));
    SL_RETURN_IF_ERROR(file->Sync());
    SL_RETURN_IF_ERROR(file->Close());
  }
  s.size = good;
  s.end_offset = expected;
  return Status::OK();
}

uint64_t ReadRecoveryPoint(const std::string& dir, int64_t base_offset, Env* env) {
  auto text = env->ReadFile(dir + "/" + kRecoveryPointFile);
  if (!text.ok()) return 0;
  long long base = -1;
  unsigned long long bytes = 0;
  char extra = 0;
  if (std::sscanf(text->c_str(), "%lld %llu %c", &base, &bytes, &extra) != 2 || base != base_offset) return 0;
  return bytes;
}

Status WriteRecoveryPoint(const std::string& dir, int64_t base_offset, uint64_t bytes, Env* env) {
  const std::string path = dir + "/" + kRecoveryPointFile;
  const std::string tmp = path + ".tmp";
  char text[64];
  const int n = std::snprintf(text, sizeof text, "%lld %llu\n", static_cast<long long>(base_offset),
                              static_cast<unsigned long long>(bytes));
  SL_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp, OpenMode::kTruncate));
  SL_RETURN_IF_ERROR(file->Append(std::string_view(text, static_cast<size_t>(n))));
  SL_RETURN_IF_ERROR(file->Close());
  return env->RenameFile(tmp, path);
}

}  // namespace stocklake::log_segment
