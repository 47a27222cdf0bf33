#include "sim/sim_runtime.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "sim/disk.h"
#include "sim/net.h"

namespace rmq::sim {

using rt::Errc;
using rt::Error;

// ---------------------------------------------------------------------------
// Files: the Disk's state plus latency and faults. Every operation first
// waits its latency, then takes effect, so a crash in between means it never
// happened.

class SimFileSystem final : public rt::FileSystem {
 public:
  SimFileSystem(SimRuntime& rt, uint64_t seed) : rt_(rt), rng_(seed) {}

  Disk& disk() { return rt_.node().disk(); }
  rt::Random& rng() { return rng_; }

  // Waits an operation's latency. False if the node went down meanwhile.
  bool wait_op(bool is_sync) {
    const DiskConfig& cfg = disk().config();
    rt::Duration d = is_sync ? pick(cfg.sync_latency_min, cfg.sync_latency_max)
                             : pick(cfg.op_latency_min, cfg.op_latency_max);
    if (rng_.chance(cfg.slow_probability)) d += cfg.slow_extra;
    if (is_sync && rng_.chance(cfg.sync_stall_probability)) d += cfg.sync_stall;
    const Perturbation& p = rt_.sim().perturbation();
    if (p.io_delay_probability > 0 && rng_.chance(p.io_delay_probability))
      d += rt::Duration(rng_.between(0, p.io_delay_max.count()));
    return rt_.delay_uncancellable(d);
  }

  rt::Result<std::unique_ptr<rt::File>> open(std::string_view path, rt::OpenMode mode) override;

  rt::Result<bool> exists(std::string_view path) override {
    auto p = begin(path);
    if (!p) return p.error();
    return disk().exists(*p);
  }
  rt::Result<std::vector<std::string>> list(std::string_view dir) override {
    auto p = begin(dir);
    if (!p) return p.error();
    return disk().list(*p);
  }
  rt::Result<void> create_dirs(std::string_view dir) override {
    auto p = begin(dir);
    if (!p) return p.error();
    return disk().create_dirs(*p);
  }
  rt::Result<void> rename(std::string_view from, std::string_view to) override {
    auto f = begin(from);
    if (!f) return f.error();
    auto t = Disk::normalize(to);
    if (!t) return t.error();
    return disk().rename(*f, *t);
  }
  rt::Result<void> remove(std::string_view path) override {
    auto p = begin(path);
    if (!p) return p.error();
    return disk().remove(*p);
  }
  rt::Result<void> sync_dir(std::string_view dir) override {
    auto p = Disk::normalize(dir);
    if (!p) return p.error();
    if (rt_.stopping() || !wait_op(true)) return Error(Errc::cancelled);
    return disk().sync_dir(*p);
  }
  rt::Result<rt::DiskUsage> disk_usage(std::string_view) override {
    if (rt_.stopping()) return Error(Errc::cancelled);
    return disk().usage();
  }

 private:
  // Normalizes and waits one metadata operation's latency.
  rt::Result<std::string> begin(std::string_view path) {
    auto p = Disk::normalize(path);
    if (!p) return p.error();
    if (rt_.stopping() || !wait_op(false)) return Error(Errc::cancelled);
    return p;
  }
  rt::Duration pick(rt::Duration lo, rt::Duration hi) {
    return hi > lo ? lo + rt::Duration(rng_.between(0, (hi - lo).count())) : lo;
  }

  SimRuntime& rt_;
  rt::Random rng_;
};

namespace {

class SimFile final : public rt::File {
 public:
  SimFile(SimRuntime& rt, SimFileSystem& fs, std::string path, std::shared_ptr<Inode> inode)
      : rt::File(std::move(path)), rt_(rt), fs_(fs), inode_(std::move(inode)) {}

 private:
  bool begin(bool is_sync) { return !rt_.stopping() && fs_.wait_op(is_sync); }

