// Node mains the scenarios share: a NameServer and a broker that run until
// their node crashes or the simulation ends.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "broker/broker_config.h"
#include "client/mq_client.h"
#include "client/transaction_producer.h"
#include "runtime/runtime.h"

namespace rmq::broker {
class Broker;
}

namespace rmq::scenarios {

// A store sized for the simulator: root /store, CommitLog segments of
// `segment_bytes`, and index files of 4096 slots and 32768 entries (they
// rotate within a run; RocketMQ's 20 MB default cost most of a run's time).
void sim_store(store::StoreConfig& s, uint64_t segment_bytes);

// A NameServer on :9876 with its KV config in /namesrv.
void namesrv_main(rt::Runtime& rt);

// A broker with `cfg`. A start interrupted by a crash is not a failure;
// any other start error goes to `fail`. `booted` runs once it serves; `up`,
// when given, points at the broker while it serves and is null otherwise.
void broker_main(rt::Runtime& rt, const broker::BrokerConfig& cfg, const std::function<void(std::string)>& fail,
                 const std::function<void()>& booted = {}, broker::Broker** up = nullptr);

// A message body of `bytes` (at least the key and a '|'): the key, then
// letters derived from it, printable and without tabs.
std::string filler_body(const std::string& key, size_t bytes);

// Orderly workloads: message n's sharding key ("order-<n % 8>"), and the
// one queue a producer that pins keys sends it to: key i on broker
// i % brokers (in broker-name order), queue (i / brokers) % queues. Never
// another queue while that broker is out (RocketMQ's strict order).
std::string sharding_key_of(int n);
struct PinnedQueue {
  size_t broker_index = 0;
  int32_t queue_id = 0;
};
PinnedQueue pinned_queue_of(int n, size_t brokers, int32_t queues_per_broker);

// A scenario producer's local transaction for `key`: some work (one in five
// outlasts transactionTimeOut, so a check-back races the producer's
// END_TRANSACTION), then its decision (one in four rolled back) recorded
// in `decided`; one answer in four is "unknown", left to the check-back.
// Suspends.
client::LocalTransactionState local_transaction(rt::Runtime& rt, const std::string& key,
                                                std::map<std::string, client::LocalTransactionState>& decided);
// What a check-back learns of `key` from `decided`: its decision, or unknown.
client::LocalTransactionState recorded_decision(const std::map<std::string, client::LocalTransactionState>& decided,
                                                const std::string& key);

// UPDATE_AND_CREATE_TOPIC of `topic` with `queues` read and write queues at
// the broker at `addr`, retried every 500 ms (the broker may be starting or
// down) up to 100 times. False when it never succeeded. Suspends.
bool create_topic(rt::Runtime& rt, client::MqClient& mq, const std::string& addr, const std::string& topic,
                  int32_t queues);

}  // namespace rmq::scenarios
