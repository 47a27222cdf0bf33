// GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25): the broker's
// settings as a properties text, and changing the ones that can change
// while it runs.
//
// An update is merged into the settings in force and parsed as a whole by
// broker_config_from (so a bad value is refused naming its key, as at
// start). Keys in kLiveKeys take effect at once (brokerPermission also
// re-registers, its mask on every topic's permission with a new data
// version); changing any other key is refused with a remark that says it
// needs a restart, and an unknown key is refused by name (RocketMQ ignores
// both). RocketMQ's black list (brokerConfigPath, rocketmqHome,
// configBlackList) answers NO_PERMISSION. Nothing is written to the
// broker's config file: the operator's file stays the source at start.
#include <fmt/format.h>

#include <set>

#include "broker/processor_context.h"
#include "broker/reply.h"
#include "common/config.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

const std::set<std::string, std::less<>> kLiveKeys = {
    "brokerPermission",   "autoCreateTopicEnable", "autoCreateSubscriptionGroup", "slaveReadEnable",
    "rejectTransactionMessage", "transferMsgByHeap", "defaultTopicQueueNums", "traceOn", "regionId"};
const std::set<std::string, std::less<>> kBlackList = {"brokerConfigPath", "rocketmqHome", "configBlackList"};

}  // namespace

bool is_live_setting(std::string_view key) { return kLiveKeys.count(key) != 0; }

void apply_live_settings(BrokerConfig& in_force, const BrokerConfig& next) {
  in_force.broker_permission = next.broker_permission;
  in_force.auto_create_topic_enable = next.auto_create_topic_enable;
  in_force.auto_create_subscription_group = next.auto_create_subscription_group;
  in_force.slave_read_enable = next.slave_read_enable;
  in_force.reject_transaction_message = next.reject_transaction_message;
  in_force.transfer_msg_by_heap = next.transfer_msg_by_heap;
  in_force.default_topic_queue_nums = next.default_topic_queue_nums;
  in_force.trace_on = next.trace_on;
  in_force.region_id = next.region_id;
}

Reply get_broker_config(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  std::string body;
  for (const auto& [k, v] : broker_config_properties(c.cfg)) body += k + "=" + v + "\n";
  RemotingCommand resp = RemotingCommand::response_to(req, rs::kSuccess);
  remoting::put_field(resp, "version", fmt::format("{{\"counter\":{},\"timestamp\":{}}}", c.config_version.counter,
                                                   c.config_version.timestamp));
  resp.body = remoting::to_bytes(body);
  return resp;
}

Reply update_broker_config(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  if (req.body.empty()) return RemotingCommand::response_to(req, rs::kSuccess);
  auto update = common::Properties::parse(body_text(req));
  if (!update) return error_reply(req, rs::kSystemError, "string2Properties error: " + update.error().detail());
  for (const auto& [k, v] : update->values())
    if (kBlackList.count(k)) return error_reply(req, rs::kNoPermission, "Can not update config in black list.");
  const auto before = broker_config_properties(c.cfg);
  common::Properties merged;
  for (const auto& [k, v] : before) merged.set(k, v);
  for (const auto& [k, v] : update->values()) {
    if (!before.count(k)) return error_reply(req, rs::kSystemError, "unknown config key " + k);
    merged.set(k, v);
  }
  auto next = broker_config_from(merged);
  if (!next) return error_reply(req, rs::kSystemError, next.error().detail());
  const auto after = broker_config_properties(*next);
  for (const auto& [k, v] : update->values())
    if (after.at(k) != before.at(k) && !is_live_setting(k))
      return error_reply(req, rs::kSystemError,
                         fmt::format("{} takes effect only at start: set it in the config file and restart", k));
  const bool permission_changed = next->broker_permission != c.cfg.broker_permission;
  c.change_config(*next);
  ++c.config_version.counter;
  c.config_version.timestamp = c.rt.wall_ms();
  std::string changed;
  for (const auto& [k, v] : update->values()) changed += fmt::format("{}{}={}", changed.empty() ? "" : ", ", k, v);
  c.rt.log(rt::LogLevel::info, "broker config updated: " + changed);
  if (permission_changed)
    if (auto r = c.topics.bump_version(); !r)
      return error_reply(req, rs::kSystemError, "topic config not saved: " + r.error().message());
  return RemotingCommand::response_to(req, rs::kSuccess);
}

}  // namespace rmq::broker
