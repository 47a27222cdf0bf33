// Clients: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP
// (38), CONSUMER_SEND_MSG_BACK (36), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42),
// and NOTIFY_CONSUMER_IDS_CHANGED (40) to clients: reference 3.3 and 8.4.
#include <fmt/format.h>

#include <boost/json.hpp>

#include <algorithm>

#include "broker/broker.h"
#include "broker/processor_context.h"
#include "broker/reply.h"
#include "common/canary/broker_dlq_one_early.h"
#include "common/json.h"
#include "common/message_const.h"
#include "remoting/codes.h"
#include "remoting/headers_consumer.h"
#include "remoting/lock_batch.h"
#include "remoting/route_data.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {

// Java clients from V3_4_9 (ordinal 121) send maxReconsumeTimes.
constexpr int32_t kVersionWithMaxReconsumeTimes = 121;

}  // namespace

void Broker::notify_consumer_ids_changed(const std::string& group) {
  if (auto g = groups_.find(group); g && !g->notify_consumer_ids_changed_enable) return;
  const ConsumerGroupInfo* info = clients_.consumer_group(group);
  if (!info) return;
  std::vector<remoting::ConnectionPtr> conns;
  for (const auto& [id, ch] : info->channels)
    if (ch.conn && !ch.conn->closed()) conns.push_back(ch.conn);
  // Oneway requests on the clients' own connections, each in a task so a
  // slow client does not hold up the processor.
  for (auto& conn : conns) {
    const bool started = notices_.spawn("broker-notify", [conn, group] {
      auto req = RemotingCommand::request(rc::kNotifyConsumerIdsChanged);
      remoting::ConsumerGroupRequestHeader h;
      h.consumer_group = group;
      h.encode(req);
      (void)conn->invoke_oneway(std::move(req));
    });
    if (!started)
      rt_.log(rt::LogLevel::warn, fmt::format("consumer group {}: {} notices still in flight; {} not told of the change",
                                              group, kNoticesInFlightMax, conn->peer_address()));
  }
}

