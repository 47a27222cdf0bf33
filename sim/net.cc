#include "sim/net.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "runtime/scheduler.h"
#include "sim/sim_runtime.h"

namespace rmq::sim {

using rt::Errc;
using rt::Error;
using rt::Instant;
using rt::WakeReason;

struct Segment {
  std::vector<std::byte> data;
  bool fin = false;
  Instant arrival{};
  Instant first_sent{};
};

// One side of a connection. Shared with the events that touch it.
struct Endpoint {
  uint64_t id = 0;
  NodeId node = kNoNode;
  NodeId peer_node = kNoNode;
  SimRuntime* rt = nullptr;  // valid while !gone
  std::string local;
  std::string peer;
  std::weak_ptr<Endpoint> other;
  // Receive side.
  std::vector<std::byte> rx;
  size_t rx_pos = 0;
  bool rx_fin = false;
  bool reset = false;
  // Local state.
  bool closed = false;  // closed or aborted by its owner
  bool gone = false;    // its node crashed
  rt::TaskState* reader = nullptr;
  rt::TaskState* writer = nullptr;
  // Send side.
  std::deque<Segment> out;
  bool delivery_scheduled = false;
  Instant last_arrival{};
  uint64_t unacked = 0;  // sent but not yet read by the peer

  size_t readable() const { return rx.size() - rx_pos; }
};

struct ListenerState {
  NodeId node = kNoNode;
  uint16_t port = 0;
  std::string address;
  SimRuntime* rt = nullptr;
  std::deque<std::shared_ptr<Endpoint>> backlog;
  rt::TaskState* acceptor = nullptr;
  bool closed = false;
};

struct ConnectAttempt {
  NodeId client = kNoNode;
  uint32_t client_incarnation = 0;
  SimRuntime* rt = nullptr;
  NodeId server = kNoNode;
  uint16_t port = 0;
  std::string address;
  Instant started{};
  rt::TaskState* waiter = nullptr;
  bool abandoned = false;
  bool done = false;
  std::optional<Error> error;
  std::shared_ptr<Endpoint> client_end;
  std::shared_ptr<Endpoint> server_end;
};

namespace {

// Maps a block() outcome while waiting for I/O to an error, or nullopt to
// keep waiting.
std::optional<Error> wait_error(WakeReason r) {
  if (r == WakeReason::timed_out) return Error(Errc::timeout);
  if (r == WakeReason::cancelled) return rt::detail::on_cancelled();
  return std::nullopt;
}

class SimConn final : public rt::Conn {
 public:
  SimConn(Network& net, std::shared_ptr<Endpoint> e)
      : rt::Conn(e->local, e->peer), net_(net), e_(std::move(e)) {}
  ~SimConn() override {
    RMQ_ASSERT_MSG(e_->reader == nullptr && e_->writer == nullptr, "Conn destroyed while in use");
    do_close(false);
  }

 private:
  rt::Scheduler& sched() { return e_->rt->scheduler(); }

  rt::Result<size_t> do_read_some(rt::MutableBytes buf, rt::Duration timeout) override {
    const Instant deadline = rt::deadline_after(e_->rt->now(), timeout);
    for (;;) {
      if (e_->rt->stopping()) return Error(Errc::cancelled);
      if (e_->closed) return Error(Errc::closed, "read on closed connection");
      if (e_->reset) return Error(Errc::reset, e_->peer);
      if (e_->readable() > 0) {
        const size_t n = std::min(buf.size(), e_->readable());
        std::memcpy(buf.data(), e_->rx.data() + e_->rx_pos, n);
        e_->rx_pos += n;
        if (e_->rx_pos == e_->rx.size()) {
          e_->rx.clear();
          e_->rx_pos = 0;
        }
        net_.ack(e_, n);
        return n;
      }
      if (e_->rx_fin) return size_t{0};
      RMQ_ASSERT_MSG(e_->reader == nullptr, "two tasks reading one Conn");
      e_->reader = sched().current();
      const WakeReason r = sched().block(deadline);
      e_->reader = nullptr;
      if (auto err = wait_error(r)) {
        if (err->code() == Errc::timeout && (e_->readable() > 0 || e_->rx_fin)) continue;
        return *err;
      }
    }
  }

