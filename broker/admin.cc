// Admin and query commands: UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER
// (215), GET_ALL_TOPIC_CONFIG (21), GET_BROKER_RUNTIME_INFO (28),
// GET_ALL_CONSUMER_OFFSET (43), GET_ALL_DELAY_OFFSET (45),
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201), UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
// (200), DELETE_SUBSCRIPTIONGROUP (207), GET_TOPIC_STATS_INFO (202),
// GET_CONSUME_STATS (208), GET_CONSUMER_CONNECTION_LIST (203),
// VIEW_MESSAGE_BY_ID (33), QUERY_MESSAGE (12): reference 3.5 and 3.6.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

#include "broker/processor_context.h"
#include "broker/reply.h"
#include "common/json.h"
#include "remoting/admin_bodies.h"
#include "remoting/codes.h"
#include "remoting/headers_admin.h"
#include "remoting/headers_consumer.h"
#include "remoting/header_fields.h"
#include "remoting/route_data.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {

RemotingCommand ok_with_body(const RemotingCommand& req, std::string_view body) {
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(body);
  return resp;
}

// GET_CONSUMER/PRODUCER_CONNECTION_LIST's connectionSet: one entry per client.
std::vector<remoting::ClientConnection> connections_of(const std::map<std::string, ClientChannel>& channels) {
  std::vector<remoting::ClientConnection> out;
  for (const auto& [id, ch] : channels)
    out.push_back({.client_id = id,
                   .client_addr = ch.conn ? ch.conn->peer_address() : std::string(),
                   .language = ch.language,
                   .version = ch.version});
  return out;
}


}  // namespace

