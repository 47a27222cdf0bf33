// Producer (RocketMQ's DefaultMQProducer): sync, async and oneway sends of
// single messages and batches through the shared client instance.
//
//   client::MqClient mq(rt, {.namesrv_addrs = {"127.0.0.1:9876"}});
//   mq.start();
//   client::Producer p(mq, {.group = "PG"});
//   auto r = p.send({.topic = "T", .tags = "A", .body = "hi"});
//
// Queue choice: round-robin over the topic's writable queues, skipping for
// `failure_avoidance` a broker whose send just failed; a failed sync send is
// retried up to `retries` times (default 2), on another broker when there is
// one. send_to_queue() / send_by_key() pin the queue (ordering: the same key
// always maps to the same queue while the route does not change). Every
// message gets a UNIQ_KEY (its msgId for users); bodies above
// `compress_over_bytes` are zlib-compressed with sysFlag 0x1, as RocketMQ's
// clients do. Async sends are bounded by `max_in_flight`.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/mq_client.h"

namespace rmq::client {

struct Message {
  std::string topic{};
  std::string tags{};
  std::string keys{};  // space-separated
  std::string body{};
  std::map<std::string, std::string> properties{};  // user properties
  int32_t delay_level = 0;  // RocketMQ's setDelayTimeLevel: 1..18 (the broker's levels); 0: none
};

enum class SendStatus { ok, flush_disk_timeout, flush_slave_timeout, slave_not_available, failed };
std::string_view to_string(SendStatus s);

struct SendResult {
  SendStatus status = SendStatus::failed;
  std::string msg_id{};         // the UNIQ_KEY
  std::string offset_msg_id{};  // broker address + commit log offset
  MessageQueue queue{};
  int64_t queue_offset = -1;
  std::string error{};  // failed: why (the last attempt's)
  // failed: an attempt may have stored it all the same (one timed out, or
  // its connection broke after the request was written). False only when
  // every attempt was refused.
  bool maybe_stored = false;
  bool ok() const { return status == SendStatus::ok; }
};

struct ProducerConfig {
  std::string group = "DEFAULT_PRODUCER";
  rt::Duration send_timeout = 3s;
  int retries = 2;  // retryTimesWhenSendFailed
  size_t compress_over_bytes = 4096;
  size_t max_message_bytes = 4 * 1024 * 1024;
  size_t max_in_flight = 1024;  // async sends waiting for answers
  rt::Duration failure_avoidance = 30s;
};

class Producer {
 public:
  Producer(MqClient& client, ProducerConfig cfg);
  ~Producer();

  // Sync send: suspends until acknowledged or failed after retries.
  SendResult send(const Message& m);
  // Like send(), but an attempt that may have stored the message (maybe_stored)
  // is not retried: where a second copy would be a second message with
  // consequences (a transaction's half message). Suspends.
  SendResult send_at_most_once(const Message& m);
  // To one queue (no retry elsewhere: the caller chose the queue).
  SendResult send_to_queue(const Message& m, const MessageQueue& q);
  // To the queue `hash(key) % writable queues` picks: same key, same queue.
  SendResult send_by_key(const Message& m, std::string_view key);
  // All to one queue, one request (SEND_BATCH_MESSAGE); one topic.
  SendResult send_batch(const std::vector<Message>& ms);
  // Returns at once; `done` runs in a task when the send ends. Suspends only
  // while max_in_flight sends are outstanding. Destroying the producer
  // cancels sends still running: flush() first.
  void send_async(const Message& m, std::function<void(SendResult)> done);
  // Fire and forget (the request's oneway flag set). Suspends until written.
  rt::Result<void> send_oneway(const Message& m);
  // Waits for every async send. Suspends.
  void flush();

 private:
  struct Target {
    MessageQueue queue;
    std::string addr;
  };
  rt::Result<std::vector<Target>> writable_queues(const std::string& topic);
  std::optional<Target> pick(const std::vector<Target>& qs, const std::string& avoid_broker);
  std::string next_uniq_key();
  remoting::RemotingCommand request_for(const Message& m, const Target& t, const std::string& uniq, bool batch,
                                        std::vector<std::byte> body, int32_t sys_flag);
  SendResult send_once(const Message& m, const Target& t, const std::string& uniq);
  SendResult send_with_retries(const Message& m, std::optional<Target> pinned, bool retry_maybe_stored = true);

  MqClient& client_;
  ProducerConfig cfg_;
  uint64_t round_robin_ = 0;
  std::map<std::string, rt::Instant> failed_until_;  // broker -> avoided until
  uint32_t uniq_counter_ = 0;
  uint32_t uniq_random_ = 0;
  size_t in_flight_ = 0;
  rt::Event in_flight_changed_;
  std::vector<rt::Task> async_;
};

}  // namespace rmq::client