  rt::Result<void> do_write_all(std::span<const rt::ConstBytes> bufs, rt::Duration timeout) override {
    const Instant deadline = rt::deadline_after(e_->rt->now(), timeout);
    const NetConfig& cfg = net_.config();
    rt::Random& rng = e_->rt->sim().net_random();
    for (rt::ConstBytes buf : bufs) {
      const bool fragment = rng.chance(cfg.fragment_probability);
      size_t pos = 0;
      while (pos < buf.size()) {
        if (e_->rt->stopping()) return Error(Errc::cancelled);
        if (e_->closed) return Error(Errc::closed, "write on closed connection");
        if (e_->reset) return Error(Errc::reset, e_->peer);
        if (e_->unacked >= cfg.window_bytes) {
          RMQ_ASSERT_MSG(e_->writer == nullptr, "two tasks writing one Conn");
          e_->writer = sched().current();
          const WakeReason r = sched().block(deadline);
          e_->writer = nullptr;
          if (auto err = wait_error(r)) return *err;
          continue;
        }
        size_t n = std::min<size_t>(buf.size() - pos, cfg.segment_bytes_max);
        if (fragment) n = std::min<size_t>(n, 1 + rng.below(64));
        std::vector<std::byte> data(buf.begin() + static_cast<ptrdiff_t>(pos),
                                    buf.begin() + static_cast<ptrdiff_t>(pos + n));
        e_->unacked += n;
        net_.send(e_, std::move(data), false);
        pos += n;
      }
    }
    return {};
  }

  rt::Result<void> do_send_file(rt::File& file, uint64_t offset, uint64_t len, rt::Duration timeout) override {
    auto size = file.size();
    if (!size) return size.error();
    if (offset > *size || len > *size - offset)
      return Error(Errc::invalid_argument, "send_file past end of " + file.path());
    std::vector<std::byte> chunk;
    while (len > 0) {
      chunk.resize(std::min<uint64_t>(len, 64 * 1024));
      auto n = file.read_at(offset, chunk);
      if (!n) return n.error();
      if (*n != chunk.size()) return Error(Errc::io_error, "short read in send_file");
      auto w = write_all(rt::ConstBytes(chunk), timeout);
      if (!w) return w;
      offset += *n;
      len -= *n;
    }
    return {};
  }

  void do_close(bool reset) override {
    // While the node goes down, the kernel (Network::node_down) closes it.
    if (e_->closed || e_->rt == nullptr || e_->rt->stopping()) return;
    net_.close_endpoint(e_, reset);
  }

  Network& net_;
  std::shared_ptr<Endpoint> e_;
};

class SimListener final : public rt::Listener {
 public:
  SimListener(Network& net, std::shared_ptr<ListenerState> l) : net_(net), l_(std::move(l)) {}
  ~SimListener() override {
    RMQ_ASSERT_MSG(l_->acceptor == nullptr, "Listener destroyed while accepting");
    close();
  }

  rt::Result<std::unique_ptr<rt::Conn>> accept(rt::Duration timeout) override {
    const Instant deadline = rt::deadline_after(l_->rt->now(), timeout);
    rt::Scheduler& sched = l_->rt->scheduler();
    for (;;) {
      if (l_->rt->stopping()) return Error(Errc::cancelled);
      if (l_->closed) return Error(Errc::closed, "listener " + l_->address);
      if (!l_->backlog.empty()) {
        auto e = std::move(l_->backlog.front());
        l_->backlog.pop_front();
        return std::unique_ptr<rt::Conn>(std::make_unique<SimConn>(net_, std::move(e)));
      }
      RMQ_ASSERT_MSG(l_->acceptor == nullptr, "two tasks accepting on one Listener");
      l_->acceptor = sched.current();
      const WakeReason r = sched.block(deadline);
      l_->acceptor = nullptr;
      if (auto err = wait_error(r)) {
        if (err->code() == Errc::timeout && !l_->backlog.empty()) continue;
        return *err;
      }
    }
  }

  const std::string& address() const override { return l_->address; }

  void close() override {
    if (l_->closed) return;
    l_->closed = true;
    if (l_->acceptor) l_->rt->scheduler().wake(l_->acceptor, WakeReason::notified);
    // Connections nobody accepted are reset, as the kernel does.
    if (!l_->rt->stopping())
      for (auto& e : l_->backlog) net_.close_endpoint(e, true);
    l_->backlog.clear();
    net_.unregister(*l_);
  }

