#include "scenarios/rig.h"

#include <algorithm>

#include "store/commit_log.h"

namespace rmq::scenarios {

bool Rig::start_faults(const RunOptions& o, const std::function<void(rt::Random&, FaultPlan&)>& draw,
                       const std::vector<FaultKind>& supported) {
  injector.on_applied = [this](const FaultEvent& e, NodeId n) {
    const auto it = std::find(broker_nodes.begin(), broker_nodes.end(), n);
    const bool slave = std::find(slave_nodes.begin(), slave_nodes.end(), n) != slave_nodes.end();
    if (it == broker_nodes.end() && !slave) return;
    switch (e.kind) {
      case FaultKind::crash:
      case FaultKind::power_loss:
      case FaultKind::kill:
        ++crashes;
        crashed_at[n] = sim.now();
        break;
      case FaultKind::restart:
        // When a master could take no writes (a slave's outage is its own).
        if (!slave) down[broker_cfgs[static_cast<size_t>(it - broker_nodes.begin())].broker_name].push_back(
            {crashed_at[n], sim.now()});
        break;
      default: break;
    }
  };
  if (auto bad = injector.start(sim.seed(), o, draw, supported)) {
    plan_error = *bad;
    return false;
  }
  return true;
}

void Rig::add_slaves(const std::function<void(broker::BrokerConfig&)>& tweak) {
  const size_t count = broker_cfgs.size();
  slave_cfgs.resize(count);
  slave_up.assign(count, nullptr);
  for (size_t i = 0; i < count; ++i) {
    auto& n = sim.add_node(fmt::format("slave{}", i), [this, i](rt::Runtime& rt) {
      broker_main(rt, slave_cfgs[i], [this](std::string what) { fail(std::move(what)); }, {}, &slave_up[i]);
    });
    broker::BrokerConfig& cfg = slave_cfgs[i];
    cfg = broker_cfgs[i];
    cfg.role = broker::BrokerRole::slave;
    cfg.broker_id = 1;
    cfg.store.replica = true;
    cfg.broker_ip = n.ip();
    cfg.store.store_host = cfg.address();
    if (tweak) tweak(cfg);
    slave_nodes.push_back(n.id());
    slave_node_names.push_back(n.name());
  }
}

void Rig::draw_broker_faults(rt::Random& r, FaultPlan& plan, Duration from, Duration until, bool power) const {
  for (Duration t = from + Duration(r.between(0, 5'000'000'000)); t < until;
       t += Duration(r.between(3'000'000'000, 15'000'000'000))) {
    const size_t b = r.below(broker_nodes.size());
    const Duration outage = Duration(r.between(500'000'000, 6'000'000'000));
    const bool power_loss = power && r.below(3) == 0;
    const std::string& node = broker_node_names[b];
    plan.add(t, power_loss ? FaultKind::power_loss : FaultKind::crash, node);
    plan.add(t + outage, FaultKind::restart, node);
  }
}

void Rig::draw_client_swarm(rt::Random& r, FaultPlan& plan, const std::vector<std::string>& clients, Duration from,
                            Duration until) const {
  for (int family = 0; family < 2; ++family) {
    if (!r.chance(0.3)) continue;
    for (int n = 1 + static_cast<int>(r.below(3)); n > 0; --n) {
      const Duration at = Duration(r.between(from.count(), until.count()));
      const Duration len = Duration(r.between(200'000'000, 5'000'000'000));
      const std::string& client = clients[r.below(clients.size())];
      const std::string& broker = broker_node_names[r.below(broker_node_names.size())];
      if (family == 0) {
        plan.add(at, FaultKind::partition, client, broker, false).both_ways = r.chance(0.5);
        plan.add(at + len, FaultKind::heal, client, broker, true);
      } else {
        plan.add(at, FaultKind::clog, client, broker, true).delay = Duration(r.between(50'000'000, 2'000'000'000));
        plan.add(at + len, FaultKind::unclog, client, broker, true);
      }
    }
  }
}

std::vector<std::string> compare_commit_logs(sim::Simulation& sim, NodeId master, NodeId slave) {
  auto files = [&](NodeId n) {
    std::map<int64_t, std::vector<std::byte>> out;
    auto& disk = sim.node(n).disk();
    auto names = disk.list("/store/commitlog");
    if (!names) return out;
    for (const auto& name : *names) {
      auto start = store::parse_segment_file_name(name);
      auto f = disk.open("/store/commitlog/" + name, rt::OpenMode::existing);
      if (start && f) out[*start] = (*f)->current;
    }
    return out;
  };
  const auto m = files(master), sl = files(slave);
  std::vector<std::string> out;
  // No log at all is the empty prefix of a master that stored nothing.
  if (sl.empty()) {
    size_t master_bytes = 0;
    for (const auto& [start, bytes] : m) master_bytes += bytes.size();
    if (master_bytes == 0) return out;
    return {fmt::format("{} has no commitlog, its master {} has {} bytes", sim.node(slave).name(),
                        sim.node(master).name(), master_bytes)};
  }
  const int64_t last = sl.rbegin()->first;
  for (const auto& [start, bytes] : sl) {
    auto it = m.find(start);
    if (it == m.end()) {
      out.push_back(fmt::format("{} has segment {} its master {} lacks", sim.node(slave).name(), start,
                                sim.node(master).name()));
      continue;
    }
    const bool prefix = bytes.size() <= it->second.size() && std::equal(bytes.begin(), bytes.end(), it->second.begin());
    if (!prefix || (start != last && bytes.size() != it->second.size())) {
      const auto diff = std::mismatch(bytes.begin(), bytes.end(), it->second.begin(), it->second.end());
      out.push_back(fmt::format("segment {}: {}'s {} bytes are not {} {}'s {} (first difference at byte {})", start,
                                sim.node(slave).name(), bytes.size(), start == last ? "a prefix of" : "equal to",
                                sim.node(master).name(), it->second.size(), diff.first - bytes.begin()));
    }
  }
  return out;
}

void recording_consumer(rt::Runtime& rt, Rig& k, const std::string& group, const std::string& topic, int c,
                        int32_t max_reconsume, const bool& stop, const RecordingListener& listener) {
  client::MqClient mq(rt, make_client(k, fmt::format("10.2.0.{}", c + 1), fmt::format("c{}", c)));
  mq.start();
  client::PushConsumer pc(mq, {.group = group,
                               .consume_from = client::ConsumeFrom::first_offset,
                               .max_reconsume_times = max_reconsume});
  pc.subscribe(topic);
  const std::string id = mq.client_id();
  pc.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    k.hist.rebalances.push_back(rebalance_record(group, id, rt.now(), owned));
  });
  pc.start([&](const client::ReceivedMessage& m) {
    const h::Delivery d = delivery_record(group, id, m, rt.now());
    k.hist.deliveries.push_back(d);
    return listener(m, d);
  });
  while (!stop) rt.sleep_for(1s);
  pc.shutdown();
  mq.stop();
}

}  // namespace rmq::scenarios
