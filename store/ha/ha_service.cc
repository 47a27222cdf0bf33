#include "store/ha/ha_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/big_endian.h"
#include "runtime/assert.h"

namespace rmq::store {

namespace {

constexpr size_t kHeaderBytes = 12;  // i64 startPhyOffset, i32 bodySize
// A frame larger than this is not from a master (its batches are
// haTransferBatchSize, 32 KiB by default).
constexpr int32_t kFrameBodyMax = 64 * 1024 * 1024;
constexpr size_t kReadChunk = 64 * 1024;   // slave: frames from the master
constexpr size_t kReportBufferBytes = 4096;  // master: reports from a slave

rt::Duration at_least_1ms(rt::Duration d) { return std::max<rt::Duration>(d, std::chrono::milliseconds(1)); }

// Waits report a cancellation as an error, not a throw, while another task
// unwinds; loops must stop on it rather than spin.
bool cancelled(const rt::Result<void>& r) { return !r && r.error().code() == rt::Errc::cancelled; }

}  // namespace

// ---------------------------------------------------------------------------
// Master

struct HaMaster::Link {
  explicit Link(rt::Runtime& rt) : requested_evt(rt) {}
  std::unique_ptr<rt::Conn> conn;
  SlaveState state;
  rt::Event requested_evt;  // the first report arrived
  rt::Task task;            // the reader, which owns the writer
  bool finished = false;
};

HaMaster::HaMaster(rt::Runtime& rt, MessageStore& store, HaConfig cfg) : rt_(rt), store_(store), cfg_(cfg) {}

HaMaster::~HaMaster() { stop(); }

rt::Result<void> HaMaster::start(const std::string& address) {
  auto l = rt_.listen(address);
  if (!l) return rt::Error(l.error().code(), "HA listen on " + address + ": " + l.error().detail());
  listener_ = std::move(*l);
  address_ = listener_->address();
  acked_ = 0;
  acceptor_ = rt_.spawn("ha-accept", [this] { accept_loop(); });
  return {};
}

void HaMaster::stop() {
  if (listener_) listener_->close();
  if (acceptor_.valid()) acceptor_.cancel_and_join();
  for (auto& [id, l] : links_) {
    l->conn->close();
    l->task.cancel_and_join();
  }
  links_.clear();
  listener_.reset();
  for (auto& [end, e] : waiters_) e->set();
  waiters_.clear();
}

void HaMaster::accept_loop() {
  for (;;) {
    auto c = listener_->accept();
    if (!c) {
      if (c.error().code() == rt::Errc::closed) return;
      rt_.log(rt::LogLevel::warn, "HA accept: " + c.error().message());
      rt_.sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    std::erase_if(links_, [](const auto& kv) { return kv.second->finished; });
    auto l = std::make_shared<Link>(rt_);
    l->conn = std::move(*c);
    l->state.address = l->conn->peer_address();
    rt_.log(rt::LogLevel::info, "HA: slave " + l->state.address + " connected");
    Link* raw = l.get();
    l->task = rt_.spawn("ha-slave-reader", [this, raw] { read_loop(*raw); });
    links_.emplace(next_link_++, std::move(l));
  }
}

void HaMaster::read_loop(Link& l) {
  rt::Task writer = rt_.spawn("ha-slave-writer", [this, &l] { write_loop(l); });
  struct Finish {
    Link& l;
    rt::Task& writer;
    ~Finish() {
      l.conn->close();
      writer.cancel_and_join();
      l.finished = true;
    }
  } finish{l, writer};
  // Reports are 8 bytes each; a small buffer (on the task's stack) holds many.
  std::byte buf[kReportBufferBytes];
  size_t have = 0;  // bytes of an incomplete value at the front of buf
  for (;;) {
    auto n = l.conn->read_some(std::span<std::byte>(buf + have, sizeof buf - have), cfg_.housekeeping_interval);
    if (!n) {
      if (n.error().code() == rt::Errc::timeout)
        rt_.log(rt::LogLevel::warn, fmt::format("HA: slave {} silent for {} ms, dropping it", l.state.address,
                                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    cfg_.housekeeping_interval).count()));
      else
        rt_.log(rt::LogLevel::info, "HA: slave " + l.state.address + " gone: " + n.error().message());
      return;
    }
    if (*n == 0) {
      rt_.log(rt::LogLevel::info, "HA: slave " + l.state.address + " closed the connection");
      return;
    }
    have += *n;
    // Only the last complete value counts (reference 9).
    const size_t whole = have - have % 8;
    if (whole > 0) {
      const int64_t position = common::get_i64(buf + whole - 8);
      std::copy(buf + whole, buf + have, buf);
      have -= whole;
      if (position < 0 || position > store_.replicable()) {
        rt_.log(rt::LogLevel::warn, fmt::format("HA: slave {} reports position {}, beyond what this master may "
                                                "stream it ({}); dropping it",
                                                l.state.address, position, store_.replicable()));
        return;
      }
      on_report(l, position);
    }
  }
}

void HaMaster::on_report(Link& l, int64_t position) {
  if (l.state.requested < 0) {
    l.state.requested = position;
    l.requested_evt.set();
    rt_.log(rt::LogLevel::info,
            fmt::format("HA: slave {} asks for the log from position {}", l.state.address, position));
  }
  l.state.acked = position;
  if (position <= acked_) return;
  acked_ = position;
  while (!waiters_.empty() && waiters_.begin()->first <= acked_) {
    waiters_.begin()->second->set();
    waiters_.erase(waiters_.begin());
  }
}

void HaMaster::write_loop(Link& l) {
  if (l.state.requested < 0 && !l.requested_evt.wait(cfg_.housekeeping_interval)) return;  // the reader drops it
  const auto seg = static_cast<int64_t>(store_.config().commit_log_segment_bytes);
  int64_t next = l.state.requested;
  if (next == 0) {
    // An empty slave starts at this master's last segment.
    const int64_t end = store_.replicable();
    next = std::max<int64_t>(end - end % seg, store_.commit_log_min_offset());
  }
  l.state.sent = next;
  rt::Instant last_write = rt_.now();
  std::byte header[kHeaderBytes];
  for (;;) {
    if (rt_.stopping()) return;
    auto data = store_.read_log(next, cfg_.transfer_batch_bytes);
    if (!data) {
      rt_.log(rt::LogLevel::warn, fmt::format("HA: cannot stream position {} to slave {}: {}", next, l.state.address,
                                              data.error().message()));
      l.conn->close();
      return;
    }
    if (data->empty() && rt_.now() - last_write < cfg_.heartbeat_interval) {
      // Stop on the store's failure, or on a cancellation seen while another
      // task unwinds (which cannot throw).
      auto w = store_.wait_replicable(next + 1, at_least_1ms(cfg_.heartbeat_interval - (rt_.now() - last_write)));
      if (!w && w.error().code() != rt::Errc::timeout) return;
      continue;
    }
    common::put_i64(header, next);
    common::put_i32(header + 8, static_cast<int32_t>(data->size()));
    const rt::ConstBytes parts[] = {rt::ConstBytes(header, kHeaderBytes), rt::ConstBytes(data->data(), data->size())};
    if (auto w = l.conn->write_all(std::span<const rt::ConstBytes>(parts, 2), cfg_.housekeeping_interval); !w) {
      l.conn->close();
      return;
    }
    next += static_cast<int64_t>(data->size());
    l.state.sent = next;
    last_write = rt_.now();
  }
}

bool HaMaster::slave_ok(int64_t put_end) const {
  const bool connected = std::any_of(links_.begin(), links_.end(), [](const auto& kv) { return !kv.second->finished; });
  return connected && put_end - acked_ < cfg_.slave_fallbehind_max;
}

bool HaMaster::wait_acked(int64_t end, rt::Duration timeout) {
  if (acked_ >= end) return true;
  auto e = std::make_shared<rt::Event>(rt_);
  waiters_.emplace(end, e);
  struct Unlist {
    std::multimap<int64_t, std::shared_ptr<rt::Event>>& waiters;
    int64_t end;
    const std::shared_ptr<rt::Event>& e;
    ~Unlist() {
      // Still listed unless an acknowledgement or stop() released it.
      auto [from, to] = waiters.equal_range(end);
      for (auto w = from; w != to; ++w) {
        if (w->second == e) {
          waiters.erase(w);
          break;
        }
      }
    }
  } unlist{waiters_, end, e};
  (void)e->wait(timeout);
  return acked_ >= end;
}

std::vector<HaMaster::SlaveState> HaMaster::slaves() const {
  std::vector<SlaveState> out;
  for (const auto& [id, l] : links_)
    if (!l->finished) out.push_back(l->state);
  return out;
}

// ---------------------------------------------------------------------------
// Slave

HaSlave::HaSlave(rt::Runtime& rt, MessageStore& store, HaConfig cfg)
    : rt_(rt), store_(store), cfg_(cfg), master_changed_(rt) {}

HaSlave::~HaSlave() { stop(); }

void HaSlave::start() {
  if (!task_.valid()) task_ = rt_.spawn("ha-slave", [this] { run(); });
}

void HaSlave::stop() {
  if (task_.valid()) task_.cancel_and_join();
  task_ = rt::Task();
  connected_ = false;
}

void HaSlave::set_master(const std::string& address) {
  if (address == master_) return;
  rt_.log(rt::LogLevel::info, "HA: master is now " + (address.empty() ? std::string("unknown") : address));
  master_ = address;
  master_changed_.set();
}

void HaSlave::run() {
  std::string last_failure;
  for (;;) {
    master_changed_.reset();
    if (master_.empty()) {
      if (cancelled(master_changed_.wait(std::chrono::seconds(1)))) return;
      continue;
    }
    const std::string addr = master_;
    auto c = rt_.connect(addr, cfg_.connect_timeout);
    if (!c) {
      const std::string why = "HA: cannot connect to master " + addr + ": " + c.error().message();
      if (why != last_failure) rt_.log(rt::LogLevel::warn, why);
      last_failure = why;
      if (cancelled(master_changed_.wait(cfg_.reconnect_backoff))) return;
      continue;
    }
    last_failure.clear();
    rt_.log(rt::LogLevel::info, "HA: connected to master " + addr);
    connected_ = true;
    std::string why;
    {
      struct Disconnect {
        HaSlave& s;
        rt::Conn& c;
        ~Disconnect() {
          s.connected_ = false;
          c.close();
          s.store_.reset_replica_tail();
        }
      } disconnect{*this, **c};
      why = replicate(**c);
    }
    rt_.log(rt::LogLevel::warn, "HA: connection to master " + addr + " ended: " + why);
    if (master_ == addr && cancelled(master_changed_.wait(cfg_.reconnect_backoff))) return;
  }
}

bool HaSlave::report(rt::Conn& conn, int64_t position) {
  std::byte b[8];
  common::put_i64(b, position);
  if (auto w = conn.write_all(rt::ConstBytes(b, 8), cfg_.housekeeping_interval); !w) return false;
  reported_ = position;
  last_report_ = rt_.now();
  return true;
}

std::string HaSlave::replicate(rt::Conn& conn) {
  const std::string addr = master_;
  store_.reset_replica_tail();
  // Ask for the log from where it ends on disk.
  if (!store_.wait_written(store_.appended(), cfg_.housekeeping_interval)) return "the store is not writing";
  if (!report(conn, store_.replica_position())) return "the first report failed";
  std::vector<std::byte> buf;
  std::vector<std::byte> chunk(kReadChunk);
  rt::Instant last_read = rt_.now();
  for (;;) {
    if (master_ != addr) return "the master changed to " + master_;
    const rt::Instant now = rt_.now();
    if (now - last_read >= cfg_.housekeeping_interval) return "nothing from the master within the housekeeping interval";
    if (now - last_report_ >= cfg_.heartbeat_interval) {
      if (!report(conn, store_.written())) return "a report failed";
      continue;
    }
    const rt::Duration wait = std::min(cfg_.heartbeat_interval - (now - last_report_),
                                       cfg_.housekeeping_interval - (now - last_read));
    auto n = conn.read_some(chunk, at_least_1ms(wait));
    if (!n) {
      if (n.error().code() == rt::Errc::timeout) continue;
      return n.error().message();  // cancelled too
    }
    if (*n == 0) return "the master closed the connection";
    last_read = rt_.now();
    buf.insert(buf.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(*n));
    size_t at = 0;
    bool appended = false;
    while (buf.size() - at >= kHeaderBytes) {
      const int64_t offset = common::get_i64(buf.data() + at);
      const int32_t size = common::get_i32(buf.data() + at + 8);
      if (size < 0 || size > kFrameBodyMax) return fmt::format("a frame of {} bytes is not from a master", size);
      if (buf.size() - at - kHeaderBytes < static_cast<size_t>(size)) break;
      if (size == 0) {
        const int64_t mine = store_.replica_position();
        if (mine != 0 && mine != offset)
          return fmt::format("the master is at {} but this slave at {}", offset, mine);
      } else {
        auto r = store_.append_replicated(
            offset, std::span<const std::byte>(buf.data() + at + kHeaderBytes, static_cast<size_t>(size)));
        if (!r) return r.error().message();
        appended = true;
      }
      at += kHeaderBytes + static_cast<size_t>(size);
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
    if (appended) {
      if (!store_.wait_written(store_.appended(), cfg_.housekeeping_interval)) return "the store is not writing";
      if (store_.written() > reported_ && !report(conn, store_.written())) return "a report failed";
    }
  }
}

}  // namespace rmq::store
