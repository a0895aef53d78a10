#include "core/byte_stream_split.h"

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace stocklake {

namespace {

// In-register transpose of an 8x8 byte matrix (x[i] holds row i, byte b its column b):
// swap 4x4 blocks, then 2x2, then single bytes. A transpose is its own inverse.
inline void Transpose8x8(uint64_t x[8]) {
  for (int i = 0; i < 4; ++i) {
    const uint64_t t = ((x[i] >> 32) ^ x[i + 4]) & 0x00000000FFFFFFFFull;
    x[i] ^= t << 32;
    x[i + 4] ^= t;
  }
  for (int i : {0, 1, 4, 5}) {
    const uint64_t t = ((x[i] >> 16) ^ x[i + 2]) & 0x0000FFFF0000FFFFull;
    x[i] ^= t << 16;
    x[i + 2] ^= t;
  }
  for (int i = 0; i < 8; i += 2) {
    const uint64_t t = ((x[i] >> 8) ^ x[i + 1]) & 0x00FF00FF00FF00FFull;
    x[i] ^= t << 8;
    x[i + 1] ^= t;
  }
}

inline void Transpose4x4(uint32_t x[4]) {
  for (int i = 0; i < 2; ++i) {
    const uint32_t t = ((x[i] >> 16) ^ x[i + 2]) & 0x0000FFFFu;
    x[i] ^= t << 16;
    x[i + 2] ^= t;
  }
  for (int i = 0; i < 4; i += 2) {
    const uint32_t t = ((x[i] >> 8) ^ x[i + 1]) & 0x00FF00FFu;
    x[i] ^= t << 8;
    x[i + 1] ^= t;
  }
}

// The blocked fast paths handle whole groups of `width` values; the rest byte by byte.
void SplitTail(const char* src, char* dst, size_t begin, size_t count, size_t width) {
  for (size_t i = begin; i < count; ++i) {
    for (size_t b = 0; b < width; ++b) dst[b * count + i] = src[i * width + b];
  }
}

void JoinTail(const char* src, char* dst, size_t begin, size_t count, size_t width) {
  for (size_t i = begin; i < count; ++i) {
    for (size_t b = 0; b < width; ++b) dst[i * width + b] = src[b * count + i];
  }
}

}  // namespace

void SplitByteStreams(const char* src, char* dst, size_t count, size_t width) {
  size_t i = 0;
  if (width == 8) {
    for (; i + 8 <= count; i += 8) {
      uint64_t x[8];
      std::memcpy(x, src + i * 8, 64);
      Transpose8x8(x);
      for (size_t b = 0; b < 8; ++b) std::memcpy(dst + b * count + i, &x[b], 8);
    }
  } else if (width == 4) {
    for (; i + 4 <= count; i += 4) {
      uint32_t x[4];
      std::memcpy(x, src + i * 4, 16);
      Transpose4x4(x);
      for (size_t b = 0; b < 4; ++b) std::memcpy(dst + b * count + i, &x[b], 4);
    }
  }
  SplitTail(src, dst, i, count, width);
}

void JoinByteStreams(const char* src, char* dst, size_t count, size_t width) {
  size_t i = 0;
  if (width == 8) {
    for (; i + 8 <= count; i += 8) {
      uint64_t x[8];
      for (size_t b = 0; b < 8; ++b) std::memcpy(&x[b], src + b * count + i, 8);
      Transpose8x8(x);
      std::memcpy(dst + i * 8, x, 64);
    }
  } else if (width == 4) {
    for (; i + 4 <= count; i += 4) {
      uint32_t x[4];
      for (size_t b = 0; b < 4; ++b) std::memcpy(&x[b], src + b * count + i, 4);
      Transpose4x4(x);
      std::memcpy(dst + i * 4, x, 16);
    }
  }
  JoinTail(src, dst, i, count, width);
}

}  // namespace stocklake
