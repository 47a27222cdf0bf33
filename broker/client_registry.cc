#include "broker/client_registry.h"

namespace rmq::broker {

bool ClientRegistry::register_consumer(const remoting::ConsumerData& data, const ClientChannel& ch) {
  auto& g = consumers_[data.group_name];
  bool changed = false;
  auto it = g.channels.find(ch.client_id);
  if (it == g.channels.end()) {
    g.channels.emplace(ch.client_id, ch);
    changed = true;
  } else {
    it->second = ch;  // may be a new connection of the same client
  }
  g.consume_type = data.consume_type;
  g.message_model = data.message_model;
  g.consume_from_where = data.consume_from_where;
  std::map<std::string, remoting::SubscriptionData> subs;
  for (const auto& s : data.subscriptions) subs[s.topic] = s;
  if (subs.size() != g.subscriptions.size()) changed = true;
  for (auto& [topic, s] : subs) {
    auto old = g.subscriptions.find(topic);
    if (old == g.subscriptions.end() || old->second.sub_string != s.sub_string ||
        old->second.expression_type != s.expression_type)
      changed = true;
  }
  g.subscriptions = std::move(subs);
  return changed;
}

void ClientRegistry::register_producer(const std::string& group, const ClientChannel& ch) {
  producers_[group][ch.client_id] = ch;
}

bool ClientRegistry::unregister_consumer(const std::string& group, const std::string& client_id) {
  auto it = consumers_.find(group);
  if (it == consumers_.end()) return false;
  const bool removed = it->second.channels.erase(client_id) != 0;
  if (it->second.channels.empty()) consumers_.erase(it);
  return removed;
}

void ClientRegistry::unregister_producer(const std::string& group, const std::string& client_id) {
  auto it = producers_.find(group);
  if (it == producers_.end()) return;
  it->second.erase(client_id);
  if (it->second.empty()) producers_.erase(it);
}

namespace {

template <class Pred>
std::vector<std::string> drop_channels(std::map<std::string, ConsumerGroupInfo>& consumers,
                                       std::map<std::string, std::map<std::string, ClientChannel>>& producers,
                                       const Pred& dead) {
  std::vector<std::string> changed;
  for (auto it = consumers.begin(); it != consumers.end();) {
    const size_t before = it->second.channels.size();
    std::erase_if(it->second.channels, [&](const auto& kv) { return dead(kv.second); });
    if (it->second.channels.size() != before) changed.push_back(it->first);
    it = it->second.channels.empty() ? consumers.erase(it) : std::next(it);
  }
  for (auto it = producers.begin(); it != producers.end();) {
    std::erase_if(it->second, [&](const auto& kv) { return dead(kv.second); });
    it = it->second.empty() ? producers.erase(it) : std::next(it);
  }
  return changed;
}

}  // namespace

std::vector<std::string> ClientRegistry::remove_connection(const remoting::Connection* conn) {
  return drop_channels(consumers_, producers_, [&](const ClientChannel& c) { return c.conn.get() == conn; });
}

std::vector<std::string> ClientRegistry::expire(rt::Instant now, rt::Duration timeout) {
  return drop_channels(consumers_, producers_, [&](const ClientChannel& c) { return now - c.last_update > timeout; });
}

const ConsumerGroupInfo* ClientRegistry::consumer_group(const std::string& group) const {
  auto it = consumers_.find(group);
  return it == consumers_.end() ? nullptr : &it->second;
}

std::vector<std::string> ClientRegistry::consumer_ids(const std::string& group) const {
  std::vector<std::string> out;
  if (const auto* g = consumer_group(group))
    for (const auto& [id, _] : g->channels) out.push_back(id);
  return out;  // std::map keeps them sorted
}

std::vector<std::string> ClientRegistry::consumer_groups() const {
  std::vector<std::string> out;
  for (const auto& [g, _] : consumers_) out.push_back(g);
  return out;
}

const std::map<std::string, ClientChannel>* ClientRegistry::producer_group(const std::string& group) const {
  auto it = producers_.find(group);
  return it == producers_.end() ? nullptr : &it->second;
}

}  // namespace rmq::broker
