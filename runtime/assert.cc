#include "runtime/assert.h"

#include <cstdio>
#include <cstdlib>

namespace rmq {

void assert_fail(const char* expr, const char* file, int line, const char* msg) noexcept {
  std::fprintf(stderr, "assertion failed: %s at %s:%d%s%s\n", expr, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace rmq
