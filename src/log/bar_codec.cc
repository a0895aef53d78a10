#include "log/bar_codec.h"

#include <simdjson.h>
#include <zstd.h>

#include <bit>
#include <cstring>
#include <memory>
#include <type_traits>

#include "core/byte_stream_split.h"

namespace stocklake {

static_assert(std::endian::native == std::endian::little,
              "the bar encoding is little-endian and copied column by column");

namespace {

constexpr uint8_t kVersion = 1;            // columns as they are
constexpr uint8_t kCompressedVersion = 2;  // columns byte-stream split, then zstd
constexpr size_t kMaxDecompressedBytes = size_t{1} << 31;
// Widths of the columns in encoding order: ticker, date, open, high, low, close,
// adj_close, volume, source, line, reason.
constexpr size_t kColumnWidths[] = {4, 4, 8, 8, 8, 8, 8, 8, 4, 8, 1};
constexpr size_t kFixedHeader = 2 + 4 + 4;
constexpr size_t kBytesPerRow = 4 + 4 + 5 * 8 + 8 + 4 + 8 + 1;

void PutU32(std::string& out, size_t& pos, uint32_t v) {
  std::memcpy(out.data() + pos, &v, 4);
  pos += 4;
}

template <typename T>
void PutColumn(std::string& out, size_t& pos, const std::vector<T>& column, size_t begin, size_t end) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (begin == end) return;
  std::memcpy(out.data() + pos, column.data() + begin, (end - begin) * sizeof(T));
  pos += (end - begin) * sizeof(T);
}

// Bounds-checked reader over the binary encoding; every failure names the byte position.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ReadU32(uint32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    std::memcpy(v, data_.data() + pos_, 4);
    pos_ += 4;
    return true;
  }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  void ReadColumn(size_t rows, std::vector<T>* column) {
    column->resize(rows);
    if (rows == 0) return;
    std::memcpy(column->data(), data_.data() + pos_, rows * sizeof(T));
    pos_ += rows * sizeof(T);
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Byte-stream split of the fixed-width columns that follow the dictionary (at `at`):
// each column's k-th bytes are stored together, which lets zstd see the slowly changing
// high bytes of prices, dates and line numbers as runs. `split` false undoes it.
void TransposeColumns(char* body, size_t at, size_t rows, bool split, std::string* scratch) {
  for (size_t width : kColumnWidths) {
    const size_t bytes = rows * width;
    if (width > 1) {
      scratch->assign(body + at, bytes);
      if (split) {
        SplitByteStreams(scratch->data(), body + at, rows, width);
      } else {
        JoinByteStreams(scratch->data(), body + at, rows, width);
      }
    }
    at += bytes;
  }
}

// Offset of the first column in a body (the encoding after magic and version), or 0
// when the dictionary runs past the end.
size_t ColumnsStart(std::string_view body, uint32_t* rows) {
  if (body.size() < 8) return 0;
  uint32_t names = 0;
  std::memcpy(rows, body.data(), 4);
  std::memcpy(&names, body.data() + 4, 4);
  size_t at = 8;
  for (uint32_t i = 0; i < names; ++i) {
    if (body.size() - at < 4) return 0;
    uint32_t length = 0;
    std::memcpy(&length, body.data() + at, 4);
    if (body.size() - at - 4 < length) return 0;
    at += 4 + length;
  }
  return at;
}

Result<BarBatch> DecodeBody(std::string_view value, std::string_view body);

Result<BarBatch> DecodeBinary(std::string_view value) {
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption("bar batch record (" + std::to_string(value.size()) + " bytes): " + what +
                              "; the record was not written by EncodeBarBatch or is damaged");
  };
  if (value.size() < kFixedHeader) return corrupt("shorter than the header");
  const auto version = static_cast<uint8_t>(value[1]);
  if (version == kVersion) return DecodeBody(value, value.substr(2));
  if (version != kCompressedVersion) return corrupt("unknown encoding version " + std::to_string(version));
  const unsigned long long size = ZSTD_getFrameContentSize(value.data() + 2, value.size() - 2);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxDecompressedBytes) {
    return corrupt("the compressed body has no valid zstd frame header");
  }
  thread_local std::string body, scratch;
  body.resize(size);
  const size_t got = ZSTD_decompress(body.data(), body.size(), value.data() + 2, value.size() - 2);
  if (ZSTD_isError(got) || got != size) {
    return corrupt(std::string("the compressed body does not decompress: ") +
                   (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short frame"));
  }
  uint32_t rows = 0;
  const size_t at = ColumnsStart(body, &rows);
  if (at == 0 || body.size() - at != uint64_t{rows} * kBytesPerRow)
    return corrupt("the decompressed columns do not match the row count");
  TransposeColumns(body.data(), at, rows, /*split=*/false, &scratch);
  return DecodeBody(value, body);
}

Result<BarBatch> DecodeBody(std::string_view value, std::string_view body) {
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption("bar batch record (" + std::to_string(value.size()) + " bytes): " + what +
                              "; the record was not written by EncodeBarBatch or is damaged");
  };
  Reader reader(body);
  uint32_t rows = 0;
  uint32_t names = 0;
  reader.ReadU32(&rows);
  reader.ReadU32(&names);
  // Each name takes at least its 4-byte length, which bounds `names` before reserving.
  if (names > reader.remaining() / 4) return corrupt("dictionary size " + std::to_string(names) + " is too large");
  BarBatch batch;
  batch.ticker_names.reserve(names);
  for (uint32_t i = 0; i < names; ++i) {
    uint32_t length = 0;
    std::string_view name;
    if (!reader.ReadU32(&length) || !reader.ReadBytes(length, &name)) {
      return corrupt("ticker name " + std::to_string(i) + " runs past the end");
    }
    batch.ticker_names.emplace_back(name);
  }
  if (reader.remaining() != uint64_t{rows} * kBytesPerRow) {
    return corrupt("column bytes " + std::to_string(reader.remaining()) + " do not match " + std::to_string(rows) +
                   " rows");
  }
  reader.ReadColumn(rows, &batch.ticker);
  reader.ReadColumn(rows, &batch.date);
  reader.ReadColumn(rows, &batch.open);
  reader.ReadColumn(rows, &batch.high);
  reader.ReadColumn(rows, &batch.low);
  reader.ReadColumn(rows, &batch.close);
  reader.ReadColumn(rows, &batch.adj_close);
  reader.ReadColumn(rows, &batch.volume);
  reader.ReadColumn(rows, &batch.source);
  reader.ReadColumn(rows, &batch.line);
  reader.ReadColumn(rows, &batch.reason);
  const auto name_count = static_cast<int32_t>(names);
  for (uint32_t i = 0; i < rows; ++i) {
    const int32_t code = batch.ticker[i];
    if (code != kNoTicker && (code < 0 || code >= name_count)) {
      return corrupt("row " + std::to_string(i) + " has ticker code " + std::to_string(code) +
                     " outside the dictionary");
    }
    if (static_cast<int>(batch.reason[i]) >= kRejectReasonCount) {
      return corrupt("row " + std::to_string(i) + " has unknown reject reason " +
                     std::to_string(static_cast<int>(batch.reason[i])));
    }
  }
  return batch;
}

