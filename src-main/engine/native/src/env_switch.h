// Kernel switches: environment variables read on every call (never cached at load), so a benchmark can
// time both sides of a path in one process and a test can pin either side. A switch is on unless set to
// "0"; a threshold is a positive integer, anything else (unset, empty, 0, junk) gives its default.
#pragma once

#include <cstdlib>
#include <cstring>

namespace wb {

inline bool switch_on(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr || std::strcmp(v, "0") != 0;
}

inline int switch_threshold(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

}  // namespace wb
