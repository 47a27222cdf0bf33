// The io_uring DiskIo. One ring per runtime, with an eventfd registered on
// it; the loop keeps an Asio read pending on that eventfd, so a completion
// wakes the loop like any socket event. Each SQE's user_data points at a
// Completion on the submitting task's stack; reaping a CQE fills it in and
// wakes that task.
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <system_error>

#include "runtime/real/disk_io.h"
#include "runtime/real/loop.h"

namespace rmq::real {
namespace {

using namespace std::chrono_literals;

// Submission queue size. At most this many operations are in flight, which
// keeps the completion queue (twice as large) from ever overflowing.
constexpr unsigned kRingEntries = 256;

class UringDiskIo final : public DiskIo {
 public:
  UringDiskIo(Loop& loop, bool ring_writes)
      : loop_(loop), eventfd_(loop.io()), inline_writes_(!ring_writes), slots_(loop.runtime()) {}

  ~UringDiskIo() override {
    RMQ_ASSERT_MSG(inflight_ == 0, "io_uring operations outlive their runtime");
    if (!ring_ready_) return;
    asio::error_code ignored;
    eventfd_.close(ignored);  // its pending read is aborted and never runs
    io_uring_queue_exit(&ring_);
  }

  // 0, or -errno if the kernel refuses (-EOPNOTSUPP: a kernel older than
  // 5.6, without the read/write opcodes).
  int init() {
    int r = io_uring_queue_init(kRingEntries, &ring_, 0);
    if (r < 0) return r;
    ring_ready_ = true;
    if (!supports_our_opcodes()) return -EOPNOTSUPP;
    const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) return -errno;
    eventfd_.assign(efd);
    r = io_uring_register_eventfd(&ring_, efd);
    if (r < 0) return r;
    arm_eventfd();
    return 0;
  }

  int64_t read(int fd, std::span<std::byte> buf, uint64_t offset) override {
    const auto len = static_cast<unsigned>(std::min(buf.size(), kMaxTransferBytes));
    iovec iov{buf.data(), len};
    if (const int64_t n = try_nowait(read_nowait_, [&] { return ::preadv2(fd, &iov, 1, off(offset), RWF_NOWAIT); });
        n != kWouldBlock)
      return n;
    return submit_and_wait(
        [&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buf.data(), len, offset); });
  }

