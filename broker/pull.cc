// PULL_MESSAGE (11) with long polling: reference 3.3 and 8.7.
#include <fmt/format.h>

#include "broker/broker.h"
#include "broker/processor_context.h"
#include "broker/reply.h"
#include "common/canary/broker_long_poll_no_wakeup.h"
#include "common/java_hash.h"
#include "remoting/codes.h"
#include "remoting/headers_pull.h"

namespace rmq::broker {

namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {

// The tag hash codes a TAG expression accepts; empty = every message.
std::set<int32_t> tag_codes(std::string_view expression) {
  std::set<int32_t> codes;
  for (const auto& tag : remoting::parse_tag_expression(expression)) codes.insert(common::java_string_hash(tag));
  return codes;
}

}  // namespace

void Broker::on_arrival(const std::string& topic, int32_t queue_id) {
  if constexpr (common::canary::broker_long_poll_no_wakeup) return;
  long_polls_.arrived(topic, queue_id);
}

Reply pull(ProcessorContext& c, remoting::Connection&, RemotingCommand& req) {
  const BrokerConfig& cfg = c.cfg;
  auto h = remoting::PullMessageRequestHeader::decode(req);
  if (!h) return error_reply(req, rs::kSystemError, h.error().detail());
  if ((cfg.broker_permission & kPermRead) == 0)
    return error_reply(req, rs::kNoPermission, "the broker[" + cfg.broker_name + "] pulling message is forbidden");
  auto group = c.groups.find_or_create(h->consumer_group);
  if (!group) return error_reply(req, rs::kSystemError, "subscription group not saved: " + group.error().message());
  if (!*group) return error_reply(req, rs::kSubscriptionGroupNotExist, "subscription group [" + h->consumer_group + "] does not exist");
  if (!(*group)->consume_enable)
    return error_reply(req, rs::kNoPermission, "subscription group no permission, " + h->consumer_group);
  auto tc = c.topics.find(h->topic);
  if (!tc) return error_reply(req, rs::kTopicNotExist, "topic[" + h->topic + "] not exist, apply first please!");
  if ((tc->perm & kPermRead) == 0)
    return error_reply(req, rs::kNoPermission, "the topic[" + h->topic + "] pulling message is forbidden");
  if (h->queue_id < 0 || h->queue_id >= tc->read_queue_nums)
    return error_reply(req, rs::kSystemError,
                fmt::format("queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}]", h->queue_id, h->topic,
                            tc->read_queue_nums));

  // The filter: from the request (bit 2) or from the group's heartbeats.
  std::set<int32_t> codes;
  const bool from_request = (h->sys_flag & remoting::kPullSubscription) != 0;
  const std::string expression_type = h->expression_type.value_or("TAG");
  if (from_request) {
    if (expression_type != "TAG")
      return error_reply(req, rs::kSubscriptionParseFailed, "parse the consumer's subscription failed: only TAG expressions");
    codes = tag_codes(h->subscription.value_or("*"));
  } else {
    const ConsumerGroupInfo* info = c.clients.consumer_group(h->consumer_group);
    auto sub = info ? info->subscriptions.find(h->topic) : decltype(info->subscriptions.end()){};
    if (!info || sub == info->subscriptions.end())
      return error_reply(req, rs::kSubscriptionNotExist, "the consumer's subscription not exist");
    if (sub->second.sub_version < h->sub_version)
      return error_reply(req, rs::kSubscriptionNotLatest, "the consumer's subscription not latest");
    if (info->message_model == remoting::MessageModel::broadcasting && !(*group)->consume_broadcast_enable)
      return error_reply(req, rs::kNoPermission, "the consumer group[" + h->consumer_group + "] can not consume by broadcast way");
    for (const auto code : sub->second.code_set) codes.insert(code);
  }
  store::TagFilter filter;
  if (!codes.empty())
    filter = [codes](int64_t tags_code) { return codes.count(static_cast<int32_t>(tags_code)) != 0; };

  // A slave never takes an offset from a pull (RocketMQ's storeOffsetEnable).
  if ((h->sys_flag & remoting::kPullCommitOffset) != 0 && !cfg.slave())
    c.offsets.commit(h->consumer_group, h->topic, h->queue_id, h->commit_offset);

  // Read; when nothing is there and the client lets us, hold the request.
  const bool may_suspend = (h->sys_flag & remoting::kPullSuspend) != 0;
  const rt::Duration hold = std::clamp<rt::Duration>(std::chrono::milliseconds(h->suspend_timeout_millis),
                                                     rt::Duration::zero(), cfg.suspend_max);
  const rt::Instant deadline = c.rt.now() + hold;
  LongPolls::Hold held = c.long_polls.hold(h->topic, h->queue_id, may_suspend);
  rt::Event& arrived = held.arrived();
  const int32_t max_count = std::clamp(h->max_msg_nums, 1, cfg.max_transfer_count);
  const int64_t max_bytes = h->max_msg_bytes ? std::min<int64_t>(*h->max_msg_bytes, cfg.max_transfer_bytes)
                                             : cfg.max_transfer_bytes;
  for (;;) {
    // Reset before reading: an arrival during the read sets it again.
    arrived.reset();
    store::GetResult g = c.store.get(h->topic, h->queue_id, h->queue_offset, max_count, max_bytes, filter,
                                     cfg.transfer_msg_by_heap ? store::Transfer::heap : store::Transfer::file);
    int32_t code = pull_code_for(g.status, h->queue_offset);
    const rt::Instant now = c.rt.now();
    if (code == rs::kPullNotFound && may_suspend && now < deadline && !c.stopping) {
      (void)arrived.wait(std::min(deadline - now, cfg.long_polling_recheck));
      continue;
    }
    remoting::PullMessageResponseHeader rh;
    rh.suggest_which_broker_id = kMasterId;
    if (cfg.slave_read_enable)
      rh.suggest_which_broker_id = g.suggest_pulling_from_slave ? (*group)->which_broker_when_consume_slowly
                                                                : (*group)->broker_id;
    rh.next_begin_offset = g.next_begin_offset;
    if (cfg.slave()) {
      // A slave may lag its master: it never moves a consumer's offset
      // (RocketMQ's offsetCheckInSlave=false), so 21 becomes 20 in place.
      if (g.status != store::GetStatus::found) rh.next_begin_offset = h->queue_offset;
      if (code == rs::kPullOffsetMoved) code = rs::kPullRetryImmediately;
      if (!cfg.slave_read_enable && code == rs::kSuccess) {
        // Not readable here: back to the master, from where this pull began
        // (RocketMQ also moves the offset past the messages not sent).
        code = rs::kPullRetryImmediately;
        rh.suggest_which_broker_id = kMasterId;
        rh.next_begin_offset = h->queue_offset;
        g.data.clear();
        g.ranges.clear();
        g.items.clear();
      }
    }
    RemotingCommand resp = RemotingCommand::response_to(req, code, std::string(store::to_string(g.status)));
    rh.min_offset = g.min_offset;
    rh.max_offset = g.max_offset;
    rh.encode(resp);
    c.traffic.totals.on_get(c.rt.now(), c.rt.wall_ms(), static_cast<int64_t>(g.items.size()));
    if (!g.items.empty()) {
      int64_t bytes = static_cast<int64_t>(g.data.size());
      for (const auto& r : g.ranges) bytes += static_cast<int64_t>(r.length);
      c.metrics.on_pull(h->topic, h->consumer_group, static_cast<int64_t>(g.items.size()), bytes);
      c.traffic.group_gets.add(h->topic + "@" + h->consumer_group, c.rt.now(), static_cast<int64_t>(g.items.size()));
    }
    resp.body = std::move(g.data);
    for (auto& r : g.ranges) resp.body_files.push_back({std::move(r.file), r.offset, r.length});
    return resp;
  }
}

}  // namespace rmq::broker
