// Helpers shared by the fuzz targets: an always-on check and command equality.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "remoting/command.h"

namespace rmq::fuzz {

// A broken invariant is a finding: stop at once so libFuzzer saves the input.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

inline std::span<const std::byte> as_bytes(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

inline bool same(const remoting::RemotingCommand& a, const remoting::RemotingCommand& b) {
  return a.code == b.code && a.language == b.language && a.version == b.version && a.opaque == b.opaque &&
         a.flag == b.flag && a.remark == b.remark && a.ext_fields == b.ext_fields && a.body == b.body &&
         a.serialize_type == b.serialize_type;
}

}  // namespace rmq::fuzz
