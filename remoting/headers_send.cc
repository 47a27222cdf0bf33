#include "remoting/headers_send.h"

#include "remoting/header_fields.h"

namespace rmq::remoting {

namespace {
// Field names: V2 letter, V1 long name.
struct Name {
  const char* v2;
  const char* v1;
};
constexpr Name kGroup{"a", "producerGroup"}, kTopic{"b", "topic"}, kDefaultTopic{"c", "defaultTopic"},
    kDefaultQueues{"d", "defaultTopicQueueNums"}, kQueueId{"e", "queueId"}, kSysFlag{"f", "sysFlag"},
    kBorn{"g", "bornTimestamp"}, kFlag{"h", "flag"}, kProps{"i", "properties"}, kReconsume{"j", "reconsumeTimes"},
    kUnit{"k", "unitMode"}, kMaxReconsume{"l", "maxReconsumeTimes"}, kBatch{"m", "batch"},
    kBrokerName{"n", "brokerName"};

bool uses_v2(int32_t code) { return code == 310 || code == 320; }
}  // namespace

rt::Result<SendMessageRequestHeader> SendMessageRequestHeader::decode(const RemotingCommand& c) {
  const bool v2 = uses_v2(c.code);
  auto n = [v2](const Name& name) { return v2 ? name.v2 : name.v1; };
  FieldReader r(c);
  SendMessageRequestHeader h;
  h.producer_group = r.req_string(n(kGroup));
  h.topic = r.req_string(n(kTopic));
  h.default_topic = r.req_string(n(kDefaultTopic));
  h.default_topic_queue_nums = r.req_int32(n(kDefaultQueues));
  h.queue_id = r.req_int32(n(kQueueId));
  h.sys_flag = r.req_int32(n(kSysFlag));
  h.born_timestamp = r.req_int64(n(kBorn));
  h.flag = r.req_int32(n(kFlag));
  h.properties = r.opt_string(n(kProps));
  h.reconsume_times = r.opt_int32(n(kReconsume));
  h.unit_mode = r.opt_bool(n(kUnit));
  h.max_reconsume_times = r.opt_int32(n(kMaxReconsume));
  h.batch = r.opt_bool(n(kBatch));
  h.broker_name = r.opt_string(n(kBrokerName));
  return r.finish(std::move(h));
}

void SendMessageRequestHeader::encode(RemotingCommand& c, bool v2) const {
  auto n = [v2](const Name& name) { return v2 ? name.v2 : name.v1; };
  put_field(c, n(kGroup), producer_group);
  put_field(c, n(kTopic), topic);
  put_field(c, n(kDefaultTopic), default_topic);
  put_field(c, n(kDefaultQueues), default_topic_queue_nums);
  put_field(c, n(kQueueId), queue_id);
  put_field(c, n(kSysFlag), sys_flag);
  put_field(c, n(kBorn), born_timestamp);
  put_field(c, n(kFlag), flag);
  put_field(c, n(kProps), properties);
  put_field(c, n(kReconsume), reconsume_times);
  put_field(c, n(kUnit), unit_mode);
  put_field(c, n(kMaxReconsume), max_reconsume_times);
  put_field(c, n(kBatch), batch);
  put_field(c, n(kBrokerName), broker_name);
}

rt::Result<SendMessageResponseHeader> SendMessageResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  SendMessageResponseHeader h;
  h.msg_id = r.req_string("msgId");
  h.queue_id = r.req_int32("queueId");
  h.queue_offset = r.req_int64("queueOffset");
  h.transaction_id = r.opt_string("transactionId");
  h.region_id = r.opt_string("MSG_REGION").value_or("DefaultRegion");
  h.trace_on = r.opt_bool("TRACE_ON").value_or(true);
  return r.finish(std::move(h));
}

void SendMessageResponseHeader::encode(RemotingCommand& c) const {
  put_field(c, "msgId", msg_id);
  put_field(c, "queueId", queue_id);
  put_field(c, "queueOffset", queue_offset);
  put_field(c, "transactionId", transaction_id);
  put_field(c, "MSG_REGION", region_id);
  put_field(c, "TRACE_ON", trace_on);
}

}  // namespace rmq::remoting
