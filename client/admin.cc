#include "client/admin.h"

#include <fmt/format.h>

#include <limits>

#include "common/config.h"
#include "remoting/admin_bodies.h"
#include "remoting/codes.h"
#include "remoting/headers_admin.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_namesrv.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

// The lower layers' detail repeats the address; the code says what happened.
std::string why_unreachable(const rt::Error& e) { return std::string(rt::to_string(e.code())); }

std::string body_text(const RemotingCommand& resp) { return std::string(remoting::to_text(resp.body)); }

}  // namespace

std::string describe_code(const RemotingCommand& response) {
  std::string out = fmt::format("{} ({})", remoting::response_code_name(response.code), response.code);
  if (response.remark && !response.remark->empty()) out += ": " + *response.remark;
  return out;
}

AdminError answered(std::string_view role, const std::string& addr, const RemotingCommand& response) {
  AdminError e = admin_error(fmt::format("{} {} answered {}", role, addr, describe_code(response)));
  e.response_code = response.code;
  return e;
}

AdminError undecodable(std::string_view what, const std::string& addr, const rt::Error& e) {
  return {AdminError::Kind::undecodable, fmt::format("the {} of broker {} does not decode: {}", what, addr, e.detail()),
          0};
}

AdminError Admin::unreachable(std::string_view role, const std::string& addr, const rt::Error& e) const {
  if (e.code() == rt::Errc::timeout)
    return {AdminError::Kind::unreachable,
            fmt::format("{} {} did not answer within {} s", role, addr,
                        std::chrono::duration_cast<std::chrono::seconds>(timeout()).count()),
            0};
  return {AdminError::Kind::unreachable, fmt::format("cannot reach {} {} ({})", role, addr, why_unreachable(e)), 0};
}

AdminResult<RemotingCommand> Admin::ask_namesrv(const RemotingCommand& request) {
  const auto& namesrvs = client_.config().namesrv_addrs;
  if (namesrvs.empty()) return usage_error("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (size_t i = 0; i < namesrvs.size(); ++i) {
    const size_t n = (namesrv_next_ + i) % namesrvs.size();
    const std::string& addr = namesrvs[n];
    auto resp = client_.rpc().invoke(addr, request, timeout());
    if (!resp) {
      if (namesrvs.size() == 1) return unreachable("namesrv", addr, resp.error());
      problems += fmt::format("{}{} ({})", problems.empty() ? "" : ", ", addr, why_unreachable(resp.error()));
      continue;
    }
    namesrv_next_ = n;
    if (resp->code != rs::kSuccess) return answered("namesrv", addr, *resp);
    return std::move(*resp);
  }
  return AdminError{AdminError::Kind::unreachable, "no namesrv answered: " + problems, 0};
}

AdminResult<void> Admin::tell_every_namesrv(const RemotingCommand& request) {
  const auto& namesrvs = client_.config().namesrv_addrs;
  if (namesrvs.empty()) return usage_error("no namesrv address: give -n or set NAMESRV_ADDR");
  std::string problems;
  for (const auto& addr : namesrvs) {
    auto resp = client_.rpc().invoke(addr, request, timeout());
    std::string problem;
    if (!resp) {
      problem = unreachable("namesrv", addr, resp.error()).message;
    } else if (resp->code != rs::kSuccess) {
      problem = answered("namesrv", addr, *resp).message;
    }
    if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + problem;
  }
  if (!problems.empty()) return admin_error(problems);
  return {};
}

std::vector<std::pair<std::string, AdminResult<RemotingCommand>>> Admin::ask_each_namesrv(
    const RemotingCommand& request) {
  std::vector<std::pair<std::string, AdminResult<RemotingCommand>>> out;
  for (const auto& addr : client_.config().namesrv_addrs) {
    auto resp = client_.rpc().invoke(addr, request, timeout());
    if (!resp)
      out.emplace_back(addr, unreachable("namesrv", addr, resp.error()));
    else if (resp->code != rs::kSuccess)
      out.emplace_back(addr, answered("namesrv", addr, *resp));
    else
      out.emplace_back(addr, std::move(*resp));
  }
  return out;
}

AdminResult<RemotingCommand> Admin::exchange(const std::string& addr, RemotingCommand request) {
  auto resp = client_.invoke(addr, std::move(request), timeout());
  if (!resp) return unreachable("broker", addr, resp.error());
  return std::move(*resp);
}

