// SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320):
// reference 3.2, 5.4 and 8.1-8.3.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "broker/processor_context.h"
#include "broker/reply.h"
#include "common/message_const.h"
#include "common/numbers.h"
#include "remoting/batch_body.h"
#include "remoting/codes.h"
#include "remoting/headers_send.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {

// Java clients from V3_4_9 (ordinal 121) say how often a retry may run.
constexpr int32_t kVersionWithMaxReconsumeTimes = 121;
// Limits on what a half message makes the broker remember.
constexpr size_t kHalfGroupBytesMax = 255;
constexpr size_t kHalfUniqKeyBytesMax = 128;

// `props` with `extra` appended, keeping the trailing separator rule.
std::string with_properties(std::string props, std::string_view extra) {
  if (!props.empty() && props.back() != '\x02') props += '\x02';
  props += extra;
  return props;
}

// The messages of a batch body (reference 5.4): `base` with each record's
// flag, body and properties (plus the batch's own).
rt::Result<std::vector<common::StoredMessage>> decode_batch(rt::ConstBytes body, const common::StoredMessage& base,
                                                            std::string_view batch_props, uint32_t max_body) {
  auto records = remoting::decode_batch_body(body, max_body);
  if (!records) return records.error();
  std::vector<common::StoredMessage> out;
  out.reserve(records->size());
  for (const remoting::BatchRecord& r : *records) {
    common::StoredMessage m = base;
    m.flag = r.flag;
    m.body.assign(r.body.begin(), r.body.end());
    m.properties = with_properties(std::string(r.properties), batch_props);
    out.push_back(std::move(m));
  }
  return out;
}

// WAIT=false: the producer does not wait for a flush or a slave.
bool waits_for_store(const common::MessageProperties& props) {
  auto it = props.find(common::kPropWait);
  return it == props.end() || common::parse_java_bool(it->second);
}

}  // namespace

store::PutResult put_message(ProcessorContext& c, common::StoredMessage m, const common::MessageProperties* props) {
  if (!common::takes_queue_slot(m.sys_flag) || m.topic == common::kScheduleTopic) return c.store.put(std::move(m));
  common::MessageProperties decoded;
  if (!props) {
    decoded = common::decode_properties(m.properties);
    props = &decoded;
  }
  auto level_or = ScheduleService::delay_level(*props);
  const int32_t level = level_or ? *level_or : 0;
  if (level > 0) c.schedule.park(m, *props, level);
  return c.store.put(std::move(m));
}

