// The bronze layer: every input file as received, kept immutable under
// bronze/ingest_date=YYYY-MM-DD/ as one zstd frame (with its content size and checksum),
// so `zstdcat` gives back the exact bytes. Compressed because the raw CSV is the largest
// thing a run writes and compresses about 4x.
#pragma once

#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"

namespace stocklake {

//! The suffix bronze copies carry.
inline constexpr std::string_view kBronzeSuffix = ".zst";

//! Writes `bytes` compressed to the new file `path` and starts its write-back; durable
//! after the caller's SyncFileSystem.
Status WriteBronzeCopy(std::string_view bytes, const std::string& path, Env* env = Env::Default());

//! Reads a bronze copy back (the original bytes). Corruption when the frame is damaged.
Result<std::string> ReadBronzeCopy(const std::string& path);

}  // namespace stocklake
