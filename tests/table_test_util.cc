#include "table_test_util.h"

#include <cstdint>
#include <cstring>

#include "core/date.h"

namespace stocklake::testing {

std::string ExactCell(const Column& c, size_t r) {
  if (c.IsNull(r)) return "NULL";
  switch (c.type) {
    case ColumnType::kString: return "s:" + std::string(c.StringAt(r));
    case ColumnType::kDate: return "d:" + FormatDate(c.i32[r]);
    case ColumnType::kInt32: return "i:" + std::to_string(c.i32[r]);
    case ColumnType::kInt64: return "i:" + std::to_string(c.i64[r]);
    case ColumnType::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &c.f64[r], sizeof bits);
      return "f:" + std::to_string(bits);
    }
  }
  return "?";
}

}  // namespace stocklake::testing
