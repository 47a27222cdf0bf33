#include "client/producer.h"

#include <fmt/format.h>
#include "common/zlib_codec.h"

#include <cstring>

#include "common/big_endian.h"
#include "common/java_hash.h"
#include "common/message_const.h"
#include "common/message_format.h"
#include "remoting/batch_body.h"
#include "remoting/codes.h"
#include "remoting/headers_send.h"

namespace rmq::client {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::RemotingCommand;

namespace {


std::vector<std::byte> bytes_of(std::string_view s) { return remoting::to_bytes(s); }


SendStatus status_for(int32_t code) {
  switch (code) {
    case rs::kSuccess: return SendStatus::ok;
    case rs::kFlushDiskTimeout: return SendStatus::flush_disk_timeout;
    case rs::kFlushSlaveTimeout: return SendStatus::flush_slave_timeout;
    case rs::kSlaveNotAvailable: return SendStatus::slave_not_available;
    default: return SendStatus::failed;
  }
}

}  // namespace

std::string_view to_string(SendStatus s) {
  switch (s) {
    case SendStatus::ok: return "SEND_OK";
    case SendStatus::flush_disk_timeout: return "FLUSH_DISK_TIMEOUT";
    case SendStatus::flush_slave_timeout: return "FLUSH_SLAVE_TIMEOUT";
    case SendStatus::slave_not_available: return "SLAVE_NOT_AVAILABLE";
    case SendStatus::failed: return "FAILED";
  }
  return "FAILED";
}

Producer::Producer(MqClient& client, ProducerConfig cfg)
    : client_(client), cfg_(std::move(cfg)), in_flight_changed_(client.runtime()) {
  uniq_random_ = static_cast<uint32_t>(client_.runtime().random().next_u64());
  client_.add_producer_group(cfg_.group);
}

Producer::~Producer() {
  // Async sends still running use this object: they are cancelled (call
  // flush() first to let them finish).
  for (auto& t : async_) t.cancel_and_join();
  client_.remove_producer_group(cfg_.group);
}

std::string Producer::next_uniq_key() {
  // RocketMQ's layout (reference 5.5): ip | pid | random | ms | counter; the
  // process id is not the runtime's to know, so random bytes stand in.
  std::byte b[16];
  const auto ip = common::parse_host_port4(client_.config().client_ip + ":0").value_or(common::HostPort4{});
  for (int i = 0; i < 4; ++i) b[i] = std::byte{ip.ip[i]};
  common::put_i16(b + 4, static_cast<int16_t>(uniq_random_ >> 16));
  common::put_i32(b + 6, static_cast<int32_t>(uniq_random_));
  common::put_i32(b + 10, static_cast<int32_t>(client_.runtime().wall_ms() & 0x7fffffff));
  common::put_i16(b + 14, static_cast<int16_t>(uniq_counter_++));
  std::string hex;
  for (std::byte x : b) hex += fmt::format("{:02X}", static_cast<unsigned>(x));
  return hex;
}

rt::Result<std::vector<Producer::Target>> Producer::writable_queues(const std::string& topic) {
  auto route = client_.route(topic);
  int32_t queues_max = INT32_MAX;
  if (!route && route.error().code() == rt::Errc::not_found) {
    // An unknown topic goes to the brokers that auto-create from TBW102,
    // with the default 4 queues (as Java's producer does).
    auto tbw = client_.route(kAutoCreateTopic);
    if (tbw) {
      route = std::move(tbw);
      queues_max = 4;
    }
  }
  if (!route) return route.error();
  std::vector<Target> out;
  for (const auto& qd : route->queue_datas) {
    if ((qd.perm & remoting::kPermWrite) == 0) continue;
    auto addr = client_.master_address(qd.broker_name);
    if (!addr) continue;
    for (int32_t q = 0; q < std::min(qd.write_queue_nums, queues_max); ++q)
      out.push_back(Target{{topic, qd.broker_name, q}, *addr});
  }
  if (out.empty()) return rt::Error(rt::Errc::not_found, "topic " + topic + " has no writable queue on a master");
  return out;
}

std::optional<Producer::Target> Producer::pick(const std::vector<Target>& qs, const std::string& avoid_broker) {
  const rt::Instant now = client_.runtime().now();
  for (size_t i = 0; i < qs.size(); ++i) {
    const Target& t = qs[(round_robin_ + i) % qs.size()];
    auto f = failed_until_.find(t.queue.broker_name);
    const bool avoided = t.queue.broker_name == avoid_broker || (f != failed_until_.end() && f->second > now);
    if (!avoided) {
      round_robin_ += i + 1;
      return t;
    }
  }
  if (qs.empty()) return std::nullopt;
  return qs[round_robin_++ % qs.size()];  // every broker is avoided: take the next anyway
}

RemotingCommand Producer::request_for(const Message& m, const Target& t, const std::string& uniq, bool batch,
                                      std::vector<std::byte> body, int32_t sys_flag) {
  auto req = RemotingCommand::request(batch ? rc::kSendBatchMessage : rc::kSendMessageV2);
  remoting::SendMessageRequestHeader h;
  h.producer_group = cfg_.group;
  h.topic = m.topic;
  h.default_topic = kAutoCreateTopic;
  h.default_topic_queue_nums = 4;
  h.queue_id = t.queue.queue_id;
  h.sys_flag = sys_flag;
  h.born_timestamp = client_.runtime().wall_ms();
  common::MessageProperties props(m.properties.begin(), m.properties.end());
  if (!m.tags.empty()) props[common::kPropTags] = m.tags;
  if (!m.keys.empty()) props[common::kPropKeys] = m.keys;
  if (!batch) props[common::kPropUniqKey] = uniq;
  props[common::kPropWait] = "true";
  if (m.delay_level > 0) props[common::kPropDelay] = std::to_string(m.delay_level);
  h.properties = common::encode_properties(props);
  if (batch) h.batch = true;
  h.encode(req, /*v2=*/true);
  req.body = std::move(body);
  return req;
}

SendResult Producer::send_once(const Message& m, const Target& t, const std::string& uniq) {
  SendResult res;
  res.queue = t.queue;
  res.msg_id = uniq;
  int32_t sys_flag = 0;
  std::vector<std::byte> body = bytes_of(m.body);
  if (m.body.size() > cfg_.compress_over_bytes) {
    if (auto z = common::deflate_zlib(m.body, 5)) {  // level 5, as RocketMQ's clients compress bodies
      body = std::move(*z);
      sys_flag |= common::kSysFlagCompressed;
    }
  }
  auto resp = client_.invoke(t.addr, request_for(m, t, uniq, false, std::move(body), sys_flag), cfg_.send_timeout);
  if (!resp) {
    res.error = "send to " + t.addr + ": " + resp.error().message();
    // Refused or unreachable: never written. Anything else may have been.
    const rt::Errc e = resp.error().code();
    res.maybe_stored = e != rt::Errc::refused && e != rt::Errc::unreachable;
    return res;
  }
  res.status = status_for(resp->code);
  if (res.status == SendStatus::failed) {
    res.error = fmt::format("broker {} answered {} {}", t.addr, resp->code, resp->remark.value_or(""));
    return res;
  }
  auto rh = remoting::SendMessageResponseHeader::decode(*resp);
  if (!rh) {
    res.status = SendStatus::failed;
    res.error = "bad send response: " + rh.error().detail();
    return res;
  }
  res.offset_msg_id = rh->msg_id;
  res.queue.queue_id = rh->queue_id;
  res.queue_offset = rh->queue_offset;
  return res;
}

SendResult Producer::send_with_retries(const Message& m, std::optional<Target> pinned, bool retry_maybe_stored) {
  SendResult res;
  if (m.topic.empty()) {
    res.error = "a message needs a topic";
    return res;
  }
  if (m.body.size() > cfg_.max_message_bytes) {
    res.error = fmt::format("body of {} bytes exceeds {}", m.body.size(), cfg_.max_message_bytes);
    return res;
  }
  const std::string uniq = next_uniq_key();
  std::string last_broker;
  const int attempts = pinned ? 1 : 1 + cfg_.retries;
  bool maybe_stored = false;  // by any attempt, not only the last
  for (int attempt = 0; attempt < attempts; ++attempt) {
    std::optional<Target> t = pinned;
    if (!t) {
      auto qs = writable_queues(m.topic);
      if (!qs) {
        res.error = qs.error().message();
        client_.runtime().sleep_for(100ms);  // a route may appear (topic just created)
        continue;
      }
      t = pick(*qs, last_broker);
    }
    res = send_once(m, *t, uniq);
    if (res.ok() || res.status != SendStatus::failed) return res;
    if (res.maybe_stored && !retry_maybe_stored) return res;
    maybe_stored |= res.maybe_stored;
    last_broker = t->queue.broker_name;
    failed_until_[last_broker] = client_.runtime().now() + cfg_.failure_avoidance;
  }
  res.maybe_stored = maybe_stored;
  return res;
}

SendResult Producer::send(const Message& m) { return send_with_retries(m, std::nullopt); }

SendResult Producer::send_at_most_once(const Message& m) { return send_with_retries(m, std::nullopt, false); }

SendResult Producer::send_to_queue(const Message& m, const MessageQueue& q) {
  SendResult res;
  auto route = client_.route(m.topic);  // makes the broker address known
  auto addr = client_.master_address(q.broker_name);
  if (!addr) {
    res.error = "no master address for broker " + q.broker_name;
    return res;
  }
  return send_with_retries(m, Target{q, *addr});
}

SendResult Producer::send_by_key(const Message& m, std::string_view key) {
  auto qs = writable_queues(m.topic);
  if (!qs) {
    SendResult res;
    res.error = qs.error().message();
    return res;
  }
  const auto h = static_cast<uint32_t>(common::java_string_hash(key));
  return send_with_retries(m, (*qs)[h % qs->size()]);
}

SendResult Producer::send_batch(const std::vector<Message>& ms) {
  SendResult res;
  if (ms.empty()) {
    res.error = "an empty batch";
    return res;
  }
  // Body: one record per message (remoting/batch_body.h).
  std::vector<std::byte> body;
  std::vector<std::string> uniqs;
  for (const auto& m : ms) {
    if (m.topic != ms.front().topic) {
      res.error = "a batch has one topic";
      return res;
    }
    if (m.delay_level > 0) {
      res.error = "a batch may not carry a delay level";
      return res;
    }
    common::MessageProperties props(m.properties.begin(), m.properties.end());
    if (!m.tags.empty()) props[common::kPropTags] = m.tags;
    if (!m.keys.empty()) props[common::kPropKeys] = m.keys;
    uniqs.push_back(next_uniq_key());
    props[common::kPropUniqKey] = uniqs.back();
    const std::string p = common::encode_properties(props);
    if (p.size() > remoting::kBatchPropertiesBytesMax) {
      res.error = fmt::format("a batch message's properties take {} bytes, at most {}", p.size(), remoting::kBatchPropertiesBytesMax);
      return res;
    }
    remoting::append_batch_record(body, 0, std::as_bytes(std::span(m.body)), p);
  }
  auto qs = writable_queues(ms.front().topic);
  if (!qs) {
    res.error = qs.error().message();
    return res;
  }
  auto t = pick(*qs, "");
  Message head;
  head.topic = ms.front().topic;
  auto resp = client_.invoke(t->addr, request_for(head, *t, "", true, std::move(body), 0), cfg_.send_timeout);
  res.queue = t->queue;
  res.msg_id = uniqs.front();
  if (!resp) {
    res.error = resp.error().message();
    return res;
  }
  res.status = status_for(resp->code);
  if (res.status == SendStatus::failed) {
    res.error = fmt::format("broker {} answered {} {}", t->addr, resp->code, resp->remark.value_or(""));
    return res;
  }
  if (auto rh = remoting::SendMessageResponseHeader::decode(*resp)) {
    res.offset_msg_id = rh->msg_id;
    res.queue_offset = rh->queue_offset;
  }
  return res;
}

void Producer::send_async(const Message& m, std::function<void(SendResult)> done) {
  while (in_flight_ >= cfg_.max_in_flight) {
    in_flight_changed_.reset();
    (void)in_flight_changed_.wait();
  }
  ++in_flight_;
  std::erase_if(async_, [](const rt::Task& t) { return t.done(); });
  async_.push_back(client_.runtime().spawn("producer-async", [this, m, done = std::move(done)] {
    struct Release {
      Producer& p;
      ~Release() {
        --p.in_flight_;
        p.in_flight_changed_.set();
      }
    } release{*this};
    SendResult r = send(m);
    if (done) done(std::move(r));
  }));
}

rt::Result<void> Producer::send_oneway(const Message& m) {
  auto qs = writable_queues(m.topic);
  if (!qs) return qs.error();
  auto t = pick(*qs, "");
  auto conn = client_.rpc().connection(t->addr);
  if (!conn) return conn.error();
  auto req = request_for(m, *t, next_uniq_key(), false, bytes_of(m.body), 0);
  return (*conn)->invoke_oneway(std::move(req));
}

void Producer::flush() {
  while (in_flight_ > 0) {
    in_flight_changed_.reset();
    (void)in_flight_changed_.wait();
  }
}

}  // namespace rmq::client
