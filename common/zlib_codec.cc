#include "common/zlib_codec.h"

#include <zlib.h>

namespace rmq::common {

namespace {

rt::Error bad(std::string what) { return rt::Error(rt::Errc::invalid_argument, std::move(what)); }

}  // namespace

rt::Result<std::string> inflate_bounded(rt::ConstBytes in, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return rt::Error(rt::Errc::io_error, "zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_bytes) {
      inflateEnd(&zs);
      return bad("compressed body inflates beyond " + std::to_string(max_bytes) + " bytes");
    }
    const size_t chunk = 64 * 1024;
    const size_t old = out.size();
    out.resize(old + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + chunk - zs.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return bad("compressed body is not a valid zlib stream");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return bad("compressed body is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

std::optional<std::vector<std::byte>> deflate_zlib(std::string_view in, int level) {
  uLongf len = compressBound(static_cast<uLong>(in.size()));
  std::vector<std::byte> out(len);
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &len, reinterpret_cast<const Bytef*>(in.data()),
                static_cast<uLong>(in.size()), level) != Z_OK)
    return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace rmq::common
