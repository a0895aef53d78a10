// Comparing Tables exactly in tests: each cell as a type-tagged string, doubles by their
// bits, NULL distinct from every value.
#pragma once

#include <string>

#include "core/table.h"

namespace stocklake::testing {

//! "s:text", "d:2017-09-29", "i:42", "f:<bits of the double>" or "NULL".
std::string ExactCell(const Column& column, size_t row);

}  // namespace stocklake::testing
