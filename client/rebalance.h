// Rebalancing, shared by the push and the pull consumer (RocketMQ's
// RebalanceImpl, per topic): which of a topic's queues this member should
// own now, and how that differs from what it owns. What a consumer does with
// the difference (locks, listeners, pull tasks, offsets) stays its own.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/mq_client.h"
#include "remoting/heartbeat.h"

namespace rmq::client {

// RocketMQ's AllocateMessageQueueAveragely: `me`'s share of `all` (both
// sorted by the caller), empty when `me` is not in `ids`.
std::vector<MessageQueue> allocate_averagely(const std::vector<MessageQueue>& all,
                                             const std::vector<std::string>& ids, const std::string& me);

// The readable queues of a route, sorted.
std::vector<MessageQueue> readable_queues(const remoting::TopicRouteData& route, const std::string& topic);

// The queues of `topic` this member of `group` should own now: every
// readable queue when broadcasting; when clustering, its allocate-averagely
// share among the members that the broker of the first queue (its master,
// else a slave) lists. nullopt when that cannot be told now (no route, no
// readable queue under clustering, no member list): the caller keeps what it
// owns. Suspends.
std::optional<std::vector<MessageQueue>> queues_to_own(MqClient& c, const std::string& group, const std::string& topic,
                                                       remoting::MessageModel model);

// What changes when `wanted` replaces what `owned` holds of the topics in
// `wanted`'s scope: queues to let go (in `owned`'s order) and queues to take
// (in `wanted`'s order).
struct QueueChange {
  std::vector<MessageQueue> gone;
  std::vector<MessageQueue> added;
};
template <typename V>
QueueChange queue_change(const std::map<MessageQueue, V>& owned, const std::vector<MessageQueue>& wanted,
                         const std::function<bool(const MessageQueue&)>& in_scope) {
  QueueChange out;
  const std::set<MessageQueue> want(wanted.begin(), wanted.end());
  for (const auto& [q, _] : owned)
    if (in_scope(q) && !want.count(q)) out.gone.push_back(q);
  for (const auto& q : wanted)
    if (!owned.count(q)) out.added.push_back(q);
  return out;
}

}  // namespace rmq::client
