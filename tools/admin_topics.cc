// rmq-admin's topic subcommands (admin_command.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "remoting/headers_admin.h"
#include "tools/admin_command.h"
#include "tools/admin_format.h"

namespace rmq::tools {

using remoting::cluster_masters;
using remoting::Master;
using remoting::route_masters;
using client::kAutoCreateTopic;

Outcome<std::vector<Master>> chosen_brokers(Context& c) {
  const Flags& f = c.flags;
  if (f.has('b') == f.has('c')) return usage_error("give exactly one of -b BROKER_ADDR and -c CLUSTER");
  if (f.has('b')) return std::vector<Master>{Master{"", f.text('b')}};
  auto info = c.admin.cluster_info();
  if (!info) return info.error();
  std::vector<Master> targets = cluster_masters(*info, f.text('c'));
  if (targets.empty()) return admin_error("cluster " + f.text('c') + " has no master broker in the namesrv");
  return targets;
}

namespace {

Outcome<void> update_topic(Context& c) {
  const Flags& f = c.flags;
  auto targets = chosen_brokers(c);
  if (!targets) return targets.error();
  for (const auto& target : *targets) {
    const remoting::CreateTopicRequestHeader topic{.topic = f.text('t'),
                                                   .default_topic = kAutoCreateTopic,
                                                   .read_queue_nums = static_cast<int32_t>(f.integer('r')),
                                                   .write_queue_nums = static_cast<int32_t>(f.integer('w')),
                                                   .perm = static_cast<int32_t>(f.integer('p')),
                                                   .topic_filter_type = "SINGLE_TAG",
                                                   .topic_sys_flag = 0,
                                                   .order = f.boolean('o')};
    if (auto r = c.admin.create_topic(target.addr, topic); !r) return r.error();
    print(fmt::format("create topic to {} success.\n", target.addr));
  }
  print(fmt::format("TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, order={}]\n", f.text('t'),
                    f.integer('r'), f.integer('w'), f.integer('p'), f.text('o')));
  if (f.boolean('o') && f.has('c')) {
    // Ordered topics in a cluster: the namesrv hands brokerName:queues to producers.
    std::string conf;
    for (const auto& t : *targets)
      conf += fmt::format("{}{}:{}", conf.empty() ? "" : ";", t.broker_name, f.integer('w'));
    if (auto r = c.admin.set_order_conf(f.text('t'), conf); !r) return r;
    print("set cluster orderConf. orderConf=[" + conf + "]\n");
  }
  return {};
}

Outcome<void> delete_topic(Context& c) {
  const std::string& topic = c.flags.text('t');
  const std::string& cluster = c.flags.text('c');
  auto info = c.admin.cluster_info();
  if (!info) return info.error();
  const auto masters = cluster_masters(*info, cluster);
  if (masters.empty()) return admin_error("cluster " + cluster + " has no master broker in the namesrv");
  for (const auto& m : masters)
    if (auto r = c.admin.delete_topic_in_broker(m.addr, topic); !r) return r.error();
  print(fmt::format("delete topic [{}] from cluster [{}] success.\n", topic, cluster));
  if (auto r = c.admin.delete_topic_in_namesrvs(topic, cluster); !r) return r;
  if (auto r = c.admin.set_order_conf(topic, std::nullopt); !r) return r;
  print(fmt::format("delete topic [{}] from NameServer success.\n", topic));
  return {};
}

Outcome<void> topic_list(Context& c) {
  auto topics = c.admin.topic_list();
  if (!topics) return topics.error();
  for (const auto& t : *topics) print(t + "\n");
  return {};
}

Outcome<void> topic_route(Context& c) {
  auto json = c.admin.route_json(c.flags.text('t'));
  if (!json) return json.error();
  print(pretty_json(*json) + "\n");
  return {};
}

Outcome<void> topic_status(Context& c) {
  const std::string& topic = c.flags.text('t');
  auto route = c.admin.route(topic);
  if (!route) return route.error();
  Table table({"#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"});
  for (const auto& m : route_masters(*route)) {
    auto stats = c.admin.topic_stats(m.addr, topic);
    if (!stats) return stats.error();
    for (const auto& s : *stats)
      table.add({s.mq.broker_name, std::to_string(s.mq.queue_id), std::to_string(s.min_offset),
                 std::to_string(s.max_offset), format_time_ms(s.last_update_ms)});
  }
  print(table.render());
  return {};
}

// The clusters whose brokers hold the topic (mqadmin looks at its first
// broker only; every one is asked here), one per line.
Outcome<void> topic_cluster_list(Context& c) {
  auto route = c.admin.route(c.flags.text('t'));
  if (!route) return route.error();
  auto info = c.admin.cluster_info();
  if (!info) return info.error();
  std::set<std::string> clusters;
  for (const auto& b : route->broker_datas)
    for (const auto& [cluster, names] : info->cluster_addr_table)
      if (names.count(b.broker_name)) clusters.insert(cluster);
  for (const auto& cluster : clusters) print(cluster + "\n");
  return {};
}

// statsAll: per topic, its put rate and day count, and per consuming group
// its backlog, get rate and day count, summed over the topic's masters.
struct TopicFigures {
  double tps = 0;
  int64_t day = 0;  // the day's sum, else the hour's, else the minute's (mqadmin's rule)
};

// VIEW_BROKER_STATS_DATA summed over `masters`; a broker without the key
// (no traffic) adds nothing.
TopicFigures stats_of(Context& c, const std::vector<Master>& masters, const char* name, const std::string& key) {
  TopicFigures out;
  for (const auto& m : masters) {
    auto d = c.admin.broker_stats(m.addr, name, key);
    if (!d) continue;
    out.tps += d->minute_tps;
    out.day += d->day_sum != 0 ? d->day_sum : d->hour_sum != 0 ? d->hour_sum : d->minute_sum;
  }
  return out;
}

std::string cut64(const std::string& s) { return s.size() > 64 ? s.substr(0, 64) : s; }

Outcome<void> stats_all(Context& c) {
  const bool active_only = c.flags.boolean('a');
  std::vector<std::string> topics;
  if (c.flags.has('t')) {
    topics.push_back(c.flags.text('t'));
  } else {
    auto list = c.admin.topic_list();
    if (!list) return list.error();
    for (const auto& t : *list)
      if (!t.starts_with("%RETRY%") && !t.starts_with("%DLQ%")) topics.push_back(t);
  }
  print(fmt::format("{:<64}  {:<64} {:>12} {:>11} {:>11} {:>14} {:>14}\n", "#Topic", "#Consumer Group",
                    "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour"));
  for (const auto& topic : topics) {
    auto route = c.admin.route(topic);
    if (!route) continue;  // deleted meanwhile, or no broker serves it
    const auto masters = route_masters(*route);
    const TopicFigures in = stats_of(c, masters, "TOPIC_PUT_NUMS", topic);
    std::set<std::string> groups;
    for (const auto& m : masters) {
      if (auto list = c.admin.consumed_by(m.addr, topic)) groups.insert(list->begin(), list->end());
    }
    if (groups.empty()) {
      if (!active_only || in.day > 0)
        print(fmt::format("{:<64}  {:<64} {:>12} {:>11.2f} {:>11} {:>14} {:>14}\n", cut64(topic), "", 0, in.tps, "",
                          in.day, "NO_CONSUMER"));
      continue;
    }
    for (const auto& group : groups) {
      int64_t backlog = 0;
      for (const auto& m : masters) {
        if (auto stats = c.admin.consume_stats(m.addr, group, topic))
          for (const auto& q : stats->queues) backlog += q.broker_offset - q.consumer_offset;
      }
      const TopicFigures out = stats_of(c, masters, "GROUP_GET_NUMS", topic + "@" + group);
      if (active_only && in.day == 0 && out.day == 0) continue;
      print(fmt::format("{:<64}  {:<64} {:>12} {:>11.2f} {:>11.2f} {:>14} {:>14}\n", cut64(topic), cut64(group),
                        std::max<int64_t>(0, backlog), in.tps, out.tps, in.day, out.day));
    }
  }
  return {};
}

}  // namespace

std::vector<Subcommand> topic_commands() {
  using K = FlagKind;
  return {
      {{"updateTopic", "Create or update a topic on one broker (-b) or every master of a cluster (-c).",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker to update", K::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster"), topic_flag(),
         flag('r', "readQueueNums", "READQ", "read queues", K::integer).or_else("8").within(1, 1024),
         flag('w', "writeQueueNums", "WRITEQ", "write queues", K::integer).or_else("8").within(1, 1024),
         flag('p', "perm", "PERM", "permission bits (2 write, 4 read)", K::integer).or_else("6").within(0, 7),
         flag('o', "order", "ORDER", "ordered topic (true/false)", K::boolean).or_else("false")}},
       update_topic},
      {{"deleteTopic", "Delete a topic from every master of a cluster and from the namesrvs.",
        {namesrv_flag().must(), flag('c', "clusterName", "CLUSTER", "the cluster").must(), topic_flag()}},
       delete_topic},
      {{"topicList", "List the topics the namesrv knows.", {namesrv_flag().must()}}, topic_list},
      {{"topicRoute", "Print a topic's route (JSON).", {namesrv_flag().must(), topic_flag()}}, topic_route},
      {{"topicStatus", "Min and max offset of every queue of a topic.", {namesrv_flag().must(), topic_flag()}},
       topic_status},
      {{"topicClusterList", "The clusters a topic is on.", {namesrv_flag().must(), topic_flag()}}, topic_cluster_list},
      {{"statsAll", "Every topic's put rate and day count, and its groups' backlog, get rate and day count.",
        {namesrv_flag().must(), flag('a', "activeTopic", "", "only topics and groups with traffic today",
                                     FlagKind::presence).or_else("false"),
         flag('t', "topic", "TOPIC", "only this topic")}},
       stats_all},
  };
}

}  // namespace rmq::tools
