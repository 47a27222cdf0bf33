// Broker scenarios: a namesrv, a broker and scripted clients (speaking the
// remoting protocol through the project's RPC client) in the simulator.
//
//   broker-crash       Goal: under ASYNC_FLUSH no acknowledged message is lost
//                      across broker process crashes and restarts.
//                      Method: producers send to 4 queues while the broker is
//                      killed (kill -9) and restarted at random times; after
//                      the faults heal a checker pulls every queue.
//   broker-power-loss  Goal: under SYNC_FLUSH no acknowledged message is lost
//                      across power losses. Method: as above, with machine
//                      crashes that drop unsynced data.
//   long-poll          Goal: a message that arrives while a pull is held is
//                      delivered within one simulated millisecond of being
//                      stored. Method: a consumer keeps a long-polling pull on
//                      each queue; a producer sends at random intervals; each
//                      delivery is timed against the send's acknowledgement,
//                      on a network without latency tails.
//   consumer-heartbeat-loss
//                      Goal: a consumer cut off from the broker for more than
//                      120 s is dropped (not before 120 s, within one 10 s
//                      scan after) and the rest of its group is notified.
//                      Method: three consumers heart-beat every 30 s; one is
//                      partitioned from the broker for 150-250 s; the others
//                      watch GET_CONSUMER_LIST_BY_GROUP and count
//                      NOTIFY_CONSUMER_IDS_CHANGED.
//
// The checkers of the first two: every acknowledged message is read back
// once, byte-identical, at the queue and offset its send reported; nothing is
// read that was never sent; each queue's offsets are contiguous.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "broker/broker.h"
#include "common/message_const.h"
#include "common/message_format.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"
#include "remoting/heartbeat.h"
#include "scenarios/fault_inject.h"
#include "scenarios/nodes.h"
#include "scenarios/scenario.h"
#include "scenarios/timeline.h"
#include "sim/disk.h"
#include "sim/simulation.h"

