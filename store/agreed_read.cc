#include "store/agreed_read.h"

#include <fmt/format.h>

#include <cstring>
#include <vector>

namespace rmq::store {

rt::Result<size_t> read_agreed(rt::File& f, uint64_t offset, rt::MutableBytes buf) {
  // Two bad reads of a few bytes can go wrong the same way far more often
  // than two of a sector: small reads need a third witness.
  const int witnesses = buf.size() < kAgreedReadSmallBytes ? 3 : 2;
  std::vector<std::byte> again(buf.size());
  for (int attempt = 0; attempt < kAgreedReadAttemptsMax; ++attempt) {
    auto n = f.read_at(offset, buf);
    if (!n) return n.error();
    bool agree = true;
    for (int w = 1; w < witnesses && agree; ++w) {
      auto m = f.read_at(offset, again);
      if (!m) return m.error();
      agree = *n == *m && (*n == 0 || std::memcmp(buf.data(), again.data(), *n) == 0);
    }
    if (agree) return *n;
  }
  return rt::Error(rt::Errc::io_error,
                   fmt::format("{}: {} bytes at {} read differently every time", f.path(), buf.size(), offset));
}

}  // namespace rmq::store
