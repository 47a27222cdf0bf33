#include "client/mq_client.h"

#include <set>

#include "common/message_const.h"
#include "remoting/admin_bodies.h"
#include "remoting/codes.h"
#include "remoting/headers_admin.h"
#include "remoting/header_fields.h"
#include "remoting/headers_consumer.h"
#include "remoting/headers_namesrv.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

MqClient::MqClient(rt::Runtime& rt, ClientConfig cfg) : rt_(rt), cfg_(std::move(cfg)), heartbeat_now_(rt) {
  client_id_ = cfg_.client_ip + "@" + cfg_.instance_name;
  from_brokers_.on(rc::kNotifyConsumerIdsChanged, [this](remoting::Connection&, RemotingCommand& req) {
    auto h = remoting::ConsumerGroupRequestHeader::decode(req);
    if (h) {
      auto it = consumers_.find(h->consumer_group);
      if (it != consumers_.end() && it->second.on_ids_changed) it->second.on_ids_changed();
    }
    return std::optional<RemotingCommand>{};
  });
  from_brokers_.on(rc::kResetConsumerClientOffset, [this](remoting::Connection& from, RemotingCommand& req) {
    auto h = remoting::ResetOffsetRequestHeader::decode(req);
    auto offsets = remoting::decode_reset_offsets(remoting::to_text(req.body));
    if (!h || !offsets) {
      rt_.log(rt::LogLevel::warn, "client: a RESET_CONSUMER_CLIENT_OFFSET from " + from.peer_address() +
                                      " does not decode: " + (h ? offsets.error().detail() : h.error().detail()));
      return std::optional<RemotingCommand>{};
    }
    const std::string &topic = h->topic, &group = h->group;
    auto it = consumers_.find(group);
    if (it == consumers_.end() || !it->second.on_reset) return std::optional<RemotingCommand>{};
    std::map<MessageQueue, int64_t> table;
    for (const auto& [mq, offset] : *offsets) table[MessageQueue{mq.topic, mq.broker_name, mq.queue_id}] = offset;
    auto fn = it->second.on_reset;  // the consumer may go away while fn suspends
    fn(topic, table);
    return std::optional<RemotingCommand>{};
  });
  from_brokers_.on(rc::kCheckTransactionState, [this](remoting::Connection& from, RemotingCommand& req) {
    auto h = remoting::CheckTransactionStateRequestHeader::decode(req);
    auto d = common::decode_stored(req.body);
    if (!h || d.status != common::RecordStatus::ok) {
      rt_.log(rt::LogLevel::warn, "client: a CHECK_TRANSACTION_STATE from " + from.peer_address() + " does not decode: " +
                                      (h ? d.problem : h.error().detail()));
      return std::optional<RemotingCommand>{};
    }
    const auto props = common::decode_properties(d.message->properties);
    auto group = props.find(common::kPropProducerGroup);
    auto it = group == props.end() ? transaction_checkers_.end() : transaction_checkers_.find(group->second);
    if (it == transaction_checkers_.end()) {
      rt_.log(rt::LogLevel::warn, "client: CHECK_TRANSACTION_STATE from " + from.peer_address() +
                                      " for a producer group this client does not have");
      return std::optional<RemotingCommand>{};
    }
    auto fn = it->second.second;  // the producer may go away while fn suspends
    fn(from.peer_address(), *h, *d.message);
    return std::optional<RemotingCommand>{};
  });
  rpc_ = std::make_unique<remoting::RpcClient>(rt_, &from_brokers_, cfg_.rpc);
}

MqClient::~MqClient() { stop(); }

void MqClient::start() {
  if (started_) return;
  started_ = true;
  tasks_.push_back(rt_.spawn("client-routes", [this] { route_loop(); }));
  tasks_.push_back(rt_.spawn("client-heartbeat", [this] { heartbeat_loop(); }));
}

void MqClient::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  if (rpc_) rpc_->stop();
}

rt::Result<RemotingCommand> MqClient::invoke(const std::string& addr, RemotingCommand req, rt::Duration timeout) {
  if (addr.empty()) return rt::Error(rt::Errc::unreachable, "no broker address");
  return rpc_->invoke(addr, std::move(req), timeout);
}

rt::Result<remoting::TopicRouteData> MqClient::fetch_route(const std::string& topic) {
  if (cfg_.namesrv_addrs.empty()) return rt::Error(rt::Errc::unreachable, "no namesrv address configured");
  std::optional<rt::Error> last;
  // Failover: start with the namesrv that answered last, then the others.
  for (size_t i = 0; i < cfg_.namesrv_addrs.size(); ++i) {
    const size_t n = (namesrv_next_ + i) % cfg_.namesrv_addrs.size();
    const std::string& addr = cfg_.namesrv_addrs[n];
    auto req = RemotingCommand::request(rc::kGetRouteinfoByTopic);
    remoting::GetRouteInfoRequestHeader h;
    h.topic = topic;
    h.encode(req);
    auto resp = rpc_->invoke(addr, std::move(req), cfg_.rpc_timeout);
    if (!resp) {
      last = rt::Error(resp.error().code(), "namesrv " + addr + ": " + resp.error().message());
      continue;
    }
    namesrv_next_ = n;
    if (resp->code == rs::kTopicNotExist)
      return rt::Error(rt::Errc::not_found, "no route for topic " + topic + " (" + resp->remark.value_or("") + ")");
    if (resp->code != rs::kSuccess) {
      last = rt::Error(rt::Errc::io_error, "namesrv " + addr + " answered " + std::to_string(resp->code));
      continue;
    }
    auto route = remoting::decode_topic_route(remoting::to_text(resp->body));
    if (!route) {
      last = route.error();
      continue;
    }
    return route;
  }
  return *last;
}

