// Always-on assertions. A failed assertion is a bug: the process prints where
// and what, then aborts. Bad input and I/O failures are errors, never asserts.
#pragma once

namespace rmq {

[[noreturn]] void assert_fail(const char* expr, const char* file, int line,
                              const char* msg) noexcept;

}  // namespace rmq

#define RMQ_ASSERT(cond)                                             \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::rmq::assert_fail(#cond, __FILE__, __LINE__, nullptr);        \
  } while (0)

#define RMQ_ASSERT_MSG(cond, msg)                                    \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::rmq::assert_fail(#cond, __FILE__, __LINE__, (msg));          \
  } while (0)

#define RMQ_UNREACHABLE(msg) ::rmq::assert_fail("unreachable", __FILE__, __LINE__, (msg))
