#include "runtime/real/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>

#include "runtime/real/errors.h"

namespace rmq::real {

using rt::Errc;
using rt::Error;
using rt::Result;

namespace {

Error stopping_error() { return Error(Errc::cancelled, "runtime stopping"); }

// Counts the operations of a file in flight, so that destroying the file
// under one of them is caught.
class InflightGuard {
 public:
  explicit InflightGuard(int& n) : n_(n) { ++n_; }
  ~InflightGuard() { --n_; }
  InflightGuard(const InflightGuard&) = delete;
  InflightGuard& operator=(const InflightGuard&) = delete;

 private:
  int& n_;
};

bool offset_ok(uint64_t offset, size_t len) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<off_t>::max());
  return offset <= kMax && len <= kMax - offset;
}

}  // namespace

// ---------------------------------------------------------------------------
// RealFile

RealFile::RealFile(rt::Runtime& rt, DiskIo& io, std::string path, int fd)
    : rt::File(std::move(path)), rt_(rt), io_(io), fd_(fd) {
  RMQ_ASSERT(fd_ >= 0);
}

RealFile::~RealFile() {
  RMQ_ASSERT_MSG(inflight_ == 0, "File destroyed during an operation on it");
  ::close(fd_);  // Linux frees the descriptor even on EINTR: never retry
}

Result<size_t> RealFile::do_read_at(uint64_t offset, rt::MutableBytes buf) {
  if (rt_.stopping()) return stopping_error();
  if (!offset_ok(offset, buf.size())) return Error(Errc::invalid_argument, "read " + path() + ": offset too large");
  InflightGuard g(inflight_);
  size_t got = 0;
  while (got < buf.size()) {
    const int64_t n = io_.read(fd_, buf.subspan(got), offset + got);
    if (n == -EINTR || n == -EAGAIN) continue;
    if (n < 0) return os_error(static_cast<int>(-n), "read", path());
    if (n == 0) break;  // end of file
    got += static_cast<size_t>(n);
  }
  RMQ_ASSERT(got <= buf.size());
  return got;
}

Result<void> RealFile::do_write_at(uint64_t offset, rt::ConstBytes data) {
  if (rt_.stopping()) return stopping_error();
  if (!offset_ok(offset, data.size())) return Error(Errc::invalid_argument, "write " + path() + ": offset too large");
  InflightGuard g(inflight_);
  size_t put = 0;
  while (put < data.size()) {
    const int64_t n = io_.write(fd_, data.subspan(put), offset + put);
    if (n == -EINTR || n == -EAGAIN) continue;
    if (n < 0) return os_error(static_cast<int>(-n), "write", path());
    if (n == 0) return Error(Errc::io_error, "write " + path() + ": no progress");
    put += static_cast<size_t>(n);
  }
  RMQ_ASSERT(put == data.size());
  return {};
}

Result<void> RealFile::do_sync() {
  if (rt_.stopping()) return stopping_error();
  InflightGuard g(inflight_);
  const int r = io_.sync(fd_, /*data_only=*/true);
  if (r < 0) return os_error(-r, "fdatasync", path());
  return {};
}

Result<void> RealFile::do_truncate(uint64_t size_bytes) {
  if (rt_.stopping()) return stopping_error();
  if (!offset_ok(size_bytes, 0)) return Error(Errc::invalid_argument, "truncate " + path() + ": size too large");
  int r;
  do {
    r = ::ftruncate(fd_, static_cast<off_t>(size_bytes));
  } while (r != 0 && errno == EINTR);
  if (r != 0) return os_error(errno, "ftruncate", path());
  return {};
}

Result<uint64_t> RealFile::do_size() {
  if (rt_.stopping()) return stopping_error();
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return os_error(errno, "fstat", path());
  RMQ_ASSERT(st.st_size >= 0);
  return static_cast<uint64_t>(st.st_size);
}

// ---------------------------------------------------------------------------
// RealFileSystem

Result<std::unique_ptr<rt::File>> RealFileSystem::open(std::string_view path, rt::OpenMode mode) {
  if (rt_.stopping()) return stopping_error();
  std::string p(path);
  int flags = O_RDWR | O_CLOEXEC;
  switch (mode) {
    case rt::OpenMode::existing: break;
    case rt::OpenMode::create: flags |= O_CREAT; break;
    case rt::OpenMode::create_new: flags |= O_CREAT | O_EXCL; break;
  }
  int fd;
  do {
    fd = ::open(p.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return os_error(errno, "open", p);
  return std::unique_ptr<rt::File>(std::make_unique<RealFile>(rt_, io_, std::move(p), fd));
}

Result<bool> RealFileSystem::exists(std::string_view path) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(path);
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return os_error(errno, "stat", p);
}

Result<std::vector<std::string>> RealFileSystem::list(std::string_view dir) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(dir);
  DIR* d = ::opendir(p.c_str());
  if (d == nullptr) return os_error(errno, "opendir", p);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    const std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return os_error(err, "readdir", p);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> RealFileSystem::create_dirs(std::string_view dir) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(dir);
  if (p.empty()) return Error(Errc::invalid_argument, "create_dirs of an empty path");
  // mkdir each prefix that ends just before a '/' (and the whole path),
  // skipping the root and repeated slashes.
  for (size_t end = 1; end <= p.size(); ++end) {
    if (end < p.size() && p[end] != '/') continue;
    if (p[end - 1] == '/') continue;
    const std::string prefix = p.substr(0, end);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return os_error(errno, "mkdir", prefix);
  }
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return os_error(errno, "stat", p);
  if (!S_ISDIR(st.st_mode)) return Error(Errc::already_exists, "create_dirs " + p + ": not a directory");
  return {};
}

Result<void> RealFileSystem::rename(std::string_view from, std::string_view to) {
  if (rt_.stopping()) return stopping_error();
  const std::string f(from);
  const std::string t(to);
  if (::rename(f.c_str(), t.c_str()) != 0) return os_error(errno, "rename", f + " -> " + t);
  return {};
}

Result<void> RealFileSystem::remove(std::string_view path) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(path);
  if (::unlink(p.c_str()) == 0) return {};
  if (errno != EISDIR) return os_error(errno, "unlink", p);
  if (::rmdir(p.c_str()) == 0) return {};
  // POSIX allows EEXIST for a non-empty directory.
  return os_error(errno == EEXIST ? ENOTEMPTY : errno, "rmdir", p);
}

Result<void> RealFileSystem::sync_dir(std::string_view dir) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(dir);
  int fd;
  do {
    fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return os_error(errno, "open", p);
  const int r = io_.sync(fd, /*data_only=*/false);
  ::close(fd);
  if (r < 0) return os_error(-r, "fsync", p);
  return {};
}

Result<rt::DiskUsage> RealFileSystem::disk_usage(std::string_view path) {
  if (rt_.stopping()) return stopping_error();
  const std::string p(path);
  struct statvfs st {};
  if (::statvfs(p.c_str(), &st) != 0) return os_error(errno, "statvfs", p);
  rt::DiskUsage u;
  u.total_bytes = uint64_t{st.f_blocks} * st.f_frsize;
  u.free_bytes = uint64_t{st.f_bavail} * st.f_frsize;  // what an unprivileged writer may use
  return u;
}

}  // namespace rmq::real
