// Scenarios of RocketMQ's reliability mechanisms (issue 9): delay levels,
// the retry schedule with its DLQ, and transactions with check-back, each
// driven by the C++ client against brokers in the simulator and judged by
// the history checkers plus the mechanism's own timing rules.
//
// delay-crash. Goal: a delayed or retried message acknowledged to its
// producer is never lost and never delivered before its time, and is
// delivered within its time + 1 s whenever its broker was up.
// Method: 1 namesrv, 2 SYNC_FLUSH brokers; 2 producers send with delay
// levels 0-4 (none, 1 s, 5 s, 10 s, 30 s); a clustering group of 2 fails
// some deliveries (retries at levels 3, 4: 10 s, 30 s). For 60 s brokers
// crash or lose power at random. Times are checked by the broker's clock:
// the delivered copy's store time against the send (wall clocks agree: no
// skew in this scenario).
//
// retry-dlq. Goal: a message whose listener fails is redelivered on
// RocketMQ's schedule (level 3 + reconsume times: 10 s, 30 s, 1 m) and after
// exactly maxReconsumeTimes redeliveries goes to the group's DLQ.
// Method: 1 namesrv, 1 broker; 40 messages, each failing a chosen number of
// times (0 to 4; 4 = always) in a group with maxReconsumeTimes 3; a second
// group reads %DLQ%<group>.
//
// transaction-crash. Goal: consumers see exactly the transactions the
// producers committed (by the producers' own record), once each, never a
// rolled-back or undecided one.
// Method: 1 namesrv, 2 brokers (check interval 5 s); 3 instances of one
// producer group run local transactions that record their decision in a
// shared "database" (it survives their crashes) and sometimes answer
// unknown; check-backs answer from the database. Producers crash (often
// between the half message and END_TRANSACTION) and restart; brokers crash
// and restart; links from a producer to a broker slow down by 4-9 s, so a
// check-back's answer and the producer's own END_TRANSACTION race.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "client/transaction_producer.h"
#include "scenarios/rig.h"
#include "sim/sim_runtime.h"
#include "sim/simulation.h"
#include "store/delay_levels.h"

