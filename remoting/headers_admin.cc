#include "remoting/headers_admin.h"

#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "runtime/assert.h"

namespace rmq::remoting {

rt::Result<CreateTopicRequestHeader> CreateTopicRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  CreateTopicRequestHeader h;
  h.topic = r.req_string("topic");
  h.default_topic = r.opt_string("defaultTopic").value_or("");
  h.read_queue_nums = r.req_int32("readQueueNums");
  h.write_queue_nums = r.req_int32("writeQueueNums");
  h.perm = r.req_int32("perm");
  h.topic_filter_type = r.opt_string("topicFilterType");
  h.topic_sys_flag = r.opt_int32("topicSysFlag");
  h.order = r.opt_bool("order");
  return r.finish(std::move(h));
}

void CreateTopicRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "defaultTopic", default_topic);
  put_field(c, "readQueueNums", read_queue_nums);
  put_field(c, "writeQueueNums", write_queue_nums);
  put_field(c, "perm", perm);
  put_field(c, "topicFilterType", topic_filter_type);
  put_field(c, "topicSysFlag", topic_sys_flag);
  put_field(c, "order", order);
}

rt::Result<TopicRequestHeader> TopicRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  TopicRequestHeader h;
  h.topic = r.req_string("topic");
  return r.finish(std::move(h));
}

void TopicRequestHeader::encode(RemotingCommand& c) const { put_field(c, "topic", topic); }

rt::Result<GetConsumeStatsRequestHeader> GetConsumeStatsRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  GetConsumeStatsRequestHeader h;
  h.consumer_group = r.req_string("consumerGroup");
  h.topic = r.opt_string("topic");
  return r.finish(std::move(h));
}

void GetConsumeStatsRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "consumerGroup", consumer_group);
  put_field(c, "topic", topic);
}

rt::Result<GetProducerConnectionListRequestHeader> GetProducerConnectionListRequestHeader::decode(
    const RemotingCommand& c) {
  FieldReader r(c);
  GetProducerConnectionListRequestHeader h;
  h.producer_group = r.req_string("producerGroup");
  return r.finish(std::move(h));
}

void GetProducerConnectionListRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "producerGroup", producer_group);
}

rt::Result<ViewBrokerStatsDataRequestHeader> ViewBrokerStatsDataRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  ViewBrokerStatsDataRequestHeader h;
  h.stats_name = r.req_string("statsName");
  h.stats_key = r.req_string("statsKey");
  return r.finish(std::move(h));
}

void ViewBrokerStatsDataRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "statsName", stats_name);
  put_field(c, "statsKey", stats_key);
}

rt::Result<DeleteSubscriptionGroupRequestHeader> DeleteSubscriptionGroupRequestHeader::decode(
    const RemotingCommand& c) {
  FieldReader r(c);
  DeleteSubscriptionGroupRequestHeader h;
  h.group_name = r.req_string("groupName");
  h.remove_offset = r.opt_bool("removeOffset");
  h.clean_offset = r.opt_bool("cleanOffset");
  return r.finish(std::move(h));
}

void DeleteSubscriptionGroupRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "groupName", group_name);
  put_field(c, "removeOffset", remove_offset);
  put_field(c, "cleanOffset", clean_offset);
}

rt::Result<ViewMessageRequestHeader> ViewMessageRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  ViewMessageRequestHeader h;
  h.offset = r.req_int64("offset");
  return r.finish(std::move(h));
}

void ViewMessageRequestHeader::encode(RemotingCommand& c) const { put_field(c, "offset", offset); }

rt::Result<QueryMessageRequestHeader> QueryMessageRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  QueryMessageRequestHeader h;
  h.topic = r.req_string("topic");
  h.key = r.req_string("key");
  h.max_num = r.req_int32("maxNum");
  h.begin_timestamp = r.req_int64("beginTimestamp");
  h.end_timestamp = r.req_int64("endTimestamp");
  h.unique_key_query = r.opt_bool("_UNIQUE_KEY_QUERY");
  return r.finish(std::move(h));
}

void QueryMessageRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "key", key);
  put_field(c, "maxNum", max_num);
  put_field(c, "beginTimestamp", begin_timestamp);
  put_field(c, "endTimestamp", end_timestamp);
  put_field(c, "_UNIQUE_KEY_QUERY", unique_key_query);
}

rt::Result<QueryMessageResponseHeader> QueryMessageResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  QueryMessageResponseHeader h;
  h.index_last_update_timestamp = r.req_int64("indexLastUpdateTimestamp");
  h.index_last_update_phyoffset = r.req_int64("indexLastUpdatePhyoffset");
  return r.finish(std::move(h));
}

void QueryMessageResponseHeader::encode(RemotingCommand& c) const {
  put_field(c, "indexLastUpdateTimestamp", index_last_update_timestamp);
  put_field(c, "indexLastUpdatePhyoffset", index_last_update_phyoffset);
}

rt::Result<ResetOffsetRequestHeader> ResetOffsetRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  ResetOffsetRequestHeader h;
  h.topic = r.req_string("topic");
  h.group = r.req_string("group");
  h.timestamp = r.req_int64("timestamp");
  h.is_force = r.req_bool("isForce");
  return r.finish(std::move(h));
}

void ResetOffsetRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "group", group);
  put_field(c, "timestamp", timestamp);
  put_field(c, "isForce", is_force);
}

rt::Result<BrokerPermRequestHeader> BrokerPermRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  BrokerPermRequestHeader h;
  h.broker_name = r.req_string("brokerName");
  return r.finish(std::move(h));
}

void BrokerPermRequestHeader::encode(RemotingCommand& c) const { put_field(c, "brokerName", broker_name); }

namespace {

const char* perm_count_field(int32_t request_code) {
  RMQ_ASSERT(request_code == request_code::kWipeWritePermOfBroker ||
             request_code == request_code::kAddWritePermOfBroker);
  return request_code == request_code::kWipeWritePermOfBroker ? "wipeTopicCount" : "addTopicCount";
}

}  // namespace

rt::Result<BrokerPermResponseHeader> BrokerPermResponseHeader::decode(const RemotingCommand& c,
                                                                      int32_t request_code) {
  FieldReader r(c);
  BrokerPermResponseHeader h;
  h.topic_count = r.req_int32(perm_count_field(request_code));
  return r.finish(std::move(h));
}

void BrokerPermResponseHeader::encode(RemotingCommand& c, int32_t request_code) const {
  put_field(c, perm_count_field(request_code), topic_count);
}

}  // namespace rmq::remoting