// The fields of one JSON bar; a field stays unset when missing or ill-typed.
struct JsonBar {
  std::string ticker;
  Date date = kNullDate;
  double open = 0, high = 0, low = 0, close = 0, adj_close = 0;
  int64_t volume = 0;
  int64_t line = 0;
  bool ok = true;
};

bool GetDouble(simdjson::dom::object& object, std::string_view field, double* out) {
  simdjson::dom::element element;
  if (object.at_key(field).get(element) != simdjson::SUCCESS) return false;
  if (!element.is_number()) return false;
  return element.get_double().get(*out) == simdjson::SUCCESS;
}

Result<BarBatch> DecodeJson(std::string_view value, uint32_t json_source_id, std::string* json_source_text) {
  // One parser per thread: its buffers are reused across records.
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string padded(value);
  simdjson::dom::element root;
  if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return Status::Corruption(
        "record value (" + std::to_string(value.size()) +
        " bytes) is neither a binary bar batch nor valid JSON: " + simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Status::Corruption("record value is JSON but not an object; publish one bar per record as a JSON object");
  }
  JsonBar bar;
  std::string_view text;
  if (object["ticker"].get_string().get(text) == simdjson::SUCCESS && !text.empty()) {
    bar.ticker.assign(text);
    for (char& c : bar.ticker) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
  } else {
    bar.ok = false;
  }
  if (object["date"].get_string().get(text) != simdjson::SUCCESS ||
      !ParseIsoDate(text.data(), text.size(), &bar.date)) {
    bar.date = kNullDate;
    bar.ok = false;
  }
  bar.ok &= GetDouble(object, "open", &bar.open);
  bar.ok &= GetDouble(object, "high", &bar.high);
  bar.ok &= GetDouble(object, "low", &bar.low);
  bar.ok &= GetDouble(object, "close", &bar.close);
  simdjson::dom::element element;
  if (object.at_key("adj_close").get(element) == simdjson::SUCCESS) {
    bar.ok &= GetDouble(object, "adj_close", &bar.adj_close);
  } else {
    bar.adj_close = bar.close;
  }
  // get_int64 refuses 1000.0 and values beyond int64, as the spec's volume syntax does.
  if (object["volume"].get_int64().get(bar.volume) != simdjson::SUCCESS) {
    bar.volume = 0;
    bar.ok = false;
  }
  if (object.at_key("line").get(element) == simdjson::SUCCESS &&
      element.get_int64().get(bar.line) != simdjson::SUCCESS) {
    bar.line = 0;
    bar.ok = false;
  }
  if (json_source_text != nullptr) {
    json_source_text->clear();
    if (object["source"].get_string().get(text) == simdjson::SUCCESS) json_source_text->assign(text);
  }
  BarBatch batch;
  const int32_t code = bar.ticker.empty() ? kNoTicker : batch.InternTicker(bar.ticker);
  batch.Append(code, bar.date, bar.open, bar.high, bar.low, bar.close, bar.adj_close, bar.volume, json_source_id,
               bar.line, bar.ok ? RejectReason::kNone : RejectReason::kParseError);
  return batch;
}

}  // namespace