namespace rmq::scenarios {
namespace {

constexpr int32_t kQueuesPerBroker = 2;

int64_t ms_of(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }
// Store times have millisecond precision: the broker's clock read at `t`.
rt::Instant floor_ms(rt::Instant t) {
  return rt::Instant(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()));
}
// A wall-clock time (ms) on the simulator's timeline: wall clocks are
// kSimEpochMs + simulated time when no skew is configured.
rt::Instant instant_of_wall(int64_t wall_ms) {
  return rt::Instant(std::chrono::milliseconds(wall_ms - sim::kSimEpochMs));
}
std::string at(rt::Instant t) { return fmt::format("{} ms", t.time_since_epoch().count() / 1'000'000); }

// ---------------------------------------------------------------------------
// delay-crash

// One listener call: the recorded delivery plus what the listener answered.
struct Call {
  std::string group;
  std::string key;
  int32_t reconsume_times = 0;
  bool retry_queue = false;  // pulled from %RETRY%
  bool ok = false;
  rt::Instant at{};
  int64_t store_wall_ms = 0;  // the delivered copy's store time (broker clock)
};

struct DelayState {
  std::vector<Call> calls;
  std::map<std::string, const h::Send*> acked;  // filled after the run
  std::set<std::string> acked_keys;
  std::set<std::string> consumed;  // a listener returned success
  std::map<std::string, int32_t> levels;
  int producers_done = 0;
  bool consumers_stop = false;
  Rig rig;  // last: its simulation goes first, its nodes' tasks refer to the above
  explicit DelayState(uint64_t seed) : rig(seed) {}
};

constexpr const char* kDelayTopic = "DelayTopic";

void delay_producer(rt::Runtime& rt, DelayState& s, int p, int count) {
  client::MqClient mq(rt, make_client(s.rig, fmt::format("10.1.0.{}", p + 1), fmt::format("p{}", p)));
  mq.start();
  if (p == 0)
    for (const auto& cfg : s.rig.broker_cfgs) create_topic(rt, mq, cfg.address(), kDelayTopic, kQueuesPerBroker);
  rt.sleep_for(3s);  // the topic reaches the namesrv; the consumers are up
  client::Producer prod(mq, {.group = "PG"});
  const auto& levels = s.rig.broker_cfgs[0].store.delay_level_ms;
  for (int n = 0; n < count; ++n) {
    h::Send snd;
    snd.key = fmt::format("p{}-{}", p, n);
    snd.producer = fmt::format("p{}", p);
    snd.queue.topic = kDelayTopic;
    const int32_t level = static_cast<int32_t>(rt.random().below(5));  // 0: none
    if (level > 0) {
      snd.parked = true;
      snd.delay = std::chrono::milliseconds(levels[static_cast<size_t>(level - 1)]);
    }
    snd.body_digest = snd.key + "|" + std::string(static_cast<size_t>(16 + n % 200), 'd');
    snd.invoked = rt.now();
    auto r = prod.send({.topic = kDelayTopic, .keys = snd.key, .body = snd.body_digest, .delay_level = level});
    snd.completed = rt.now();
    if (r.ok()) {
      record_ack(snd, r);
      s.acked_keys.insert(snd.key);
      s.levels[snd.key] = level;
    }
    s.rig.hist.sends.push_back(std::move(snd));
    rt.sleep_for(Duration(rt.random().between(100'000'000, 900'000'000)));
  }
  ++s.producers_done;
  mq.stop();
}

void delay_consumer(rt::Runtime& rt, DelayState& s, int c) {
  recording_consumer(rt, s.rig, "CG", kDelayTopic, c, -1, s.consumers_stop,
                     [&](const client::ReceivedMessage& m, const h::Delivery&) {
                       // Some first and second deliveries fail: retries at levels 3 and 4.
                       const bool ok = m.reconsume_times >= 2 || rt.random().below(8) != 0;
                       s.calls.push_back({"CG", m.keys, m.reconsume_times, m.queue.topic != kDelayTopic, ok, rt.now(),
                                          m.store_timestamp});
                       if (ok) s.consumed.insert(m.keys);
                       return ok ? client::ConsumeResult::success : client::ConsumeResult::reconsume_later;
                     });
}

// The delay-crash timing rules, by the broker's clock.
void check_delay_timing(DelayState& s) {
  const auto& levels = s.rig.broker_cfgs[0].store.delay_level_ms;
  std::map<std::string, const h::Send*> sends;
  for (const auto& snd : s.rig.hist.sends)
    if (snd.outcome == h::SendOutcome::acked) sends[snd.key] = &snd;
  // First failure time per (key, reconsume times).
  std::map<std::pair<std::string, int32_t>, rt::Instant> failed;
  for (const Call& c : s.calls)
    if (!c.ok) failed.try_emplace({c.key, c.reconsume_times}, c.at);
  // The earliest copy of each delayed message re-stored in its own topic.
  std::map<std::string, rt::Instant> first_stored;
  for (const Call& c : s.calls) {
    if (c.retry_queue || c.reconsume_times != 0) continue;
    const rt::Instant stored = instant_of_wall(c.store_wall_ms);
    auto [it, fresh] = first_stored.try_emplace(c.key, stored);
    if (!fresh) it->second = std::min(it->second, stored);
  }
  for (const auto& [key, stored] : first_stored) {
    auto it = sends.find(key);
    if (it == sends.end() || it->second->delay <= Duration::zero()) continue;
    const h::Send& snd = *it->second;
    // Never before invoked + delay; by completed + delay + 1 s while up.
    if (stored < floor_ms(snd.invoked) + snd.delay)
      s.rig.fail_at(stored, fmt::format("{} (delay {} ms, sent at {}) was re-stored at {}, early", key,
                                        ms_of(snd.delay), at(snd.invoked), at(stored)));
    const rt::Instant due = snd.completed + snd.delay;
    // Due while its broker was down (or just restarting): within 2 s of the
    // restart (recovery, then the first walk 1 s after the start).
    const rt::Instant ready = s.rig.ready_at(snd.queue.broker, due, 1s, 2s);
    const rt::Instant latest = std::max(due + 1s, ready);
    if (stored > latest) {
      std::string outages;
      for (const auto& [from, until] : s.rig.down[snd.queue.broker])
        outages += fmt::format(" [{}, {})", at(from), at(until));
      s.rig.fail_at(latest, fmt::format("{} (delay {} ms, acked at {}, broker {}) was re-stored at {}, after {}; "
                                        "its broker was down:{}",
                                        key, ms_of(snd.delay), at(snd.completed), snd.queue.broker, at(stored),
                                        at(latest), outages.empty() ? " never" : outages));
    }
  }
  // Stored copies already delivered, by (key, store time): a failed send-back
  // makes the client consume the same copy again 5 s later with its
  // reconsume times one up (RocketMQ's push consumer), which is no re-store.
  std::set<std::pair<std::string, int64_t>> delivered;
  for (const Call& c : s.calls) {
    const rt::Instant stored = instant_of_wall(c.store_wall_ms);
    const bool local_retry = !delivered.emplace(c.key, c.store_wall_ms).second;
    if (c.retry_queue && c.reconsume_times >= 1 && !local_retry) {
      auto f = failed.find({c.key, c.reconsume_times - 1});
      if (f == failed.end()) {
        s.rig.fail_at(stored, fmt::format("{} came back with reconsume times {} without a failure before", c.key,
                                          c.reconsume_times));
        continue;
      }
      const int32_t level = store::clamp_delay_level(levels, 3 + c.reconsume_times - 1);
      const Duration delay = std::chrono::milliseconds(levels[static_cast<size_t>(level - 1)]);
      if (stored < floor_ms(f->second) + delay)
        s.rig.fail_at(stored, fmt::format("retry {} of {} re-stored at {}, before its failure at {} + {} ms",
                                          c.reconsume_times, c.key, at(stored), at(f->second), ms_of(delay)));
    }
  }
  for (const auto& key : s.acked_keys)
    if (!s.consumed.count(key)) s.rig.failures.push_back(fmt::format("{} was acknowledged but never consumed", key));
}

RunResult run_delay_crash_impl(uint64_t seed, const RunOptions& opts) {
  DelayState s(seed);
  Rig& k = s.rig;
  observe(k.sim, opts);
  k.add_namesrv();
  k.add_brokers(2, [](broker::BrokerConfig& cfg) { cfg.store.flush_disk_type = store::FlushDiskType::sync_flush; });
  const int per_producer = scaled(25 + static_cast<int>(k.sim.random().below(20)), opts);
  for (int p = 0; p < 2; ++p)
    k.sim.add_node(fmt::format("producer{}", p), [&s, p, per_producer](rt::Runtime& rt) {
      delay_producer(rt, s, p, per_producer);
    });
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {kDelayTopic}};
  for (int c = 0; c < 2; ++c) {
    k.sim.add_node(fmt::format("consumer{}", c), [&s, c](rt::Runtime& rt) { delay_consumer(rt, s, c); });
    cg.members.insert(fmt::format("10.2.0.{}@c{}", c + 1, c));
  }
  k.hist.groups["CG"] = cg;
  k.sim.start_all();
  // Delay timing is checked against the brokers' outages, so the plan's
  // faults are the brokers' crashes and power losses.
  // Swarm: client-broker cuts and clogs on some seeds (they delay sends and
  // deliveries, not the brokers' re-storing, which is what is timed).
  if (!k.start_faults(opts,
                      [&](rt::Random& r, FaultPlan& plan) {
                        k.draw_broker_faults(r, plan, 5s, 60s, true);
                        k.draw_client_swarm(r, plan, {"producer0", "producer1", "consumer0", "consumer1"}, 5s, 55s);
                      },
                      {FaultKind::crash, FaultKind::power_loss, FaultKind::restart, FaultKind::partition,
                       FaultKind::heal, FaultKind::clog, FaultKind::unclog}))
    return k.bad_plan();
  k.sim.run_until(rt::Instant(65s));
  k.restart_all();
  k.hist.healed_at = k.sim.now();
  if (!k.sim.run_until([&] { return s.producers_done == 2; }, 10min)) k.fail("the producers did not finish");
  k.sim.run_until([&] { return std::includes(s.consumed.begin(), s.consumed.end(), s.acked_keys.begin(),
                                             s.acked_keys.end()); },
                  10min);
  k.sim.run_for(5s);
  s.consumers_stop = true;
  k.sim.run_for(3s);
  k.hist.end = k.sim.now();
  check_delay_timing(s);
  int delayed = 0;
  for (const auto& snd : k.hist.sends) delayed += snd.delay > Duration::zero() ? 1 : 0;
  int retried = 0;
  for (const Call& c : s.calls) retried += c.retry_queue ? 1 : 0;
  return k.finish({fmt::format("sends={} acked={} delayed={} deliveries={} retried={} broker_faults={}",
                               k.hist.sends.size(), s.acked_keys.size(), delayed, k.hist.deliveries.size(), retried,
                               k.crashes)});
}

