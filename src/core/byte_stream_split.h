// Byte-stream split (Parquet's BYTE_STREAM_SPLIT): `count` values of `width` bytes are
// stored as `width` streams, stream b holding byte b of every value. Numbers that change
// slowly (prices, dates, line numbers) then show long runs to a compressor. Used by the
// Parquet writer/reader and the bar codec.
#pragma once

#include <cstddef>

namespace stocklake {

//! Values -> streams. `src` and `dst` must not overlap. Widths 4 and 8 take a fast path;
//! any width works.
void SplitByteStreams(const char* src, char* dst, size_t count, size_t width);

//! Streams -> values (the inverse of SplitByteStreams).
void JoinByteStreams(const char* src, char* dst, size_t count, size_t width);

}  // namespace stocklake