namespace {
void EncodePlain(const BarBatch& batch, size_t begin, size_t end, std::string* out);
}  // namespace

std::string EncodeBarBatch(const BarBatch& batch, BarEncoding encoding) {
  return EncodeBarBatchRows(batch, 0, batch.size(), encoding);
}

std::string EncodeBarBatchRows(const BarBatch& batch, size_t begin, size_t end, BarEncoding encoding) {
  // Reused per thread: a fresh multi-megabyte buffer per record costs more in page
  // faults than the encoding itself.
  thread_local std::string plain, scratch;
  EncodePlain(batch, begin, end, &plain);
  if (encoding == BarEncoding::kPlain) return plain;
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  uint32_t rows = 0;
  const size_t at = ColumnsStart(std::string_view(plain).substr(2), &rows) + 2;
  TransposeColumns(plain.data(), at, rows, /*split=*/true, &scratch);
  std::string out(2 + ZSTD_compressBound(plain.size() - 2), '\0');
  out[0] = static_cast<char>(kBarBatchMagic);
  out[1] = static_cast<char>(kCompressedVersion);
  // Level 1: the transposed columns compress about 2x at several hundred MB/s.
  const size_t n =
      ZSTD_compressCCtx(context.get(), out.data() + 2, out.size() - 2, plain.data() + 2, plain.size() - 2, -3);
  if (ZSTD_isError(n)) return plain;  // cannot happen with a bound-sized buffer; stay correct anyway
  out.resize(2 + n);
  return out;
}

namespace {

void EncodePlain(const BarBatch& batch, size_t begin, size_t end, std::string* out_buffer) {
  const size_t rows = end - begin;
  size_t names_bytes = 0;
  for (const auto& name : batch.ticker_names) names_bytes += 4 + name.size();
  std::string& out = *out_buffer;
  // resize_and_overwrite would skip zero-filling, but the fill is small next to the copies.
  out.resize(kFixedHeader + names_bytes + rows * kBytesPerRow);
  out[0] = static_cast<char>(kBarBatchMagic);
  out[1] = static_cast<char>(kVersion);
  size_t pos = 2;
  PutU32(out, pos, static_cast<uint32_t>(rows));
  PutU32(out, pos, static_cast<uint32_t>(batch.ticker_names.size()));
  for (const auto& name : batch.ticker_names) {
    PutU32(out, pos, static_cast<uint32_t>(name.size()));
    std::memcpy(out.data() + pos, name.data(), name.size());
    pos += name.size();
  }
  PutColumn(out, pos, batch.ticker, begin, end);
  PutColumn(out, pos, batch.date, begin, end);
  PutColumn(out, pos, batch.open, begin, end);
  PutColumn(out, pos, batch.high, begin, end);
  PutColumn(out, pos, batch.low, begin, end);
  PutColumn(out, pos, batch.close, begin, end);
  PutColumn(out, pos, batch.adj_close, begin, end);
  PutColumn(out, pos, batch.volume, begin, end);
  PutColumn(out, pos, batch.source, begin, end);
  PutColumn(out, pos, batch.line, begin, end);
  PutColumn(out, pos, batch.reason, begin, end);
}

}  // namespace

Result<BarBatch> DecodeBarRecord(std::string_view value, uint32_t json_source_id) {
  return DecodeBarRecord(value, json_source_id, nullptr);
}

Result<BarBatch> DecodeBarRecord(std::string_view value, uint32_t json_source_id, std::string* json_source_text) {
  if (!value.empty() && static_cast<uint8_t>(value[0]) == kBarBatchMagic) return DecodeBinary(value);
  size_t i = 0;
  while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r')) ++i;
  if (i == value.size() || value[i] != '{') {
    return Status::Corruption("record value (" + std::to_string(value.size()) +
                              " bytes) is neither a binary bar batch (first byte 0xB5) nor a JSON object");
  }
  return DecodeJson(value, json_source_id, json_source_text);
}

}  // namespace stocklake