// ---------------------------------------------------------------------------
// retry-dlq

constexpr const char* kRetryTopic = "RetryTopic";
constexpr int32_t kMaxReconsume = 3;

struct RetryState {
  std::map<std::string, int32_t> fail_times;  // key -> failures planned (> kMaxReconsume: always)
  std::vector<Call> calls;
  std::set<std::string> settled;   // consumed, or in the DLQ
  std::set<std::string> acked_keys;
  bool sent = false;
  bool consumers_stop = false;
  Rig rig;  // last: its simulation goes first, its nodes' tasks refer to the above
  explicit RetryState(uint64_t seed) : rig(seed) {}
};

void retry_producer(rt::Runtime& rt, RetryState& s, int count) {
  client::MqClient mq(rt, make_client(s.rig, "10.1.0.1", "p0"));
  mq.start();
  create_topic(rt, mq, s.rig.broker_cfgs[0].address(), kRetryTopic, 4);
  rt.sleep_for(5s);  // every consumer has its queues
  client::Producer prod(mq, {.group = "PG"});
  for (int n = 0; n < count; ++n) {
    h::Send snd;
    snd.key = fmt::format("m{}", n);
    snd.producer = "p0";
    snd.queue.topic = kRetryTopic;
    snd.body_digest = snd.key + "|body";
    snd.invoked = rt.now();
    auto r = prod.send({.topic = kRetryTopic, .keys = snd.key, .body = snd.body_digest});
    snd.completed = rt.now();
    if (r.ok()) {
      record_ack(snd, r);
      s.acked_keys.insert(snd.key);
      // 0-3 failures, or one more than allowed (to the DLQ).
      s.fail_times[snd.key] = static_cast<int32_t>(rt.random().below(kMaxReconsume + 2));
    }
    s.rig.hist.sends.push_back(std::move(snd));
    rt.sleep_for(Duration(rt.random().between(50'000'000, 500'000'000)));
  }
  s.sent = true;
  mq.stop();
}

