// Offsets: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
// SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
// GET_EARLIEST_MSG_STORETIME (32): reference 3.3 and 8.8.
#include "broker/broker.h"
#include "broker/reply.h"
#include "remoting/codes.h"
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

Broker::Reply Broker::on_query_offset(remoting::Connection&, Command& req) {
  auto h = remoting::QueryConsumerOffsetRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (auto o = offsets_.query(h->consumer_group, h->topic, h->queue_id); o && *o >= 0) return with_offset(req, *o);
  // Nothing committed: a queue that still holds its first message answers 0
  // (so a new group reads from the start), anything else "not found" and the
  // client applies its consumeFromWhere.
  if (h->set_zero_if_not_found.value_or(true) && store_->min_offset(h->topic, h->queue_id) <= 0)
    return with_offset(req, 0);
  return error_reply(req, rs::kQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

Broker::Reply Broker::on_update_offset(remoting::Connection&, Command& req) {
  auto h = remoting::UpdateConsumerOffsetRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  // A commit of -1 (ali-ons, for a queue still at 0) is ignored.
  offsets_.commit(h->consumer_group, h->topic, h->queue_id, h->commit_offset);
  return RemotingCommand::response_to(req, rs::kSuccess);
}

Broker::Reply Broker::on_queue_offset(remoting::Connection&, Command& req) {
  if (req.code == rc::kSearchOffsetByTimestamp) {
    auto h = remoting::SearchOffsetRequestHeader::decode(req);
    if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
    auto o = store_->offset_by_time(h->topic, h->queue_id, h->timestamp);
    if (!o) return error_reply(req, rs::kSystemError, o.error().message());
    return with_offset(req, *o);
  }
  auto h = remoting::QueueRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if (req.code == rc::kGetMaxOffset) return with_offset(req, store_->max_offset(h->topic, h->queue_id));
  if (req.code == rc::kGetMinOffset) return with_offset(req, store_->min_offset(h->topic, h->queue_id));
  // GET_EARLIEST_MSG_STORETIME answers `timestamp`, -1 when the queue is empty.
  auto t = store_->earliest_store_time(h->topic, h->queue_id);
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  remoting::put_field(resp, "timestamp", t ? *t : int64_t{-1});
  return resp;
}

}  // namespace rmq::broker
