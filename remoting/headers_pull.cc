#include "remoting/headers_pull.h"

#include "remoting/header_fields.h"

namespace rmq::remoting {

rt::Result<PullMessageRequestHeader> PullMessageRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  PullMessageRequestHeader h;
  h.consumer_group = r.req_string("consumerGroup");
  h.topic = r.req_string("topic");
  h.queue_id = r.req_int32("queueId");
  h.queue_offset = r.req_int64("queueOffset");
  h.max_msg_nums = r.req_int32("maxMsgNums");
  h.sys_flag = r.req_int32("sysFlag");
  h.commit_offset = r.req_int64("commitOffset");
  h.suspend_timeout_millis = r.req_int64("suspendTimeoutMillis");
  h.subscription = r.opt_string("subscription");
  h.sub_version = r.req_int64("subVersion");
  h.expression_type = r.opt_string("expressionType");
  h.max_msg_bytes = r.opt_int32("maxMsgBytes");
  return r.finish(std::move(h));
}

void PullMessageRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "consumerGroup", consumer_group);
  put_field(c, "topic", topic);
  put_field(c, "queueId", queue_id);
  put_field(c, "queueOffset", queue_offset);
  put_field(c, "maxMsgNums", max_msg_nums);
  put_field(c, "sysFlag", sys_flag);
  put_field(c, "commitOffset", commit_offset);
  put_field(c, "suspendTimeoutMillis", suspend_timeout_millis);
  put_field(c, "subscription", subscription);
  put_field(c, "subVersion", sub_version);
  put_field(c, "expressionType", expression_type);
  put_field(c, "maxMsgBytes", max_msg_bytes);
}

rt::Result<PullMessageResponseHeader> PullMessageResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  PullMessageResponseHeader h;
  h.suggest_which_broker_id = r.req_int64("suggestWhichBrokerId");
  h.next_begin_offset = r.req_int64("nextBeginOffset");
  h.min_offset = r.req_int64("minOffset");
  h.max_offset = r.req_int64("maxOffset");
  return r.finish(std::move(h));
}

void PullMessageResponseHeader::encode(RemotingCommand& c) const {
  put_field(c, "suggestWhichBrokerId", suggest_which_broker_id);
  put_field(c, "nextBeginOffset", next_begin_offset);
  put_field(c, "minOffset", min_offset);
  put_field(c, "maxOffset", max_offset);
}

}  // namespace rmq::remoting
