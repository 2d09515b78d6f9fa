// What the libFuzzer harnesses (tests/fuzz/fuzz_*.cpp) share: the two ways
// they stop on a broken invariant. Both end the run with a crash libFuzzer
// reports and saves; they differ only in the signal.
#pragma once

#include <cstdlib>

// Traps (SIGILL) where the condition fails, without a call frame of its own.
#define FUZZ_CHECK(condition)           \
  do {                                  \
    if (!(condition)) __builtin_trap(); \
  } while (0)

namespace softwire::fuzz {

// Aborts (SIGABRT) when the condition fails.
inline void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace softwire::fuzz