AdminResult<RemotingCommand> Admin::ask_broker(const std::string& addr, RemotingCommand request) {
  auto resp = exchange(addr, std::move(request));
  if (!resp) return resp;
  if (resp->code != rs::kSuccess) return answered("broker", addr, *resp);
  return resp;
}

AdminResult<std::string> Admin::route_json(const std::string& topic) {
  auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
  remoting::GetRouteInfoRequestHeader h;
  h.topic = topic;
  h.encode(req);
  auto resp = ask_namesrv(req);
  if (!resp) return resp.error();
  return body_text(*resp);
}

AdminResult<remoting::TopicRouteData> Admin::route(const std::string& topic) {
  auto text = route_json(topic);
  if (!text) return text.error();
  auto r = remoting::decode_topic_route(*text);
  if (!r) return AdminError{AdminError::Kind::undecodable,
                            fmt::format("the route of {} does not decode: {}", topic, r.error().detail()), 0};
  return std::move(*r);
}

AdminResult<remoting::ClusterInfo> Admin::cluster_info() {
  auto resp = ask_namesrv(RemotingCommand::request(rc::kGetBrokerClusterInfo));
  if (!resp) return resp.error();
  auto c = remoting::decode_cluster_info(body_text(*resp));
  if (!c) return AdminError{AdminError::Kind::undecodable, "the cluster info does not decode: " + c.error().detail(), 0};
  return std::move(*c);
}

AdminResult<std::map<std::string, std::string>> Admin::broker_runtime_info(const std::string& addr) {
  auto resp = ask_broker(addr, RemotingCommand::request(rc::kGetBrokerRuntimeInfo));
  if (!resp) return resp.error();
  auto t = remoting::decode_kv_table(body_text(*resp));
  if (!t) return undecodable("runtime info", addr, t.error());
  return std::move(*t);
}