 private:
  Network& net_;
  std::shared_ptr<ListenerState> l_;
};

}  // namespace

Network::~Network() = default;

rt::Duration Network::latency(NodeId from, NodeId to) {
  const auto span = (cfg_.latency_max - cfg_.latency_min).count();
  rt::Random& rng = sim_.net_random();
  rt::Duration d = cfg_.latency_min + rt::Duration(span > 0 ? rng.between(0, span) : 0);
  if (rng.chance(cfg_.latency_tail_probability))
    d += rt::Duration(rng.between(0, cfg_.latency_tail_max.count()));
  auto it = clogged_.find({from, to});
  if (it != clogged_.end()) d += it->second;
  auto j = jitter_.find({from, to});
  if (j != jitter_.end()) d += rt::Duration(rng.between(0, j->second.count()));
  const Perturbation& p = sim_.perturbation();
  if (p.io_delay_probability > 0 && rng.chance(p.io_delay_probability))
    d += rt::Duration(rng.between(0, p.io_delay_max.count()));
  return d;
}

uint16_t Network::ephemeral_port(NodeId id) {
  uint16_t& next = next_port_.try_emplace(id, uint16_t{40000}).first->second;
  for (int tries = 0; tries < 25000; ++tries) {
    const uint16_t p = next;
    next = next >= 65000 ? 40000 : static_cast<uint16_t>(next + 1);
    if (!listeners_.count({id, p})) return p;
  }
  RMQ_UNREACHABLE("no free ephemeral port");
}

std::shared_ptr<Endpoint> Network::make_endpoint(SimRuntime& rt, uint16_t local_port, std::string peer) {
  auto e = std::make_shared<Endpoint>();
  e->id = next_endpoint_id_++;
  e->node = rt.node_id();
  e->rt = &rt;
  e->local = rt.node().ip() + ":" + std::to_string(local_port);
  e->peer = std::move(peer);
  endpoints_.emplace(std::make_pair(e->node, e->id), e);
  return e;
}

rt::Result<std::unique_ptr<rt::Listener>> Network::listen(SimRuntime& rt, std::string_view address) {
  if (rt.stopping()) return Error(Errc::cancelled);
  auto hp = rt::parse_address(address);
  if (!hp) return hp.error();
  const std::string& ip = rt.node().ip();
  if (hp->host != ip && hp->host != "0.0.0.0" && hp->host != "127.0.0.1")
    return Error(Errc::invalid_argument, "cannot bind " + std::string(address) + " on node with address " + ip);
  const NodeId id = rt.node_id();
  const uint16_t port = hp->port == 0 ? ephemeral_port(id) : hp->port;
  if (listeners_.count({id, port})) return Error(Errc::address_in_use, std::string(address));
  auto l = std::make_shared<ListenerState>();
  l->node = id;
  l->port = port;
  l->address = ip + ":" + std::to_string(port);
  l->rt = &rt;
  listeners_.emplace(std::make_pair(id, port), l);
  return std::unique_ptr<rt::Listener>(std::make_unique<SimListener>(*this, std::move(l)));
}

rt::Result<std::unique_ptr<rt::Conn>> Network::connect(SimRuntime& rt, std::string_view address,
                                                       rt::Duration timeout) {
  if (rt.stopping()) return Error(Errc::cancelled);
  auto hp = rt::parse_address(address);
  if (!hp) return hp.error();
  if (hp->port == 0) return Error(Errc::invalid_argument, "connect to port 0");
  auto a = std::make_shared<ConnectAttempt>();
  a->client = rt.node_id();
  a->client_incarnation = rt.incarnation();
  a->rt = &rt;
  a->port = hp->port;
  a->address = std::string(address);
  a->started = sim_.now();
  if (hp->host == "127.0.0.1" || hp->host == rt.node().ip()) {
    a->server = rt.node_id();
  } else if (Node* n = sim_.node_by_ip(hp->host)) {
    a->server = n->id();
  }
  rt::Scheduler& sched = rt.scheduler();
  const Instant deadline = rt::deadline_after(rt.now(), timeout);
  if (a->server != kNoNode) {
    sim_.schedule(sim_.now() + latency(a->client, a->server), a->server, EventKind::net_syn,
                  [this, a] { syn_arrives(a); });
  }
  while (!a->done) {
    a->waiter = sched.current();
    const WakeReason r = sched.block(deadline);
    a->waiter = nullptr;
    if (a->done) break;
    if (auto err = wait_error(r)) {
      a->abandoned = true;
      if (err->code() == Errc::timeout) return Error(Errc::timeout, "connect " + a->address);
      return *err;
    }
  }
  if (a->error) return *a->error;
  return std::unique_ptr<rt::Conn>(std::make_unique<SimConn>(*this, a->client_end));
}

void Network::syn_arrives(const std::shared_ptr<ConnectAttempt>& a) {
  if (a->abandoned) return;
  const auto retry = [this, a] {
    sim_.schedule(sim_.now() + cfg_.syn_retry_interval, a->server, EventKind::net_syn,
                  [this, a] { syn_arrives(a); });
  };
  if (blocked(a->client, a->server)) return retry();
  Node& server = sim_.node(a->server);
  if (!server.powered()) return;  // a powered-off machine answers nothing
  auto it = server.up() ? listeners_.find({a->server, a->port}) : listeners_.end();
  if (it == listeners_.end()) {
    a->error = Error(Errc::refused, "connect " + a->address);
  } else {
    ListenerState& l = *it->second;
    if (l.backlog.size() >= cfg_.accept_backlog_max) return retry();
    SimRuntime* client_rt = sim_.live_runtime(a->client, a->client_incarnation);
    if (client_rt == nullptr) return;
    auto c = make_endpoint(*client_rt, ephemeral_port(a->client), l.address);
    auto s = make_endpoint(*l.rt, l.port, c->local);
    c->peer_node = s->node;
    s->peer_node = c->node;
    c->other = s;
    s->other = c;
    a->client_end = c;
    a->server_end = s;
    l.backlog.push_back(s);
    if (l.acceptor) l.rt->scheduler().wake(l.acceptor, WakeReason::notified);
  }
  sim_.schedule(sim_.now() + latency(a->server, a->client), a->client, EventKind::net_synack,
                [this, a] { synack_arrives(a); });
}

void Network::synack_arrives(const std::shared_ptr<ConnectAttempt>& a) {
  if (blocked(a->server, a->client)) {
    sim_.schedule(sim_.now() + cfg_.syn_retry_interval, a->client, EventKind::net_synack,
                  [this, a] { synack_arrives(a); });
    return;
  }
  SimRuntime* rt = sim_.live_runtime(a->client, a->client_incarnation);
  if (a->abandoned || rt == nullptr) {
    // The client gave up (or died): its half-open connection is reset.
    if (a->client_end) {
      a->client_end->closed = true;
      unregister(*a->client_end);
      if (a->server_end) send_reset(a->server_end, latency(a->client, a->server));
    }
    return;
  }
  a->done = true;
  if (a->waiter) rt->scheduler().wake(a->waiter, WakeReason::notified);
}

void Network::send(const std::shared_ptr<Endpoint>& e, std::vector<std::byte> data, bool fin) {
  Segment seg;
  seg.data = std::move(data);
  seg.fin = fin;
  seg.first_sent = sim_.now();
  seg.arrival = std::max(sim_.now() + latency(e->node, e->peer_node), e->last_arrival);
  e->last_arrival = seg.arrival;
  e->out.push_back(std::move(seg));
  if (!e->delivery_scheduled) {
    e->delivery_scheduled = true;
    sim_.schedule(e->out.front().arrival, e->peer_node, EventKind::net_data, [this, e] { deliver(e); });
  }
}

void Network::deliver(const std::shared_ptr<Endpoint>& e) {
  e->delivery_scheduled = false;
  if (e->out.empty()) return;
  auto p = e->other.lock();
  const auto reschedule = [&](Instant when) {
    e->delivery_scheduled = true;
    sim_.schedule(when, e->peer_node, EventKind::net_data, [this, e] { deliver(e); });
  };
  if (blocked(e->node, e->peer_node)) {
    if (sim_.now() - e->out.front().first_sent >= cfg_.give_up_after) {
      // TCP gives up: both ends are reset.
      e->out.clear();
      send_reset(e, rt::Duration::zero());
      if (p) send_reset(p, rt::Duration::zero());
      return;
    }
    return reschedule(sim_.now() + cfg_.retransmit_interval);
  }
  if (auto l = loss_.find({e->node, e->peer_node}); l != loss_.end() && sim_.net_random().chance(l->second))
    return reschedule(sim_.now() + cfg_.retransmit_interval);
  if (!p || p->gone || p->closed || p->reset) {
    // Nobody reads at the other end: data is answered with a reset.
    const bool only_fin = std::all_of(e->out.begin(), e->out.end(), [](const Segment& s) { return s.fin; });
    e->out.clear();
    if (!only_fin) send_reset(e, latency(e->peer_node, e->node));
    return;
  }
  bool delivered = false;
  while (!e->out.empty() && e->out.front().arrival <= sim_.now()) {
    Segment& seg = e->out.front();
    if (seg.fin) {
      p->rx_fin = true;
      sim_.fold(0xf1f1);
    } else {
      p->rx.insert(p->rx.end(), seg.data.begin(), seg.data.end());
      sim_.fold(seg.data.size());
    }
    e->out.pop_front();
    delivered = true;
  }
  if (delivered) wake(*p, true, false);
  if (!e->out.empty()) reschedule(e->out.front().arrival);
}

void Network::ack(const std::shared_ptr<Endpoint>& reader, uint64_t bytes) {
  auto sender = reader->other.lock();
  if (!sender) return;
  sim_.schedule(sim_.now() + latency(reader->node, sender->node), sender->node, EventKind::net_ack,
                [this, sender, bytes] {
                  RMQ_ASSERT(sender->unacked >= bytes);
                  sender->unacked -= bytes;
                  wake(*sender, false, true);
                });
}

void Network::send_reset(const std::shared_ptr<Endpoint>& to, rt::Duration after) {
  sim_.schedule(sim_.now() + after, to->node, EventKind::net_reset, [this, to] {
    if (to->gone || to->reset) return;
    to->reset = true;
    to->out.clear();
    wake(*to, true, true);
  });
}

void Network::wake(Endpoint& e, bool reader, bool writer) {
  if (e.gone) return;
  if (reader && e.reader) e.rt->scheduler().wake(e.reader, WakeReason::notified);
  if (writer && e.writer) e.rt->scheduler().wake(e.writer, WakeReason::notified);
}

void Network::close_endpoint(const std::shared_ptr<Endpoint>& e, bool reset) {
  if (e->closed) return;
  e->closed = true;
  wake(*e, true, true);
  unregister(*e);
  if (e->reset) return;
  auto p = e->other.lock();
  // Closing with unread data resets the connection, as Linux does.
  if (reset || e->readable() > 0) {
    e->out.clear();
    if (p) send_reset(p, latency(e->node, e->peer_node));
    return;
  }
  send(e, {}, true);
}

void Network::unregister(const Endpoint& e) { endpoints_.erase({e.node, e.id}); }

void Network::unregister(const ListenerState& l) {
  auto it = listeners_.find({l.node, l.port});
  if (it != listeners_.end() && it->second.get() == &l) listeners_.erase(it);
}

void Network::node_down(NodeId id, bool notify_peers) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (it->first.first == id) {
      it->second->closed = true;
      for (auto& e : it->second->backlog) {
        if (notify_peers) close_endpoint(e, true);
        e->gone = true;
      }
      it->second->backlog.clear();
      it = listeners_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::shared_ptr<Endpoint>> mine;
  for (auto& [key, e] : endpoints_)
    if (key.first == id) mine.push_back(e);
  for (auto& e : mine) {
    if (notify_peers) {
      close_endpoint(e, false);
    } else {
      e->closed = true;
      e->out.clear();
      unregister(*e);
    }
    e->gone = true;
    e->reader = e->writer = nullptr;
    e->rt = nullptr;
  }
}

void Network::set_blocked(NodeId from, NodeId to, bool is_blocked) {
  if (is_blocked) blocked_.insert({from, to});
  else blocked_.erase({from, to});
}

void Network::heal_all() {
  blocked_.clear();
  clogged_.clear();
  jitter_.clear();
  loss_.clear();
}

void Network::clog(NodeId from, NodeId to, rt::Duration extra) {
  if (extra <= rt::Duration::zero()) clogged_.erase({from, to});
  else clogged_[{from, to}] = extra;
}

void Network::jitter(NodeId from, NodeId to, rt::Duration extra_max) {
  if (extra_max <= rt::Duration::zero()) jitter_.erase({from, to});
  else jitter_[{from, to}] = extra_max;
}

void Network::loss(NodeId from, NodeId to, double rate) {
  RMQ_ASSERT(rate >= 0 && rate <= 1);
  if (rate <= 0) loss_.erase({from, to});
  else loss_[{from, to}] = rate;
}

void Network::reset_between(NodeId a, NodeId b) {
  std::vector<std::shared_ptr<Endpoint>> hit;
  for (auto& [key, e] : endpoints_)
    if ((e->node == a && e->peer_node == b) || (e->node == b && e->peer_node == a)) hit.push_back(e);
  for (auto& e : hit) send_reset(e, rt::Duration::zero());
}

}  // namespace rmq::sim
