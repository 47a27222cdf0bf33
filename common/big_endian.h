// Big-endian (network order) integers in byte buffers, as RocketMQ's Java
// ByteBuffers write them. Callers check bounds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rmq::common {

inline uint64_t load_be(const std::byte* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline void store_be(std::byte* p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = std::byte{static_cast<uint8_t>(v)};
}

inline int16_t get_i16(const std::byte* p) { return static_cast<int16_t>(load_be(p, 2)); }
inline int32_t get_i32(const std::byte* p) { return static_cast<int32_t>(load_be(p, 4)); }
inline int64_t get_i64(const std::byte* p) { return static_cast<int64_t>(load_be(p, 8)); }
inline void put_i16(std::byte* p, int16_t v) { store_be(p, static_cast<uint16_t>(v), 2); }
inline void put_i32(std::byte* p, int32_t v) { store_be(p, static_cast<uint32_t>(v), 4); }
inline void put_i64(std::byte* p, int64_t v) { store_be(p, static_cast<uint64_t>(v), 8); }

}  // namespace rmq::common
