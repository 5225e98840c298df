// Shared by the libFuzzer harnesses: an invariant check that survives NDEBUG and says what broke.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

// Aborts (a libFuzzer crash, saved as an artifact) when `cond` is false.
#define TG_FUZZ_CHECK(cond, ...)                                                            \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "\ninvariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, "  " __VA_ARGS__);                                               \
      std::fprintf(stderr, "\n");                                                           \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace tg_fuzz {
inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
}  // namespace tg_fuzz
