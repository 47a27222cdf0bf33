// Offsets: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
// SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
// GET_EARLIEST_MSG_STORETIME (32): reference 3.3 and 8.8; and
// INVOKE_BROKER_TO_RESET_OFFSET (222).
#include <fmt/format.h>

#include "broker/broker.h"
#include "broker/processor_context.h"
#include "broker/reply.h"
#include "remoting/admin_bodies.h"
#include "remoting/codes.h"
#include "remoting/headers_admin.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
namespace rc = remoting::request_code;
using remoting::RemotingCommand;

namespace {

RemotingCommand with_offset(const RemotingCommand& req, int64_t offset) {
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  remoting::OffsetResponseHeader h;
  h.offset = offset;
  h.encode(resp);
  return resp;
}

}  // namespace

Reply query_offset(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::QueryConsumerOffsetRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (auto o = c.offsets.query(h->consumer_group, h->topic, h->queue_id); o && *o >= 0) return with_offset(req, *o);
  // Nothing committed: a queue that still holds its first message answers 0
  // (so a new group reads from the start), anything else "not found" and the
  // client applies its consumeFromWhere.
  if (h->set_zero_if_not_found.value_or(true) && c.store.min_offset(h->topic, h->queue_id) <= 0)
    return with_offset(req, 0);
  return error_reply(req, rs::kQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

Reply update_offset(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::UpdateConsumerOffsetRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  // A commit of -1 (ali-ons, for a queue still at 0) is ignored.
  c.offsets.commit(h->consumer_group, h->topic, h->queue_id, h->commit_offset);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Reply queue_offset(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (req.code == rc::kSearchOffsetByTimestamp) {
    auto h = remoting::SearchOffsetRequestHeader::decode(req);
    if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
    auto o = c.store.offset_by_time(h->topic, h->queue_id, h->timestamp);
    if (!o) return error_reply(req, rs::kSystemError, o.error().message());
    return with_offset(req, *o);
  }
  auto h = remoting::QueueRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (req.code == rc::kGetMaxOffset) return with_offset(req, c.store.max_offset(h->topic, h->queue_id));
  if (req.code == rc::kGetMinOffset) return with_offset(req, c.store.min_offset(h->topic, h->queue_id));
  // GET_EARLIEST_MSG_STORETIME answers `timestamp`, -1 when the queue is empty.
  auto t = c.store.earliest_store_time(h->topic, h->queue_id);
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  remoting::put_field(resp, "timestamp", t ? *t : int64_t{-1});
  return resp;
}

// An operator moves a group's offsets on a topic to a time (mqadmin
// resetOffsetByTime), as RocketMQ's Broker2Client.resetOffset does: for each
// queue the first offset stored at or after the time (-1: the queue's end),
// kept only if `isForce` or it moves the offset back; the new offsets go to
// every online member in RESET_CONSUMER_CLIENT_OFFSET (oneway), and the
// members, which own the offsets, commit them. The broker writes none
// itself. A group with no member online answers CONSUMER_NOT_ONLINE (the
// tool then sets the offsets itself).
Reply reset_offset(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  auto h = remoting::ResetOffsetRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  const std::string &topic = h->topic, &group = h->group;
  const int64_t timestamp = h->timestamp;
  const bool force = h->is_force;
  auto tc = c.topics.find(topic);
  if (!tc)
    return error_reply(req, rs::kSystemError, "[reset-offset] reset offset failed, no topic in this broker. topic=" + topic);
  // Asked first (RocketMQ asks last): a group that is offline, even one
  // without offsets yet, gets CONSUMER_NOT_ONLINE, and the tool sets them.
  const ConsumerGroupInfo* info = c.clients.consumer_group(group);
  if (!info || info->channels.empty())
    return error_reply(req, rs::kConsumerNotOnline,
                       fmt::format("Consumer not online, so can not reset offset, Group: {} Topic: {} Timestamp: {}",
                                   group, topic, timestamp));
  std::vector<remoting::ConnectionPtr> members;
  for (const auto& [id, ch] : info->channels)
    if (ch.conn) members.push_back(ch.conn);
  std::vector<std::pair<remoting::MessageQueueKey, int64_t>> offsets;
  for (int32_t q = 0; q < tc->write_queue_nums; ++q) {
    const auto consumer = c.offsets.query(group, topic, q);
    if (!consumer || *consumer < 0) return error_reply(req, rs::kSystemError, "THe consumer group <" + group + "> not exist");
    int64_t target = c.store.max_offset(topic, q);
    if (timestamp != -1) {
      auto o = c.store.offset_by_time(topic, q, timestamp);
      if (!o) return error_reply(req, rs::kSystemError, o.error().message());
      target = *o;
    }
    target = std::max<int64_t>(target, 0);
    const int64_t offset = force || target < *consumer ? target : *consumer;
    offsets.push_back({{topic, c.cfg.broker_name, q}, offset});
  }
  const std::string body = remoting::encode_reset_offsets(offsets);
  for (const auto& conn : members) {  // suspends: `info` may be gone meanwhile
    RemotingCommand n = RemotingCommand::request(rc::kResetConsumerClientOffset);
    remoting::ResetOffsetRequestHeader{.topic = topic, .group = group, .timestamp = timestamp, .is_force = false}.encode(n);
    n.body = remoting::to_bytes(body);
    if (auto sent = conn->invoke_oneway(std::move(n)); !sent)
      c.rt.log(rt::LogLevel::warn, "reset offset of " + group + ": not told to " + conn->peer_address() + ": " +
                                      sent.error().message());
  }
  c.rt.log(rt::LogLevel::info, fmt::format("reset offsets of {} on {} to time {} ({} member(s) told)", group, topic,
                                          timestamp, members.size()));
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  resp.body = remoting::to_bytes(body);
  return resp;
}

}  // namespace rmq::broker