Reply update_topic(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (auto refused = refuse_admin_write_on_slave(c.cfg, req)) return refused;
  auto h = remoting::CreateTopicRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  store::TopicConfig tc;
  tc.topic_name = h->topic;
  tc.read_queue_nums = h->read_queue_nums;
  tc.write_queue_nums = h->write_queue_nums;
  tc.perm = h->perm;
  tc.topic_filter_type = h->topic_filter_type.value_or(std::string(store::kSingleTag));
  tc.topic_sys_flag = h->topic_sys_flag.value_or(0);
  tc.order = h->order.value_or(false);
  if (!valid_topic_name(tc.topic_name))
    return error_reply(req, rs::kSystemError, "The specified topic[" + tc.topic_name + "] contains illegal characters");
  if (tc.topic_name == kAutoCreateTopicKey || send_forbidden_topic(tc.topic_name))
    return error_reply(req, rs::kSystemError, "The topic[" + tc.topic_name + "] is conflict with system topic.");
  if (tc.read_queue_nums < 1 || tc.read_queue_nums > 1024 || tc.write_queue_nums < 1 || tc.write_queue_nums > 1024)
    return error_reply(req, rs::kSystemError, "readQueueNums and writeQueueNums must be in [1, 1024]");
  if (tc.perm < 0 || tc.perm > 7) return error_reply(req, rs::kSystemError, "perm must be in [0, 7]");
  if (tc.topic_filter_type != store::kSingleTag && tc.topic_filter_type != store::kMultiTag)
    return error_reply(req, rs::kSystemError, "topicFilterType must be SINGLE_TAG or MULTI_TAG");
  if (tc.topic_sys_flag < 0) return error_reply(req, rs::kSystemError, "topicSysFlag must not be negative");
  c.rt.log(rt::LogLevel::info, fmt::format("topic {} updated: read {} write {} perm {}", tc.topic_name,
                                          tc.read_queue_nums, tc.write_queue_nums, tc.perm));
  if (auto saved = c.topics.upsert(std::move(tc)); !saved)
    return error_reply(req, rs::kSystemError, "topic config not saved: " + saved.error().message());
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply delete_topic(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (auto refused = refuse_admin_write_on_slave(c.cfg, req)) return refused;
  auto h = remoting::TopicRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& topic = h->topic;
  if (topic == kAutoCreateTopicKey) return error_reply(req, rs::kSystemError, "the topic[" + topic + "] is a system topic");
  auto removed = c.topics.remove(topic);
  if (!removed) return error_reply(req, rs::kSystemError, "topic config not saved: " + removed.error().message());
  c.offsets.remove_topic(topic);
  if (auto d = c.store.delete_topic(topic); !d) return error_reply(req, rs::kSystemError, d.error().message());
  c.rt.log(rt::LogLevel::info, "topic " + topic + " deleted");
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply admin_query(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  switch (req.code) {
    case rc::kGetAllTopicConfig: return ok_with_body(req, store::encode_topics(c.topics.table()));
    case rc::kGetAllConsumerOffset: return ok_with_body(req, store::encode_consumer_offsets(c.offsets.table()));
    case rc::kGetAllDelayOffset: return ok_with_body(req, c.schedule.encode_offsets());
    case rc::kGetAllSubscriptiongroupConfig: return ok_with_body(req, store::encode_subscription_groups(c.groups.table()));
    default: break;
  }
  // GET_BROKER_RUNTIME_INFO: every value a string (what mqadmin reads).
  std::vector<std::pair<std::string, std::string>> table;
  auto put = [&](const std::string& k, std::string v) { table.emplace_back(k, std::move(v)); };
  put("brokerVersionDesc", "V4_9_8");
  put("brokerVersion", std::to_string(remoting::kOwnVersion));
  const BrokerStats::Traffic puts = c.traffic.totals.puts(c.rt.now(), c.rt.wall_ms());
  const BrokerStats::Traffic gets = c.traffic.totals.gets(c.rt.now(), c.rt.wall_ms());
  put("putTps", puts.tps);
  put("getTransferedTps", gets.tps);
  put("msgPutTotalYesterdayMorning", std::to_string(puts.yesterday_morning));
  put("msgPutTotalTodayMorning", std::to_string(puts.today_morning));
  put("msgPutTotalTodayNow", std::to_string(puts.total));
  put("msgGetTotalYesterdayMorning", std::to_string(gets.yesterday_morning));
  put("msgGetTotalTodayMorning", std::to_string(gets.today_morning));
  put("msgGetTotalTodayNow", std::to_string(gets.total));
  for (const char* k : {"sendThreadPoolQueueSize", "pullThreadPoolQueueSize", "sendThreadPoolQueueHeadWaitTimeMills",
                        "pullThreadPoolQueueHeadWaitTimeMills", "pageCacheLockTimeMills"})
    put(k, "0");
  int64_t earliest = 0;
  for (const auto& [topic, ids] : c.store.queues())
    for (int32_t q : ids)
      if (auto t = c.store.earliest_store_time(topic, q); t && *t > 0 && (earliest == 0 || *t < earliest)) earliest = *t;
  put("earliestMessageTimeStamp", std::to_string(earliest));
  auto usage = c.rt.fs().disk_usage(c.cfg.store.root_dir);
  const double ratio = usage && usage->total_bytes > 0
                           ? static_cast<double>(usage->total_bytes - usage->free_bytes) / static_cast<double>(usage->total_bytes)
                           : 0.0;
  put("commitLogDiskRatio", fmt::format("{:.4f}", ratio));
  put("commitLogDirCapacity", usage ? fmt::format("Total : {}, Free : {}.", usage->total_bytes, usage->free_bytes)
                                    : std::string("Total : 0, Free : 0."));
  put("commitLogMinOffset", std::to_string(c.store.commit_log_min_offset()));
  put("commitLogMaxOffset", std::to_string(c.store.written()));
  put("brokerName", c.cfg.broker_name);
  // Delay levels, RocketMQ's keys: scheduleMessageOffset_<level> = "delivered,parked"
  // (the backlog is the difference); scheduleMessageDelay_<level> and
  // scheduleMessageNextDue_<level> (wall ms, 0 when none) are ours.
  for (const auto& lv : c.schedule.status()) {
    put(fmt::format("scheduleMessageOffset_{}", lv.level), fmt::format("{},{}", lv.offset, lv.max_offset));
    put(fmt::format("scheduleMessageDelay_{}", lv.level), std::to_string(lv.delay_ms));
    put(fmt::format("scheduleMessageNextDue_{}", lv.level), std::to_string(lv.next_due_ms));
  }
  put("scheduleMessageDelivered", std::to_string(c.schedule.delivered()));
  if (c.transactions) {
    const auto tx = c.transactions->stats();
    put("transactionHalfPending", std::to_string(tx.pending));
    put("transactionCommitted", std::to_string(tx.committed));
    put("transactionRolledBack", std::to_string(tx.rolled_back));
    put("transactionGivenUp", std::to_string(tx.discarded));
    put("transactionChecksSent", std::to_string(tx.checks_sent));
  }
  // Replication (ours; RocketMQ 4.9 shows none).
  for (auto& [k, v] : c.replication_status()) put(k, std::move(v));
  return ok_with_body(req, remoting::encode_kv_table(table));
}

Reply topic_stats(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::TopicRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& topic = h->topic;
  auto tc = c.topics.find(topic);
  if (!tc) return error_reply(req, rs::kTopicNotExist, "topic[" + topic + "] not exist");
  std::vector<remoting::TopicQueueStats> queues;
  for (int32_t q = 0; q < tc->write_queue_nums; ++q) {
    const int64_t max = c.store.max_offset(topic, q);
    int64_t last = 0;
    if (max > 0)
      if (auto t = c.store.store_time(topic, q, max - 1)) last = *t;
    queues.push_back({.mq = {topic, c.cfg.broker_name, q},
                      .min_offset = c.store.min_offset(topic, q),
                      .max_offset = max,
                      .last_update_ms = last});
  }
  return ok_with_body(req, remoting::encode_topic_stats(queues));
}

Reply consume_stats(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::GetConsumeStatsRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& group = h->consumer_group;
  const std::optional<std::string>& only = h->topic;
  std::vector<std::string> topics;
  if (only && !only->empty()) {
    topics.push_back(*only);
  } else {
    topics = c.offsets.topics_of_group(group);
  }
  remoting::ConsumeStats stats;
  for (const auto& topic : topics) {
    auto tc = c.topics.find(topic);
    if (!tc) continue;
    for (int32_t q = 0; q < tc->read_queue_nums; ++q) {
      const int64_t consumer = c.offsets.query(group, topic, q).value_or(0);
      int64_t last = 0;
      if (consumer > 0)
        if (auto t = c.store.store_time(topic, q, consumer - 1)) last = *t;
      stats.queues.push_back({.mq = {topic, c.cfg.broker_name, q},
                              .broker_offset = c.store.max_offset(topic, q),
                              .consumer_offset = consumer,
                              .last_timestamp_ms = last});
    }
  }
  return ok_with_body(req, remoting::encode_consume_stats(stats));
}

Reply consumer_connections(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::ConsumerGroupRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& group = h->consumer_group;
  const ConsumerGroupInfo* info = c.clients.consumer_group(group);
  if (!info) return error_reply(req, rs::kConsumerNotOnline, "the consumer group[" + group + "] not online");
  remoting::GroupConnections g;
  g.connections = connections_of(info->channels);
  g.consume_from_where = remoting::to_string(info->consume_from_where);
  g.consume_type = remoting::to_string(info->consume_type);
  g.message_model = remoting::to_string(info->message_model);
  return ok_with_body(req, remoting::encode_consumer_connections(g, info->subscriptions));
}

Reply producer_connections(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::GetProducerConnectionListRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& group = h->producer_group;
  const auto* channels = c.clients.producer_group(group);
  if (!channels) return error_reply(req, rs::kSystemError, "the producer group[" + group + "] not exist");
  return ok_with_body(req, remoting::encode_producer_connections(connections_of(*channels)));
}

Reply view_stats(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::ViewBrokerStatsDataRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string &name = h->stats_name, &key = h->stats_key;
  const WindowStats* stats = name == "TOPIC_PUT_NUMS" ? &c.traffic.topic_puts : name == "GROUP_GET_NUMS" ? &c.traffic.group_gets : nullptr;
  const auto f = stats ? stats->figures(key, c.rt.now()) : std::nullopt;
  if (!f) return error_reply(req, rs::kSystemError, "The stats <" + name + "> <" + key + "> not exist");
  return ok_with_body(req, remoting::encode_broker_stats({.minute_sum = f->minute.sum,
                                                          .hour_sum = f->hour.sum,
                                                          .day_sum = f->day.sum,
                                                          .minute_tps = f->minute.tps,
                                                          .hour_tps = f->hour.tps,
                                                          .day_tps = f->day.tps}));
}

Reply consumed_by_who(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::TopicRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string& topic = h->topic;
  std::set<std::string> groups;
  for (const auto& g : c.offsets.groups_of_topic(topic)) groups.insert(g);
  for (const auto& [group, info] : c.clients.consumers())
    if (info.subscriptions.count(topic)) groups.insert(group);
  return ok_with_body(req, remoting::encode_group_list({groups.begin(), groups.end()}));
}

Reply update_group(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (auto refused = refuse_admin_write_on_slave(c.cfg, req)) return refused;
  const std::string text(reinterpret_cast<const char*>(req.body.data()), req.body.size());
  // One SubscriptionGroupConfig: decoded through the table decoder.
  auto v = json::parse_lenient(text);
  if (!v || !v->is_object()) return error_reply(req, rs::kSystemError, "bad subscription group body");
  const auto name = json::get_string(v->as_object(), "groupName");
  if (!name || name->empty()) return error_reply(req, rs::kSystemError, "the subscription group needs a groupName");
  auto table = store::decode_subscription_groups("{\"subscriptionGroupTable\":{" + json::serialize(boost::json::value(*name)) +
                                                 ":" + text + "}}");
  if (!table) return error_reply(req, rs::kSystemError, table.error().detail());
  if (auto saved = c.groups.upsert(table->subscription_group_table.begin()->second); !saved)
    return error_reply(req, rs::kSystemError, "subscription group not saved: " + saved.error().message());
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply delete_group(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (auto refused = refuse_admin_write_on_slave(c.cfg, req)) return refused;
  auto h = remoting::DeleteSubscriptionGroupRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  auto removed = c.groups.remove(h->group_name);
  if (!removed) return error_reply(req, rs::kSystemError, "subscription group not saved: " + removed.error().message());
  if (h->removes_offsets()) c.offsets.remove_group(h->group_name);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply view_message(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::ViewMessageRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const int64_t offset = h->offset;
  auto rec = c.store.read_at(offset);
  if (!rec) return error_reply(req, rs::kSystemError, "can not find message by the offset, " + std::to_string(offset));
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = std::move(rec->bytes);
  return resp;
}

Reply query_message(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::QueryMessageRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  int64_t max = h->max_num;
  if (h->unique_key_query.value_or(false)) max = 32;  // defaultQueryMaxNum
  max = std::clamp<int64_t>(max, 1, 64);
  auto found = c.store.query_by_key(h->topic, h->key, static_cast<size_t>(max), h->begin_timestamp, h->end_timestamp);
  if (!found) return error_reply(req, rs::kSystemError, found.error().message());
  if (found->empty()) return error_reply(req, rs::kQueryNotFound, "can not find message, maybe time range not correct");
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  remoting::QueryMessageResponseHeader rh;
  for (auto& rec : *found) {
    rh.index_last_update_timestamp = std::max(rh.index_last_update_timestamp, rec.message.store_timestamp);
    rh.index_last_update_phyoffset = std::max(rh.index_last_update_phyoffset, rec.message.physical_offset);
    resp.body.insert(resp.body.end(), rec.bytes.begin(), rec.bytes.end());
  }
  rh.encode(resp);
  return resp;
}

}  // namespace rmq::broker
