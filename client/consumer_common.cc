#include "client/consumer_common.h"

#include <fmt/format.h>
#include "common/zlib_codec.h"

#include <algorithm>

#include "common/java_hash.h"
#include "common/json.h"
#include "common/message_const.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/lock_batch.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {




rt::Error broker_error(const char* what, const RemotingCommand& resp) {
  return rt::Error(rt::Errc::io_error, fmt::format("{} answered {}: {}", what, resp.code, resp.remark.value_or("")));
}

RemotingCommand lock_request(int32_t code, MqClient& c, const std::string& group, const std::vector<MessageQueue>& mqs) {
  remoting::LockBatchRequest body;
  body.consumer_group = group;
  body.client_id = c.client_id();
  for (const auto& mq : mqs) body.mqs.push_back({mq.topic, mq.broker_name, mq.queue_id});
  auto req = RemotingCommand::request(code);
  req.body = remoting::to_bytes(remoting::encode_lock_batch_request(body));
  return req;
}

}  // namespace

remoting::SubscriptionData subscription_data(const std::string& topic, const std::string& expression) {
  remoting::SubscriptionData s;
  s.topic = topic;
  s.sub_string = expression;
  s.tags_set = remoting::parse_tag_expression(expression);
  for (const auto& t : s.tags_set) s.code_set.insert(common::java_string_hash(t));
  s.sub_version = 1;
  return s;
}

remoting::ConsumeFromWhere consume_from_where(ConsumeFrom from) {
  switch (from) {
    case ConsumeFrom::first_offset: return remoting::ConsumeFromWhere::first_offset;
    case ConsumeFrom::timestamp: return remoting::ConsumeFromWhere::timestamp;
    case ConsumeFrom::last_offset: break;
  }
  return remoting::ConsumeFromWhere::last_offset;
}

void unregister_consumer(MqClient& c, const std::string& group) {
  for (const auto& addr : c.broker_addresses()) {
    auto req = RemotingCommand::request(rc::kUnregisterClient);
    remoting::UnregisterClientRequestHeader h;
    h.client_id = c.client_id();
    h.consumer_group = group;
    h.encode(req);
    (void)c.invoke(addr, std::move(req), c.config().rpc_timeout);
  }
}

rt::Result<std::vector<std::string>> consumer_ids(MqClient& c, const std::string& addr, const std::string& group) {
  auto req = RemotingCommand::request(rc::kGetConsumerListByGroup);
  remoting::ConsumerGroupRequestHeader h;
  h.consumer_group = group;
  h.encode(req);
  auto resp = c.invoke(addr, std::move(req), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code != rs::kSuccess) return broker_error("GET_CONSUMER_LIST_BY_GROUP", *resp);
  auto v = json::parse_lenient(remoting::to_text(resp->body));
  if (!v) return v.error();
  if (!v->is_object()) return rt::Error(rt::Errc::invalid_argument, "consumer list is not an object");
  std::vector<std::string> ids;
  if (const auto* list = v->as_object().if_contains("consumerIdList"); list && list->is_array())
    for (const auto& id : list->as_array())
      if (auto s = json::scalar_text(id)) ids.push_back(*s);
  std::sort(ids.begin(), ids.end());
  return ids;
}

rt::Result<ReceivedMessage> received_message(const common::StoredMessage& s, const MessageQueue& mq) {
  ReceivedMessage m;
  m.queue = mq;
  m.queue_offset = s.queue_offset;
  m.properties = common::decode_properties(s.properties);
  m.tags = common::property_value(m.properties, common::kPropTags);
  m.keys = common::property_value(m.properties, common::kPropKeys);
  m.topic = m.properties.count(common::kPropRetryTopic) ? m.properties[common::kPropRetryTopic] : s.topic;
  m.offset_msg_id = common::offset_msg_id(s.store_host, s.physical_offset);
  m.msg_id = m.properties.count(common::kPropUniqKey) ? m.properties[common::kPropUniqKey] : m.offset_msg_id;
  m.reconsume_times = s.reconsume_times;
  m.commit_log_offset = s.physical_offset;
  m.store_timestamp = s.store_timestamp;
  if (s.sys_flag & common::kSysFlagCompressed) {
    auto body = common::inflate_bounded(s.body, remoting::kMaxInflatedBodyBytes);
    if (!body) return rt::Error(body.error().code(), "message " + m.msg_id + " skipped: " + body.error().message());
    m.body = std::move(*body);
  } else {
    m.body.assign(reinterpret_cast<const char*>(s.body.data()), s.body.size());
  }
  return m;
}

