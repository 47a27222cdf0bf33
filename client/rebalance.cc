#include "client/rebalance.h"

#include <algorithm>

#include "client/consumer_common.h"
#include "common/canary/client_allocate_gap.h"

namespace rmq::client {

std::vector<MessageQueue> allocate_averagely(const std::vector<MessageQueue>& all,
                                             const std::vector<std::string>& ids, const std::string& me) {
  auto it = std::find(ids.begin(), ids.end(), me);
  if (it == ids.end() || all.empty()) return {};
  const size_t index = static_cast<size_t>(it - ids.begin());
  const size_t n = all.size();
  const size_t m = ids.size();
  const size_t mod = n % m;
  const size_t avg = n <= m ? 1 : (mod > 0 && index < mod ? n / m + 1 : n / m);
  size_t start = mod > 0 && index < mod ? index * avg : index * avg + mod;
  if constexpr (common::canary::client_allocate_gap) start = index * avg;
  std::vector<MessageQueue> out;
  for (size_t i = 0; i < std::min(avg, n > start ? n - start : 0); ++i) out.push_back(all[(start + i) % n]);
  return out;
}

std::vector<MessageQueue> readable_queues(const remoting::TopicRouteData& route, const std::string& topic) {
  std::vector<MessageQueue> all;
  for (const auto& qd : route.queue_datas) {
    if ((qd.perm & remoting::kPermRead) == 0) continue;
    for (int32_t q = 0; q < qd.read_queue_nums; ++q) all.push_back({topic, qd.broker_name, q});
  }
  std::sort(all.begin(), all.end());
  return all;
}

std::optional<std::vector<MessageQueue>> queues_to_own(MqClient& c, const std::string& group, const std::string& topic,
                                                       remoting::MessageModel model) {
  auto route = c.route(topic);
  if (!route) return std::nullopt;  // no route (yet)
  std::vector<MessageQueue> all = readable_queues(*route, topic);
  if (model == remoting::MessageModel::broadcasting) return all;
  if (all.empty()) return std::nullopt;
  auto where = c.subscribe_address(all.front().broker_name);
  if (!where) return std::nullopt;
  auto ids = consumer_ids(c, where->address, group);
  if (!ids) return std::nullopt;
  return allocate_averagely(all, *ids, c.client_id());
}

}  // namespace rmq::client
