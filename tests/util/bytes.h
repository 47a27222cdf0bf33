// Byte helpers shared by the test suites.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::test {

inline std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

inline std::string string_of(rt::ConstBytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// `n` pseudo-random bytes, the same for the same seed.
inline std::vector<std::byte> pattern(size_t n, uint32_t seed) {
  std::vector<std::byte> out(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = std::byte{static_cast<uint8_t>(x >> 16)};
  }
  return out;
}

}  // namespace rmq::test