rt::Result<PullResult> pull(MqClient& c, const std::string& addr, const MessageQueue& mq,
                            remoting::PullMessageRequestHeader h, const std::set<std::string>& tags,
                            rt::Duration timeout) {
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  auto req = RemotingCommand::request(rc::kPullMessage);
  h.encode(req);
  auto resp = c.invoke(addr, std::move(req), timeout);
  if (!resp) return resp.error();
  PullResult out;
  switch (resp->code) {
    case rs::kSuccess: out.status = PullStatus::found; break;
    case rs::kPullNotFound: out.status = PullStatus::no_new_msg; break;
    case rs::kPullRetryImmediately: out.status = PullStatus::no_matched_msg; break;
    case rs::kPullOffsetMoved: out.status = PullStatus::offset_illegal; break;
    default: return broker_error("PULL_MESSAGE", *resp);
  }
  auto rh = remoting::PullMessageResponseHeader::decode(*resp);
  if (!rh) return rh.error();
  out.next_begin_offset = rh->next_begin_offset;
  out.min_offset = rh->min_offset;
  out.max_offset = rh->max_offset;
  out.suggest_which_broker_id = rh->suggest_which_broker_id;
  size_t at = 0;
  while (out.status == PullStatus::found && at < resp->body.size()) {
    auto d = common::decode_stored(std::span<const std::byte>(resp->body.data() + at, resp->body.size() - at));
    if (d.status != common::RecordStatus::ok) break;
    at += d.size;
    const common::StoredMessage& s = *d.message;
    out.body_end_offset = s.queue_offset + 1;
    auto m = received_message(s, mq);
    if (!m) {
      c.runtime().log(rt::LogLevel::error, "consumer: " + m.error().message());
      continue;
    }
    if (!tags.empty() && !tags.count(m->tags)) continue;
    out.messages.push_back(std::move(*m));
  }
  if (out.status == PullStatus::found && at < resp->body.size()) {
    // A record cut or damaged on its way (a broker sending from its files
    // does not read what it sends): pull again from it, skip nothing.
    const int64_t resume = out.body_end_offset >= 0 ? out.body_end_offset : h.queue_offset;
    c.runtime().log(rt::LogLevel::error,
                    fmt::format("consumer: the pull answer from {} for {} has a record that does not decode at "
                                "queue offset {}; {} bytes left, pulling again from there",
                                addr, mq.to_string(), resume, resp->body.size() - at));
    out.next_begin_offset = resume;
  }
  return out;
}

rt::Result<int64_t> committed_offset(MqClient& c, const std::string& addr, const std::string& group,
                                     const MessageQueue& mq) {
  auto req = RemotingCommand::request(rc::kQueryConsumerOffset);
  remoting::QueryConsumerOffsetRequestHeader h;
  h.consumer_group = group;
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  h.encode(req);
  auto resp = c.invoke(addr, std::move(req), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code == rs::kQueryNotFound) return int64_t{-1};
  if (resp->code != rs::kSuccess) return broker_error("QUERY_CONSUMER_OFFSET", *resp);
  auto o = remoting::OffsetResponseHeader::decode(*resp);
  if (!o) return o.error();
  return std::max<int64_t>(o->offset, -1);
}

