#include "namesrv/route_table.h"

#include "common/canary/namesrv_expiry_one_interval.h"

namespace rmq::namesrv {

namespace {

QueueData queue_data(const std::string& broker_name, const TopicConfig& t) {
  QueueData q;
  q.broker_name = broker_name;
  q.read_queue_nums = t.read_queue_nums;
  q.write_queue_nums = t.write_queue_nums;
  q.perm = t.perm;
  q.topic_sys_flag = t.topic_sys_flag;
  return q;
}

}  // namespace

int32_t RouteTable::set_write_perm(const std::string& broker_name, bool writable) {
  int32_t touched = 0;
  for (auto& [topic, queues] : topic_queues_) {
    auto q = queues.find(broker_name);
    if (q == queues.end()) continue;
    q->second.perm = writable ? (remoting::kPermRead | remoting::kPermWrite) : (q->second.perm & ~remoting::kPermWrite);
    ++touched;
  }
  return touched;
}

RegisterResult RouteTable::register_broker(const Registration& r, rt::Instant now) {
  RegisterResult out;
  clusters_[r.cluster_name].insert(r.broker_name);
  BrokerData& bd = brokers_[r.broker_name];
  bd.cluster = r.cluster_name;
  bd.broker_name = r.broker_name;
  // The same address under another id (a slave that became master): drop it.
  for (auto it = bd.broker_addrs.begin(); it != bd.broker_addrs.end();) {
    if (it->second == r.broker_addr && it->first != r.broker_id) it = bd.broker_addrs.erase(it);
    else ++it;
  }
  auto [slot, inserted] = bd.broker_addrs.try_emplace(r.broker_id, r.broker_addr);
  const bool first = inserted || slot->second != r.broker_addr;
  slot->second = r.broker_addr;
  out.first_registration = first || !live_.count(r.broker_addr);

  if (r.broker_id == 0 && r.data_version) {
    auto prev = live_.find(r.broker_addr);
    const bool changed = prev == live_.end() || !(prev->second.data_version == *r.data_version);
    if (changed || first) {
      for (const auto& [name, t] : r.topics) topic_queues_[name][r.broker_name] = queue_data(r.broker_name, t);
      // What a slave filled in while this master was away and the master
      // does not have (deleted meanwhile) goes.
      for (auto it = from_slave_.begin(); it != from_slave_.end();) {
        if (it->second != r.broker_name) {
          ++it;
          continue;
        }
        if (!r.topics.count(it->first)) drop_queue_data(it->first, r.broker_name);
        it = from_slave_.erase(it);
      }
    }
  }
  // A slave whose master is not registered: the topics its broker name
  // lacks in the routes come from the slave's copy of the master's config,
  // so that what the master stored stays readable from the slave. RocketMQ
  // 4.9 takes queues from masters only, and drops them once every address
  // of the name left: a slave that restarted while its master was away
  // served nothing until the master came back.
  if (r.broker_id != 0 && !bd.broker_addrs.count(0))
    for (const auto& [name, t] : r.topics)
      if (topic_queues_[name].try_emplace(r.broker_name, queue_data(r.broker_name, t)).second)
        from_slave_.insert({name, r.broker_name});

  Live& l = live_[r.broker_addr];
  l.last_update = now;
  l.timeout = r.timeout;
  if (r.data_version) l.data_version = *r.data_version;
  l.ha_server_addr = r.ha_server_addr;
  l.connection = r.connection;

  if (r.broker_id != 0) {
    auto master = bd.broker_addrs.find(0);
    if (master != bd.broker_addrs.end()) {
      out.master_addr = master->second;
      auto ml = live_.find(master->second);
      if (ml != live_.end()) out.ha_server_addr = ml->second.ha_server_addr;
    }
  }
  return out;
}

RouteTable::VersionCheck RouteTable::check_data_version(const std::string& broker_addr, const DataVersion& v,
                                                       rt::Instant now) {
  VersionCheck out;
  auto it = live_.find(broker_addr);
  if (it == live_.end()) return out;
  out.known = it->second.data_version;
  out.changed = !(it->second.data_version == v);
  if (!out.changed) it->second.last_update = now;
  return out;
}

bool RouteTable::unregister_broker(const std::string& cluster, const std::string& broker_name,
                                   const std::string& broker_addr, int64_t broker_id) {
  const bool was_live = live_.erase(broker_addr) != 0;
  auto it = brokers_.find(broker_name);
  if (it != brokers_.end()) {
    auto a = it->second.broker_addrs.find(broker_id);
    if (a != it->second.broker_addrs.end() && a->second == broker_addr) it->second.broker_addrs.erase(a);
  }
  remove_broker_name_if_empty(broker_name);
  auto c = clusters_.find(cluster);
  if (c != clusters_.end() && c->second.empty()) clusters_.erase(c);
  return was_live;
}

void RouteTable::drop_queue_data(const std::string& topic, const std::string& broker_name) {
  auto t = topic_queues_.find(topic);
  if (t == topic_queues_.end()) return;
  t->second.erase(broker_name);
  if (t->second.empty()) topic_queues_.erase(t);
}

void RouteTable::remove_broker_name_if_empty(const std::string& broker_name) {
  auto it = brokers_.find(broker_name);
  if (it == brokers_.end() || !it->second.broker_addrs.empty()) return;
  const std::string cluster = it->second.cluster;
  brokers_.erase(it);
  auto c = clusters_.find(cluster);
  if (c != clusters_.end()) {
    c->second.erase(broker_name);
    if (c->second.empty()) clusters_.erase(c);
  }
  for (auto t = topic_queues_.begin(); t != topic_queues_.end();) {
    t->second.erase(broker_name);
    if (t->second.empty()) t = topic_queues_.erase(t);
    else ++t;
  }
  std::erase_if(from_slave_, [&](const auto& e) { return e.second == broker_name; });
}

void RouteTable::remove_address(const std::string& broker_addr) {
  live_.erase(broker_addr);
  std::vector<std::string> touched;
  for (auto& [name, bd] : brokers_) {
    for (auto a = bd.broker_addrs.begin(); a != bd.broker_addrs.end();) {
      if (a->second == broker_addr) {
        a = bd.broker_addrs.erase(a);
        touched.push_back(name);
      } else {
        ++a;
      }
    }
  }
  for (const auto& name : touched) remove_broker_name_if_empty(name);
}

std::vector<std::string> RouteTable::expire(rt::Instant now) {
  std::vector<std::string> gone;
  for (const auto& [addr, l] : live_)
    if (now - l.last_update > (common::canary::namesrv_expiry_one_interval ? l.timeout / 4 : l.timeout))
      gone.push_back(addr);
  for (const auto& addr : gone) remove_address(addr);
  return gone;
}

std::vector<std::string> RouteTable::remove_connection(const std::string& connection) {
  std::vector<std::string> gone;
  for (const auto& [addr, l] : live_)
    if (l.connection == connection) gone.push_back(addr);
  for (const auto& addr : gone) remove_address(addr);
  return gone;
}

std::optional<TopicRouteData> RouteTable::route(const std::string& topic) const {
  auto t = topic_queues_.find(topic);
  if (t == topic_queues_.end() || t->second.empty()) return std::nullopt;
  TopicRouteData r;
  for (const auto& [broker_name, q] : t->second) {
    r.queue_datas.push_back(q);
    auto b = brokers_.find(broker_name);
    if (b != brokers_.end()) r.broker_datas.push_back(b->second);
  }
  if (r.broker_datas.empty()) return std::nullopt;
  return r;
}

ClusterInfo RouteTable::cluster_info() const {
  ClusterInfo c;
  c.broker_addr_table = brokers_;
  c.cluster_addr_table = clusters_;
  return c;
}

std::vector<std::string> RouteTable::topics() const {
  std::vector<std::string> out;
  for (const auto& [t, q] : topic_queues_) out.push_back(t);
  return out;
}

std::vector<std::string> RouteTable::topics_of_cluster(const std::string& cluster) const {
  std::vector<std::string> out;
  auto c = clusters_.find(cluster);
  if (c == clusters_.end()) return out;
  for (const auto& [t, queues] : topic_queues_)
    for (const auto& [broker_name, q] : queues)
      if (c->second.count(broker_name)) {
        out.push_back(t);
        break;
      }
  return out;
}

void RouteTable::delete_topic(const std::string& topic, const std::optional<std::string>& cluster) {
  auto t = topic_queues_.find(topic);
  if (t == topic_queues_.end()) return;
  if (!cluster) {
    topic_queues_.erase(t);
    return;
  }
  auto c = clusters_.find(*cluster);
  if (c == clusters_.end()) return;
  for (const auto& name : c->second) t->second.erase(name);
  if (t->second.empty()) topic_queues_.erase(t);
}

}  // namespace rmq::namesrv
