// Properties of the store under crashes, on the simulated disk: random
// workloads of puts across topics and queues, cut at a random moment by a
// process crash or a power loss (with random slow-disk and read-corruption
// faults), then recovery, twice.
//
// Must hold:
//  - every put acknowledged under SYNC_FLUSH survives any crash; under
//    ASYNC_FLUSH it survives a process crash;
//  - no corrupted or phantom record is returned: every record read back is
//    one that was put, byte for byte in its body, in the queue it was put to;
//  - each ConsumeQueue holds exactly the log's records of that queue, in
//    order, with contiguous offsets; every record is found by its key;
//  - recovering a second time gives the same state.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/simulation.h"
#include "tests/store/store_test_util.h"

namespace rmq::store {
namespace {

using namespace std::chrono_literals;

struct Put {
  std::string topic;
  int32_t queue_id = 0;
  std::string body;  // unique: "<putter>-<n>-" + padding
};

struct Workload {
  uint64_t seed = 0;
  bool sync_flush = true;
  bool power_loss = false;
  int putters = 1;
  std::vector<std::vector<Put>> per_putter;
  int64_t crash_after_us = 0;
  double slow_probability = 0;
  double read_corruption = 0;
  bool batches = false;
  int flush_interval_ms = 50;  // commit log flush and checkpoint periods
};

void show(const Workload& w, std::ostream& os) {
  size_t puts = 0;
  for (auto& p : w.per_putter) puts += p.size();
  os << "seed=" << w.seed << " " << (w.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH") << " "
     << (w.power_loss ? "power loss" : "process crash") << " after " << w.crash_after_us << "us, " << w.putters
     << " putters, " << puts << " puts, slow=" << w.slow_probability << " read_corruption=" << w.read_corruption
     << (w.batches ? " batches" : "") << " flush every " << w.flush_interval_ms << "ms";
}

// What one recovered store holds.
struct State {
  int64_t log_end = 0;
  std::map<std::pair<std::string, int32_t>, std::vector<std::string>> queues;  // bodies in queue order
  bool operator==(const State&) const = default;
};

std::string describe_difference(const State& a, const State& b) {
  std::string out = fmt::format("log end {} vs {}", a.log_end, b.log_end);
  for (const auto& [q, bodies] : a.queues) {
    auto it = b.queues.find(q);
    const size_t other = it == b.queues.end() ? 0 : it->second.size();
    if (it == b.queues.end() || it->second != bodies)
      out += fmt::format("; {}-{}: {} vs {} records", q.first, q.second, bodies.size(), other);
  }
  for (const auto& [q, bodies] : b.queues)
    if (!a.queues.contains(q)) out += fmt::format("; {}-{}: only in the second ({})", q.first, q.second, bodies.size());
  return out;
}

std::string with_reports(const std::vector<std::string>& reports) {
  std::string out;
  for (size_t i = 0; i < reports.size(); ++i) out += fmt::format("\n  recovery {}: {}", i + 1, reports[i]);
  return out;
}

rc::Gen<Workload> gen_workload() {
  return rc::gen::exec([] {
    Workload w;
    w.seed = *rc::gen::arbitrary<uint64_t>();
    w.sync_flush = *rc::gen::arbitrary<bool>();
    w.power_loss = *rc::gen::arbitrary<bool>();
    w.putters = *rc::gen::inRange(1, 9);
    const int topics = *rc::gen::inRange(1, 4);
    const int queues = *rc::gen::inRange(1, 5);
    w.batches = *rc::gen::arbitrary<bool>();
    for (int p = 0; p < w.putters; ++p) {
      std::vector<Put> puts;
      const int n = *rc::gen::inRange(0, 40);
      for (int i = 0; i < n; ++i) {
        Put put;
        put.topic = "Topic" + std::to_string(*rc::gen::inRange(0, topics));
        put.queue_id = *rc::gen::inRange(0, queues);
        const int pad = *rc::gen::inRange(0, 3000);
        put.body = std::to_string(p) + "-" + std::to_string(i) + "-" + std::string(static_cast<size_t>(pad), 'a' + (i % 26));
        puts.push_back(std::move(put));
      }
      w.per_putter.push_back(std::move(puts));
    }
    w.crash_after_us = *rc::gen::inRange<int64_t>(0, 150'000);
    w.slow_probability = *rc::gen::element(0.0, 0.0, 0.05, 0.3);
    w.read_corruption = *rc::gen::element(0.0, 0.0, 0.001, 0.01);
    // Tiny periods put syncs and checkpoints between any two writes.
    w.flush_interval_ms = *rc::gen::element(1, 50);
    return w;
  });
}

// Reads everything the recovered store shows, checking each record on the
// way. Runs inside the simulation, so problems come back as text (RapidCheck
// asserts outside it).
State read_state(MessageStore& s, const std::map<std::string, Put>& attempted, std::string& problem) {
  State st;
  st.log_end = s.written();
  auto fail = [&](const std::string& what) {
    if (problem.empty()) problem = what;
  };
  for (const auto& [topic, ids] : s.queues()) {
    for (int32_t qid : ids) {
      // A queue whose only units were cut with a torn tail stays, empty: as
      // good as none (a reader sees no message either way).
      if (s.max_offset(topic, qid) == 0) continue;
      auto& bodies = st.queues[{topic, qid}];
      int64_t offset = s.min_offset(topic, qid);
      if (offset != 0) fail(topic + " min offset " + std::to_string(offset));  // nothing ages out here
      while (offset < s.max_offset(topic, qid) && problem.empty()) {
        auto g = s.get(topic, qid, offset, 32, 1 << 20);
        if (g.status != GetStatus::found) {
          fail(fmt::format("get {}-{}@{}: {}", topic, qid, offset, to_string(g.status)));
          break;
        }
        auto ms = test::decode_all(g);
        if (ms.size() != g.items.size()) fail("records do not decode");
        for (size_t i = 0; i < ms.size(); ++i) {
          const auto& m = ms[i];
          const std::string body = test::body_text(m);
          auto it = attempted.find(body);
          if (it == attempted.end()) {
            fail(fmt::format("{}-{}@{}: a body never put ({} bytes)", topic, qid, offset + i, body.size()));
            continue;
          }
          if (it->second.topic != m.topic || it->second.queue_id != m.queue_id || m.topic != topic ||
              m.queue_id != qid)
            fail(fmt::format("{}-{}@{}: record of {}-{} put to {}-{}", topic, qid, offset + i, m.topic, m.queue_id,
                             it->second.topic, it->second.queue_id));
          if (m.queue_offset != offset + static_cast<int64_t>(i))
            fail(fmt::format("{}-{}@{}: record says queue offset {}", topic, qid, offset + i, m.queue_offset));
          bodies.push_back(body);
        }
        offset = g.next_begin_offset;
      }
    }
  }
  return st;
}

// The log's own view: every record in it, by queue.
State scan_log(rt::Runtime& rt, const StoreConfig& cfg, std::string& problem) {
  State st;
  CommitLog log(rt, cfg);
  if (auto r = log.open_segments(); !r) {
    problem = "log does not open: " + r.error().message();
    return st;
  }
  auto end = log.scan(log.min_offset(), true, [&](const common::StoredMessage& m, int64_t, uint32_t) {
    if (common::takes_queue_slot(m.sys_flag)) st.queues[{m.topic, m.queue_id}].push_back(test::body_text(m));
  });
  if (!end || end->kind != ScanEnd::Kind::end_of_data) {
    problem = "the recovered log does not scan clean: " + (end ? end->problem : end.error().message());
    return st;
  }
  st.log_end = end->offset;
  return st;
}

void run_case(const Workload& w) {
  sim::DiskConfig disk;
  disk.slow_probability = w.slow_probability;
  disk.slow_extra = 20ms;
  std::map<std::string, Put> attempted;
  for (const auto& puts : w.per_putter)
    for (const auto& p : puts) attempted[p.body] = p;
  std::set<std::string> acked;
  int boot = 0;
  bool started = false;
  std::optional<State> first, second;
  std::optional<State> log_view;
  std::string failure;
  std::vector<std::string> recoveries;  // each recovery's report, for a failure's message
  StoreConfig cfg = test::small_config("/store", w.sync_flush ? FlushDiskType::sync_flush : FlushDiskType::async_flush);
  cfg.flush_interval_commit_log = std::chrono::milliseconds(w.flush_interval_ms);
  cfg.flush_interval_consume_queue = std::chrono::milliseconds(2 * w.flush_interval_ms);

  // Declared after everything its fibers use, so that it (and they) go first.
  sim::Simulation sim(w.seed, {}, disk);
  auto& node = sim.add_node("broker", [&](rt::Runtime& rt) {
    ++boot;
    if (boot == 1) {
      auto st = MessageStore::open(rt, cfg);
      if (!st) {
        // Only the crash may interrupt the first open.
        if (st.error().code() != rt::Errc::cancelled) failure = "first open: " + st.error().message();
        return;
      }
      started = true;
      auto& s = **st;
      std::vector<rt::Task> tasks;
      for (int p = 0; p < w.putters; ++p) {
        tasks.push_back(rt.spawn("putter", [&, p] {
          const auto& puts = w.per_putter[static_cast<size_t>(p)];
          for (size_t i = 0; i < puts.size(); ++i) {
            if (w.batches && i + 1 < puts.size() && puts[i].topic == puts[i + 1].topic &&
                puts[i].queue_id == puts[i + 1].queue_id) {
              std::vector<common::StoredMessage> batch{test::make_message(puts[i].topic, puts[i].queue_id, puts[i].body),
                                                       test::make_message(puts[i].topic, puts[i].queue_id, puts[i + 1].body)};
              if (s.put_batch(batch).ok()) {
                acked.insert(puts[i].body);
                acked.insert(puts[i + 1].body);
              }
              ++i;
              continue;
            }
            if (s.put(test::make_message(puts[i].topic, puts[i].queue_id, puts[i].body)).ok()) acked.insert(puts[i].body);
          }
        }));
      }
      for (auto& t : tasks) (void)t.join();
      rt.sleep_for(1h);  // the crash comes first
      return;
    }
    // Recovery (with read corruption from here on).
    auto st = MessageStore::open(rt, cfg);
    if (!st) {
      failure = "recovery " + std::to_string(boot - 1) + ": " + st.error().message();
      return;
    }
    recoveries.push_back((*st)->recovery_report().summary());
    State now = read_state(**st, attempted, failure);
    // Every record is found by its key.
    for (const auto& [q, bodies] : now.queues) {
      for (const auto& b : bodies) {
        auto hits = (*st)->query_by_key(q.first, "U-" + b, 4, 0, INT64_MAX);
        if (!hits || hits->size() != 1u || test::body_text((*hits)[0].message) != b) {
          if (failure.empty())
            failure = fmt::format("key lookup of {} in {} is wrong: {}", b.substr(0, 12), q.first,
                                  hits ? std::to_string(hits->size()) + " hits" : hits.error().message());
        }
      }
    }
    if (boot == 2) {
      log_view = scan_log(rt, cfg, failure);
      first = now;  // last: the test crashes the node once it is set
    } else {
      second = now;
    }
    rt.sleep_for(1h);
  });
  sim.start_all();
  sim.run_for(std::chrono::microseconds(w.crash_after_us));
  if (w.power_loss) {
    sim.power_loss(node.id());
  } else {
    sim.crash(node.id());
  }
  sim::DiskConfig faulty = disk;
  faulty.read_corruption_probability = w.read_corruption;
  sim.set_disk_config(node.id(), faulty);
  for (int round = 0; round < 2; ++round) {
    sim.start(node.id());
    sim.run_until([&] { return (round == 0 ? first.has_value() : second.has_value()) || !failure.empty(); }, 10min);
    if (!failure.empty()) RC_FAIL(failure + with_reports(recoveries));
    // Crash again right after recovering (a recovery of a recovery).
    if (round == 0) sim.crash(node.id());
  }
  RC_ASSERT(first.has_value());
  RC_ASSERT(second.has_value());
  if (!(*first == *second)) RC_FAIL("a second recovery changed the state: " + describe_difference(*first, *second) + with_reports(recoveries));
  // The queues are exactly the log, queue by queue.
  RC_ASSERT(log_view.has_value());
  if (!(log_view->queues == first->queues) || log_view->log_end != first->log_end)
    RC_FAIL("the queues are not the log: " + describe_difference(*log_view, *first) + with_reports(recoveries));
  // Durability.
  std::set<std::string> present;
  for (const auto& [q, bodies] : first->queues) present.insert(bodies.begin(), bodies.end());
  if (w.sync_flush || !w.power_loss) {
    for (const auto& b : acked)
      if (present.count(b) != 1u) RC_FAIL("acknowledged put " + b.substr(0, 12) + " was lost" + with_reports(recoveries));
  }
  (void)started;
}

RC_GTEST_PROP(StoreCrash, AcknowledgedPutsSurviveAndRecoveryIsExactAndIdempotent, ()) {
  const Workload w = *gen_workload();
  RC_TAG(w.sync_flush ? "sync" : "async", w.power_loss ? "power-loss" : "crash");
  std::ostringstream os;
  show(w, os);
  RC_LOG() << os.str() << "\n";
  run_case(w);
}

}  // namespace
}  // namespace rmq::store
