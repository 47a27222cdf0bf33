#include "remoting/headers_consumer.h"

#include "remoting/header_fields.h"

namespace rmq::remoting {

rt::Result<QueryConsumerOffsetRequestHeader> QueryConsumerOffsetRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  QueryConsumerOffsetRequestHeader h;
  h.consumer_group = r.req_string("consumerGroup");
  h.topic = r.req_string("topic");
  h.queue_id = r.req_int32("queueId");
  h.set_zero_if_not_found = r.opt_bool("setZeroIfNotFound");
  return r.finish(std::move(h));
}

void QueryConsumerOffsetRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "consumerGroup", consumer_group);
  put_field(c, "topic", topic);
  put_field(c, "queueId", queue_id);
  put_field(c, "setZeroIfNotFound", set_zero_if_not_found);
}

rt::Result<UpdateConsumerOffsetRequestHeader> UpdateConsumerOffsetRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  UpdateConsumerOffsetRequestHeader h;
  h.consumer_group = r.req_string("consumerGroup");
  h.topic = r.req_string("topic");
  h.queue_id = r.req_int32("queueId");
  h.commit_offset = r.req_int64("commitOffset");
  return r.finish(std::move(h));
}

void UpdateConsumerOffsetRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "consumerGroup", consumer_group);
  put_field(c, "topic", topic);
  put_field(c, "queueId", queue_id);
  put_field(c, "commitOffset", commit_offset);
}

rt::Result<QueueRequestHeader> QueueRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  QueueRequestHeader h;
  h.topic = r.req_string("topic");
  h.queue_id = r.req_int32("queueId");
  return r.finish(std::move(h));
}

void QueueRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "queueId", queue_id);
}

rt::Result<SearchOffsetRequestHeader> SearchOffsetRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  SearchOffsetRequestHeader h;
  h.topic = r.req_string("topic");
  h.queue_id = r.req_int32("queueId");
  h.timestamp = r.req_int64("timestamp");
  h.boundary_type = r.opt_string("boundaryType");
  return r.finish(std::move(h));
}

void SearchOffsetRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "queueId", queue_id);
  put_field(c, "timestamp", timestamp);
  put_field(c, "boundaryType", boundary_type);
}

rt::Result<OffsetResponseHeader> OffsetResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  OffsetResponseHeader h;
  h.offset = r.req_int64("offset");
  return r.finish(std::move(h));
}

void OffsetResponseHeader::encode(RemotingCommand& c) const { put_field(c, "offset", offset); }

rt::Result<UnregisterClientRequestHeader> UnregisterClientRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  UnregisterClientRequestHeader h;
  h.client_id = r.req_string("clientID");
  h.producer_group = r.opt_string("producerGroup");
  h.consumer_group = r.opt_string("consumerGroup");
  return r.finish(std::move(h));
}

void UnregisterClientRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "clientID", client_id);
  put_field(c, "producerGroup", producer_group);
  put_field(c, "consumerGroup", consumer_group);
}

rt::Result<ConsumerGroupRequestHeader> ConsumerGroupRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  ConsumerGroupRequestHeader h;
  h.consumer_group = r.req_string("consumerGroup");
  return r.finish(std::move(h));
}

void ConsumerGroupRequestHeader::encode(RemotingCommand& c) const { put_field(c, "consumerGroup", consumer_group); }

rt::Result<ConsumerSendMsgBackRequestHeader> ConsumerSendMsgBackRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  ConsumerSendMsgBackRequestHeader h;
  h.offset = r.req_int64("offset");
  h.group = r.req_string("group");
  h.delay_level = r.req_int32("delayLevel");
  h.origin_msg_id = r.opt_string("originMsgId");
  h.origin_topic = r.opt_string("originTopic");
  h.unit_mode = r.opt_bool("unitMode").value_or(false);
  h.max_reconsume_times = r.opt_int32("maxReconsumeTimes");
  return r.finish(std::move(h));
}

void ConsumerSendMsgBackRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "offset", offset);
  put_field(c, "group", group);
  put_field(c, "delayLevel", delay_level);
  put_field(c, "originMsgId", origin_msg_id);
  put_field(c, "originTopic", origin_topic);
  put_field(c, "unitMode", unit_mode);
  put_field(c, "maxReconsumeTimes", max_reconsume_times);
}

}  // namespace rmq::remoting
