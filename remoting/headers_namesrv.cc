#include "remoting/headers_namesrv.h"

#include "remoting/header_fields.h"

namespace rmq::remoting {

rt::Result<RegisterBrokerRequestHeader> RegisterBrokerRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  RegisterBrokerRequestHeader h;
  h.broker_name = r.req_string("brokerName");
  h.broker_addr = r.req_string("brokerAddr");
  h.cluster_name = r.req_string("clusterName");
  h.ha_server_addr = r.req_string("haServerAddr");
  h.broker_id = r.req_int64("brokerId");
  h.heartbeat_timeout_millis = r.opt_int64("heartbeatTimeoutMillis");
  h.compressed = r.opt_bool("compressed").value_or(false);
  h.body_crc32 = r.opt_int32("bodyCrc32").value_or(0);
  return r.finish(std::move(h));
}

void RegisterBrokerRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "brokerName", broker_name);
  put_field(c, "brokerAddr", broker_addr);
  put_field(c, "clusterName", cluster_name);
  put_field(c, "haServerAddr", ha_server_addr);
  put_field(c, "brokerId", broker_id);
  put_field(c, "heartbeatTimeoutMillis", heartbeat_timeout_millis);
  put_field(c, "compressed", compressed);
  put_field(c, "bodyCrc32", body_crc32);
}

void RegisterBrokerResponseHeader::encode(RemotingCommand& c) const {
  put_field(c, "haServerAddr", ha_server_addr);
  put_field(c, "masterAddr", master_addr);
}

rt::Result<RegisterBrokerResponseHeader> RegisterBrokerResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  RegisterBrokerResponseHeader h;
  h.ha_server_addr = r.opt_string("haServerAddr");
  h.master_addr = r.opt_string("masterAddr");
  return h;
}

rt::Result<UnregisterBrokerRequestHeader> UnregisterBrokerRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  UnregisterBrokerRequestHeader h;
  h.broker_name = r.req_string("brokerName");
  h.broker_addr = r.req_string("brokerAddr");
  h.cluster_name = r.req_string("clusterName");
  h.broker_id = r.req_int64("brokerId");
  return r.finish(std::move(h));
}

void UnregisterBrokerRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "brokerName", broker_name);
  put_field(c, "brokerAddr", broker_addr);
  put_field(c, "clusterName", cluster_name);
  put_field(c, "brokerId", broker_id);
}

rt::Result<QueryDataVersionResponseHeader> QueryDataVersionResponseHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  QueryDataVersionResponseHeader h;
  // Java's Boolean: absent (null) counts as changed, as the broker reads it.
  h.changed = r.opt_bool("changed").value_or(true);
  return r.finish(std::move(h));
}

void QueryDataVersionResponseHeader::encode(RemotingCommand& c) const { put_field(c, "changed", changed); }

rt::Result<GetRouteInfoRequestHeader> GetRouteInfoRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  GetRouteInfoRequestHeader h;
  h.topic = r.req_string("topic");
  h.accept_standard_json_only = r.opt_bool("acceptStandardJsonOnly");
  return r.finish(std::move(h));
}

void GetRouteInfoRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "acceptStandardJsonOnly", accept_standard_json_only);
}

rt::Result<KvConfigRequestHeader> KvConfigRequestHeader::decode(const RemotingCommand& c, bool value_required) {
  FieldReader r(c);
  KvConfigRequestHeader h;
  h.name_space = r.req_string("namespace");
  h.key = r.req_string("key");
  if (value_required) h.value = r.req_string("value");
  return r.finish(std::move(h));
}

void KvConfigRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "namespace", name_space);
  put_field(c, "key", key);
  put_field(c, "value", value);
}

void GetKvConfigResponseHeader::encode(RemotingCommand& c) const { put_field(c, "value", value); }

rt::Result<DeleteTopicFromNamesrvRequestHeader> DeleteTopicFromNamesrvRequestHeader::decode(const RemotingCommand& c) {
  FieldReader r(c);
  DeleteTopicFromNamesrvRequestHeader h;
  h.topic = r.req_string("topic");
  h.cluster_name = r.opt_string("clusterName");
  return r.finish(std::move(h));
}

void DeleteTopicFromNamesrvRequestHeader::encode(RemotingCommand& c) const {
  put_field(c, "topic", topic);
  put_field(c, "clusterName", cluster_name);
}

}  // namespace rmq::remoting