void retry_consumer(rt::Runtime& rt, RetryState& s, const std::string& group, int c) {
  const bool dlq = group != "CG";
  recording_consumer(rt, s.rig, group, dlq ? remoting::dlq_topic("CG") : kRetryTopic, c, kMaxReconsume,
                     s.consumers_stop, [&](const client::ReceivedMessage& m, const h::Delivery&) {
                       if (dlq) {
                         s.settled.insert(m.keys);
                         s.calls.push_back({group, m.keys, m.reconsume_times, true, true, rt.now(), m.store_timestamp});
                         return client::ConsumeResult::success;
                       }
                       rt.sleep_for(Duration(rt.random().below(50'000'000)));  // some work
                       auto plan = s.fail_times.find(m.keys);
                       const bool ok = plan != s.fail_times.end() && m.reconsume_times >= plan->second;
                       s.calls.push_back({group, m.keys, m.reconsume_times, m.queue.topic != kRetryTopic, ok, rt.now(),
                                          m.store_timestamp});
                       if (ok) s.settled.insert(m.keys);
                       return ok ? client::ConsumeResult::success : client::ConsumeResult::reconsume_later;
                     });
}

void check_retry_schedule(RetryState& s) {
  const auto& levels = s.rig.broker_cfgs[0].store.delay_level_ms;
  std::map<std::string, std::map<int32_t, std::vector<const Call*>>> cg;  // key -> reconsume times -> calls
  std::map<std::string, std::vector<const Call*>> dlq;
  for (const Call& c : s.calls) (c.group == "CG" ? cg[c.key][c.reconsume_times] : dlq[c.key]).push_back(&c);
  for (const auto& [key, planned] : s.fail_times) {
    // planned <= max: fails `planned` times, then succeeds; more: fails
    // max + 1 times, then the DLQ (with reconsume times max + 1).
    const int32_t attempts = std::min(planned, kMaxReconsume) + 1;
    const auto& by_count = cg[key];
    if (static_cast<int32_t>(by_count.size()) != attempts || by_count.rbegin()->first != attempts - 1) {
      std::string seen;
      for (const auto& [n, list] : by_count) seen += fmt::format(" {}x{}", n, list.size());
      s.rig.failures.push_back(fmt::format("{} planned to fail {} time(s) was delivered with reconsume times{} "
                                           "(want 0..{})",
                                           key, planned, seen, attempts - 1));
      continue;
    }
    for (int32_t n = 1; n < attempts; ++n) {
      const Call* failure = by_count.at(n - 1).front();
      const Call* retry = by_count.at(n).front();
      const int32_t level = store::clamp_delay_level(levels, 3 + n - 1);
      const Duration delay = std::chrono::milliseconds(levels[static_cast<size_t>(level - 1)]);
      const Duration gap = retry->at - failure->at;
      if (gap < delay || gap > delay + 1500ms)
        s.rig.fail_at(retry->at, fmt::format("{}: retry {} came {} ms after the failure, want {} ms (+ 1.5 s)", key,
                                             n, ms_of(gap), ms_of(delay)));
    }
    const bool to_dlq = planned > kMaxReconsume;
    auto d = dlq.find(key);
    if (to_dlq && d == dlq.end())
      s.rig.failures.push_back(fmt::format("{} failed {} times but never reached the DLQ", key, attempts));
    if (!to_dlq && d != dlq.end())
      s.rig.fail_at(d->second.front()->at, fmt::format("{} was consumed yet reached the DLQ", key));
    if (d != dlq.end())
      for (const Call* c : d->second)
        if (c->reconsume_times != kMaxReconsume + 1)
          s.rig.fail_at(c->at, fmt::format("{} reached the DLQ with reconsume times {}, want {}", key,
                                           c->reconsume_times, kMaxReconsume + 1));
  }
}

