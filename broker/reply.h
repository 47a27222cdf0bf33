// Small helpers the broker's processors share for their answers.
#pragma once

#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "common/json.h"
#include "remoting/command.h"

namespace rmq::broker {

// An answer to `req` with `code` and a remark saying why.
inline remoting::RemotingCommand error_reply(const remoting::RemotingCommand& req, int32_t code, std::string remark) {
  return remoting::RemotingCommand::response_to(req, code, std::move(remark));
}

// A request's or answer's body as text (JSON bodies).
inline std::string_view body_text(const remoting::RemotingCommand& c) {
  return {reinterpret_cast<const char*>(c.body.data()), c.body.size()};
}

// fastjson's MessageQueue map key: {"brokerName":..,"queueId":..,"topic":..}
// (GET_CONSUME_STATS, GET_TOPIC_STATS_INFO, ResetOffsetBody).
inline std::string mq_key(const std::string& broker, int32_t queue_id, const std::string& topic) {
  boost::json::object k;
  k["brokerName"] = broker;
  k["queueId"] = queue_id;
  k["topic"] = topic;
  return json::serialize(boost::json::value(std::move(k)));
}

}  // namespace rmq::broker
