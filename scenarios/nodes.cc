#include "scenarios/nodes.h"

#include <fmt/format.h>

#include "broker/broker.h"
#include "namesrv/name_server.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"

namespace rmq::scenarios {

void sim_store(store::StoreConfig& s, uint64_t segment_bytes) {
  s.root_dir = "/store";
  s.commit_log_segment_bytes = segment_bytes;
  s.max_hash_slot_num = 4096;
  s.max_index_num = 32768;
}

void namesrv_main(rt::Runtime& rt) {
  namesrv::NamesrvConfig c;
  c.kv_config_path = "/namesrv/kv.json";
  namesrv::NameServer n(rt, c);
  if (!n.start()) return;
  rt.sleep_for(rt::kForever);
}

void broker_main(rt::Runtime& rt, const broker::BrokerConfig& cfg, const std::function<void(std::string)>& fail,
                 const std::function<void()>& booted, broker::Broker** up) {
  broker::Broker b(rt, cfg);
  if (auto r = b.start(); !r) {
    if (r.error().code() != rt::Errc::cancelled) fail("broker start: " + r.error().message());
    return;
  }
  struct Publish {
    broker::Broker** up;
    Publish(broker::Broker** p, broker::Broker* b) : up(p) {
      if (up) *up = b;
    }
    ~Publish() {
      if (up) *up = nullptr;
    }
  } publish{up, &b};
  if (booted) booted();
  rt.sleep_for(rt::kForever);
}

std::string filler_body(const std::string& key, size_t bytes) {
  std::string b = key + "|";
  while (b.size() < bytes) b.push_back(static_cast<char>('a' + (b.size() * 7 + key.size()) % 26));
  return b;
}

bool create_topic(rt::Runtime& rt, client::MqClient& mq, const std::string& addr, const std::string& topic,
                  int32_t queues) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto req = remoting::RemotingCommand::request(remoting::request_code::kUpdateAndCreateTopic);
    remoting::put_field(req, "topic", topic);
    remoting::put_field(req, "readQueueNums", queues);
    remoting::put_field(req, "writeQueueNums", queues);
    remoting::put_field(req, "perm", int32_t{6});
    auto r = mq.invoke(addr, std::move(req), std::chrono::seconds(3));
    if (r && r->code == remoting::response_code::kSuccess) return true;
    rt.sleep_for(std::chrono::milliseconds(500));
  }
  return false;
}

std::string sharding_key_of(int n) { return fmt::format("order-{}", n % 8); }

PinnedQueue pinned_queue_of(int n, size_t brokers, int32_t queues_per_broker) {
  RMQ_ASSERT(brokers > 0);
  const size_t i = static_cast<size_t>(n % 8);
  return {i % brokers, static_cast<int32_t>(i / brokers) % queues_per_broker};
}

client::LocalTransactionState local_transaction(rt::Runtime& rt, const std::string& key,
                                                std::map<std::string, client::LocalTransactionState>& decided) {
  // One draw per statement: argument order is the compiler's choice.
  rt.sleep_for(rt.random().below(5) == 0 ? rt::Duration(rt.random().between(5'000'000'000, 12'000'000'000))
                                         : rt::Duration(rt.random().below(3'000'000'000)));
  const auto decision =
      rt.random().below(4) == 0 ? client::LocalTransactionState::rollback : client::LocalTransactionState::commit;
  decided[key] = decision;
  return rt.random().below(4) == 0 ? client::LocalTransactionState::unknown : decision;
}

client::LocalTransactionState recorded_decision(const std::map<std::string, client::LocalTransactionState>& decided,
                                                const std::string& key) {
  auto it = decided.find(key);
  return it == decided.end() ? client::LocalTransactionState::unknown : it->second;
}

}  // namespace rmq::scenarios