RunResult run_retry_dlq_impl(uint64_t seed, const RunOptions& opts) {
  RetryState s(seed);
  Rig& k = s.rig;
  observe(k.sim, opts);
  k.add_namesrv();
  k.add_brokers(1, {});
  const int count = scaled(30 + static_cast<int>(k.sim.random().below(20)), opts);
  k.sim.add_node("producer", [&s, count](rt::Runtime& rt) { retry_producer(rt, s, count); });
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {kRetryTopic}};
  for (int c = 0; c < 2; ++c) {
    k.sim.add_node(fmt::format("consumer{}", c), [&s, c](rt::Runtime& rt) { retry_consumer(rt, s, "CG", c); });
    cg.members.insert(fmt::format("10.2.0.{}@c{}", c + 1, c));
  }
  k.sim.add_node("dlq-reader", [&s](rt::Runtime& rt) { retry_consumer(rt, s, "DLQ-READER", 9); });
  k.hist.groups["CG"] = cg;
  k.hist.groups["DLQ-READER"] = {.kind = h::GroupKind::clustering, .topics = {remoting::dlq_topic("CG")}};
  k.sim.start_all();
  // Redelivery times are checked to the second: the faults are the
  // listener's (its failures); a plan may add only link latency.
  if (!k.start_faults(opts, [](rt::Random&, FaultPlan&) {}, {FaultKind::latency})) return k.bad_plan();
  k.hist.healed_at = rt::Instant(0s);
  if (!k.sim.run_until([&] { return s.sent; }, 10min)) k.fail("the producer did not finish");
  // The longest schedule: 10 s + 30 s + 1 m, then the DLQ reader's rebalance.
  k.sim.run_until([&] { return std::includes(s.settled.begin(), s.settled.end(), s.acked_keys.begin(),
                                             s.acked_keys.end()); },
                  10min);
  k.sim.run_for(5s);
  s.consumers_stop = true;
  k.sim.run_for(3s);
  k.hist.end = k.sim.now();
  for (const auto& key : s.acked_keys)
    if (!s.settled.count(key)) k.fail(fmt::format("{} was neither consumed nor in the DLQ", key));
  check_retry_schedule(s);
  int to_dlq = 0;
  for (const auto& [key, n] : s.fail_times) to_dlq += n > kMaxReconsume ? 1 : 0;
  return k.finish({fmt::format("sends={} acked={} deliveries={} to_dlq={}", k.hist.sends.size(), s.acked_keys.size(),
                               k.hist.deliveries.size(), to_dlq)});
}

// ---------------------------------------------------------------------------
// transaction-crash

constexpr const char* kTxTopic = "TxTopic";

