#include "remoting/lock_batch.h"

#include <boost/json.hpp>

#include "common/json.h"

namespace rmq::remoting {

namespace {

rt::Error bad(std::string what) { return rt::Error(rt::Errc::invalid_argument, std::move(what)); }

rt::Result<std::vector<LockQueue>> decode_queues(const boost::json::object& o, std::string_view field) {
  std::vector<LockQueue> out;
  const auto* set = o.if_contains(field);
  if (set == nullptr || set->is_null()) return out;
  if (!set->is_array()) return bad(std::string(field) + " is not an array");
  for (const auto& e : set->as_array()) {
    if (!e.is_object()) return bad(std::string(field) + " entry is not an object");
    const auto& q = e.as_object();
    LockQueue mq;
    mq.topic = json::get_string(q, "topic").value_or("");
    mq.broker_name = json::get_string(q, "brokerName").value_or("");
    const auto id = json::get_int64(q, "queueId");
    if (mq.topic.empty() || !id || *id < 0 || *id > INT32_MAX)
      return bad(std::string(field) + " entry needs a topic and a queueId from 0 to 2^31-1");
    mq.queue_id = static_cast<int32_t>(*id);
    out.push_back(std::move(mq));
  }
  return out;
}

boost::json::array encode_queues(const std::vector<LockQueue>& mqs) {
  boost::json::array set;
  for (const auto& mq : mqs) {
    boost::json::object e;
    e["brokerName"] = mq.broker_name;
    e["queueId"] = mq.queue_id;
    e["topic"] = mq.topic;
    set.push_back(std::move(e));
  }
  return set;
}

rt::Result<boost::json::object> parse_object(std::string_view text, const char* what) {
  auto v = json::parse_lenient(text);
  if (!v) return v.error();
  if (!v->is_object()) return bad(std::string(what) + " is not an object");
  return std::move(v->as_object());
}

}  // namespace

rt::Result<LockBatchRequest> decode_lock_batch_request(std::string_view text) {
  auto o = parse_object(text, "lock body");
  if (!o) return o.error();
  LockBatchRequest r;
  r.consumer_group = json::get_string(*o, "consumerGroup").value_or("");
  r.client_id = json::get_string(*o, "clientId").value_or("");
  if (r.client_id.empty() || r.consumer_group.empty()) return bad("lock body needs clientId and consumerGroup");
  r.only_this_broker = json::get_bool(*o, "onlyThisBroker").value_or(false);
  auto mqs = decode_queues(*o, "mqSet");
  if (!mqs) return mqs.error();
  r.mqs = std::move(*mqs);
  return r;
}

std::string encode_lock_batch_request(const LockBatchRequest& r) {
  boost::json::object o;
  o["consumerGroup"] = r.consumer_group;
  o["clientId"] = r.client_id;
  o["onlyThisBroker"] = r.only_this_broker;
  o["mqSet"] = encode_queues(r.mqs);
  return json::serialize(boost::json::value(std::move(o)));
}

rt::Result<std::vector<LockQueue>> decode_lock_batch_response(std::string_view text) {
  auto o = parse_object(text, "lock answer");
  if (!o) return o.error();
  return decode_queues(*o, "lockOKMQSet");
}

std::string encode_lock_batch_response(const std::vector<LockQueue>& locked) {
  boost::json::object o;
  o["lockOKMQSet"] = encode_queues(locked);
  return json::serialize(boost::json::value(std::move(o)));
}

}  // namespace rmq::remoting
