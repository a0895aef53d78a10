#include "lake/thrift_compact.h"

#include <cstring>

namespace stocklake {

namespace {
// Deeper nesting than this only occurs in hostile input; Parquet metadata needs ~5.
constexpr int kMaxSkipDepth = 64;
// Largest list (or set) a reader accepts: Arrow's default Thrift container size limit.
// Decoders size vectors from list headers, so this (with the remaining-bytes check in
// ReadListHeader) bounds what a corrupt header can make them allocate; no Parquet file
// has a million columns or row groups.
constexpr uint32_t kMaxListSize = 1000 * 1000;
}  // namespace

void ThriftCompactWriter::WriteVarint(uint64_t value) {
  char buf[10];
  int n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out_->append(buf, n);
}

void ThriftCompactWriter::FieldHeader(int16_t id, ThriftType type) {
  const int delta = id - last_field_id_.back();
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    WriteVarint(ZigZag32(id));
  }
  last_field_id_.back() = id;
}

void ThriftCompactWriter::BeginStructField(int16_t id) {
  FieldHeader(id, ThriftType::kStruct);
  last_field_id_.push_back(0);
}

void ThriftCompactWriter::BeginStruct() { last_field_id_.push_back(0); }

void ThriftCompactWriter::EndStruct() {
  out_->push_back(0);
  last_field_id_.pop_back();
}

void ThriftCompactWriter::FieldI32(int16_t id, int32_t value) {
  FieldHeader(id, ThriftType::kI32);
  WriteVarint(ZigZag32(value));
}

void ThriftCompactWriter::FieldI64(int16_t id, int64_t value) {
  FieldHeader(id, ThriftType::kI64);
  WriteVarint(ZigZag64(value));
}

void ThriftCompactWriter::FieldBool(int16_t id, bool value) {
  FieldHeader(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void ThriftCompactWriter::FieldBinary(int16_t id, std::string_view value) {
  FieldHeader(id, ThriftType::kBinary);
  ListBinary(value);
}

void ThriftCompactWriter::ListBinary(std::string_view value) {
  WriteVarint(value.size());
  out_->append(value.data(), value.size());
}

void ThriftCompactWriter::FieldListHeader(int16_t id, ThriftType element_type, uint32_t size) {
  FieldHeader(id, ThriftType::kList);
  if (size < 15) {
    out_->push_back(static_cast<char>((size << 4) | static_cast<uint32_t>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xf0 | static_cast<uint32_t>(element_type)));
    WriteVarint(size);
  }
}

void ThriftCompactReader::Fail(const std::string& what) {
  if (error_.empty()) error_ = what + " at metadata byte " + std::to_string(pos_);
}

uint64_t ThriftCompactReader::ReadVarint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) {
      Fail("truncated varint");
      return 0;
    }
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return result;
  }
  Fail("varint longer than 10 bytes");
  return 0;
}

void ThriftCompactReader::BeginStruct() { last_field_id_.push_back(0); }

void ThriftCompactReader::EndStruct() {
  if (!last_field_id_.empty()) last_field_id_.pop_back();
}

