// Scenario "ping": the simulator's demo cluster.
//
// Goal: show that nodes on the runtime keep two promises under faults:
//   1. a request is answered with exactly its own bytes (no corruption,
//      no cross-talk between connections), and
//   2. a journal record survives what its acknowledgement promised: a
//      record whose write returned survives a process crash; a record
//      covered by a completed sync survives a power loss; recovery never
//      yields a record that was not written.
// Method: N nodes each run an echo server, a pinger that sends framed pings
// to random peers over reused connections, and a journal appender with
// periodic syncs. A seed-chosen fault plan crashes, power-cycles,
// partitions, clogs and resets them. After the faults heal, every node must
// again complete pings (liveness).
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "scenarios/fault_inject.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"
#include "sim/disk.h"
#include "sim/simulation.h"

namespace rmq::scenarios {
namespace {

using rt::Duration;
using sim::NodeId;

constexpr uint16_t kPort = 7000;
constexpr uint32_t kFrameMax = 64 * 1024;
constexpr const char* kJournal = "/data/journal";
constexpr size_t kRecordHeader = 4 + 8;  // length, checksum

// What an outside observer knows about one node; survives its crashes.
struct NodeHistory {
  uint64_t written = 0;         // records whose write_at returned ok
  uint64_t synced = 0;          // records covered by a completed sync
  bool last_stop_power_loss = false;
  uint64_t pings_ok = 0;
  uint64_t pings_ok_at_heal = 0;
  uint64_t recoveries = 0;
};

struct World : FailureLog {
  std::vector<NodeHistory> nodes;
  size_t node_count = 0;
  sim::Simulation* sim = nullptr;
  // Found now; the first 20 are kept.
  void fail(std::string what) {
    if (failures.size() < 20) fail_at(sim->now(), std::move(what));
  }
};

void put_u32(std::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte{static_cast<uint8_t>(v >> (24 - 8 * i))};
}
uint32_t get_u32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
void put_u64(std::byte* p, uint64_t v) {
  put_u32(p, static_cast<uint32_t>(v >> 32));
  put_u32(p + 4, static_cast<uint32_t>(v));
}
uint64_t get_u64(const std::byte* p) { return (uint64_t{get_u32(p)} << 32) | get_u32(p + 4); }

uint64_t checksum(rt::ConstBytes b) {
  uint64_t h = 0x70696e67;
  for (std::byte x : b) h = sim::hash_fold(h, static_cast<uint8_t>(x));
  return h;
}

// The payload of record `seq` of node `node`: derived, so recovery can check
// content, not only checksums.
std::vector<std::byte> record_payload(NodeId node, uint64_t seq) {
  const size_t len = 16 + (seq * 7919 + node * 131) % 1500;
  std::vector<std::byte> p(len);
  put_u64(p.data(), seq);
  put_u64(p.data() + 8, node);
  for (size_t i = 16; i < len; ++i) p[i] = std::byte{static_cast<uint8_t>(seq + i + node)};
  return p;
}

// ---- journal ---------------------------------------------------------------

// Reads the journal, checks it against the history, truncates a torn tail.
// Returns the number of valid records (the next sequence number).
uint64_t recover_journal(rt::Runtime& rt, rt::File& f, NodeId self, World& w) {
  NodeHistory& h = w.nodes[self];
  auto size = f.size();
  if (!size) return 0;
  std::vector<std::byte> all(*size);
  auto n = f.read_at(0, all);
  if (!n || *n != all.size()) return 0;
  uint64_t pos = 0;
  uint64_t seq = 0;
  while (pos + kRecordHeader <= all.size()) {
    const uint32_t len = get_u32(all.data() + pos);
    if (len > kFrameMax || pos + kRecordHeader + len > all.size()) break;
    rt::ConstBytes payload(all.data() + pos + kRecordHeader, len);
    if (checksum(payload) != get_u64(all.data() + pos + 4)) break;
    const auto expect = record_payload(self, seq);
    if (payload.size() != expect.size() || !std::equal(payload.begin(), payload.end(), expect.begin())) {
      w.fail(fmt::format("node {} journal record {} has wrong content (phantom or misplaced)", self, seq));
      break;
    }
    pos += kRecordHeader + len;
    ++seq;
  }
  const uint64_t promised = h.last_stop_power_loss ? h.synced : h.written;
  if (seq < promised)
    w.fail(fmt::format("node {} lost acknowledged journal records: recovered {}, promised {} ({})", self, seq,
                       promised, h.last_stop_power_loss ? "synced before power loss" : "written before crash"));
  if (seq > h.written)
    w.fail(fmt::format("node {} recovered {} records but only {} were written", self, seq, h.written));
  if (pos < all.size()) {
    rt.log(rt::LogLevel::info, fmt::format("journal: truncating torn tail at {} of {} bytes", pos, all.size()));
    if (!f.truncate(pos) || !f.sync()) return seq;  // the node is going down
  }
  ++h.recoveries;
  h.written = seq;
  h.synced = seq;
  return seq;
}

void journal_loop(rt::Runtime& rt, NodeId self, World& w) {
  auto& fs = rt.fs();
  if (!fs.create_dirs("/data") || !fs.sync_dir("/")) return;
  auto f = fs.open(kJournal, rt::OpenMode::create);
  if (!f || !fs.sync_dir("/data")) return;
  uint64_t seq = recover_journal(rt, **f, self, w);
  auto size = (*f)->size();
  if (!size) return;
  uint64_t end = *size;
  NodeHistory& h = w.nodes[self];
  for (;;) {
    rt.sleep_for(Duration(rt.random().between(5'000'000, 60'000'000)));
    const auto payload = record_payload(self, seq);
    std::vector<std::byte> rec(kRecordHeader + payload.size());
    put_u32(rec.data(), static_cast<uint32_t>(payload.size()));
    put_u64(rec.data() + 4, checksum(payload));
    std::memcpy(rec.data() + kRecordHeader, payload.data(), payload.size());
    auto wr = (*f)->write_at(end, rec);
    if (!wr) {
      rt.log(rt::LogLevel::warn, "journal write failed: " + wr.error().message());
      return;
    }
    end += rec.size();
    h.written = ++seq;
    if (seq % 3 == 0) {
      const uint64_t covered = seq;
      auto s = (*f)->sync();
      if (s) h.synced = std::max(h.synced, covered);
    }
  }
}

// ---- echo server and pinger ---------------------------------------------

// Reads one length-prefixed frame. Errors and end of stream end the frame.
std::optional<std::vector<std::byte>> read_frame(rt::Conn& c, Duration timeout) {
  std::byte len_buf[4];
  if (!c.read_exact(len_buf, timeout)) return std::nullopt;
  const uint32_t len = get_u32(len_buf);
  if (len > kFrameMax) return std::nullopt;
  std::vector<std::byte> body(len);
  if (len > 0 && !c.read_exact(body, timeout)) return std::nullopt;
  return body;
}

bool write_frame(rt::Conn& c, rt::ConstBytes body, Duration timeout) {
  std::byte len_buf[4];
  put_u32(len_buf, static_cast<uint32_t>(body.size()));
  const rt::ConstBytes parts[] = {rt::ConstBytes(len_buf, 4), body};
  return c.write_all(parts, timeout).ok();
}

void serve(rt::Runtime& rt) {
  auto l = rt.listen(fmt::format("0.0.0.0:{}", kPort));
  if (!l) {
    rt.log(rt::LogLevel::error, "listen: " + l.error().message());
    return;
  }
  for (;;) {
    auto c = (*l)->accept();
    if (!c) continue;
    std::shared_ptr<rt::Conn> conn = std::move(*c);
    rt.spawn("echo", [conn] {
      while (auto frame = read_frame(*conn, 30s))
        if (!write_frame(*conn, *frame, 5s)) break;
    });
  }
}

void ping_loop(rt::Runtime& rt, NodeId self, World& w, const std::vector<std::string>& ips) {
  std::map<size_t, std::unique_ptr<rt::Conn>> conns;
  uint64_t seq = 0;
  for (;;) {
    rt.sleep_for(Duration(rt.random().between(10'000'000, 100'000'000)));
    size_t peer = rt.random().below(ips.size() - 1);
    if (peer >= self) ++peer;
    auto& conn = conns[peer];
    if (!conn) {
      auto c = rt.connect(fmt::format("{}:{}", ips[peer], kPort), 1s);
      if (!c) continue;
      conn = std::move(*c);
    }
    std::vector<std::byte> ping(8 + rt.random().below(3000));
    put_u64(ping.data(), (uint64_t{self} << 48) | seq++);
    for (size_t i = 8; i < ping.size(); ++i) ping[i] = std::byte{static_cast<uint8_t>(rt.random().next_u64())};
    std::optional<std::vector<std::byte>> pong;
    if (write_frame(*conn, ping, 2s)) pong = read_frame(*conn, 2s);
    if (!pong) {
      conn.reset();
      continue;
    }
    if (*pong != ping) {
      w.fail(fmt::format("node {} got a pong that differs from its ping (seq {})", self, seq - 1));
      conn.reset();
      continue;
    }
    ++w.nodes[self].pings_ok;
  }
}

void node_main(rt::Runtime& rt, NodeId self, World& w, const std::vector<std::string>& ips) {
  rt.spawn("server", [&rt] { serve(rt); });
  rt.spawn("journal", [&rt, self, &w] { journal_loop(rt, self, w); });
  ping_loop(rt, self, w, ips);
}

// ---- fault plan ------------------------------------------------------------

// Swarm testing: each seed enables a random subset of the fault families,
// then draws faults from them at random times for 60 s.
void draw_plan(rt::Random& r, FaultPlan& plan, size_t node_count) {
  const bool crash = r.chance(0.6), power = r.chance(0.5), partition = r.chance(0.5), clog = r.chance(0.4),
             reset = r.chance(0.4), slow_disk = r.chance(0.3);
  std::vector<int> choices;
  if (crash || power) choices.push_back(0);
  if (partition) choices.push_back(2);
  if (clog) choices.push_back(3);
  if (reset) choices.push_back(4);
  if (slow_disk) choices.push_back(5);
  if (choices.empty()) return;
  for (Duration t = 1s; t < 60s; t += Duration(r.between(500'000'000, 6'000'000'000))) {
    const auto a = r.below(node_count);
    auto b = r.below(node_count - 1);
    if (b >= a) ++b;
    const std::string na = fmt::format("n{}", a), nb = fmt::format("n{}", b);
    const Duration down = Duration(r.between(100'000'000, 5'000'000'000));
    auto add = [&](Duration at, FaultKind kind, const std::string& peer = {}, bool both = false) -> FaultEvent& {
      return peer.empty() ? plan.add(at, kind, na) : plan.add(at, kind, na, peer, both);
    };
    switch (choices[r.below(choices.size())]) {
      case 0:
        add(t, power && (!crash || r.chance(0.5)) ? FaultKind::power_loss : FaultKind::crash);
        add(t + down, FaultKind::restart);
        break;
      case 2:
        add(t, FaultKind::partition, nb, r.chance(0.5));
        add(t + down, FaultKind::heal, nb, true);
        break;
      case 3:
        add(t, FaultKind::clog, nb).delay = Duration(r.between(10'000'000, 500'000'000));
        add(t + down, FaultKind::unclog, nb);
        break;
      case 4:
        add(t, FaultKind::reset, nb, true);
        break;
      case 5:
        add(t, FaultKind::slow_disk).delay = 50ms;
        plan.events.back().rate = 0.2;
        add(t, FaultKind::fsync_stall).delay = 3s;
        plan.events.back().rate = 0.2;
        add(t + down, FaultKind::slow_disk);
        add(t + down, FaultKind::fsync_stall);
        break;
    }
  }
}

}  // namespace

RunResult run_ping(uint64_t seed, const RunOptions& opts) {
  sim::NetConfig net;
  sim::Simulation sim(seed, net);
  rt::Random& r = sim.random();
  World w;
  w.sim = &sim;
  w.node_count = 3 + r.below(3);
  w.nodes.resize(w.node_count);
  if (opts.faults) {
    net.fragment_probability = r.chance(0.5) ? 0.2 : 0.0;
    sim.set_net_config(net);
  }
  observe(sim, opts);

  std::vector<std::string> ips;
  for (size_t i = 0; i < w.node_count; ++i) {
    const auto id = static_cast<NodeId>(i);
    auto& node = sim.add_node(fmt::format("n{}", i), [id, &w, &ips](rt::Runtime& rt) { node_main(rt, id, w, ips); });
    ips.push_back(node.ip());
  }
  sim.start_all();

  // Safety phase: the plan's faults (by default 60 s of them).
  FaultInjector injector(sim);
  injector.on_applied = [&w](const FaultEvent& e, NodeId n) {
    if (e.kind == FaultKind::crash || e.kind == FaultKind::kill) w.nodes[n].last_stop_power_loss = false;
    if (e.kind == FaultKind::power_loss) w.nodes[n].last_stop_power_loss = true;
  };
  if (auto bad = injector.start(seed, opts, [&](rt::Random& pr, FaultPlan& plan) { draw_plan(pr, plan, w.node_count); },
                                all_fault_kinds({FaultKind::kill, FaultKind::read_corruption})))
    return refused_plan(*bad);
  Duration safety = 60s;
  for (const auto& e : injector.plan().events) safety = std::max(safety, e.at + 1s);
  sim.run_for(safety);

  // Liveness phase: heal everything, restart the dead, every node must ping.
  injector.end_faults();
  for (size_t i = 0; i < w.node_count; ++i) {
    const auto id = static_cast<NodeId>(i);
    if (!sim.node(id).up()) sim.start(id);
    w.nodes[i].pings_ok_at_heal = w.nodes[i].pings_ok;
  }
  sim.run_for(30s);
  for (size_t i = 0; i < w.node_count; ++i)
    if (w.nodes[i].pings_ok == w.nodes[i].pings_ok_at_heal)
      w.fail(fmt::format("node {} completed no ping in the 30 s after faults healed", i));

  RunResult out;
  for (size_t i = 0; i < w.node_count; ++i) sim.fold(sim.node(static_cast<NodeId>(i)).disk().digest());
  out.trace_hash = sim.trace_hash();
  out.perturbed = sim.perturbation().shuffle_ties;
  out.events = sim.events_processed();
  out.simulated = sim.now().time_since_epoch();
  out.failures = w.failures;
  out.plan = injector.plan();
  out.faults = fault_names(out.plan);
  uint64_t pings = 0, recoveries = 0, records = 0;
  for (auto& h : w.nodes) {
    pings += h.pings_ok;
    recoveries += h.recoveries;
    records += h.written;
  }
  out.notes.push_back(fmt::format("nodes={} pings={} journal_records={} recoveries={}", w.node_count, pings,
                                  records, recoveries));
  out.timeline = timeline_of(sim, out, {}, {}, w.failure_times);
  if (!out.ok()) out.recent_logs = sim.recent_logs();
  return out;
}

}  // namespace rmq::scenarios
