// The real file system: rt::FileSystem and rt::File on Linux paths (absolute,
// or relative to the working directory). Internal to runtime/real/.
//
// Reads, writes and syncs go through DiskIo (io_uring, or blocking syscalls).
// Opening, listing, renaming, removing, truncating and stat-ing are plain
// syscalls on the runtime's thread: they touch metadata only and are short.
// Durability is Linux's, as runtime.h describes: sync() is fdatasync,
// sync_dir() is fsync of the directory.
//
// Used by the tasks of the owning runtime only. Once the runtime is stopping,
// every call fails with Errc::cancelled before touching the disk.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/real/disk_io.h"
#include "runtime/runtime.h"

namespace rmq::real {

// A file opened by RealFileSystem. Owns its descriptor.
// REQUIRES: destroyed before the runtime, and not while an operation on it
// is in flight.
class RealFile final : public rt::File {
 public:
  RealFile(rt::Runtime& rt, DiskIo& io, std::string path, int fd);
  ~RealFile() override;
  RealFile(const RealFile&) = delete;
  RealFile& operator=(const RealFile&) = delete;

  // For Conn::send_file (sendfile(2) reads straight from it).
  int fd() const { return fd_; }

 private:
  rt::Result<size_t> do_read_at(uint64_t offset, rt::MutableBytes buf) override;
  rt::Result<void> do_write_at(uint64_t offset, rt::ConstBytes data) override;
  rt::Result<void> do_sync() override;
  rt::Result<void> do_truncate(uint64_t size_bytes) override;
  rt::Result<uint64_t> do_size() override;

  rt::Runtime& rt_;
  DiskIo& io_;
  int fd_;
  int inflight_ = 0;  // operations suspended in io_ right now
};

class RealFileSystem final : public rt::FileSystem {
 public:
  // REQUIRES: `rt` and `io` outlive this and every file it opens.
  RealFileSystem(rt::Runtime& rt, DiskIo& io) : rt_(rt), io_(io) {}

  rt::Result<std::unique_ptr<rt::File>> open(std::string_view path, rt::OpenMode mode) override;
  rt::Result<bool> exists(std::string_view path) override;
  rt::Result<std::vector<std::string>> list(std::string_view dir) override;
  rt::Result<void> create_dirs(std::string_view dir) override;
  rt::Result<void> rename(std::string_view from, std::string_view to) override;
  rt::Result<void> remove(std::string_view path) override;
  rt::Result<void> sync_dir(std::string_view dir) override;
  rt::Result<rt::DiskUsage> disk_usage(std::string_view path) override;

 private:
  rt::Runtime& rt_;
  DiskIo& io_;
};

}  // namespace rmq::real
