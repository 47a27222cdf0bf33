#include "common/atomic_file.h"

namespace rmq::common {

std::string parent_dir(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

rt::Result<void> create_durable_dir(rt::FileSystem& fs, const std::string& dir) {
  if (auto r = fs.create_dirs(dir); !r) return r;
  for (std::string d = dir; d != "/" && d != ".";) {
    d = parent_dir(d);
    if (auto r = fs.sync_dir(d); !r) return r;
  }
  return {};
}

rt::Result<std::string> read_file(rt::FileSystem& fs, std::string_view path, uint64_t max_bytes) {
  auto f = fs.open(path, rt::OpenMode::existing);
  if (!f) return f.error();
  auto size = (*f)->size();
  if (!size) return size.error();
  if (*size > max_bytes)
    return rt::Error(rt::Errc::invalid_argument,
                     std::string(path) + " is " + std::to_string(*size) + " bytes, over the limit");
  std::string out(*size, '\0');
  size_t got = 0;
  while (got < out.size()) {
    auto n = (*f)->read_at(got, std::span(reinterpret_cast<std::byte*>(out.data()) + got, out.size() - got));
    if (!n) return n.error();
    if (*n == 0) break;
    got += *n;
  }
  out.resize(got);
  return out;
}

rt::Result<void> replace_file(rt::FileSystem& fs, std::string_view path, std::string_view contents) {
  const std::string dir = parent_dir(path);
  if (auto made = fs.create_dirs(dir); !made) return made;
  const std::string tmp = std::string(path) + ".tmp";
  {
    auto f = fs.open(tmp, rt::OpenMode::create);
    if (!f) return f.error();
    if (auto r = (*f)->truncate(0); !r) return r;
    if (auto r = (*f)->write_at(0, std::span(reinterpret_cast<const std::byte*>(contents.data()), contents.size())); !r)
      return r;
    if (auto r = (*f)->sync(); !r) return r;
  }
  if (auto r = fs.rename(tmp, path); !r) return r;
  return fs.sync_dir(dir);
}

}  // namespace rmq::common