bool ThriftCompactReader::NextField(int16_t* id, ThriftType* type) {
  if (!ok()) return false;
  if (pos_ >= data_.size()) {
    Fail("truncated struct");
    return false;
  }
  const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
  const uint8_t t = b & 0x0f;
  if (t == 0) return false;
  if (t > static_cast<uint8_t>(ThriftType::kStruct)) {
    Fail("bad field type " + std::to_string(t));
    return false;
  }
  *type = static_cast<ThriftType>(t);
  const int delta = b >> 4;
  if (last_field_id_.empty()) {
    Fail("field outside a struct");
    return false;
  }
  int16_t& last = last_field_id_.back();
  if (delta != 0) {
    *id = static_cast<int16_t>(last + delta);
  } else {
    const uint64_t z = ReadVarint();
    *id = static_cast<int16_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  last = *id;
  return ok();
}

int32_t ThriftCompactReader::ReadI32() {
  const uint64_t z = ReadVarint();
  return static_cast<int32_t>(static_cast<uint32_t>((z >> 1) ^ (~(z & 1) + 1)));
}

int64_t ThriftCompactReader::ReadI64() {
  const uint64_t z = ReadVarint();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

int8_t ThriftCompactReader::ReadByte() {
  if (pos_ >= data_.size()) {
    Fail("truncated byte");
    return 0;
  }
  return static_cast<int8_t>(data_[pos_++]);
}

double ThriftCompactReader::ReadDouble() {
  if (data_.size() - pos_ < 8) {
    Fail("truncated double");
    pos_ = data_.size();
    return 0;
  }
  double v;
  std::memcpy(&v, data_.data() + pos_, 8);
  pos_ += 8;
  return v;
}

std::string_view ThriftCompactReader::ReadBinary() {
  const uint64_t len = ReadVarint();
  if (!ok()) return {};
  if (len > data_.size() - pos_) {
    Fail("binary length " + std::to_string(len) + " runs past the end");
    return {};
  }
  std::string_view v = data_.substr(pos_, len);
  pos_ += len;
  return v;
}

void ThriftCompactReader::ReadListHeader(ThriftType* element_type, uint32_t* size) {
  *size = 0;
  *element_type = ThriftType::kStop;
  if (pos_ >= data_.size()) {
    Fail("truncated list header");
    return;
  }
  const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
  uint64_t n = b >> 4;
  if (n == 15) n = ReadVarint();
  if (n > kMaxListSize || n > data_.size() - pos_) {
    // Every element takes at least one byte except bools packed in headers, which
    // lists never use; so a size beyond the remaining bytes is corrupt.
    Fail("list size " + std::to_string(n) + " too large");
    return;
  }
  const uint8_t t = b & 0x0f;
  if (t == 0 || t > static_cast<uint8_t>(ThriftType::kStruct)) {
    Fail("bad list element type " + std::to_string(t));
    return;
  }
  *element_type = static_cast<ThriftType>(t);
  *size = static_cast<uint32_t>(n);
}

void ThriftCompactReader::Skip(ThriftType type) { SkipDepth(type, 0); }

void ThriftCompactReader::SkipDepth(ThriftType type, int depth) {
  if (!ok()) return;
  if (depth > kMaxSkipDepth) {
    Fail("nesting too deep");
    return;
  }
  switch (type) {
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse: return;  // value lives in the field header
    case ThriftType::kByte: ReadByte(); return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64: ReadVarint(); return;
    case ThriftType::kDouble: ReadDouble(); return;
    case ThriftType::kBinary: ReadBinary(); return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftType element;
      uint32_t size;
      ReadListHeader(&element, &size);
      for (uint32_t i = 0; i < size && ok(); ++i) {
        // Bools inside containers take one byte each.
        if (element == ThriftType::kBoolTrue || element == ThriftType::kBoolFalse) {
          ReadByte();
        } else {
          SkipDepth(element, depth + 1);
        }
      }
      return;
    }
    case ThriftType::kMap: {
      const uint64_t size = ReadVarint();
      if (size == 0 || !ok()) return;
      if (size > data_.size() - pos_) {
        Fail("map size too large");
        return;
      }
      const uint8_t kv = static_cast<uint8_t>(ReadByte());
      const auto key = static_cast<ThriftType>(kv >> 4);
      const auto value = static_cast<ThriftType>(kv & 0x0f);
      auto skip_element = [&](ThriftType t) {
        if (t == ThriftType::kBoolTrue || t == ThriftType::kBoolFalse) {
          ReadByte();
        } else {
          SkipDepth(t, depth + 1);
        }
      };
      for (uint64_t i = 0; i < size && ok(); ++i) {
        skip_element(key);
        skip_element(value);
      }
      return;
    }
    case ThriftType::kStruct: {
      BeginStruct();
      int16_t id;
      ThriftType t;
      while (NextField(&id, &t)) SkipDepth(t, depth + 1);
      EndStruct();
      return;
    }
    case ThriftType::kStop: Fail("unexpected stop type"); return;
  }
  Fail("unknown type");
}

}  // namespace stocklake