namespace rmq::scenarios {
namespace {

using rt::Duration;
using sim::NodeId;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

constexpr int32_t kQueues = 4;
constexpr const char* kTopic = "ScenarioTopic";

struct Sent {
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
};

struct World : FailureLog {
  std::map<std::string, Sent> acked;   // body -> where the send said it went
  std::set<std::string> attempted;     // every body a producer tried
  int broker_boots = 0;
  int producers_done = 0;
  sim::Simulation* sim = nullptr;
  // Found now; the first 20 are kept.
  void fail(std::string what) {
    if (failures.size() < 20) fail_at(sim->now(), std::move(what));
  }
};

// The body of message `n` of producer `p`: its name, then bytes derived
// from it (so a checker can tell a corrupt body from a foreign one).
std::string body_of(int p, int n) {
  std::string b = fmt::format("p{}-{}|", p, n);
  const size_t len = 8 + static_cast<size_t>((n * 7919 + p * 131) % 3000);
  for (size_t i = 0; b.size() < len; ++i) b.push_back(static_cast<char>('a' + (i * 31 + static_cast<size_t>(n)) % 26));
  return b;
}

std::string name_of(std::string_view body) { return std::string(body.substr(0, body.find('|'))); }

std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

broker::BrokerConfig broker_config(const std::string& ip, const std::string& namesrv, store::FlushDiskType flush) {
  broker::BrokerConfig c;
  c.namesrv_addrs = {namesrv};
  c.broker_ip = ip;
  sim_store(c.store, 256 * 1024);
  c.store.flush_disk_type = flush;
  c.store.store_host = c.address();
  return c;
}

void broker_main(rt::Runtime& rt, World& w, const broker::BrokerConfig& cfg) {
  scenarios::broker_main(rt, cfg, [&](std::string what) { w.fail(std::move(what)); }, [&] { ++w.broker_boots; });
}

RemotingCommand send_request(int p, int n, int32_t queue_id, const std::string& body) {
  auto req = RemotingCommand::request(rc::kSendMessageV2);
  remoting::SendMessageRequestHeader h;
  h.producer_group = fmt::format("PG{}", p);
  h.topic = kTopic;
  h.default_topic = "TBW102";
  h.default_topic_queue_nums = kQueues;
  h.queue_id = queue_id;
  h.born_timestamp = 1700000000000 + n;
  h.properties = common::encode_properties({{common::kPropTags, "T"}, {common::kPropUniqKey, name_of(body)}});
  h.encode(req, true);
  req.body = remoting::to_bytes(body);
  return req;
}

void create_topic(rt::Runtime& rt, remoting::RpcClient& c, const std::string& broker_addr) {
  for (;;) {
    auto req = RemotingCommand::request(rc::kUpdateAndCreateTopic);
    remoting::put_field(req, "topic", kTopic);
    remoting::put_field(req, "readQueueNums", kQueues);
    remoting::put_field(req, "writeQueueNums", kQueues);
    remoting::put_field(req, "perm", int32_t{6});
    auto r = c.invoke(broker_addr, std::move(req), 3s);
    if (r && r->code == rs::kSuccess) return;
    rt.sleep_for(500ms);
  }
}

// Sends `count` messages, one at a time, recording what was acknowledged.
void producer_main(rt::Runtime& rt, World& w, int p, int count, const std::string& broker_addr) {
  remoting::RpcClient c(rt, nullptr);
  create_topic(rt, c, broker_addr);
  for (int n = 0; n < count; ++n) {
    const std::string body = body_of(p, n);
    const auto queue_id = static_cast<int32_t>(rt.random().below(kQueues));
    w.attempted.insert(body);
    auto r = c.invoke(broker_addr, send_request(p, n, queue_id, body), 3s);
    if (r && r->code == rs::kSuccess) {
      w.acked[body] = Sent{queue_id, std::stoll(std::string(r->field("queueOffset").value_or("-1")))};
    } else {
      rt.sleep_for(Duration(rt.random().between(10'000'000, 300'000'000)));  // broker down: back off
    }
    rt.sleep_for(Duration(rt.random().between(1'000'000, 50'000'000)));
  }
  ++w.producers_done;
}

// Pulls every queue from 0 to its end and checks it against the history.
void checker_main(rt::Runtime& rt, World& w, const std::string& broker_addr, bool& done) {
  remoting::RpcClient c(rt, nullptr);
  std::set<std::string> seen;
  int unreachable = 0;  // pulls that found no broker
  for (int32_t q = 0; q < kQueues; ++q) {
    int64_t offset = 0;
    for (int round = 0; round < 100'000; ++round) {
      auto req = RemotingCommand::request(rc::kPullMessage);
      remoting::PullMessageRequestHeader h;
      h.consumer_group = "CHECKER";
      h.topic = kTopic;
      h.queue_id = q;
      h.queue_offset = offset;
      h.sys_flag = remoting::kPullSubscription;  // no suspend: stop at the end
      h.subscription = "*";
      h.encode(req);
      auto r = c.invoke(broker_addr, std::move(req), 10s);
      if (!r && unreachable < 120) {
        // The broker may still be recovering (slow syncs): wait for it.
        ++unreachable;
        rt.sleep_for(1s);
        continue;
      }
      if (!r) {
        w.fail(fmt::format("checker pull {}@{}: {}", q, offset, r.error().message()));
        break;
      }
      if (r->code != rs::kSuccess) {  // the end of the queue, or a problem
        if (r->code != rs::kPullNotFound)
          w.fail(fmt::format("checker pull {}@{}: code {} {}", q, offset, r->code, r->remark.value_or("")));
        break;
      }
      size_t at = 0;
      while (at < r->body.size()) {
        auto d = common::decode_stored(std::span<const std::byte>(r->body.data() + at, r->body.size() - at));
        if (d.status != common::RecordStatus::ok) {
          w.fail(fmt::format("queue {} offset {}: a record that does not decode: {}", q, offset, d.problem));
          break;
        }
        const std::string body = text(d.message->body);
        if (d.message->queue_offset != offset)
          w.fail(fmt::format("queue {}: offset {} holds a record saying {}", q, offset, d.message->queue_offset));
        if (!w.attempted.count(body)) {
          w.fail(fmt::format("queue {} offset {}: a message never sent ({} bytes)", q, offset, body.size()));
        } else if (!seen.insert(body).second) {
          w.fail(fmt::format("queue {} offset {}: {} delivered twice", q, offset, name_of(body)));
        }
        if (auto it = w.acked.find(body); it != w.acked.end() &&
                                          (it->second.queue_id != q || it->second.queue_offset != offset))
          w.fail(fmt::format("{}: acknowledged at {}@{}, found at {}@{}", name_of(body), it->second.queue_id,
                             it->second.queue_offset, q, offset));
        ++offset;
        at += d.size;
      }
      offset = std::stoll(std::string(r->field("nextBeginOffset").value_or("0")));
    }
  }
  for (const auto& [body, where] : w.acked)
    if (!seen.count(body))
      w.fail(fmt::format("acknowledged {} ({}@{}) was lost", name_of(body), where.queue_id, where.queue_offset));
  done = true;
}

// The run's outcome: trace hash (disks folded in), counters, failures and,
// for a failed run, the last log lines.
RunResult finish(sim::Simulation& sim, const World& w, const FaultPlan& plan = {}) {
  RunResult out;
  out.plan = plan;
  out.faults = fault_names(plan);
  for (NodeId i = 0; i < sim.node_count(); ++i) sim.fold(sim.node(i).disk().digest());
  out.trace_hash = sim.trace_hash();
  out.perturbed = sim.perturbation().shuffle_ties;
  out.events = sim.events_processed();
  out.simulated = sim.now().time_since_epoch();
  out.failures = w.failures;
  out.timeline = timeline_of(sim, out, {}, {}, w.failure_times);
  if (!out.ok()) out.recent_logs = sim.recent_logs();
  return out;
}

struct Shape {
  store::FlushDiskType flush = store::FlushDiskType::async_flush;
  bool power_loss = false;
};

RunResult run_durability(uint64_t seed, const RunOptions& opts, const Shape& shape) {
  sim::Simulation sim(seed);
  rt::Random& r = sim.random();
  World w;
  w.sim = &sim;
  observe(sim, opts);
  auto& ns = sim.add_node("namesrv", [](rt::Runtime& rt) { namesrv_main(rt); });
  const std::string namesrv_addr = ns.ip() + ":9876";
  broker::BrokerConfig cfg;
  auto& b = sim.add_node("broker", [&](rt::Runtime& rt) { broker_main(rt, w, cfg); });
  cfg = broker_config(b.ip(), namesrv_addr, shape.flush);
  cfg.transfer_msg_by_heap = r.below(2) == 0;  // pull answers copied, or sent from the files
  const std::string broker_addr = cfg.address();
  const int producers = scaled_nodes(1 + static_cast<int>(r.below(3)), opts.nodes);
  const int per_producer = scaled(50 + static_cast<int>(r.below(100)), opts);
  for (int p = 0; p < producers; ++p)
    sim.add_node(fmt::format("producer{}", p),
                 [&, p](rt::Runtime& rt) { producer_main(rt, w, p, per_producer, broker_addr); });
  sim.start_all();

  // Safety phase: the broker goes down 1-4 times; some seeds also pause
  // it, cut a producer off, clog its link or slow its disk. Power loss only where
  // SYNC_FLUSH promises to survive it; never killed for good (the checker
  // reads it afterwards); no read corruption (the checker would read it).
  FaultInjector injector(sim);
  int crashes = 0;
  injector.on_applied = [&](const FaultEvent& e, NodeId) {
    crashes += e.kind == FaultKind::crash || e.kind == FaultKind::power_loss ? 1 : 0;
  };
  std::vector<FaultKind> unsupported = {FaultKind::kill, FaultKind::read_corruption};
  if (!shape.power_loss) unsupported.push_back(FaultKind::power_loss);
  const auto bad = injector.start(seed, opts, [&](rt::Random& pr, FaultPlan& plan) {
    // With power loss, half the seeds also stall syncs for the whole run:
    // an acknowledgement that does not wait for its sync is then exposed
    // for seconds, not microseconds.
    if (shape.power_loss && pr.chance(0.5)) {
      FaultEvent& stall = plan.add(0s, FaultKind::fsync_stall, "broker");
      stall.delay = Duration(pr.between(200'000'000, 2'000'000'000));
      stall.rate = 0.3;
    }
    const int count = 1 + static_cast<int>(pr.below(4));
    for (int i = 0; i < count; ++i) {
      const Duration when = Duration(pr.between(200'000'000, 20'000'000'000));
      const Duration down = Duration(pr.between(50'000'000, 3'000'000'000));
      plan.add(when, shape.power_loss ? FaultKind::power_loss : FaultKind::crash, "broker");
      plan.add(when + down, FaultKind::restart, "broker");
    }
    // Swarm: each seed adds some of these families, 1-3 times each.
    auto some = [&pr](double chance, const std::function<void(Duration, Duration)>& add) {
      if (!pr.chance(chance)) return;
      for (int n = 1 + static_cast<int>(pr.below(3)); n > 0; --n) {
        const Duration at = Duration(pr.between(200'000'000, 20'000'000'000));  // one draw per statement
        add(at, Duration(pr.between(100'000'000, 5'000'000'000)));
      }
    };
    const std::string producer = fmt::format("producer{}", pr.below(static_cast<uint64_t>(producers)));
    some(0.3, [&](Duration at, Duration len) {  // the broker process stopped
      plan.add(at, FaultKind::pause, "broker");
      plan.add(at + len, FaultKind::resume, "broker");
    });
    some(0.3, [&](Duration at, Duration len) {  // a producer cut off, one way or both
      const bool both = pr.chance(0.5);
      plan.add(at, FaultKind::partition, producer, "broker", both);
      plan.add(at + len, FaultKind::heal, producer, "broker", true);
    });
    some(0.3, [&](Duration at, Duration len) {  // slow answers
      plan.add(at, FaultKind::clog, "broker", producer, true).delay = Duration(pr.between(50'000'000, 2'000'000'000));
      plan.add(at + len, FaultKind::unclog, "broker", producer, true);
    });
    some(0.3, [&](Duration at, Duration len) {  // a slow disk
      FaultEvent& slow = plan.add(at, FaultKind::slow_disk, "broker");
      slow.delay = Duration(pr.between(5'000'000, 200'000'000));
      slow.rate = 0.3;
      plan.add(at + len, FaultKind::slow_disk, "broker");
    });
  }, all_fault_kinds(unsupported));
  if (bad) return refused_plan(*bad);
  sim.run_for(25s);
  for (const auto& e : injector.plan().events) sim.run_until(rt::Instant(e.at));  // a given plan may run longer
  // Liveness: the broker is up, the producers finish, then the checker runs.
  injector.end_faults();
  if (!sim.node(b.id()).up()) sim.start(b.id());
  if (!sim.run_until([&] { return w.producers_done == producers; }, 10min))
    w.fail(fmt::format("{} of {} producers finished", w.producers_done, producers));
  bool checked = false;
  auto& checker = sim.add_node("checker", [&](rt::Runtime& rt) { checker_main(rt, w, broker_addr, checked); });
  sim.start(checker.id());
  if (!sim.run_until([&] { return checked; }, 5min)) w.fail("the checker did not finish");

  RunResult out = finish(sim, w, injector.plan());
  out.notes.push_back(fmt::format("producers={} attempted={} acked={} broker_boots={} crashes={}", producers,
                                  w.attempted.size(), w.acked.size(), w.broker_boots, crashes));
  return out;
}

// ---- long-poll -----------------------------------------------------------------

RunResult run_long_poll_scenario(uint64_t seed, const RunOptions& opts) {
  sim::NetConfig net;
  net.latency_min = 50us;
  net.latency_max = 200us;
  net.latency_tail_probability = 0;
  sim::Simulation sim(seed, net);
  rt::Random& r = sim.random();
  World w;
  w.sim = &sim;
  observe(sim, opts, /*perturbable=*/false);  // deliveries are timed to the millisecond
  auto& ns = sim.add_node("namesrv", [](rt::Runtime& rt) { namesrv_main(rt); });
  broker::BrokerConfig cfg;
  auto& b = sim.add_node("broker", [&](rt::Runtime& rt) { broker_main(rt, w, cfg); });
  cfg = broker_config(b.ip(), ns.ip() + ":9876", store::FlushDiskType::async_flush);
  const std::string broker_addr = cfg.address();
  const int messages = scaled(20 + static_cast<int>(r.below(30)), opts);
  std::map<std::string, rt::Instant> acked_at;  // body -> when the send's answer arrived
  std::map<std::string, rt::Instant> delivered_at;
  bool producing_done = false;
  int max_late_us = 0;

  sim.add_node("consumer", [&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(rt, c, broker_addr);
    std::vector<rt::Task> pullers;
    for (int32_t q = 0; q < kQueues; ++q) {
      pullers.push_back(rt.spawn("puller", [&, q] {
        int64_t offset = 0;
        while (!producing_done || delivered_at.size() < acked_at.size()) {
          auto req = RemotingCommand::request(rc::kPullMessage);
          remoting::PullMessageRequestHeader h;
          h.consumer_group = "LP";
          h.topic = kTopic;
          h.queue_id = q;
          h.queue_offset = offset;
          h.sys_flag = remoting::kPullSuspend | remoting::kPullSubscription;
          h.suspend_timeout_millis = 15000;
          h.subscription = "*";
          h.encode(req);
          auto resp = c.invoke(broker_addr, std::move(req), 30s);
          if (!resp) continue;
          const rt::Instant now = rt.now();
          size_t at = 0;
          while (resp->code == rs::kSuccess && at < resp->body.size()) {
            auto d = common::decode_stored(std::span<const std::byte>(resp->body.data() + at, resp->body.size() - at));
            if (d.status != common::RecordStatus::ok) break;
            delivered_at.emplace(text(d.message->body), now);
            at += d.size;
          }
          offset = std::stoll(std::string(resp->field("nextBeginOffset").value_or("0")));
        }
      }));
    }
    for (auto& p : pullers) (void)p.join();
  });
  sim.add_node("producer", [&](rt::Runtime& rt) {
    remoting::RpcClient c(rt, nullptr);
    create_topic(rt, c, broker_addr);
    // One warm-up message per queue: creating a queue's files syncs
    // directories, which is not what this measures.
    for (int32_t q = 0; q < kQueues; ++q) {
      const std::string body = body_of(9, q);
      auto resp = c.invoke(broker_addr, send_request(9, q, q, body), 3s);
      if (resp && resp->code == rs::kSuccess) acked_at[body] = rt.now();
    }
    rt.sleep_for(2s);
    for (int n = 0; n < messages; ++n) {
      // Long enough apart that each pull is held when the message comes.
      rt.sleep_for(Duration(rt.random().between(20'000'000, 3'000'000'000)));
      const std::string body = body_of(0, n);
      auto resp = c.invoke(broker_addr, send_request(0, n, static_cast<int32_t>(rt.random().below(kQueues)), body), 3s);
      if (!resp || resp->code != rs::kSuccess) {
        w.fail(fmt::format("send {} failed", n));
        continue;
      }
      acked_at[body] = rt.now();
    }
    producing_done = true;
  });
  sim.start_all();
  // Delivery within 1 ms is checked: no plan fits (only the empty one).
  FaultInjector injector(sim);
  if (auto bad = injector.start(seed, opts, [](rt::Random&, FaultPlan&) {}, {})) return refused_plan(*bad);
  if (!sim.run_until([&] { return producing_done && delivered_at.size() >= acked_at.size(); }, 10min))
    w.fail(fmt::format("{} of {} messages delivered", delivered_at.size(), acked_at.size()));
  for (const auto& [body, acked] : acked_at) {
    auto it = delivered_at.find(body);
    if (it == delivered_at.end()) continue;
    if (name_of(body).rfind("p9-", 0) == 0) continue;  // warm-up
    const auto late = std::chrono::duration_cast<std::chrono::microseconds>(it->second - acked).count();
    max_late_us = std::max(max_late_us, static_cast<int>(late));
    if (it->second > acked + 1ms)
      w.fail(fmt::format("{} delivered {} us after its send was acknowledged", name_of(body), late));
  }
  RunResult out = finish(sim, w);
  out.notes.push_back(
      fmt::format("messages={} delivered={} latest_delivery_after_ack={}us", acked_at.size(), delivered_at.size(),
                  max_late_us));
  return out;
}

// ---- consumer-heartbeat-loss -------------------------------------------------------

RunResult run_heartbeat_loss_scenario(uint64_t seed, const RunOptions& opts) {
  sim::Simulation sim(seed);
  World w;
  w.sim = &sim;
  observe(sim, opts);
  auto& ns = sim.add_node("namesrv", [](rt::Runtime& rt) { namesrv_main(rt); });
  broker::BrokerConfig cfg;
  auto& b = sim.add_node("broker", [&](rt::Runtime& rt) { broker_main(rt, w, cfg); });
  cfg = broker_config(b.ip(), ns.ip() + ":9876", store::FlushDiskType::async_flush);
  const std::string broker_addr = cfg.address();
  constexpr int kConsumers = 3;
  std::vector<rt::Instant> last_heartbeat(kConsumers);
  std::vector<int> notified(kConsumers, 0);
  std::vector<NodeId> consumer_nodes;
  // Membership seen by consumer 0, sampled every second: (time, ids).
  std::vector<std::pair<rt::Instant, size_t>> seen;
  bool stop = false;
  for (int i = 0; i < kConsumers; ++i) {
    auto& n = sim.add_node(fmt::format("consumer{}", i), [&, i](rt::Runtime& rt) {
      remoting::Dispatcher from_broker;
      from_broker.on(rc::kNotifyConsumerIdsChanged, [&, i](remoting::Connection&, RemotingCommand&) {
        ++notified[static_cast<size_t>(i)];
        return std::optional<RemotingCommand>{};
      });
      remoting::RpcClient c(rt, &from_broker);
      auto beat = rt.spawn("heartbeat", [&, i] {
        for (;;) {
          remoting::HeartbeatData hb;
          hb.client_id = fmt::format("10.0.0.{}@{}", i + 1, 100 + i);
          remoting::ConsumerData cd;
          cd.group_name = "HB";
          remoting::SubscriptionData s;
          s.topic = kTopic;
          cd.subscriptions.push_back(s);
          hb.consumers.push_back(cd);
          auto req = RemotingCommand::request(rc::kHeartBeat);
          req.body = remoting::to_bytes(remoting::encode_heartbeat(hb));
          auto resp = c.invoke(broker_addr, std::move(req), 3s);
          if (resp && resp->code == rs::kSuccess) last_heartbeat[static_cast<size_t>(i)] = rt.now();
          rt.sleep_for(30s);
        }
      });
      while (!stop) {
        rt.sleep_for(1s);
        if (i != 0) continue;
        auto req = RemotingCommand::request(rc::kGetConsumerListByGroup);
        remoting::put_field(req, "consumerGroup", "HB");
        auto resp = c.invoke(broker_addr, std::move(req), 3s);
        if (resp && resp->code == rs::kSuccess) {
          const std::string body = text(resp->body);
          seen.emplace_back(rt.now(), static_cast<size_t>(std::count(body.begin(), body.end(), '@')));
        }
      }
      beat.cancel();
    });
    consumer_nodes.push_back(n.id());
  }
  sim.start_all();
  // The plan cuts consumer 2 off from the broker (both ways) for 150-250 s,
  // 40-70 s in. The checks follow the plan's first cut of consumer2 and the
  // heal after it.
  FaultInjector injector(sim);
  const auto bad = injector.start(seed, opts, [](rt::Random& pr, FaultPlan& plan) {
    const Duration at = Duration(pr.between(40'000'000'000, 70'000'000'000));
    const Duration outage = Duration(pr.between(150'000'000'000, 250'000'000'000));
    plan.add(at, FaultKind::partition, "consumer2", "broker", true);
    plan.add(at + outage, FaultKind::heal, "consumer2", "broker", true);
  }, all_fault_kinds());
  if (bad) return refused_plan(*bad);
  std::optional<rt::Instant> cut, healed;
  rt::Instant last_beat{};
  int notified_before = 0;
  const NodeId victim = consumer_nodes[2];
  injector.on_applied = [&](const FaultEvent& e, NodeId n) {
    if (n != victim || !e.both_ways || e.peer != "broker") return;
    if (e.kind == FaultKind::partition && !cut) {
      cut = sim.now();
      last_beat = last_heartbeat[2];
      notified_before = notified[0] + notified[1];
    } else if (e.kind == FaultKind::heal && cut && !healed) {
      healed = sim.now();
    }
  };
  rt::Instant last_event{};
  for (const auto& e : injector.plan().events) last_event = std::max(last_event, rt::Instant(e.at));
  sim.run_until(last_event);
  sim.run_for(70s);  // it heart-beats again within 30 s and rejoins
  stop = true;
  sim.run_for(2s);
  if (!cut || !healed) {
    w.fail("the plan never cut consumer2 off from the broker (both ways) and healed it");
    cut = cut.value_or(rt::Instant{});
    healed = healed.value_or(sim.now());
  }
  const Duration outage = *healed - *cut;

  // The broker kept it for at least 120 s after its last heartbeat and
  // dropped it within one 10 s scan after that.
  std::optional<rt::Instant> dropped;
  for (const auto& [t, n] : seen) {
    if (t < *cut) continue;
    if (n < 3 && !dropped) dropped = t;
  }
  if (!dropped) {
    w.fail("the cut-off consumer was never dropped");
  } else {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(*dropped - last_beat).count();
    if (*dropped < last_beat + 120s) w.fail(fmt::format("dropped {} ms after its last heartbeat (< 120 s)", since));
    if (*dropped > last_beat + 120s + 10s + 2s)
      w.fail(fmt::format("dropped {} ms after its last heartbeat (> 130 s)", since));
  }
  if (notified[0] + notified[1] <= notified_before) w.fail("the rest of the group was not notified");
  const bool rejoined = std::any_of(seen.begin(), seen.end(), [&](const auto& s) {
    return s.first > *healed && s.first < *healed + 70s && s.second == 3;
  });
  if (!rejoined) w.fail("the consumer did not rejoin within 70 s after the link healed");
  RunResult out = finish(sim, w, injector.plan());
  out.notes.push_back(fmt::format(
      "outage={}s dropped_after={}ms notifications={}", std::chrono::duration_cast<std::chrono::seconds>(outage).count(),
      dropped ? std::chrono::duration_cast<std::chrono::milliseconds>(*dropped - last_beat).count() : -1,
      notified[0] + notified[1]));
  return out;
}

}  // namespace

RunResult run_broker_crash(uint64_t seed, const RunOptions& opts) {
  return run_durability(seed, opts, Shape{store::FlushDiskType::async_flush, false});
}

RunResult run_broker_power_loss(uint64_t seed, const RunOptions& opts) {
  return run_durability(seed, opts, Shape{store::FlushDiskType::sync_flush, true});
}

RunResult run_long_poll(uint64_t seed, const RunOptions& opts) { return run_long_poll_scenario(seed, opts); }

RunResult run_consumer_heartbeat_loss(uint64_t seed, const RunOptions& opts) {
  return run_heartbeat_loss_scenario(seed, opts);
}

}  // namespace rmq::scenarios