Reply send(ProcessorContext& c, remoting::Connection& from, RemotingCommand& req) {
  const BrokerConfig& cfg = c.cfg;
  auto h = remoting::SendMessageRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (cfg.slave())
    return error_reply(req, rs::kServiceNotAvailable,
                       "service not available now. It may be caused by one of the following reasons: the broker's disk "
                       "is full, messages are put to the slave, message store has been shut down, etc.");
  if ((cfg.broker_permission & kPermWrite) == 0)
    return error_reply(req, rs::kNoPermission, "the broker[" + cfg.broker_name + "] sending message is forbidden");
  std::string topic = h->topic;
  if (!valid_topic_name(topic))
    return error_reply(req, rs::kSystemError,
                "The specified topic[" + topic + "] is blank, too long or contains illegal characters");
  if (send_forbidden_topic(topic))
    return error_reply(req, rs::kNoPermission, "Sending message to topic[" + topic + "] is forbidden.");

  // The topic, auto-created when allowed (8.1).
  std::optional<store::TopicConfig> tc = c.topics.find(topic);
  const bool retry = topic.rfind(kRetryPrefix, 0) == 0;
  if (!tc) {
    if (retry) {
      bool created = false;
      auto retry_tc = c.topics.ensure(topic, 1, kPermRead | kPermWrite, &created);
      if (!retry_tc) return error_reply(req, rs::kSystemError, "topic config not saved: " + retry_tc.error().message());
      if (created) c.topic_created(topic);
      tc = *retry_tc;
    } else {
      auto created = c.topics.create_on_send(topic, h->default_topic, h->default_topic_queue_nums);
      if (!created) return error_reply(req, rs::kSystemError, "topic config not saved: " + created.error().message());
      tc = *created;
    }
  }
  if (!tc) return error_reply(req, rs::kTopicNotExist, "topic[" + topic + "] not exist, apply first please!");
  if ((tc->perm & kPermWrite) == 0)
    return error_reply(req, rs::kNoPermission, "the topic[" + topic + "] sending message is forbidden");
  int32_t queue_id = h->queue_id;
  if (queue_id < 0) queue_id = static_cast<int32_t>(c.rt.random().below(static_cast<uint64_t>(tc->write_queue_nums)));
  if (queue_id >= std::max(tc->read_queue_nums, tc->write_queue_nums))
    return error_reply(req, rs::kSystemError,
                fmt::format("request queueId[{}] is illegal, {} Producer: {}", queue_id, topic, from.peer_address()));

  // A retry that has run out goes to the group's DLQ (8.3 step 4).
  const int32_t reconsume_times = h->reconsume_times.value_or(0);
  bool to_dlq = false;
  if (retry) {
    const std::string group = topic.substr(std::string_view(kRetryPrefix).size());
    auto g = c.groups.find(group);
    if (!g) return error_reply(req, rs::kSubscriptionGroupNotExist, "subscription group not exist, " + group);
    const int32_t max = req.version >= kVersionWithMaxReconsumeTimes && h->max_reconsume_times
                            ? *h->max_reconsume_times
                            : g->retry_max_times;
    if (reconsume_times >= max) {
      bool created = false;
      auto dlq = c.topics.ensure(dlq_topic(group), 1, kPermRead | kPermWrite, &created);
      if (!dlq) return error_reply(req, rs::kSystemError, "topic config not saved: " + dlq.error().message());
      if (created) c.topic_created(dlq->topic_name);
      topic = dlq->topic_name;
      queue_id = 0;
      to_dlq = true;
    }
  }

  const std::string props = h->properties.value_or("");
  if (props.size() > common::kPropertiesBytesMax)
    return error_reply(req, rs::kMessageIllegal, fmt::format("the message properties are {} bytes, more than {}", props.size(),
                                                      common::kPropertiesBytesMax));
  if (req.body.size() > cfg.store.max_message_size)
    return error_reply(req, rs::kMessageIllegal,
                fmt::format("the message body is {} bytes, more than {}", req.body.size(), cfg.store.max_message_size));
  common::MessageProperties props_map = common::decode_properties(props);
  const bool wait_store = waits_for_store(props_map);
  const auto tran = props_map.find(common::kPropTransactionPrepared);
  const bool half = tran != props_map.end() && common::parse_java_bool(tran->second);
  if (half && cfg.reject_transaction_message)
    return error_reply(req, rs::kNoPermission,
                       "the broker[" + cfg.broker_name + "] sending transaction message is forbidden");
  if (half) {
    // What the broker keeps for every pending transaction stays small.
    auto pgroup = props_map.find(common::kPropProducerGroup);
    auto uniq = props_map.find(common::kPropUniqKey);
    if (pgroup == props_map.end() || pgroup->second.empty() || pgroup->second.size() > kHalfGroupBytesMax)
      return error_reply(req, rs::kMessageIllegal,
                         fmt::format("a transactional message needs a {} of 1 to {} bytes", common::kPropProducerGroup,
                                     kHalfGroupBytesMax));
    if (uniq != props_map.end() && uniq->second.size() > kHalfUniqKeyBytesMax)
      return error_reply(req, rs::kMessageIllegal, fmt::format("a transactional message's {} is longer than {} bytes",
                                                               common::kPropUniqKey, kHalfUniqKeyBytesMax));
  }
  const MessageType type = message_type_of(props_map);
  auto delay = ScheduleService::delay_level(props_map);
  if (!delay) return error_reply(req, rs::kMessageIllegal, delay.error().detail());
  if (to_dlq && *delay > 0) {
    props_map.erase(common::kPropDelay);  // the DLQ is not delayed
    *delay = 0;
  }

  common::StoredMessage base;
  base.topic = topic;
  base.queue_id = queue_id;
  base.flag = h->flag;
  base.sys_flag = h->sys_flag;
  if (tc->topic_filter_type == store::kMultiTag) base.sys_flag |= common::kSysFlagMultiTags;
  base.born_timestamp = h->born_timestamp;
  base.born_host = common::parse_host_port4(from.peer_address()).value_or(common::HostPort4{});
  base.reconsume_times = reconsume_times;
  const std::string cluster = std::string("CLUSTER\x01") + cfg.cluster_name + "\x02";

  const bool batch = req.code == rc::kSendBatchMessage || h->batch.value_or(false);
  store::PutResult r;
  if (batch) {
    // RocketMQ refuses delayed and transactional batches.
    if (half || *delay > 0)
      return error_reply(req, rs::kMessageIllegal, "a batch may not carry a delay level or be transactional");
    auto ms = decode_batch(req.body, base, with_properties(props, cluster), cfg.store.max_message_size);
    if (!ms) return error_reply(req, rs::kMessageIllegal, "the batch body does not decode: " + ms.error().detail());
    r = c.store.put_batch(std::move(*ms));
  } else {
    common::StoredMessage m = std::move(base);
    m.body = req.body;
    props_map[common::kPropCluster] = cfg.cluster_name;
    if (half) {
      if (auto t = c.transactions->ensure_topics(); !t)
        return error_reply(req, rs::kSystemError, "topic config not saved: " + t.error().message());
      TransactionService::make_half(m, std::move(props_map));
      r = c.store.put(std::move(m));
    } else if (*delay > 0 && common::takes_queue_slot(m.sys_flag)) {
      c.schedule.park(m, std::move(props_map), *delay);
      r = c.store.put(std::move(m));
    } else {
      m.properties = with_properties(props, cluster);
      r = c.store.put(std::move(m));
    }
  }
  c.await_slave(r, wait_store);
  const bool stored = r.ok() || r.status == store::PutStatus::flush_disk_timeout ||
                      r.status == store::PutStatus::flush_slave_timeout ||
                      r.status == store::PutStatus::slave_not_available;
  if (!stored)
    return error_reply(req, send_code_for(r.status), std::string(store::to_string(r.status)) + ": " + r.detail);
  c.traffic.totals.on_put(c.rt.now(), c.rt.wall_ms(), r.message_count);
  c.metrics.on_put(topic, type, r.message_count, static_cast<int64_t>(req.body.size()));
  c.traffic.topic_puts.add(topic, c.rt.now(), r.message_count);

  RemotingCommand resp = RemotingCommand::response_to(req, send_code_for(r.status));
  remoting::SendMessageResponseHeader rh;
  rh.msg_id = r.msg_id;
  if (batch && r.message_count > 1) rh.msg_id = fmt::to_string(fmt::join(r.msg_ids, ","));
  rh.queue_id = queue_id;
  rh.queue_offset = r.queue_offset;
  rh.region_id = cfg.region_id;
  rh.trace_on = cfg.trace_on;
  rh.encode(resp);
  return resp;
}

}  // namespace rmq::broker