Reply heartbeat(ProcessorContext& c, remoting::Connection& from, RemotingCommand& req) {
  auto hb = remoting::decode_heartbeat(body_text(req));
  if (!hb) return error_reply(req, rs::kSystemError, "bad heartbeat body: " + hb.error().detail());
  ClientChannel ch;
  ch.conn = from.shared_from_this();
  ch.client_id = hb->client_id;
  ch.language = req.language;
  ch.version = req.version;
  ch.last_update = c.rt.now();
  for (const auto& consumer : hb->consumers) {
    auto group = c.groups.find_or_create(consumer.group_name);
    if (!group) return error_reply(req, rs::kSystemError, "subscription group not saved: " + group.error().message());
    if (!*group) continue;  // unknown and not auto-created: RocketMQ ignores it too
    if ((*group)->retry_queue_nums > 0) {
      bool created = false;
      auto retry = c.topics.ensure(retry_topic(consumer.group_name), (*group)->retry_queue_nums,
                                  kPermRead | kPermWrite, &created);
      if (!retry) return error_reply(req, rs::kSystemError, "retry topic not saved: " + retry.error().message());
      // The consumer looks up the retry topic's route right after this
      // heartbeat: the namesrvs must have it by then.
      if (created) c.topic_created(retry->topic_name);
    }
    if (c.clients.register_consumer(consumer, ch)) {
      c.rt.log(rt::LogLevel::info, "consumer group " + consumer.group_name + " changed: " + ch.client_id + " from " +
                                      from.peer_address());
      c.group_changed(consumer.group_name);
    }
  }
  for (const auto& g : hb->producer_groups) c.clients.register_producer(g, ch);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply unregister_client(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::UnregisterClientRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (h->producer_group) c.clients.unregister_producer(*h->producer_group, h->client_id);
  if (h->consumer_group && c.clients.unregister_consumer(*h->consumer_group, h->client_id)) {
    c.rt.log(rt::LogLevel::info, "consumer " + h->client_id + " left group " + *h->consumer_group);
    c.group_changed(*h->consumer_group);
  }
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply consumer_list(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::ConsumerGroupRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const auto ids = c.clients.consumer_ids(h->consumer_group);
  if (ids.empty()) return error_reply(req, rs::kSystemError, "no consumer for this group, " + h->consumer_group);
  boost::json::array list;
  for (const auto& id : ids) list.emplace_back(id);
  boost::json::object o;
  o["consumerIdList"] = std::move(list);
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(json::serialize(boost::json::value(std::move(o))));
  return resp;
}

Reply send_back(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (c.cfg.slave())
    return error_reply(req, rs::kSystemError, "SERVICE_NOT_AVAILABLE: the broker is a slave and takes no messages");
  auto h = remoting::ConsumerSendMsgBackRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  auto group = c.groups.find_or_create(h->group);
  if (!group) return error_reply(req, rs::kSystemError, "subscription group not saved: " + group.error().message());
  if (!*group) return error_reply(req, rs::kSubscriptionGroupNotExist, "subscription group not exist, " + h->group);
  if ((c.cfg.broker_permission & kPermWrite) == 0)
    return error_reply(req, rs::kNoPermission, "the broker[" + c.cfg.broker_name + "] sending message is forbidden");
  if ((*group)->retry_queue_nums <= 0) return RemotingCommand::response_to(req, rs::kSuccess);

  // The topic it goes to: the group's retry topic, or its DLQ when it has
  // been retried enough (or the consumer asks for it with a negative level).
  auto ensure = [&](const std::string& topic, int32_t queues) -> rt::Result<store::TopicConfig> {
    bool created = false;
    auto tc = c.topics.ensure(topic, queues, kPermRead | kPermWrite, &created);
    if (tc && created) c.topic_created(topic);
    return tc;
  };
  auto tc = ensure(retry_topic(h->group), (*group)->retry_queue_nums);
  if (!tc) return error_reply(req, rs::kSystemError, "topic[" + retry_topic(h->group) + "] not exist");
  if ((tc->perm & kPermWrite) == 0)
    return error_reply(req, rs::kNoPermission, "the topic[" + tc->topic_name + "] sending message is forbidden");
  auto original = c.store.read_at(h->offset);
  if (!original)
    return error_reply(req, rs::kSystemError, "look message by offset failed, " + std::to_string(h->offset));

  common::StoredMessage m = original->message;
  common::MessageProperties props = common::decode_properties(m.properties);
  if (!props.count(common::kPropRetryTopic)) props[common::kPropRetryTopic] = m.topic;
  props[common::kPropWait] = "false";
  // The first delivery's offset msgId, kept across every retry.
  if (props[common::kPropOriginMessageId].empty())
    props[common::kPropOriginMessageId] = common::offset_msg_id(m.store_host, m.physical_offset);
  int32_t max = (*group)->retry_max_times;
  if (req.version >= kVersionWithMaxReconsumeTimes && h->max_reconsume_times) max = *h->max_reconsume_times;
  int32_t queues = std::max(tc->write_queue_nums, 1);
  int32_t times = m.reconsume_times;
  if constexpr (common::canary::broker_dlq_one_early) ++times;
  const bool to_dlq = times >= max || h->delay_level < 0;
  if (to_dlq) {
    tc = ensure(dlq_topic(h->group), 1);
    if (!tc) return error_reply(req, rs::kSystemError, "topic[" + dlq_topic(h->group) + "] not exist");
    queues = 1;
    props.erase(common::kPropDelay);
  } else {
    // Level 0: the broker's schedule, 10 s, 30 s, 1 m ... (3 + reconsume times).
    const int64_t level = h->delay_level == 0 ? int64_t{3} + m.reconsume_times : h->delay_level;
    props[common::kPropDelay] = std::to_string(std::min<int64_t>(level, INT32_MAX));
  }
  m.topic = tc->topic_name;
  m.queue_id = static_cast<int32_t>(c.rt.random().below(static_cast<uint64_t>(queues)));
  m.reconsume_times = m.reconsume_times < INT32_MAX ? m.reconsume_times + 1 : INT32_MAX;
  m.prepared_transaction_offset = 0;
  m.properties = common::encode_properties(props);
  const std::string topic = props[common::kPropRetryTopic];  // set above: the first delivery's topic
  auto r = put_message(c, std::move(m), &props);
  if (!r.ok()) return error_reply(req, rs::kSystemError, std::string(store::to_string(r.status)));
  if (to_dlq) c.metrics.on_dlq(topic, h->group);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply lock_queues(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto b = remoting::decode_lock_batch_request(body_text(req));
  if (!b) return error_reply(req, rs::kSystemError, "bad lock body: " + b.error().detail());
  std::vector<std::string> keys;
  for (const auto& mq : b->mqs) keys.push_back(mq.key());
  const auto taken = c.locks.lock(b->consumer_group, b->client_id, keys, c.rt.now());
  std::vector<remoting::LockQueue> ok;
  for (const auto& mq : b->mqs)
    if (std::find(taken.begin(), taken.end(), mq.key()) != taken.end()) ok.push_back(mq);
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(remoting::encode_lock_batch_response(ok));
  return resp;
}

Reply unlock_queues(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto b = remoting::decode_lock_batch_request(body_text(req));
  if (!b) return error_reply(req, rs::kSystemError, "bad unlock body: " + b.error().detail());
  std::vector<std::string> keys;
  for (const auto& mq : b->mqs) keys.push_back(mq.key());
  c.locks.unlock(b->consumer_group, b->client_id, keys);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

}  // namespace rmq::broker