rt::Result<remoting::TopicRouteData> MqClient::route(const std::string& topic) {
  if (auto it = routes_.find(topic); it != routes_.end()) return it->second;
  auto fetched = fetch_route(topic);
  if (!fetched) return fetched.error();
  const auto known = broker_addresses();
  routes_[topic] = *fetched;
  if (broker_addresses() != known) heartbeat_now_.set();  // new brokers hear from us at once
  return fetched;
}

void MqClient::refresh_routes() {
  const auto known = broker_addresses();
  std::vector<std::string> topics;
  for (const auto& [t, _] : routes_) topics.push_back(t);
  for (const auto& t : topics) {
    auto fetched = fetch_route(t);
    if (fetched) {
      routes_[t] = std::move(*fetched);
    } else if (fetched.error().code() == rt::Errc::not_found) {
      routes_.erase(t);  // the topic is gone
    }
    // Unreachable namesrvs: keep the cached route.
  }
  // A broker back in the routes (restarted, say) learns our groups at once:
  // consumers ask it who is in their group.
  if (broker_addresses() != known) heartbeat_now_.set();
}

std::optional<std::string> MqClient::master_address(const std::string& broker_name) const {
  for (const auto& [t, r] : routes_)
    for (const auto& b : r.broker_datas)
      if (b.broker_name == broker_name)
        if (auto it = b.broker_addrs.find(0); it != b.broker_addrs.end()) return it->second;
  return std::nullopt;
}

std::optional<MqClient::BrokerChoice> MqClient::subscribe_address(const std::string& broker_name,
                                                                  int64_t broker_id) const {
  for (const auto& [t, r] : routes_) {
    for (const auto& b : r.broker_datas) {
      if (b.broker_name != broker_name || b.broker_addrs.empty()) continue;
      auto pick = [&](int64_t id) -> std::optional<BrokerChoice> {
        auto it = b.broker_addrs.find(id);
        if (it == b.broker_addrs.end()) return std::nullopt;
        return BrokerChoice{it->second, id != 0};
      };
      if (auto c = pick(broker_id)) return c;
      if (broker_id != 0)
        if (auto c = pick(broker_id + 1)) return c;
      const auto& [id, addr] = *b.broker_addrs.begin();
      return BrokerChoice{addr, id != 0};
    }
  }
  return std::nullopt;
}

std::vector<std::string> MqClient::broker_addresses() const {
  std::set<std::string> addrs;
  for (const auto& [t, r] : routes_)
    for (const auto& b : r.broker_datas)
      for (const auto& [id, a] : b.broker_addrs) addrs.insert(a);
  return {addrs.begin(), addrs.end()};
}

void MqClient::add_producer_group(const std::string& group) {
  // A new group is announced at once, as RocketMQ's producer start does:
  // the brokers ask a group's connections about its transactions.
  if (++producer_groups_[group] == 1) heartbeat_now_.set();
}

void MqClient::remove_producer_group(const std::string& group) {
  auto it = producer_groups_.find(group);
  if (it != producer_groups_.end() && --it->second <= 0) producer_groups_.erase(it);
}

void MqClient::add_consumer(const std::string& group, ConsumerDataFn data, NotifyFn on_ids_changed,
                            ResetFn on_reset) {
  consumers_[group] = Consumer{std::move(data), std::move(on_ids_changed), std::move(on_reset)};
}

std::optional<uint64_t> MqClient::add_transaction_checker(const std::string& group, TransactionCheckFn fn) {
  if (transaction_checkers_.count(group)) return std::nullopt;
  const uint64_t id = next_registration_++;
  transaction_checkers_.emplace(group, std::make_pair(id, std::move(fn)));
  return id;
}

void MqClient::remove_transaction_checker(const std::string& group, uint64_t registration) {
  auto it = transaction_checkers_.find(group);
  if (it != transaction_checkers_.end() && it->second.first == registration) transaction_checkers_.erase(it);
}

void MqClient::remove_consumer(const std::string& group) { consumers_.erase(group); }

void MqClient::heartbeat_all() {
  remoting::HeartbeatData hb;
  hb.client_id = client_id_;
  for (const auto& [g, _] : producer_groups_) hb.producer_groups.push_back(g);
  for (const auto& [g, c] : consumers_) hb.consumers.push_back(c.data());
  if (hb.producer_groups.empty() && hb.consumers.empty()) return;
  const auto body = remoting::to_bytes(remoting::encode_heartbeat(hb));
  for (const auto& addr : broker_addresses()) {
    auto req = RemotingCommand::request(rc::kHeartBeat);
    req.body = body;
    auto resp = rpc_->invoke(addr, std::move(req), cfg_.rpc_timeout);
    if (!resp) rt_.log(rt::LogLevel::debug, "heartbeat to " + addr + ": " + resp.error().message());
  }
}

void MqClient::route_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.poll_name_server_interval);
    refresh_routes();
  }
}

void MqClient::heartbeat_loop() {
  for (;;) {
    // As RocketMQ's producer, whose publish table starts with TBW102: a
    // producer group learns the brokers that auto-create topics and
    // heartbeats to them before it sends anything, so that a restarted
    // instance answers the check-backs of its group's transactions.
    if (!producer_groups_.empty() && !routes_.count(kAutoCreateTopic)) (void)route(kAutoCreateTopic);
    heartbeat_all();
    (void)heartbeat_now_.wait(cfg_.heartbeat_broker_interval);
    heartbeat_now_.reset();
  }
}

}  // namespace rmq::client
