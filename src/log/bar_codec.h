// The values of the bar topics: a compact binary encoding of a whole BarBatch (what the
// pipeline's own producers publish), and JSON for one bar (what any other producer may
// publish to the raw topic). Decoding accepts both.
//
// Binary encoding, version 1 (little-endian, no padding):
//   u8  0xB5 (magic; a UTF-8 continuation byte, so never the start of JSON text)
//   u8  1    (version)
//   u32 rows, u32 dictionary size, then per ticker name: u32 length + bytes
//   columns of `rows` values each, in this order: ticker i32, date i32, open f64, high f64,
//   low f64, close f64, adj_close f64, volume i64, source u32, line i64, reason u8.
// Version 2 (what the pipeline writes): u8 0xB5, u8 2, then one zstd frame holding
// version 1's bytes after the version byte, with every multi-byte column byte-stream
// split (all first bytes of the column, then all second bytes, ...). About half the size
// of version 1 on daily bars; decoders accept both.
//
// JSON schema of one raw-topic bar (JSON Schema draft 2020-12):
//   {
//     "type": "object",
//     "required": ["ticker", "date", "open", "high", "low", "close", "volume"],
//     "properties": {
//       "ticker":    {"type": "string", "minLength": 1, "description": "upper-cased on decode"},
//       "date":      {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
//                     "description": "a real calendar day"},
//       "open":      {"type": "number"},
//       "high":      {"type": "number"},
//       "low":       {"type": "number"},
//       "close":     {"type": "number"},
//       "adj_close": {"type": "number", "description": "optional; defaults to close"},
//       "volume":    {"type": "integer", "description": "within int64; 1000.0 is not an integer"},
//       "source":    {"type": "string", "description": "optional free text naming the origin"},
//       "line":      {"type": "integer", "description": "optional lineage line; 0 when absent"}
//     },
//     "additionalProperties": true
//   }
// A bar that breaks the schema still decodes, to one row with reason parse_error (ticker and
// date filled where they parsed), so it is rejected downstream rather than lost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bar_batch.h"
#include "core/status.h"

namespace stocklake {

//! First byte of the binary encoding.
inline constexpr uint8_t kBarBatchMagic = 0xB5;

enum class BarEncoding {
  kPlain,       //!< version 1: the columns as they are
  kCompressed,  //!< version 2: version 1's body with each column byte-stream split, in one zstd frame
};

//! Compact binary encoding of a BarBatch (all columns incl. the ticker dictionary, source,
//! line and reason). Requires equal column lengths (BarBatch's invariant).
std::string EncodeBarBatch(const BarBatch& batch, BarEncoding encoding = BarEncoding::kCompressed);

//! The same encoding of rows [begin, end) only (the whole dictionary is kept).
std::string EncodeBarBatchRows(const BarBatch& batch, size_t begin, size_t end,
                               BarEncoding encoding = BarEncoding::kCompressed);

//! Decodes either the binary encoding or a JSON object for ONE bar (schema above). A JSON
//! bar whose fields are missing, ill-typed or unparsable is not an error: it decodes to one
//! row with reason kParseError. `json_source_id` fills the `source` column of JSON rows.
//! Bytes that are neither a valid binary encoding nor a JSON object are Corruption.
Result<BarBatch> DecodeBarRecord(std::string_view value, uint32_t json_source_id);

//! As above; for a JSON bar also stores its "source" text in `*json_source_text` ("" when
//! absent or not a string). `json_source_text` may be null.
Result<BarBatch> DecodeBarRecord(std::string_view value, uint32_t json_source_id, std::string* json_source_text);

}  // namespace stocklake
