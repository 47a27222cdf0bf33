// The data path of RealFile: positioned reads and writes and fsync on a raw
// file descriptor. Internal to runtime/real/.
//
// Two implementations:
//   - io_uring: one ring per runtime. The calling task suspends, without
//     being cancellable, until the kernel has completed the operation (the
//     kernel writes into the caller's buffer until then). Other tasks run
//     meanwhile. Reads the page cache can serve at once (preadv2 with
//     RWF_NOWAIT) and, by default, writes (pwrite into the page cache) are
//     done directly on the runtime's thread: ext4 punts every buffered ring
//     write to an io-wq worker thread, whose wake-up and completion
//     interrupt cost more than the copy (half the broker's CPU per message
//     at 128 B, docs/perf.md).
//   - blocking: pread/pwrite/fdatasync directly, which blocks the runtime's
//     thread. Used when the kernel refuses io_uring or the options say so.
//
// Called only from tasks of the owning runtime. Every call is one kernel
// operation: reads and writes may be short; the caller loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace rmq::real {

class Loop;

class DiskIo {
 public:
  virtual ~DiskIo() = default;

  // Bytes transferred (>= 0; 0 at end of file for reads), or -errno.
  virtual int64_t read(int fd, std::span<std::byte> buf, uint64_t offset) = 0;
  virtual int64_t write(int fd, std::span<const std::byte> buf, uint64_t offset) = 0;
  // fdatasync if `data_only`, else fsync. 0 or -errno.
  virtual int sync(int fd, bool data_only) = 0;

  virtual bool uses_io_uring() const = 0;
};

// Largest transfer one call asks of the kernel (io_uring lengths are 32-bit).
inline constexpr size_t kMaxTransferBytes = size_t{1} << 30;

std::unique_ptr<DiskIo> make_blocking_disk_io();
// An io_uring-backed DiskIo whose completions wake tasks through `loop`, or
// nullptr with the reason in *why_not if the kernel refuses a ring. Writes go
// through the ring only if `ring_writes`; otherwise they are pwrite calls.
// REQUIRES: `loop` outlives the result.
std::unique_ptr<DiskIo> make_uring_disk_io(Loop& loop, bool ring_writes, std::string* why_not);

}  // namespace rmq::real
