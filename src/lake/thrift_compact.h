// The Thrift compact protocol, as far as Parquet metadata needs it: a writer that appends
// structs, lists and scalars to a string, and a bounds-checked reader that never reads
// past its buffer (corrupt input makes it fail, never crash).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stocklake {

//! Compact-protocol type ids as they appear in field and list headers.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

//! Appends compact-protocol bytes to `out`. Fields must be written in increasing id
//! order inside each struct; every BeginStruct needs its EndStruct.
class ThriftCompactWriter {
 public:
  explicit ThriftCompactWriter(std::string* out) : out_(out) { last_field_id_.push_back(0); }

  //! Opens a struct that is a field of the current struct.
  void BeginStructField(int16_t id);
  //! Opens a struct that is an element of a list (or the top-level struct).
  void BeginStruct();
  //! Writes the stop byte and returns to the enclosing struct.
  void EndStruct();

  void FieldI32(int16_t id, int32_t value);
  void FieldI64(int16_t id, int64_t value);
  void FieldBool(int16_t id, bool value);
  void FieldBinary(int16_t id, std::string_view value);
  //! Writes a list field header; then write `size` elements with the List* calls (or
  //! BeginStruct/EndStruct for struct elements).
  void FieldListHeader(int16_t id, ThriftType element_type, uint32_t size);

  void ListI32(int32_t value) { WriteVarint(ZigZag32(value)); }
  void ListBinary(std::string_view value);

 private:
  void FieldHeader(int16_t id, ThriftType type);
  void WriteVarint(uint64_t value);
  static uint64_t ZigZag32(int32_t v) {
    return static_cast<uint32_t>((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
  }
  static uint64_t ZigZag64(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

  std::string* out_;
  std::vector<int16_t> last_field_id_;  // one per open struct
};

//! Reads compact-protocol bytes from a fixed buffer. Errors are sticky: after the first
//! malformed byte every call returns a zero value and ok() stays false, so callers may
//! decode a whole struct and check ok() once.
class ThriftCompactReader {
 public:
  explicit ThriftCompactReader(std::string_view data) : data_(data) {}

  bool ok() const { return error_.empty(); }
  //! What went wrong and at which byte offset; empty when ok().
  const std::string& error() const { return error_; }
  //! Bytes consumed so far.
  size_t position() const { return pos_; }

  //! Enters a struct (top-level or nested field/list element).
  void BeginStruct();
  void EndStruct();
  //! Reads the next field header of the current struct. Returns false at the stop byte
  //! (or on error). A bool field carries its value in the type; read it with FieldBool.
  bool NextField(int16_t* id, ThriftType* type);

  int32_t ReadI32();
  int64_t ReadI64();
  int8_t ReadByte();
  double ReadDouble();
  std::string_view ReadBinary();
  //! For a bool struct field the value is its header type; inside lists a byte.
  bool FieldBool(ThriftType type) { return type == ThriftType::kBoolTrue; }
  //! Reads a list (or set) header.
  void ReadListHeader(ThriftType* element_type, uint32_t* size);
  //! Skips a value of the given type, including nested containers.
  void Skip(ThriftType type);

  //! Marks the reader failed with a message (used by decoders for semantic errors).
  void Fail(const std::string& what);

 private:
  uint64_t ReadVarint();
  void SkipDepth(ThriftType type, int depth);

  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
  std::vector<int16_t> last_field_id_;
};

}  // namespace stocklake
