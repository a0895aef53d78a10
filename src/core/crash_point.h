// Named points where a test can make the process die as if by kill -9, to prove that a
// crash at exactly that moment leaves the lake and log recoverable. Set
// STOCKLAKE_CRASH_AT=<name> to arm one point (the first time it is reached), or
// <name>@N to die the N-th time; unset, each call is one cached compare.
#pragma once

namespace stocklake {

//! Dies by SIGKILL when STOCKLAKE_CRASH_AT names `name` and this is the armed time.
void CrashPoint(const char* name);

}  // namespace stocklake
