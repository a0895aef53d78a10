// The RLE/bit-packed hybrid encoding of Parquet (definition levels, dictionary indices)
// and the ULEB128 varints it and DELTA_BINARY_PACKED are built from: both directions, the
// writer's and the reader's.
#include <cstring>
#include <string>
#include <string_view>

#include "lake/parquet_format.h"

namespace stocklake::parquet_internal {

bool ReadUleb128(std::string_view data, size_t* pos, uint64_t* out) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= data.size()) return false;
    const uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

namespace {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

template <typename T>
void AppendBitPacked(const T* values, size_t n, int bit_width, std::string* out) {
  const size_t groups = (n + 7) / 8;
  AppendVarint((groups << 1) | 1, out);
  if (bit_width == 0) return;
  const size_t start = out->size();
  out->resize(start + groups * bit_width);
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + start);
  uint64_t acc = 0;
  int bits = 0;
  // Padding values past n are zero, so the last group is complete.
  for (size_t i = 0; i < groups * 8; ++i) {
    const uint64_t v = i < n ? static_cast<uint64_t>(values[i]) : 0;
    acc |= v << bits;
    bits += bit_width;
    while (bits >= 8) {
      *dst++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

void AppendRleRun(uint64_t value, size_t count, int bit_width, std::string* out) {
  AppendVarint(static_cast<uint64_t>(count) << 1, out);
  for (int b = 0; b < (bit_width + 7) / 8; ++b) out->push_back(static_cast<char>((value >> (8 * b)) & 0xff));
}

template <typename T>
void AppendRleHybridImpl(const T* v, size_t n, int bit_width, std::string* out) {
  size_t literal_start = 0;
  size_t i = 0;
  while (i < n) {
    const T x = v[i];
    size_t j = i + 1;
    while (j < n && v[j] == x) ++j;
    if (j - i >= 8) {
      // Literal runs must hold whole groups of 8 unless they end the data, so the
      // first values of the run may top up the pending literal group.
      const size_t pending = (i - literal_start) % 8;
      const size_t top_up = pending == 0 ? 0 : 8 - pending;
      if (j - i - top_up >= 8) {
        const size_t run_start = i + top_up;
        if (run_start > literal_start) AppendBitPacked(v + literal_start, run_start - literal_start, bit_width, out);
        AppendRleRun(static_cast<uint64_t>(x), j - run_start, bit_width, out);
        literal_start = j;
      }
    }
    i = j;
  }
  if (n > literal_start) AppendBitPacked(v + literal_start, n - literal_start, bit_width, out);
}

}  // namespace

void AppendRleHybrid(const uint32_t* values, size_t n, int bit_width, std::string* out) {
  AppendRleHybridImpl(values, n, bit_width, out);
}

void AppendRleHybridBytes(const uint8_t* values, size_t n, std::string* out) { AppendRleHybridImpl(values, n, 1, out); }

namespace {

// Loads up to 8 bytes at `p` (fewer near `end`), little-endian, zero-filled.
inline uint64_t LoadBits(const uint8_t* p, const uint8_t* end) {
  uint64_t v = 0;
  const size_t avail = static_cast<size_t>(end - p);
  std::memcpy(&v, p, avail >= 8 ? 8 : avail);
  return v;
}

}  // namespace

bool DecodeRleHybrid(std::string_view data, int bit_width, size_t n, uint32_t* out) {
  if (bit_width < 0 || bit_width > 32) return false;
  const uint64_t mask = bit_width == 32 ? 0xffffffffull : ((1ull << bit_width) - 1);
  const size_t value_bytes = static_cast<size_t>(bit_width + 7) / 8;
  size_t pos = 0;
  size_t produced = 0;
  while (produced < n) {
    uint64_t header;
    if (!ReadUleb128(data, &pos, &header)) return false;
    if (header & 1) {
      const uint64_t groups = header >> 1;
      if (groups == 0 || groups > (uint64_t{1} << 40)) return false;
      const uint64_t run_bytes = groups * static_cast<uint64_t>(bit_width);
      const size_t available = data.size() - pos;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(groups * 8, n - produced));
      const uint64_t need_bits = static_cast<uint64_t>(take) * bit_width;
      if ((need_bits + 7) / 8 > available) return false;
      const auto* base = reinterpret_cast<const uint8_t*>(data.data() + pos);
      const auto* end = base + available;
      uint64_t bit = 0;
      for (size_t k = 0; k < take; ++k) {
        const uint8_t* p = base + (bit >> 3);
        out[produced + k] = bit_width == 0 ? 0 : static_cast<uint32_t>((LoadBits(p, end) >> (bit & 7)) & mask);
        bit += bit_width;
      }
      produced += take;
      // Some writers cut the final run short of whole groups; we already have our values.
      pos += static_cast<size_t>(std::min<uint64_t>(run_bytes, available));
    } else {
      const uint64_t count = header >> 1;
      if (count == 0) return false;
      if (data.size() - pos < value_bytes) return false;
      uint64_t value = 0;
      for (size_t b = 0; b < value_bytes; ++b)
        value |= static_cast<uint64_t>(static_cast<uint8_t>(data[pos + b])) << (8 * b);
      pos += value_bytes;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(count, n - produced));
      std::fill(out + produced, out + produced + take, static_cast<uint32_t>(value));
      produced += take;
    }
  }
  return true;
}

}  // namespace stocklake::parquet_internal
