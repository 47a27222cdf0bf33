#include "common/java_hash.h"

namespace rmq::common {

int32_t java_string_hash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31 + unit; };
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0;
    size_t len = 1;
    if (b0 < 0x80) {
      cp = b0;
    } else if ((b0 >> 5) == 0x6 && i + 1 < s.size()) {
      cp = ((b0 & 0x1fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3fu);
      len = 2;
    } else if ((b0 >> 4) == 0xe && i + 2 < s.size()) {
      cp = ((b0 & 0x0fu) << 12) | ((static_cast<uint8_t>(s[i + 1]) & 0x3fu) << 6) |
           (static_cast<uint8_t>(s[i + 2]) & 0x3fu);
      len = 3;
    } else if ((b0 >> 3) == 0x1e && i + 3 < s.size()) {
      cp = ((b0 & 0x07u) << 18) | ((static_cast<uint8_t>(s[i + 1]) & 0x3fu) << 12) |
           ((static_cast<uint8_t>(s[i + 2]) & 0x3fu) << 6) | (static_cast<uint8_t>(s[i + 3]) & 0x3fu);
      len = 4;
    } else {
      cp = 0xfffd;  // invalid UTF-8: Java's decoder yields U+FFFD
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

}  // namespace rmq::common