rt::Result<void> commit_offset(MqClient& c, const std::string& addr, const std::string& group, const MessageQueue& mq,
                               int64_t offset) {
  auto req = RemotingCommand::request(rc::kUpdateConsumerOffset);
  remoting::UpdateConsumerOffsetRequestHeader h{group, mq.topic, mq.queue_id, offset};
  h.encode(req);
  auto resp = c.invoke(addr, std::move(req), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code != rs::kSuccess) return broker_error("UPDATE_CONSUMER_OFFSET", *resp);
  return {};
}

namespace {

rt::Result<int64_t> offset_request(MqClient& c, const std::string& addr, RemotingCommand req, const char* what) {
  auto resp = c.invoke(addr, std::move(req), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code != rs::kSuccess) return broker_error(what, *resp);
  auto o = remoting::OffsetResponseHeader::decode(*resp);
  if (!o) return o.error();
  return o->offset;
}

}  // namespace

rt::Result<int64_t> queue_offset(MqClient& c, const std::string& addr, const MessageQueue& mq, QueueEnd end) {
  auto req = RemotingCommand::request(end == QueueEnd::max ? rc::kGetMaxOffset : rc::kGetMinOffset);
  remoting::QueueRequestHeader{mq.topic, mq.queue_id}.encode(req);
  return offset_request(c, addr, std::move(req), end == QueueEnd::max ? "GET_MAX_OFFSET" : "GET_MIN_OFFSET");
}

rt::Result<int64_t> offset_at_time(MqClient& c, const std::string& addr, const MessageQueue& mq, int64_t timestamp_ms) {
  auto req = RemotingCommand::request(rc::kSearchOffsetByTimestamp);
  remoting::SearchOffsetRequestHeader h;
  h.topic = mq.topic;
  h.queue_id = mq.queue_id;
  h.timestamp = timestamp_ms;
  h.encode(req);
  return offset_request(c, addr, std::move(req), "SEARCH_OFFSET_BY_TIMESTAMP");
}

rt::Result<int64_t> start_offset(MqClient& c, const std::string& addr, const std::string& group, const MessageQueue& mq,
                                 ConsumeFrom from, int64_t timestamp_ms) {
  auto committed = committed_offset(c, addr, group, mq);
  if (!committed) return committed.error();
  if (*committed >= 0) return *committed;
  return initial_offset(c, addr, mq, from, timestamp_ms);
}

rt::Result<int64_t> initial_offset(MqClient& c, const std::string& addr, const MessageQueue& mq, ConsumeFrom from,
                                   int64_t timestamp_ms) {
  if (from == ConsumeFrom::first_offset || mq.topic.rfind(remoting::kRetryPrefix, 0) == 0) return int64_t{0};
  if (from == ConsumeFrom::timestamp) return offset_at_time(c, addr, mq, timestamp_ms);
  return queue_offset(c, addr, mq, QueueEnd::max);
}

rt::Result<std::set<MessageQueue>> lock_queues(MqClient& c, const std::string& addr, const std::string& group,
                                               const std::vector<MessageQueue>& mqs) {
  auto resp = c.invoke(addr, lock_request(rc::kLockBatchMq, c, group, mqs), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code != rs::kSuccess) return broker_error("LOCK_BATCH_MQ", *resp);
  auto locked = remoting::decode_lock_batch_response(remoting::to_text(resp->body));
  if (!locked) return locked.error();
  std::set<MessageQueue> out;
  for (auto& q : *locked) out.insert({std::move(q.topic), std::move(q.broker_name), q.queue_id});
  return out;
}

rt::Result<void> unlock_queues(MqClient& c, const std::string& addr, const std::string& group,
                               const std::vector<MessageQueue>& mqs) {
  auto resp = c.invoke(addr, lock_request(rc::kUnlockBatchMq, c, group, mqs), c.config().rpc_timeout);
  if (!resp) return resp.error();
  if (resp->code != rs::kSuccess) return broker_error("UNLOCK_BATCH_MQ", *resp);
  return {};
}

}  // namespace rmq::client
