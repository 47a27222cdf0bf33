// The blocking DiskIo: plain syscalls on the runtime's thread.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/real/disk_io.h"

namespace rmq::real {
namespace {

class BlockingDiskIo final : public DiskIo {
 public:
  int64_t read(int fd, std::span<std::byte> buf, uint64_t offset) override {
    const size_t len = std::min(buf.size(), kMaxTransferBytes);
    for (;;) {
      const ssize_t n = ::pread(fd, buf.data(), len, static_cast<off_t>(offset));
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }

  int64_t write(int fd, std::span<const std::byte> buf, uint64_t offset) override {
    const size_t len = std::min(buf.size(), kMaxTransferBytes);
    for (;;) {
      const ssize_t n = ::pwrite(fd, buf.data(), len, static_cast<off_t>(offset));
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }

  int sync(int fd, bool data_only) override {
    for (;;) {
      const int r = data_only ? ::fdatasync(fd) : ::fsync(fd);
      if (r == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }

  bool uses_io_uring() const override { return false; }
};

}  // namespace

std::unique_ptr<DiskIo> make_blocking_disk_io() { return std::make_unique<BlockingDiskIo>(); }

}  // namespace rmq::real