AdminResult<void> Admin::create_topic(const std::string& addr, const remoting::CreateTopicRequestHeader& topic) {
  auto req = RemotingCommand::request(rc::kUpdateAndCreateTopic);
  topic.encode(req);
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

AdminResult<void> Admin::set_order_conf(const std::string& topic, const std::optional<std::string>& conf) {
  auto req = RemotingCommand::request(conf ? rc::kPutKvConfig : rc::kDeleteKvConfig);
  remoting::KvConfigRequestHeader{"ORDER_TOPIC_CONFIG", topic, conf}.encode(req);
  return tell_every_namesrv(req);
}

AdminResult<std::vector<std::string>> Admin::topic_list() {
  auto resp = ask_namesrv(RemotingCommand::request(rc::kGetAllTopicListFromNameserver));
  if (!resp) return resp.error();
  auto topics = remoting::decode_topic_list(body_text(*resp));
  if (!topics)
    return AdminError{AdminError::Kind::undecodable, "the topic list does not decode: " + topics.error().detail(), 0};
  return std::move(*topics);
}

AdminResult<std::vector<remoting::TopicQueueStats>> Admin::topic_stats(const std::string& addr,
                                                                       const std::string& topic) {
  auto req = RemotingCommand::request(rc::kGetTopicStatsInfo);
  remoting::TopicRequestHeader{topic}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto stats = remoting::decode_topic_stats(body_text(*resp));
  if (!stats) return undecodable("topic stats", addr, stats.error());
  return std::move(*stats);
}

AdminResult<std::vector<std::string>> Admin::consumed_by(const std::string& addr, const std::string& topic) {
  auto req = RemotingCommand::request(rc::kQueryTopicConsumeByWho);
  remoting::TopicRequestHeader{topic}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto list = remoting::decode_group_list(body_text(*resp));
  if (!list) return undecodable("group list", addr, list.error());
  return std::move(*list);
}

AdminResult<remoting::BrokerStatsData> Admin::broker_stats(const std::string& addr, const std::string& name,
                                                           const std::string& key) {
  auto req = RemotingCommand::request(rc::kViewBrokerStatsData);
  remoting::ViewBrokerStatsDataRequestHeader{name, key}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto d = remoting::decode_broker_stats(body_text(*resp));
  if (!d) return undecodable("stats", addr, d.error());
  return std::move(*d);
}

AdminResult<common::StoredMessage> Admin::view_message(const std::string& addr, int64_t commit_log_offset) {
  auto req = RemotingCommand::request(rc::kViewMessageById);
  remoting::ViewMessageRequestHeader{commit_log_offset}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto records = remoting::decode_records(resp->body);
  if (!records || records->size() != 1)
    return admin_error(fmt::format("the answer of broker {} is not one message{}", addr,
                                   records ? "" : ": " + records.error().detail()));
  return std::move(records->front());
}

AdminResult<std::vector<Admin::FoundMessage>> Admin::query_message(const std::string& topic, const std::string& key,
                                                                   bool unique, int32_t max_per_broker) {
  auto r = route(topic);
  if (!r) return r.error();
  std::vector<FoundMessage> found;
  std::string not_found;
  for (const auto& m : remoting::route_masters(*r)) {
    auto req = RemotingCommand::request(rc::kQueryMessage);
    remoting::QueryMessageRequestHeader{.topic = topic,
                                        .key = key,
                                        .max_num = max_per_broker,
                                        .begin_timestamp = 0,
                                        .end_timestamp = std::numeric_limits<int64_t>::max(),
                                        .unique_key_query = unique ? std::optional<bool>(true) : std::nullopt}
        .encode(req);
    auto resp = exchange(m.addr, std::move(req));
    if (!resp) return resp.error();
    if (resp->code == rs::kQueryNotFound) {
      not_found = answered("broker", m.addr, *resp).message;
      continue;
    }
    if (resp->code != rs::kSuccess) return answered("broker", m.addr, *resp);
    auto records = remoting::decode_records(resp->body);
    if (!records) return undecodable("query answer", m.addr, records.error());
    for (auto& rec : *records)
      if (rec.topic == topic && common::has_message_key(rec.properties, key))
        found.push_back(FoundMessage{m.broker_name, std::move(rec)});
  }
  if (found.empty())
    return admin_error(fmt::format("no message with key {} in topic {}{}", key, topic,
                                   not_found.empty() ? "" : " (" + not_found + ")"));
  return found;
}

AdminResult<std::map<std::string, std::string>> Admin::broker_config(const std::string& addr) {
  auto resp = ask_broker(addr, RemotingCommand::request(rc::kGetBrokerConfig));
  if (!resp) return resp.error();
  auto props = common::Properties::parse(body_text(*resp));
  if (!props) return undecodable("config", addr, props.error());
  return std::map<std::string, std::string>(props->values().begin(), props->values().end());
}

AdminResult<void> Admin::update_broker_config(const std::string& addr, const std::string& key,
                                              const std::string& value) {
  auto req = RemotingCommand::request(rc::kUpdateBrokerConfig);
  req.body = remoting::to_bytes(key + "=" + value + "\n");
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

std::vector<std::pair<std::string, AdminResult<int32_t>>> Admin::set_write_perm(const std::string& broker_name,
                                                                                 bool writable) {
  auto req = RemotingCommand::request(writable ? rc::kAddWritePermOfBroker : rc::kWipeWritePermOfBroker);
  remoting::BrokerPermRequestHeader{broker_name}.encode(req);
  std::vector<std::pair<std::string, AdminResult<int32_t>>> out;
  for (auto& [addr, resp] : ask_each_namesrv(req)) {
    if (!resp) {
      out.emplace_back(addr, resp.error());
      continue;
    }
    auto h = remoting::BrokerPermResponseHeader::decode(*resp, req.code);
    if (!h)
      out.emplace_back(addr, AdminError{AdminError::Kind::undecodable,
                                        fmt::format("the answer of namesrv {} does not decode: {}", addr,
                                                    h.error().detail()),
                                        0});
    else
      out.emplace_back(addr, h->topic_count);
  }
  return out;
}

AdminResult<remoting::ConsumeStats> Admin::consume_stats(const std::string& addr, const std::string& group,
                                                         const std::optional<std::string>& topic) {
  auto req = RemotingCommand::request(rc::kGetConsumeStats);
  remoting::GetConsumeStatsRequestHeader{group, topic}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto stats = remoting::decode_consume_stats(body_text(*resp));
  if (!stats) return undecodable("consume stats", addr, stats.error());
  return std::move(*stats);
}

AdminResult<remoting::GroupConnections> Admin::consumer_connections(const std::string& addr, const std::string& group) {
  auto req = RemotingCommand::request(rc::kGetConsumerConnectionList);
  remoting::ConsumerGroupRequestHeader{group}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto g = remoting::decode_group_connections(body_text(*resp));
  if (!g) return undecodable("consumer connections", addr, g.error());
  return std::move(*g);
}

AdminResult<remoting::GroupConnections> Admin::producer_connections(const std::string& addr, const std::string& group) {
  auto req = RemotingCommand::request(rc::kGetProducerConnectionList);
  remoting::GetProducerConnectionListRequestHeader{group}.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto g = remoting::decode_group_connections(body_text(*resp));
  if (!g) return undecodable("producer connections", addr, g.error());
  return std::move(*g);
}

AdminResult<void> Admin::create_subscription_group(const std::string& addr, const std::string& config_json) {
  auto req = RemotingCommand::request(rc::kUpdateAndCreateSubscriptiongroup);
  req.body = remoting::to_bytes(config_json);
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

AdminResult<void> Admin::delete_subscription_group(const std::string& addr, const std::string& group,
                                                   bool remove_offsets) {
  auto req = RemotingCommand::request(rc::kDeleteSubscriptiongroup);
  remoting::DeleteSubscriptionGroupRequestHeader{.group_name = group, .remove_offset = remove_offsets}.encode(req);
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

AdminResult<void> Admin::delete_topic_in_broker(const std::string& addr, const std::string& topic) {
  auto req = RemotingCommand::request(rc::kDeleteTopicInBroker);
  remoting::TopicRequestHeader{topic}.encode(req);
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

AdminResult<void> Admin::delete_topic_in_namesrvs(const std::string& topic, const std::string& cluster) {
  auto req = RemotingCommand::request(rc::kDeleteTopicInNamesrv);
  remoting::DeleteTopicFromNamesrvRequestHeader{topic, cluster}.encode(req);
  return tell_every_namesrv(req);
}

AdminResult<int64_t> Admin::search_offset(const std::string& addr, const remoting::MessageQueueKey& mq, int64_t ms) {
  auto req = RemotingCommand::request(rc::kSearchOffsetByTimestamp);
  remoting::SearchOffsetRequestHeader h;
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  h.timestamp = ms;
  h.encode(req);
  auto resp = ask_broker(addr, std::move(req));
  if (!resp) return resp.error();
  auto o = remoting::OffsetResponseHeader::decode(*resp);
  if (!o) return undecodable("offset answer", addr, o.error());
  return o->offset;
}

AdminResult<void> Admin::update_consumer_offset(const std::string& addr, const std::string& group,
                                                const remoting::MessageQueueKey& mq, int64_t offset) {
  auto req = RemotingCommand::request(rc::kUpdateConsumerOffset);
  remoting::UpdateConsumerOffsetRequestHeader h;
  h.consumer_group = group;
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  h.commit_offset = offset;
  h.encode(req);
  if (auto r = ask_broker(addr, std::move(req)); !r) return r.error();
  return {};
}

AdminResult<Admin::ResetOutcome> Admin::reset_offset_by_time(const std::string& topic, const std::string& group,
                                                             int64_t ms, bool force) {
  auto r = route(topic);
  if (!r) return r.error();
  const auto masters = remoting::route_masters(*r);
  ResetOutcome out;
  for (const auto& m : masters) {
    auto req = RemotingCommand::request(rc::kInvokeBrokerToResetOffset);
    remoting::ResetOffsetRequestHeader{.topic = topic, .group = group, .timestamp = ms, .is_force = force}.encode(req);
    auto resp = exchange(m.addr, std::move(req));
    if (!resp) return resp.error();
    if (resp->code == rs::kConsumerNotOnline) {
      out.online = false;
      break;
    }
    if (resp->code != rs::kSuccess) return answered("broker", m.addr, *resp);
    auto table = remoting::decode_reset_offsets(body_text(*resp));
    if (!table) return undecodable("reset answer", m.addr, table.error());
    for (const auto& [mq, offset] : *table) out.queues.push_back({.mq = mq, .offset = offset});
  }
  if (out.online) return out;
  out.queues.clear();
  for (const auto& m : masters) {
    auto stats = consume_stats(m.addr, group, topic);
    if (!stats) return stats.error();
    for (const auto& q : stats->queues) {
      if (q.mq.topic != topic) continue;
      int64_t target = q.broker_offset;
      if (ms >= 0) {
        auto found = search_offset(m.addr, q.mq, ms);
        if (!found) return found.error();
        target = std::max<int64_t>(0, *found);
      }
      const int64_t rollback = force || target <= q.consumer_offset ? target : q.consumer_offset;
      if (rollback != q.consumer_offset)
        if (auto u = update_consumer_offset(m.addr, group, q.mq, rollback); !u) return u.error();
      out.queues.push_back({.mq = q.mq,
                            .broker_offset = q.broker_offset,
                            .consumer_offset = q.consumer_offset,
                            .time_offset = target,
                            .offset = rollback});
    }
  }
  return out;
}

}  // namespace rmq::client