struct TxState {
  std::map<std::string, client::LocalTransactionState> db;  // the producers' own record
  std::map<std::string, h::Send> sends;                      // by key
  std::vector<NodeId> producer_nodes;
  std::map<std::string, std::set<std::pair<h::QueueRef, int64_t>>> positions;  // key -> where it was read
  std::set<std::string> delivered;
  int next_txn = 0;
  bool producers_stop = false;
  bool consumers_stop = false;
  Rig rig;  // last: its simulation goes first, its nodes' tasks refer to the above
  explicit TxState(uint64_t seed) : rig(seed) {}
};

void tx_producer(rt::Runtime& rt, TxState& s, int p) {
  client::MqClient mq(rt, make_client(s.rig, fmt::format("10.1.0.{}", p + 1), fmt::format("p{}", p)));
  mq.start();
  if (p == 0)
    for (const auto& cfg : s.rig.broker_cfgs) create_topic(rt, mq, cfg.address(), kTxTopic, kQueuesPerBroker);
  client::TransactionProducer tp(mq, {.group = "TPG"},
                                 [&](const client::ReceivedMessage& half) { return recorded_decision(s.db, half.keys); });
  rt.sleep_for(3s);
  while (!s.producers_stop) {
    const std::string key = fmt::format("tx{}", s.next_txn++);
    h::Send& snd = s.sends[key];
    snd.key = key;
    snd.producer = fmt::format("p{}", p);
    snd.queue.topic = kTxTopic;
    snd.parked = true;
    snd.body_digest = key + "|order";
    snd.invoked = rt.now();
    snd.outcome = h::SendOutcome::failed;  // unless the record says committed
    auto r = tp.send_in_transaction({.topic = kTxTopic, .keys = key, .body = snd.body_digest},
                                    [&](const client::Message&, const client::SendResult& half) {
                                      snd.queue.broker = half.queue.broker_name;
                                      snd.queue.queue_id = half.queue.queue_id;
                                      snd.msg_id = half.msg_id;
                                      return local_transaction(rt, key, s.db);
                                    });
    snd.completed = rt.now();
    (void)r;
    rt.sleep_for(Duration(rt.random().between(100'000'000, 1'000'000'000)));
  }
  // Done sending: still an instance of the group, answering checks.
  while (!s.consumers_stop) rt.sleep_for(1s);
  mq.stop();
}

void tx_consumer(rt::Runtime& rt, TxState& s, int c) {
  recording_consumer(rt, s.rig, "CG", kTxTopic, c, -1, s.consumers_stop,
                     [&](const client::ReceivedMessage& m, const h::Delivery& d) {
                       s.positions[m.keys].insert({d.queue, d.queue_offset});
                       s.delivered.insert(m.keys);
                       return client::ConsumeResult::success;
                     });
}

RunResult run_transaction_crash_impl(uint64_t seed, const RunOptions& opts) {
  TxState s(seed);
  Rig& k = s.rig;
  observe(k.sim, opts);
  k.add_namesrv();
  k.add_brokers(2, [](broker::BrokerConfig& cfg) { cfg.transaction_check_interval = 5s; });
  for (int p = 0; p < 3; ++p) {
    auto& n = k.sim.add_node(fmt::format("producer{}", p), [&s, p](rt::Runtime& rt) { tx_producer(rt, s, p); });
    s.producer_nodes.push_back(n.id());
  }
  h::Group cg{.kind = h::GroupKind::clustering, .topics = {kTxTopic}};
  for (int c = 0; c < 2; ++c) {
    k.sim.add_node(fmt::format("consumer{}", c), [&s, c](rt::Runtime& rt) { tx_consumer(rt, s, c); });
    cg.members.insert(fmt::format("10.2.0.{}@c{}", c + 1, c));
  }
  k.hist.groups["CG"] = cg;
  k.sim.start_all();
  std::vector<std::string> producer_names;
  for (NodeId n : s.producer_nodes) producer_names.push_back(k.sim.node(n).name());
  const bool planned = k.start_faults(opts, [&](rt::Random& r, FaultPlan& plan) {
    k.draw_broker_faults(r, plan, 8s, 50s, false);
    k.draw_client_swarm(r, plan, {"consumer0", "consumer1"}, 8s, 50s);  // swarm: consumer cuts and clogs
    // Producers crash at random (often inside a local transaction, between
    // its half message and its END_TRANSACTION) and come back 2-10 s later.
    for (Duration t = Duration(r.between(5'000'000'000, 8'000'000'000)); t < 50s;
         t += Duration(r.between(2'000'000'000, 6'000'000'000))) {
      const std::string& p = producer_names[r.below(producer_names.size())];
      const Duration outage = Duration(r.between(2'000'000'000, 10'000'000'000));
      plan.add(t, FaultKind::crash, p);
      plan.add(t + outage, FaultKind::restart, p);
    }
    // Slow links from a producer to a broker: its END_TRANSACTION arrives
    // after the broker already asked another instance and got the answer.
    for (Duration t = Duration(r.between(5'000'000'000, 10'000'000'000)); t < 50s;
         t += Duration(r.between(5'000'000'000, 15'000'000'000))) {
      const std::string& p = producer_names[r.below(producer_names.size())];
      const std::string& b = k.broker_node_names[r.below(k.broker_node_names.size())];
      const Duration extra = Duration(r.between(4'000'000'000, 9'000'000'000));
      plan.add(t, FaultKind::clog, p, b, false).delay = extra;
      plan.add(t + 10s, FaultKind::unclog, p, b, false);
    }
  });
  if (!planned) return k.bad_plan();
  int producer_crashes = 0;
  k.injector.on_applied = [&, rig_hook = k.injector.on_applied](const FaultEvent& e, NodeId n) {
    rig_hook(e, n);
    const bool down = e.kind == FaultKind::crash || e.kind == FaultKind::power_loss || e.kind == FaultKind::kill;
    if (down && std::find(s.producer_nodes.begin(), s.producer_nodes.end(), n) != s.producer_nodes.end())
      ++producer_crashes;
  };
  k.sim.run_until(rt::Instant(55s));
  s.producers_stop = true;
  k.restart_all();
  for (NodeId n : s.producer_nodes)
    if (!k.sim.node(n).up() && !k.injector.killed(n)) k.sim.start(n);  // surviving instances answer the checks
  k.hist.healed_at = k.sim.now();
  k.sim.run_for(15s);  // local transactions still running decide (they take up to 12 s)
  // Every committed transaction reaches the consumers (checks every 5 s).
  auto committed_seen = [&] {
    for (const auto& [key, d] : s.db)
      if (d == client::LocalTransactionState::commit && !s.delivered.count(key)) return false;
    return true;
  };
  k.sim.run_until(committed_seen, 10min);
  k.sim.run_for(20s);  // anything undecided or rolled back had its chance to leak
  s.consumers_stop = true;
  k.sim.run_for(3s);
  k.hist.end = k.sim.now();
  int committed = 0, rolled_back = 0, undecided = 0;
  for (auto& [key, snd] : s.sends) {
    auto d = s.db.find(key);
    if (d == s.db.end()) {
      ++undecided;
    } else if (d->second == client::LocalTransactionState::commit) {
      ++committed;
      snd.outcome = h::SendOutcome::acked;  // committed by its producer's own record
    } else {
      ++rolled_back;
    }
    if (snd.queue.broker.empty()) snd.outcome = h::SendOutcome::failed;  // the half never got through
    if (snd.completed < snd.invoked) snd.completed = snd.invoked;  // crashed inside the call
    k.hist.sends.push_back(snd);
  }
  // A committed transaction is stored once: one position, however often read.
  for (const auto& [key, places] : s.positions)
    if (places.size() > 1)
      k.fail(fmt::format("transaction {} was stored {} times (first at {}@{}:{} offset {})", key,
                                       places.size(), places.begin()->first.topic, places.begin()->first.broker,
                                       places.begin()->first.queue_id, places.begin()->second));
  return k.finish({fmt::format("transactions={} committed={} rolled_back={} undecided={} deliveries={} "
                               "producer_crashes={} broker_faults={}",
                               s.sends.size(), committed, rolled_back, undecided, k.hist.deliveries.size(),
                               producer_crashes, k.crashes)});
}

}  // namespace

RunResult run_delay_crash(uint64_t seed, const RunOptions& opts) { return run_delay_crash_impl(seed, opts); }
RunResult run_retry_dlq(uint64_t seed, const RunOptions& opts) { return run_retry_dlq_impl(seed, opts); }
RunResult run_transaction_crash(uint64_t seed, const RunOptions& opts) {
  return run_transaction_crash_impl(seed, opts);
}

}  // namespace rmq::scenarios
