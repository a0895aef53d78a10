// The PostgreSQL serving store's schema history: one SQL script per schema version, applied
// in order by SqlStore's migration runner. Kept apart from the store's queries and loading
// because it only ever grows: a released migration is frozen, a change is a new entry.
#pragma once

#include <string>
#include <vector>

namespace stocklake {

//! Migration N (1-based) is element N-1.
const std::vector<std::string>& PostgresMigrations();

}  // namespace stocklake