  rt::Result<size_t> do_read_at(uint64_t offset, rt::MutableBytes buf) override {
    if (!begin(false)) return Error(Errc::cancelled);
    const size_t n = fs_.disk().read(*inode_, offset, buf);
    if (n > 0 && fs_.rng().chance(fs_.disk().config().read_corruption_probability)) {
      const uint64_t bit = fs_.rng().below(n * 8);
      buf[bit / 8] ^= std::byte{static_cast<uint8_t>(1u << (bit % 8))};
    }
    return n;
  }
  rt::Result<void> do_write_at(uint64_t offset, rt::ConstBytes data) override {
    if (!begin(false)) return Error(Errc::cancelled);
    auto r = fs_.disk().write(*inode_, offset, data);
    if (!r) return Error(r.code(), "write " + path());
    return r;
  }
  rt::Result<void> do_sync() override {
    if (!begin(true)) return Error(Errc::cancelled);
    if (fs_.rng().chance(fs_.disk().config().sync_error_probability))
      return Error(Errc::io_error, "fdatasync " + path());
    fs_.disk().sync(*inode_);
    return {};
  }
  rt::Result<void> do_truncate(uint64_t size_bytes) override {
    if (!begin(false)) return Error(Errc::cancelled);
    auto r = fs_.disk().truncate(*inode_, size_bytes);
    if (!r) return Error(r.code(), "truncate " + path());
    return r;
  }
  rt::Result<uint64_t> do_size() override {
    if (rt_.stopping()) return Error(Errc::cancelled);
    return uint64_t{inode_->current.size()};
  }

  SimRuntime& rt_;
  SimFileSystem& fs_;
  std::shared_ptr<Inode> inode_;
};

}  // namespace

rt::Result<std::unique_ptr<rt::File>> SimFileSystem::open(std::string_view path, rt::OpenMode mode) {
  auto p = begin(path);
  if (!p) return p.error();
  auto inode = disk().open(*p, mode);
  if (!inode) return inode.error();
  return std::unique_ptr<rt::File>(std::make_unique<SimFile>(rt_, *this, *p, std::move(*inode)));
}

// ---------------------------------------------------------------------------
// SimRuntime

SimRuntime::SimRuntime(Simulation& sim, Node& node, uint64_t seed)
    : rt::Runtime(node.name(), seed),
      sim_(sim),
      node_(node),
      incarnation_(node.incarnation()),
      fs_(std::make_unique<SimFileSystem>(*this, hash_fold(seed, 0xd15c))) {}

SimRuntime::~SimRuntime() = default;

bool SimRuntime::delay_uncancellable(rt::Duration d) {
  (void)scheduler().block(rt::deadline_after(now(), d), /*cancellable=*/false);
  return !stopping();
}

rt::Instant SimRuntime::do_now() const { return sim_.now(); }

int64_t SimRuntime::do_wall_ms() const {
  const ClockConfig& c = node_.clock_;
  const int64_t ns = sim_.now().time_since_epoch().count();
  const auto drift_ms = static_cast<int64_t>(std::llround(static_cast<double>(ns) * c.drift_ppm / 1e12));
  return kSimEpochMs + ns / 1'000'000 + drift_ms + c.skew_ms;
}

rt::Result<std::unique_ptr<rt::Listener>> SimRuntime::do_listen(std::string_view address) {
  return sim_.net().listen(*this, address);
}

rt::Result<std::unique_ptr<rt::Conn>> SimRuntime::do_connect(std::string_view address, rt::Duration timeout) {
  return sim_.net().connect(*this, address, timeout);
}

rt::FileSystem& SimRuntime::do_fs() { return *fs_; }

void SimRuntime::do_log(rt::LogLevel level, std::string_view message) {
  static constexpr const char* kLevels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  const int64_t ns = sim_.now().time_since_epoch().count();
  char prefix[96];
  std::snprintf(prefix, sizeof prefix, "[%" PRId64 ".%06" PRId64 "s] %s [%s] ", ns / 1000000000,
                (ns % 1000000000) / 1000, kLevels[static_cast<int>(level)], name().c_str());
  sim_.log_line(prefix + std::string(message));
}

}  // namespace rmq::sim
