// rmq-admin's consumer group subcommands (admin_command.h).
#include <string>
#include <vector>

#include <fmt/format.h>

#include "store/config_files.h"
#include "tools/admin_command.h"
#include "tools/admin_format.h"

namespace rmq::tools {

using remoting::cluster_masters;
using remoting::Master;
using remoting::route_masters;
using remoting::version_desc;

namespace {

Outcome<void> consumer_progress(Context& c) {
  const std::string& group = c.flags.text('g');
  const std::optional<std::string> topic = c.flags.optional('t');
  std::vector<Master> masters;
  if (topic) {
    auto route = c.admin.route(*topic);
    if (!route) return route.error();
    masters = route_masters(*route);
  } else {
    auto info = c.admin.cluster_info();
    if (!info) return info.error();
    masters = cluster_masters(*info, "");
  }
  Table table({"#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime"});
  int64_t diff_total = 0;
  double tps = 0;
  for (const auto& m : masters) {
    auto stats = c.admin.consume_stats(m.addr, group, topic);
    if (!stats) return stats.error();
    tps += stats->consume_tps;
    for (const auto& q : stats->queues) {
      const int64_t diff = q.broker_offset - q.consumer_offset;
      diff_total += diff;
      table.add({q.mq.topic, q.mq.broker_name, std::to_string(q.mq.queue_id), std::to_string(q.broker_offset),
                 std::to_string(q.consumer_offset), std::to_string(diff), format_time_ms(q.last_timestamp_ms)});
    }
  }
  if (table.rows() == 0 && !topic)
    return admin_error("group " + group + " has no consume offsets on any broker (give -t TOPIC to see a topic's queues)");
  print(table.render());
  print(fmt::format("\nConsume TPS: {:.2f}\nDiff Total: {}\n", tps, diff_total));
  return {};
}

std::string yes(bool b) { return b ? "true" : "false"; }

Outcome<void> update_sub_group(Context& c) {
  const Flags& f = c.flags;
  auto targets = chosen_brokers(c);
  if (!targets) return targets.error();
  store::SubscriptionGroupConfig g;
  g.group_name = f.text('g');
  // mqadmin's defaults, not the broker's: neither from-min nor broadcast.
  g.consume_from_min_enable = false;
  g.consume_broadcast_enable = false;
  if (f.has('s')) g.consume_enable = f.boolean('s');
  if (f.has('m')) g.consume_from_min_enable = f.boolean('m');
  if (f.has('d')) g.consume_broadcast_enable = f.boolean('d');
  if (f.has('q')) g.retry_queue_nums = static_cast<int32_t>(f.integer('q'));
  if (f.has('r')) g.retry_max_times = static_cast<int32_t>(f.integer('r'));
  if (f.has('i')) g.broker_id = f.integer('i');
  if (f.has('w')) g.which_broker_when_consume_slowly = f.integer('w');
  if (f.has('a')) g.notify_consumer_ids_changed_enable = f.boolean('a');
  const std::string body = store::encode_subscription_group(g);
  for (const auto& target : *targets) {
    if (auto r = c.admin.create_subscription_group(target.addr, body); !r) return r.error();
    print(fmt::format("create subscription group to {} success.\n", target.addr));
  }
  print(fmt::format("SubscriptionGroupConfig [groupName={}, consumeEnable={}, consumeFromMinEnable={}, "
                    "consumeBroadcastEnable={}, retryQueueNums={}, retryMaxTimes={}, brokerId={}, "
                    "whichBrokerWhenConsumeSlowly={}, notifyConsumerIdsChangedEnable={}]\n",
                    g.group_name, yes(g.consume_enable), yes(g.consume_from_min_enable),
                    yes(g.consume_broadcast_enable), g.retry_queue_nums, g.retry_max_times, g.broker_id,
                    g.which_broker_when_consume_slowly, yes(g.notify_consumer_ids_changed_enable)));
  return {};
}

// Deletes a topic from `masters` and every namesrv (deleteSubGroup -c's
// retry and DLQ topics).
Outcome<void> delete_topic_everywhere(Context& c, const std::string& topic, const std::string& cluster,
                                      const std::vector<Master>& masters) {
  for (const auto& m : masters)
    if (auto r = c.admin.delete_topic_in_broker(m.addr, topic); !r) return r.error();
  print(fmt::format("delete topic [{}] from cluster [{}] success.\n", topic, cluster));
  if (auto r = c.admin.delete_topic_in_namesrvs(topic, cluster); !r) return r;
  print(fmt::format("delete topic [{}] from NameServer success.\n", topic));
  return {};
}

Outcome<void> delete_sub_group(Context& c) {
  const Flags& f = c.flags;
  const std::string& group = f.text('g');
  auto targets = chosen_brokers(c);
  if (!targets) return targets.error();
  for (const auto& target : *targets) {
    if (auto r = c.admin.delete_subscription_group(target.addr, group, f.boolean('r')); !r) return r.error();
    if (f.has('c'))
      print(fmt::format("delete subscription group [{}] from broker [{}] in cluster [{}] success.\n", group,
                        target.addr, f.text('c')));
    else
      print(fmt::format("delete subscription group [{}] from broker [{}] success.\n", group, target.addr));
  }
  if (!f.has('c')) return {};
  // A whole cluster: the group's retry and DLQ topics go too, as in mqadmin.
  for (const std::string& topic : {"%RETRY%" + group, "%DLQ%" + group})
    if (auto r = delete_topic_everywhere(c, topic, f.text('c'), *targets); !r) return r;
  return {};
}

// The broker a group's connections are asked of: -b, else a master of its
// retry topic's route (every consumer's heartbeat creates it there).
Outcome<std::string> connection_broker(Context& c, const std::string& topic) {
  if (c.flags.has('b')) return c.flags.text('b');
  auto route = c.admin.route(topic);
  if (!route) return route.error();
  const auto masters = route_masters(*route);
  if (masters.empty()) return admin_error("topic " + topic + " has no master broker in its route");
  return masters.front().addr;
}

Outcome<void> consumer_connection(Context& c) {
  const std::string& group = c.flags.text('g');
  auto addr = connection_broker(c, "%RETRY%" + group);
  if (!addr) return addr.error();
  auto cc = c.admin.consumer_connections(*addr, group);
  if (!cc) return cc.error();
  if (cc->connections.empty()) return admin_error("Not found the consumer group connection");
  print(fmt::format("{:<36} {:<22} {:<10} {}\n", "#ClientId", "#ClientAddr", "#Language", "#Version"));
  for (const auto& conn : cc->connections)
    print(fmt::format("{:<36} {:<22} {:<10} {}\n", conn.client_id, conn.client_addr, conn.language,
                      version_desc(conn.version)));
  print("\nBelow is subscription:\n");
  print(fmt::format("{:<20} {}\n", "#Topic", "#SubExpression"));
  for (const auto& [topic, sub] : cc->subscriptions) print(fmt::format("{:<20} {}\n", topic, sub));
  print(fmt::format("\nConsumeType: {}\nMessageModel: {}\nConsumeFromWhere: {}\n", cc->consume_type,
                    cc->message_model, cc->consume_from_where));
  return {};
}

Outcome<void> producer_connection(Context& c) {
  const std::string& group = c.flags.text('g');
  auto addr = connection_broker(c, c.flags.text('t'));
  if (!addr) return addr.error();
  auto pc = c.admin.producer_connections(*addr, group);
  if (!pc) return pc.error();
  if (pc->connections.empty()) return admin_error("Not found the producer group connection");
  int i = 0;
  for (const auto& conn : pc->connections)
    print(fmt::format("{:04d}  {:<32} {:<22} {:<8} {}\n", ++i, conn.client_id, conn.client_addr, conn.language,
                      version_desc(conn.version)));
  return {};
}

// mqadmin's resetOffsetByTime (client::Admin::reset_offset_by_time), printed
// as mqadmin prints it: the online members' new offsets, or the offline
// fallback's table.
Outcome<void> reset_offset_by_time(Context& c) {
  const Flags& f = c.flags;
  const std::string& group = f.text('g');
  const std::string& topic = f.text('t');
  const std::string& when = f.text('s');
  int64_t ms = -1;
  if (when != "now") {
    auto t = parse_time_ms(when);
    if (!t) return usage_error("-s '" + when + "' is neither now, milliseconds nor yyyy-MM-dd#HH:mm:ss:SSS");
    ms = *t;
  }
  const bool force = f.boolean('f');
  auto reset = c.admin.reset_offset_by_time(topic, group, ms, force);
  if (!reset) return reset.error();
  if (reset->online) {
    Table online({"#brokerName", "#queueId", "#offset"});
    for (const auto& q : reset->queues) online.add({q.mq.broker_name, std::to_string(q.mq.queue_id), std::to_string(q.offset)});
    print(fmt::format("rollback consumer offset by specified group[{}], topic[{}], force[{}], timestamp(string)[{}], "
                      "timestamp(long)[{}]\n",
                      group, topic, force ? "true" : "false", when, ms));
    print(online.render());
    return {};
  }
  print(fmt::format("rollback consumer offset by specified consumerGroup[{}], topic[{}], force[{}], "
                    "timestamp(string)[{}], timestamp(long)[{}]\n",
                    group, topic, force ? "true" : "false", when, ms));
  print(fmt::format("{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}\n", "#brokerName", "#queueId", "#brokerOffset",
                    "#consumerOffset", "#timestampOffset", "#rollbackOffset"));
  for (const auto& q : reset->queues)
    print(fmt::format("{:<20}  {:<20}  {:<20}  {:<20}  {:<20}  {:<20}\n", q.mq.broker_name, q.mq.queue_id,
                      q.broker_offset, q.consumer_offset, q.time_offset, q.offset));
  return {};
}

}  // namespace

std::vector<Subcommand> group_commands() {
  return {
      {{"consumerProgress", "A consumer group's offsets and lag, per queue (with -g alone, its retry topic too).",
        {namesrv_flag().must(), flag('g', "groupName", "GROUP", "the consumer group").must(),
         flag('t', "topic", "TOPIC", "only this topic (default: every topic the group has offsets for)")}},
       consumer_progress},
      {{"consumerConnection", "The clients of a consumer group, what they subscribe and how they consume.",
        {namesrv_flag(), flag('g', "consumerGroup", "GROUP", "the consumer group").must(),
         flag('b', "brokerAddr", "BROKER_ADDR", "ask this broker (default: a master of the group's retry topic)",
              FlagKind::address)}},
       consumer_connection},
      {{"producerConnection", "The clients of a producer group that send to a topic.",
        {namesrv_flag(), flag('g', "producerGroup", "GROUP", "the producer group").must(), topic_flag()}},
       producer_connection},
      {{"updateSubGroup", "Create or update a subscription group on one broker (-b) or every master of a cluster (-c).",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker to update", FlagKind::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster"),
         flag('g', "groupName", "GROUP", "the group").must(),
         flag('s', "consumeEnable", "BOOL", "consumption allowed", FlagKind::boolean),
         flag('m', "consumeFromMinEnable", "BOOL", "a new group starts at the queue's minimum", FlagKind::boolean),
         flag('d', "consumeBroadcastEnable", "BOOL", "broadcasting allowed", FlagKind::boolean),
         flag('q', "retryQueueNums", "N", "queues of its retry topic", FlagKind::integer).within(0, kMaxInt),
         flag('r', "retryMaxTimes", "N", "retries before the DLQ", FlagKind::integer).within(0, kMaxInt),
         flag('i', "brokerId", "ID", "the broker it consumes from", FlagKind::integer).within(0, kMaxLong),
         flag('w', "whichBrokerWhenConsumeSlowly", "ID", "the broker it consumes from when slow", FlagKind::integer)
             .within(0, kMaxLong),
         flag('a', "notifyConsumerIdsChanged", "BOOL", "tell members when the group changes", FlagKind::boolean)}},
       update_sub_group},
      {{"deleteSubGroup", "Delete a subscription group from one broker (-b) or a cluster (-c, with its retry and DLQ "
                          "topics).",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker", FlagKind::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster"),
         flag('g', "groupName", "GROUP", "the group").must(),
         flag('r', "removeOffset", "BOOL", "drop the group's consumer offsets too", FlagKind::boolean)
             .or_else("false")}},
       delete_sub_group},
      {{"resetOffsetByTime", "Move a stopped group's offsets on a topic to a time (-s now: the end).",
        {namesrv_flag().must(), flag('g', "group", "GROUP", "the consumer group").must(), topic_flag(),
         flag('s', "timestamp", "TIME", "now, ms, or yyyy-MM-dd#HH:mm:ss:SSS (UTC)").must(),
         flag('f', "force", "BOOL", "also move offsets forward", FlagKind::boolean).or_else("true")}},
       reset_offset_by_time},
  };
}

}  // namespace rmq::tools
