// The embedded log's segment files: the batch format (a 24-byte header with a CRC-32 of
// base offset, count and payload, then length-prefixed records), segment file names, the
// sparse offset index, and what opening a partition verifies: sealed segments are scanned
// by header, the last one is checked batch by batch and a torn tail is cut.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace stocklake::log_segment {

static_assert(std::endian::native == std::endian::little, "segment headers are written little-endian");

inline constexpr uint32_t kBatchMagic = 0x31424C53;  // "SLB1" in file byte order
inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kCrcStart = 12;               // the CRC covers base offset, count and payload
inline constexpr size_t kRecordOverhead = 8;          // u32 key length + u32 value length
inline constexpr uint64_t kIndexInterval = 64 << 10;  // file bytes between sparse index entries

struct BatchHeader {
  uint32_t magic = 0;
  uint32_t length = 0;
  uint32_t crc = 0;
  int64_t base_offset = 0;
  uint32_t count = 0;
};

inline void EncodeHeader(const BatchHeader& h, char* out) {
  std::memcpy(out, &h.magic, 4);
  std::memcpy(out + 4, &h.length, 4);
  std::memcpy(out + 8, &h.crc, 4);
  std::memcpy(out + 12, &h.base_offset, 8);
  std::memcpy(out + 20, &h.count, 4);
}

inline BatchHeader DecodeHeader(const char* in) {
  BatchHeader h;
  std::memcpy(&h.magic, in, 4);
  std::memcpy(&h.length, in + 4, 4);
  std::memcpy(&h.crc, in + 8, 4);
  std::memcpy(&h.base_offset, in + 12, 8);
  std::memcpy(&h.count, in + 20, 4);
  return h;
}

// Checks a header against what the position in the segment requires.
inline bool HeaderFits(const BatchHeader& h, uint64_t pos, uint64_t file_size) {
  return h.magic == kBatchMagic && h.count >= 1 && uint64_t{h.length} >= uint64_t{h.count} * kRecordOverhead &&
         pos + kHeaderSize + h.length <= file_size;
}

//! CRC-32 of a batch: the header from kCrcStart on, then the payload.
uint32_t BatchCrc(const char* header, std::string_view payload);

//! "<base offset, 20 digits>.log".
std::string SegmentName(int64_t base_offset);
//! The base offset of a segment file name; false for other names.
bool ParseSegmentName(const std::string& name, int64_t* base_offset);

// What a Fetch does with one record.
enum class Take { kNext, kStopAfter, kStopBefore };

// A position inside a batch payload: record `index` starts at byte `pos`.
struct RecordPosition {
  uint32_t index = 0;
  size_t pos = 0;
};

struct IndexEntry {
  int64_t offset;  // base offset of the batch at pos
  uint64_t pos;
};

struct Segment {
  int64_t base_offset = 0;
  int64_t end_offset = 0;  // one past the last record
  uint64_t size = 0;       // bytes of whole batches
  std::string path;
  std::vector<IndexEntry> index;  // sparse; the first batch is always indexed
  int64_t mtime_ms = 0;

  void AddBatch(int64_t batch_base, uint64_t pos) {
    if (index.empty() || pos - index.back().pos >= kIndexInterval) index.push_back({batch_base, pos});
  }
  //! Position of the last indexed batch starting at or before `offset`.
  uint64_t SeekPosition(int64_t offset) const {
    auto it = std::upper_bound(index.begin(), index.end(), offset,
                               [](int64_t o, const IndexEntry& e) { return o < e.offset; });
    return it == index.begin() ? 0 : std::prev(it)->pos;
  }
};

// Walks the headers (not payloads) of a segment that was complete when the next one was
// started; any inconsistency is damage, never a torn write. Fills s.index and s.end_offset.
Status ScanSealedSegment(Segment& s, const std::string& label, Env* env);

// Verifies every batch of the last segment past `durable_bytes` (its recovery point: a
// prefix an earlier Flush synced, whose batches are only walked by header, as Kafka skips
// the segments below its recovery point; 0 to verify all). The first bad batch starts a
// torn tail when nothing valid follows it: the file is truncated there. A valid batch
// after it means the damage is in the middle, which is reported rather than cut away.
Status RecoverLastSegment(Segment& s, const std::string& label, Env* env, uint64_t durable_bytes = 0);

// The recovery point file of a partition directory: "<segment base offset> <bytes>", the
// synced prefix of that segment. Written after each sync of the segment (replaced by a
// rename, not synced itself: a lost or stale one only means more to verify).
inline constexpr const char* kRecoveryPointFile = "recovery-point";

// The synced prefix of the segment starting at `base_offset` that `dir`'s recovery point
// records; 0 when there is none, it is of another segment, or it does not parse.
uint64_t ReadRecoveryPoint(const std::string& dir, int64_t base_offset, Env* env);

// Records `bytes` of the segment at `base_offset` as synced.
Status WriteRecoveryPoint(const std::string& dir, int64_t base_offset, uint64_t bytes, Env* env);

// Parses the records of one batch payload from `*at` on, calling take(offset, key, value)
// until it says stop; then `*at` is the first record not consumed.
template <typename Where, typename TakeFn>
Status ForEachRecord(std::string_view payload, int64_t base, uint32_t count, const Where& where, TakeFn&& take,
                     RecordPosition* at, bool* stopped) {
  size_t pos = at->pos;
  for (uint32_t i = at->index; i < count; ++i) {
    uint32_t key_len = 0;
    uint32_t value_len = 0;
    if (payload.size() - pos < kRecordOverhead) {
      return Status::Corruption(where() + ": record at offset " + std::to_string(base + i) + " runs past its batch");
    }
    std::memcpy(&key_len, payload.data() + pos, 4);
    std::memcpy(&value_len, payload.data() + pos + 4, 4);
    if (payload.size() - pos - kRecordOverhead < uint64_t{key_len} + value_len) {
      return Status::Corruption(where() + ": record at offset " + std::to_string(base + i) + " runs past its batch");
    }
    const size_t next = pos + kRecordOverhead + key_len + value_len;
    const Take what = take(base + i, payload.substr(pos + kRecordOverhead, key_len),
                           payload.substr(pos + kRecordOverhead + key_len, value_len));
    if (what == Take::kStopBefore) {
      *at = {i, pos};
      *stopped = true;
      return Status::OK();
    }
    pos = next;
    if (what == Take::kStopAfter) {
      *at = {i + 1, pos};
      *stopped = true;
      return Status::OK();
    }
  }
  *at = {count, pos};
  return Status::OK();
}

}  // namespace stocklake::log_segment
