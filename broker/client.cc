// Clients: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP
// (38), CONSUMER_SEND_MSG_BACK (36), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42),
// and NOTIFY_CONSUMER_IDS_CHANGED (40) to clients: reference 3.3 and 8.4.
#include <boost/json.hpp>

#include "broker/broker.h"
#include "broker/reply.h"
#include "common/json.h"
#include "remoting/codes.h"
#include "remoting/headers_consumer.h"
#include "remoting/lock_batch.h"
#include "remoting/route_data.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {


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
    rt_.spawn("broker-notify", [conn, group] {
      auto req = RemotingCommand::request(rc::kNotifyConsumerIdsChanged);
      remoting::ConsumerGroupRequestHeader h;
      h.consumer_group = group;
      h.encode(req);
      (void)conn->invoke_oneway(std::move(req));
    });
  }
}

Broker::Reply Broker::on_heartbeat(remoting::Connection& from, Command& req) {
  auto hb = remoting::decode_heartbeat(body_text(req));
  if (!hb) return error_reply(req, rs::kSystemError, "bad heartbeat body: " + hb.error().detail());
  ClientChannel ch;
  ch.conn = from.shared_from_this();
  ch.client_id = hb->client_id;
  ch.language = req.language;
  ch.version = req.version;
  ch.last_update = rt_.now();
  for (const auto& consumer : hb->consumers) {
    auto group = groups_.find_or_create(consumer.group_name);
    if (!group) return error_reply(req, rs::kSystemError, "subscription group not saved: " + group.error().message());
    if (!*group) continue;  // unknown and not auto-created: RocketMQ ignores it too
    if ((*group)->retry_queue_nums > 0) {
      auto retry = topics_.ensure(retry_topic(consumer.group_name), (*group)->retry_queue_nums, kPermRead | kPermWrite);
      if (!retry) return error_reply(req, rs::kSystemError, "retry topic not saved: " + retry.error().message());
    }
    if (clients_.register_consumer(consumer, ch)) {
      rt_.log(rt::LogLevel::info, "consumer group " + consumer.group_name + " changed: " + ch.client_id + " from " +
                                      from.peer_address());
      notify_consumer_ids_changed(consumer.group_name);
    }
  }
  for (const auto& g : hb->producer_groups) clients_.register_producer(g, ch);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Broker::Reply Broker::on_unregister_client(remoting::Connection&, Command& req) {
  auto h = remoting::UnregisterClientRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (h->producer_group) clients_.unregister_producer(*h->producer_group, h->client_id);
  if (h->consumer_group && clients_.unregister_consumer(*h->consumer_group, h->client_id)) {
    rt_.log(rt::LogLevel::info, "consumer " + h->client_id + " left group " + *h->consumer_group);
    notify_consumer_ids_changed(*h->consumer_group);
  }
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Broker::Reply Broker::on_consumer_list(remoting::Connection&, Command& req) {
  auto h = remoting::ConsumerGroupRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const auto ids = clients_.consumer_ids(h->consumer_group);
  if (ids.empty()) return error_reply(req, rs::kSystemError, "no consumer for this group, " + h->consumer_group);
  boost::json::array list;
  for (const auto& id : ids) list.emplace_back(id);
  boost::json::object o;
  o["consumerIdList"] = std::move(list);
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(json::serialize(boost::json::value(std::move(o))));
  return resp;
}

Broker::Reply Broker::on_send_back(remoting::Connection& from, Command& req) {
  auto h = remoting::ConsumerSendMsgBackRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  auto group = groups_.find_or_create(h->group);
  if (!group) return error_reply(req, rs::kSystemError, "subscription group not saved: " + group.error().message());
  if (!*group) return error_reply(req, rs::kSubscriptionGroupNotExist, "subscription group not exist, " + h->group);
  if ((cfg_.broker_permission & kPermWrite) == 0)
    return error_reply(req, rs::kNoPermission, "the broker[" + cfg_.broker_name + "] sending message is forbidden");
  if ((*group)->retry_queue_nums <= 0) return RemotingCommand::response_to(req, rs::kSuccess);
  auto original = store_->read_at(h->offset);
  if (!original)
    return error_reply(req, rs::kSystemError, "look message by offset failed, " + std::to_string(h->offset));
  common::StoredMessage m = original->message;
  common::MessageProperties props = common::decode_properties(m.properties);
  if (!props.count("RETRY_TOPIC")) props["RETRY_TOPIC"] = m.topic;
  if (!props.count("ORIGIN_MESSAGE_ID"))
    props["ORIGIN_MESSAGE_ID"] = h->origin_msg_id.value_or(common::offset_msg_id(m.store_host, m.physical_offset));
  props["WAIT"] = "false";
  const int32_t max = h->max_reconsume_times.value_or((*group)->retry_max_times);
  std::string target = retry_topic(h->group);
  int32_t queues = (*group)->retry_queue_nums;
  if (m.reconsume_times >= max || h->delay_level < 0) {
    target = dlq_topic(h->group);
    queues = 1;
  }
  // Delay levels come with the delay-level service; until then the retry is
  // delivered at once.
  auto tc = topics_.ensure(target, queues, kPermRead | kPermWrite);
  if (!tc) return error_reply(req, rs::kSystemError, "topic config not saved: " + tc.error().message());
  m.topic = target;
  m.queue_id = static_cast<int32_t>(rt_.random().below(static_cast<uint64_t>(std::max(tc->write_queue_nums, 1))));
  m.reconsume_times += 1;
  m.properties = common::encode_properties(props);
  m.sys_flag &= ~common::kSysFlagTransactionMask;
  auto r = store_->put(std::move(m));
  if (!r.ok()) return error_reply(req, send_code_for(r.status), std::string(store::to_string(r.status)) + ": " + r.detail);
  (void)from;
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Broker::Reply Broker::on_lock(remoting::Connection&, Command& req) {
  auto b = remoting::decode_lock_batch_request(body_text(req));
  if (!b) return error_reply(req, rs::kSystemError, "bad lock body: " + b.error().detail());
  const rt::Instant now = rt_.now();
  auto& locks = locks_[b->consumer_group];
  std::vector<remoting::LockQueue> ok;
  for (const auto& mq : b->mqs) {
    auto& l = locks[mq.key()];
    const bool free = l.client_id.empty() || now - l.last_update > cfg_.lock_lease;
    if (free || l.client_id == b->client_id) {
      l.client_id = b->client_id;
      l.last_update = now;
      ok.push_back(mq);
    }
  }
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(remoting::encode_lock_batch_response(ok));
  return resp;
}

Broker::Reply Broker::on_unlock(remoting::Connection&, Command& req) {
  auto b = remoting::decode_lock_batch_request(body_text(req));
  if (!b) return error_reply(req, rs::kSystemError, "bad unlock body: " + b.error().detail());
  auto it = locks_.find(b->consumer_group);
  if (it != locks_.end()) {
    for (const auto& mq : b->mqs) {
      auto l = it->second.find(mq.key());
      if (l != it->second.end() && l->second.client_id == b->client_id) it->second.erase(l);
    }
  }
  return RemotingCommand::response_to(req, rs::kSuccess);
}

}  // namespace rmq::broker
