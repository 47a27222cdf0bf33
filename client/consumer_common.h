// What the push and the pull consumer share: the message a listener or a
// pull returns, and the broker calls of consuming (pull,
// consumer list, offsets, queue locks). Every call here suspends.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "client/mq_client.h"
#include "common/message_format.h"
#include "remoting/headers_pull.h"

namespace rmq::client {

enum class ConsumeFrom { last_offset, first_offset, timestamp };

struct ReceivedMessage {
  MessageQueue queue{};
  int64_t queue_offset = 0;
  std::string topic{};  // the original topic (RETRY_TOPIC for redeliveries)
  std::string tags{};
  std::string keys{};
  std::string msg_id{};         // UNIQ_KEY, else the offset msgId
  std::string offset_msg_id{};
  std::string body{};           // decompressed
  int32_t reconsume_times = 0;
  int64_t commit_log_offset = 0;
  int64_t store_timestamp = 0;
  common::MessageProperties properties{};
};

// A stored record as a listener sees it (from `mq`): properties decoded,
// the topic restored from RETRY_TOPIC, the body inflated. An error when a
// compressed body does not inflate.
rt::Result<ReceivedMessage> received_message(const common::StoredMessage& s, const MessageQueue& mq);

// A subscription as the heartbeat carries it ("*" or "TagA || TagB").
remoting::SubscriptionData subscription_data(const std::string& topic, const std::string& expression);
remoting::ConsumeFromWhere consume_from_where(ConsumeFrom from);

// UNREGISTER_CLIENT for `group` at every broker the routes name; errors
// ignored (the broker drops silent clients anyway).
void unregister_consumer(MqClient& c, const std::string& group);

// GET_CONSUMER_LIST_BY_GROUP at `addr`: the group's client ids, sorted.
rt::Result<std::vector<std::string>> consumer_ids(MqClient& c, const std::string& addr, const std::string& group);

enum class PullStatus { found, no_new_msg, no_matched_msg, offset_illegal };

struct PullResult {
  PullStatus status = PullStatus::no_new_msg;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  // The messages that match `tags` (the broker filters by tag hash only),
  // in queue order; compressed bodies inflated (one that does not inflate
  // is logged and left out).
  std::vector<ReceivedMessage> messages{};
  // Just past the last record the body held, matching or not.
  int64_t body_end_offset = -1;
  // Which broker of the group to read from next (0 master, else a slave).
  int64_t suggest_which_broker_id = 0;
};

// One PULL_MESSAGE to `addr` for `mq` (the request's topic and queue id are
// taken from it). A broker error (not 0/19/20/21) is an Errc::io_error
// naming the code and remark.
rt::Result<PullResult> pull(MqClient& c, const std::string& addr, const MessageQueue& mq,
                            remoting::PullMessageRequestHeader h, const std::set<std::string>& tags,
                            rt::Duration timeout);

// QUERY_CONSUMER_OFFSET: the group's committed offset, -1 when it has none.
rt::Result<int64_t> committed_offset(MqClient& c, const std::string& addr, const std::string& group,
                                     const MessageQueue& mq);
// UPDATE_CONSUMER_OFFSET.
rt::Result<void> commit_offset(MqClient& c, const std::string& addr, const std::string& group, const MessageQueue& mq,
                               int64_t offset);
// GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP.
enum class QueueEnd { min, max };
rt::Result<int64_t> queue_offset(MqClient& c, const std::string& addr, const MessageQueue& mq, QueueEnd end);
rt::Result<int64_t> offset_at_time(MqClient& c, const std::string& addr, const MessageQueue& mq, int64_t timestamp_ms);

// Where a member starts on `mq`: the group's committed offset, else
// `from` (a retry topic always from its first offset).
rt::Result<int64_t> start_offset(MqClient& c, const std::string& addr, const std::string& group, const MessageQueue& mq,
                                 ConsumeFrom from, int64_t timestamp_ms);
// Where `from` says, ignoring any committed offset.
rt::Result<int64_t> initial_offset(MqClient& c, const std::string& addr, const MessageQueue& mq, ConsumeFrom from,
                                   int64_t timestamp_ms);

// LOCK_BATCH_MQ: which of `mqs` (all on the broker at `addr`) this client
// now holds for `group`. UNLOCK_BATCH_MQ (oneway-like: errors ignored by
// callers that are leaving anyway).
rt::Result<std::set<MessageQueue>> lock_queues(MqClient& c, const std::string& addr, const std::string& group,
                                               const std::vector<MessageQueue>& mqs);
rt::Result<void> unlock_queues(MqClient& c, const std::string& addr, const std::string& group,
                               const std::vector<MessageQueue>& mqs);

}  // namespace rmq::client