  int64_t write(int fd, std::span<const std::byte> buf, uint64_t offset) override {
    const auto len = static_cast<unsigned>(std::min(buf.size(), kMaxTransferBytes));
    if (inline_writes_) {
      for (;;) {
        const ssize_t n = ::pwrite(fd, buf.data(), len, off(offset));
        if (n >= 0) return n;
        if (errno != EINTR) return -errno;
      }
    }
    return submit_and_wait(
        [&](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd, buf.data(), len, offset); });
  }

  int sync(int fd, bool data_only) override {
    return submit_and_wait(
        [&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, data_only ? IORING_FSYNC_DATASYNC : 0); });
  }

  bool uses_io_uring() const override { return true; }

 private:
  static constexpr int64_t kWouldBlock = INT64_MIN;

  static off_t off(uint64_t offset) { return static_cast<off_t>(offset); }

  // The operation done at once on this thread if the kernel can do it without
  // blocking (page cache hits: most reads, and writes into cached pages), so
  // that it does not bounce through io_uring's worker threads, which costs a
  // wake-up of a worker and an interrupt back for every operation. Returns
  // kWouldBlock when the kernel would have to wait (or cannot promise not
  // to: then `supported` turns false and later calls skip the attempt); the
  // caller then submits to the ring.
  template <class Call>
  static int64_t try_nowait(bool& supported, Call call) {
    if (!supported) return kWouldBlock;
    for (;;) {
      const ssize_t n = call();
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return kWouldBlock;
      if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS) {
        supported = false;
        return kWouldBlock;
      }
      return -errno;
    }
  }

  bool supports_our_opcodes() {
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    if (probe == nullptr) return false;  // probing itself needs 5.6
    const bool ok = io_uring_opcode_supported(probe, IORING_OP_READ) &&
                    io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
                    io_uring_opcode_supported(probe, IORING_OP_FSYNC);
    io_uring_free_probe(probe);
    return ok;
  }

  // Lives on the submitting task's stack until `done`.
  struct Completion {
    rt::TaskState* task = nullptr;
    int32_t res = 0;
    bool done = false;
  };

  // Suspends (uncancellably) until the operation `prep` describes completes.
  // A cancellation requested meanwhile is left for the task's next
  // suspension point: the operation has happened, and its result is real.
  template <class Prep>
  int32_t submit_and_wait(Prep prep) {
    rt::Scheduler& s = loop_.sched();
    Completion c;
    c.task = s.current();
    RMQ_ASSERT_MSG(c.task != nullptr, "file I/O outside a task");
    while (inflight_ >= kRingEntries) (void)slots_.wait_uncancellable(rt::kNever);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    // Every SQE is submitted before anyone suspends, so the queue has room.
    RMQ_ASSERT(sqe != nullptr);
    prep(sqe);
    io_uring_sqe_set_data(sqe, &c);
    ++inflight_;
    submit();
    reap();  // page-cache hits often complete inside the submit
    while (!c.done) (void)s.block(rt::kNever, /*cancellable=*/false);
    return c.res;
  }

  void submit() {
    for (;;) {
      const int r = io_uring_submit(&ring_);
      if (r >= 0) return;
      // EAGAIN/EBUSY: the kernel is short of memory or completions. The SQE
      // stays queued; retry shortly (other tasks run meanwhile).
      RMQ_ASSERT_MSG(r == -EINTR || r == -EAGAIN || r == -EBUSY,
                     std::system_category().message(-r).c_str());
      if (r == -EINTR) continue;
      reap();
      (void)loop_.sched().block(rt::deadline_after(loop_.runtime().now(), 1ms), /*cancellable=*/false);
    }
  }

  // Hands every available CQE to its waiting task.
  void reap() {
    io_uring_cqe* cqe = nullptr;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      auto* c = static_cast<Completion*>(io_uring_cqe_get_data(cqe));
      RMQ_ASSERT(c != nullptr);
      RMQ_ASSERT(!c->done);
      c->res = cqe->res;
      c->done = true;
      io_uring_cqe_seen(&ring_, cqe);
      RMQ_ASSERT(inflight_ > 0);
      --inflight_;
      (void)loop_.sched().wake(c->task, rt::WakeReason::notified);  // no-op if it is the caller
      slots_.notify_one();
    }
  }

  void arm_eventfd() {
    eventfd_.async_read_some(asio::buffer(&eventfd_count_, sizeof eventfd_count_),
                             [this](const asio::error_code& ec, size_t) {
                               if (ec == asio::error::operation_aborted) return;  // closing
                               RMQ_ASSERT_MSG(!ec, ec.message().c_str());
                               reap();
                               arm_eventfd();
                             });
  }

  Loop& loop_;
  io_uring ring_{};
  bool ring_ready_ = false;
  asio::posix::stream_descriptor eventfd_;
  uint64_t eventfd_count_ = 0;
  unsigned inflight_ = 0;
  bool read_nowait_ = true;   // preadv2(RWF_NOWAIT) is worth trying
  bool inline_writes_;        // pwrite, not the ring
  rt::detail::WaitQueue slots_;  // tasks waiting for room in the ring
};

}  // namespace

std::unique_ptr<DiskIo> make_uring_disk_io(Loop& loop, bool ring_writes, std::string* why_not) {
  auto io = std::make_unique<UringDiskIo>(loop, ring_writes);
  const int r = io->init();
  if (r < 0) {
    *why_not = std::system_category().message(-r);
    return nullptr;
  }
  return io;
}

}  // namespace rmq::real
