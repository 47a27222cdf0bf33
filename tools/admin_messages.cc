// rmq-admin's message subcommands (admin_command.h).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "client/producer.h"
#include "client/pull_consumer.h"
#include "common/message_const.h"
#include "remoting/codes.h"
#include "tools/admin_command.h"
#include "tools/admin_format.h"

namespace rmq::tools {

namespace rs = remoting::response_code;
using remoting::message_id;
using remoting::QueueRef;
using remoting::read_queues;
using remoting::route_masters;
using remoting::stored_offset_msg_id;
using remoting::write_queues;

constexpr const char* kProducerGroup = "rmq-admin";
constexpr int32_t kQueryMaxNum = 64;          // messages per broker for queryMsgByKey
constexpr int32_t kPullBatchMax = 32;         // messages per PULL_MESSAGE
constexpr int kPullRoundsPerQueueMax = 1000;  // bounds consumeMessage on one queue

namespace {

using Found = client::Admin::FoundMessage;

Outcome<void> query_msg_by_id(Context& c) {
  const std::string& id = c.flags.text('i');
  const std::optional<std::string> topic = c.flags.optional('t');
  auto parsed = common::parse_offset_msg_id(id);
  std::string why;
  if (parsed) {
    const std::string addr = common::to_string(parsed->store_host);
    auto viewed = c.admin.view_message(addr, parsed->commit_log_offset);
    if (viewed) {
      print(message_detail(*viewed));
      return {};
    }
    if (!topic) return viewed.error();
    why = viewed.error().message;
  } else if (!topic) {
    return usage_error("'" + id +
                         "' is not an offset msgId (32 hex digits); for a client msgId (UNIQ_KEY) give -t TOPIC");
  }
  // Not an offset msgId of a reachable broker: try it as a client msgId.
  auto found = c.admin.query_message(*topic, id, /*unique=*/true, kQueryMaxNum);
  if (!found) return admin_error(why.empty() ? found.error().message : why + "; " + found.error().message);
  for (size_t i = 0; i < found->size(); ++i) {
    if (i > 0) print("\n");
    print(message_detail((*found)[i].message));
  }
  return {};
}

Outcome<void> query_msg_by_key(Context& c) {
  auto found = c.admin.query_message(c.flags.text('t'), c.flags.text('k'), /*unique=*/false, kQueryMaxNum);
  if (!found) return found.error();
  Table table({"#Broker Name", "#QID", "#Offset", "#Offset Msg ID", "#Msg ID"});
  for (const auto& f : *found)
    table.add({f.broker_name, std::to_string(f.message.queue_id), std::to_string(f.message.queue_offset),
               stored_offset_msg_id(f.message), message_id(f.message)});
  print(table.render());
  return {};
}

// The queues of `all` that -b/-i select.
std::vector<QueueRef> selected(const Flags& f, std::vector<QueueRef> all) {
  std::erase_if(all, [&](const QueueRef& q) {
    return (f.has('b') && q.broker_name != f.text('b')) || (f.has('i') && q.queue_id != f.integer('i'));
  });
  return all;
}

std::string filter_note(const Flags& f) { return f.has('b') || f.has('i') ? " matching -b/-i" : ""; }

client::Message message_of(const Flags& f) {
  client::Message m{.topic = f.text('t'), .body = f.text('p')};
  if (f.has('c')) m.tags = f.text('c');
  if (f.has('k')) m.keys = f.text('k');
  if (f.has('d')) m.delay_level = static_cast<int32_t>(f.integer('d'));
  return m;
}

// Sends with the client's producer: to the queue -b/-i pick, else as any
// producer would (an unknown topic through TBW102, which creates it).
Outcome<client::SendResult> send_one(Context& c, client::Producer& p, const client::Message& m) {
  const Flags& f = c.flags;
  if (f.has('b') || f.has('i')) {
    auto route = c.admin.route(m.topic);
    if (!route) return route.error();
    const auto queues = selected(f, write_queues(*route));
    if (queues.empty()) return admin_error("topic " + m.topic + " has no writable queue" + filter_note(f));
    const QueueRef& q = queues[f.has('i') ? 0 : c.runtime.random().below(queues.size())];
    return p.send_to_queue(m, {m.topic, q.broker_name, q.queue_id});
  }
  if (auto route = c.admin.route(m.topic); !route && route.error().response_code == rs::kTopicNotExist)
    std::fprintf(stderr, "%s: topic %s has no route yet; sending through %s (the broker creates the topic)\n", kProgram,
                 m.topic.c_str(), client::kAutoCreateTopic);
  return p.send(m);
}

Outcome<void> send_message(Context& c) {
  client::Producer p(c.mq, {.group = kProducerGroup, .send_timeout = kCallTimeout});
  auto r = send_one(c, p, message_of(c.flags));
  if (!r) return r.error();
  if (r->status == client::SendStatus::failed) return admin_error(r->error);
  auto line = [](const char* name, const std::string& value) { print(fmt::format("{:<16}{}\n", name, value)); };
  line("Send Status:", std::string(client::to_string(r->status)));
  line("MsgId:", r->msg_id);
  line("OffsetMsgId:", r->offset_msg_id);
  line("Broker:", r->queue.broker_name + " (" + c.mq.master_address(r->queue.broker_name).value_or("?") + ")");
  line("Queue:", std::to_string(r->queue.queue_id));
  line("Queue Offset:", std::to_string(r->queue_offset));
  return {};
}

// Pulls `q` from `offset` with the client's pull consumer (no suspension
// at the broker), adding up to `budget` rows.
Outcome<void> consume_queue(Context& c, client::PullConsumer& consumer, const QueueRef& q, int64_t offset,
                            int64_t& budget, Table& table) {
  const client::MessageQueue mq{c.flags.text('t'), q.broker_name, q.queue_id};
  for (int round = 0; round < kPullRoundsPerQueueMax && budget > 0; ++round) {
    auto got = consumer.pull(mq, "*", offset, static_cast<int32_t>(std::min<int64_t>(budget, kPullBatchMax)));
    if (!got) return admin_error(fmt::format("pull from broker {} ({}) failed: {}", q.broker_name, q.addr,
                                             got.error().message()));
    if (got->status == client::PullStatus::offset_illegal)
      std::fprintf(stderr, "%s: %s queue %d: offset %lld is outside [%lld, %lld), reading from %lld\n", kProgram,
                   q.broker_name.c_str(), q.queue_id, static_cast<long long>(offset),
                   static_cast<long long>(got->min_offset), static_cast<long long>(got->max_offset),
                   static_cast<long long>(got->next_begin_offset));
    for (const auto& m : got->messages) {
      if (budget <= 0) break;
      --budget;
      table.add({q.broker_name, std::to_string(m.queue.queue_id), std::to_string(m.queue_offset), m.msg_id, m.tags,
                 m.keys, body_text(std::as_bytes(std::span(m.body)))});
    }
    if (got->next_begin_offset == offset) return {};  // nothing further to read
    offset = got->next_begin_offset;
  }
  return {};
}

Outcome<void> consume_message(Context& c) {
  const Flags& f = c.flags;
  auto route = c.admin.route(f.text('t'));
  if (!route) return route.error();
  const auto queues = selected(f, read_queues(*route));
  if (queues.empty()) return admin_error("topic " + f.text('t') + " has no readable queue" + filter_note(f));
  client::PullConsumer consumer(c.mq, {.group = f.text('g')});
  int64_t budget = f.integer('c');
  Table table({"#Broker Name", "#QID", "#Offset", "#MsgId", "#Tags", "#Keys", "#Body"});
  for (const auto& q : queues) {
    if (budget <= 0) break;
    if (auto r = consume_queue(c, consumer, q, f.integer('o'), budget, table); !r) return r;
  }
  print(table.render());
  print(fmt::format("{} message(s)\n", table.rows()));
  return {};
}

// The master address of broker group `broker_name` in `topic`'s route.
Outcome<std::string> master_of(Context& c, const std::string& topic, const std::string& broker_name) {
  auto route = c.admin.route(topic);
  if (!route) return route.error();
  for (const auto& m : route_masters(*route))
    if (m.broker_name == broker_name) return m.addr;
  return admin_error("broker " + broker_name + " has no master in the route of " + topic);
}

Outcome<void> query_msg_by_offset(Context& c) {
  const Flags& f = c.flags;
  const std::string& topic = f.text('t');
  auto addr = master_of(c, topic, f.text('b'));
  if (!addr) return addr.error();
  client::PullConsumer consumer(c.mq, {.group = "TOOLS_CONSUMER"});
  const client::MessageQueue mq{topic, f.text('b'), static_cast<int32_t>(f.integer('i'))};
  auto got = consumer.pull(mq, "*", f.integer('o'), 1);
  if (!got) return admin_error(fmt::format("pull from broker {} ({}) failed: {}", mq.broker_name, *addr,
                                           got.error().message()));
  if (got->status != client::PullStatus::found || got->messages.empty())
    return admin_error(fmt::format("no message at offset {} of {} queue {} (queue holds [{}, {}))", f.integer('o'),
                                   mq.broker_name, mq.queue_id, got->min_offset, got->max_offset));
  auto m = c.admin.view_message(*addr, got->messages.front().commit_log_offset);
  if (!m) return m.error();
  print(message_detail(*m));
  return {};
}

Outcome<void> query_msg_by_unique_key(Context& c) {
  auto found = c.admin.query_message(c.flags.text('t'), c.flags.text('i'), /*unique=*/true, kQueryMaxNum);
  if (!found) return found.error();
  std::stable_sort(found->begin(), found->end(), [](const Found& a, const Found& b) {
    return a.message.store_timestamp < b.message.store_timestamp;
  });
  const size_t shown = c.flags.boolean('a') ? found->size() : 1;
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) print("\n");
    print(message_detail((*found)[i].message));
  }
  return {};
}

// One line of printMsg: the message as Java's MessageExt.toString() names it.
std::string message_line(const client::ReceivedMessage& m, bool body) {
  return fmt::format("MSGID: {} MessageExt [brokerName={}, queueId={}, queueOffset={}, commitLogOffset={}, "
                     "storeTimestamp={}, reconsumeTimes={}, offsetMsgId={}, Message=[topic={}, tags={}, keys={}]] "
                     "BODY: {}\n",
                     m.msg_id, m.queue.broker_name, m.queue.queue_id, m.queue_offset, m.commit_log_offset,
                     m.store_timestamp, m.reconsume_times, m.offset_msg_id, m.topic, m.tags, m.keys,
                     body ? body_text(std::as_bytes(std::span(m.body))) : std::string("NOT PRINT BODY"));
}


Outcome<void> print_msg(Context& c) {
  const Flags& f = c.flags;
  const std::string& topic = f.text('t');
  if (f.text('c') != "UTF-8") return usage_error("only -c UTF-8 is supported (bodies print as UTF-8 text)");
  std::optional<int64_t> begin_ms, end_ms;
  for (auto [letter, slot] : {std::pair{'b', &begin_ms}, std::pair{'e', &end_ms}}) {
    if (!f.has(letter)) continue;
    *slot = parse_time_ms(f.text(letter));
    if (!*slot) return usage_error("-" + std::string(1, letter) + " '" + f.text(letter) +
                                   "' is neither milliseconds nor yyyy-MM-dd#HH:mm:ss:SSS");
  }
  auto route = c.admin.route(topic);
  if (!route) return route.error();
  client::PullConsumer consumer(c.mq, {.group = "TOOLS_CONSUMER"});
  for (const auto& q : read_queues(*route)) {
    const client::MessageQueue mq{topic, q.broker_name, q.queue_id};
    auto first = consumer.pull(mq, f.text('s'), 0, 1);  // for the queue's bounds
    if (!first) return admin_error(fmt::format("pull from broker {} ({}) failed: {}", q.broker_name, q.addr,
                                               first.error().message()));
    int64_t offset = first->min_offset, end = first->max_offset;
    if (begin_ms) {
      auto o = c.admin.search_offset(q.addr, {topic, q.broker_name, q.queue_id}, *begin_ms);
      if (!o) return o.error();
      offset = *o;
    }
    if (end_ms) {
      auto o = c.admin.search_offset(q.addr, {topic, q.broker_name, q.queue_id}, *end_ms);
      if (!o) return o.error();
      end = *o;
    }
    print(fmt::format("minOffset={}, maxOffset={}, MessageQueue [topic={}, brokerName={}, queueId={}]\n", offset, end,
                      topic, q.broker_name, q.queue_id));
    for (int round = 0; round < kPullRoundsPerQueueMax && offset < end; ++round) {
      auto got = consumer.pull(mq, f.text('s'), offset, kPullBatchMax);
      if (!got) return admin_error(fmt::format("pull from broker {} ({}) failed: {}", q.broker_name, q.addr,
                                               got.error().message()));
      if (got->status == client::PullStatus::found) {
        for (const auto& m : got->messages)
          if (m.queue_offset < end) print(message_line(m, f.boolean('d')));
      } else if (got->status == client::PullStatus::no_matched_msg) {
        print(fmt::format("{} no matched msg. status=NO_MATCHED_MSG, offset={}\n", mq.to_string(), offset));
      } else {
        print(fmt::format("{} print msg finished. status={}, offset={}\n", mq.to_string(),
                          got->status == client::PullStatus::no_new_msg ? "NO_NEW_MSG" : "OFFSET_ILLEGAL", offset));
        break;
      }
      if (got->next_begin_offset <= offset) break;
      offset = got->next_begin_offset;
    }
    print("--------------------------------------------------------\n");
  }
  return {};
}

std::string send_result_text(const client::SendResult& r) {
  return fmt::format("SendResult [sendStatus={}, msgId={}, offsetMsgId={}, messageQueue=MessageQueue [topic={}, "
                     "brokerName={}, queueId={}], queueOffset={}]",
                     client::to_string(r.status), r.msg_id, r.offset_msg_id, r.queue.topic, r.queue.broker_name,
                     r.queue.queue_id, r.queue_offset);
}

// mqadmin's sendMsgStatus: `count` sends of `size` bytes to the topic named
// after a broker (each broker has one, on itself only), with their times.
Outcome<void> send_msg_status(Context& c) {
  const Flags& f = c.flags;
  const std::string& broker = f.text('b');
  client::Producer p(c.mq, {.group = "PID_SMSC", .send_timeout = kCallTimeout});
  auto body = [](int64_t size) {
    std::string b;
    while (static_cast<int64_t>(b.size()) < size) b += "hello jodie";
    return b;
  };
  if (auto warm = p.send({.topic = broker, .body = body(16)}); warm.status == client::SendStatus::failed)
    return admin_error("send to topic " + broker + " failed: " + warm.error);
  for (int64_t i = 0; i < f.integer('c'); ++i) {
    const rt::Instant start = c.runtime.now();
    auto r = p.send({.topic = broker, .body = body(f.integer('s'))});
    const auto rt_ms = std::chrono::duration_cast<std::chrono::milliseconds>(c.runtime.now() - start).count();
    if (r.status == client::SendStatus::failed) return admin_error("send to topic " + broker + " failed: " + r.error);
    print(fmt::format("rt={}ms, SendResult={}\n", rt_ms, send_result_text(r)));
  }
  return {};
}

}  // namespace

std::vector<Subcommand> message_commands() {
  using K = FlagKind;
  return {
      {{"queryMsgById", "Show a message by its offset msgId (or, with -t, by its client msgId).",
        {namesrv_flag(), flag('i', "msgId", "MSG_ID", "offset msgId (or client msgId with -t)").must(),
         flag('t', "topic", "TOPIC", "topic, to look the id up as a client msgId (UNIQ_KEY)")}},
       query_msg_by_id},
      {{"queryMsgByKey", "Find the messages of a topic with a key.",
        {namesrv_flag().must(), topic_flag(), flag('k', "msgKey", "KEY", "the key").must()}},
       query_msg_by_key},
      {{"sendMessage", "Send one message.",
        {namesrv_flag().must(), topic_flag(), flag('p', "body", "BODY", "message body").must(),
         flag('k', "keys", "KEYS", "message keys (space-separated)"), flag('c', "tags", "TAGS", "message tag"),
         flag('b', "broker", "BROKER_NAME", "send to this broker group"),
         flag('i', "qid", "QUEUE_ID", "send to this queue", K::integer).within(0, kMaxInt),
         flag('d', "delayLevel", "LEVEL", "deliver after this delay level's delay (1 = 1s, 2 = 5s, ...)", K::integer)
             .within(1, 1000)}},
       send_message},
      {{"consumeMessage", "Read messages of a topic from an offset, without committing.",
        {namesrv_flag().must(), topic_flag(),
         flag('g', "consumerGroup", "GROUP", "consumer group").or_else("rmq-admin-consumer"),
         flag('c', "count", "COUNT", "messages to print at most", K::integer).or_else("32").within(1, 1000000),
         flag('b', "brokerName", "BROKER_NAME", "only this broker group"),
         flag('i', "queueId", "QUEUE_ID", "only this queue", K::integer).within(0, kMaxInt),
         flag('o', "offset", "OFFSET", "queue offset to start from", K::integer).or_else("0").within(0, kMaxLong)}},
       consume_message},
      {{"queryMsgByOffset", "Show the message at an offset of a queue.",
        {namesrv_flag().must(), topic_flag(), flag('b', "brokerName", "BROKER_NAME", "the broker group").must(),
         flag('i', "queueId", "QUEUE_ID", "the queue", K::integer).must().within(0, kMaxInt),
         flag('o', "offset", "OFFSET", "the queue offset", K::integer).must().within(0, kMaxLong)}},
       query_msg_by_offset},
      {{"queryMsgByUniqueKey", "Show a message by its client msgId (UNIQ_KEY).",
        {namesrv_flag().must(), flag('i', "msgId", "MSG_ID", "the client msgId").must(), topic_flag(),
         flag('a', "showAll", "", "every copy (a retried send may store one twice), by store time", K::presence)
             .or_else("false")}},
       query_msg_by_unique_key},
      {{"printMsg", "Print the messages of every queue of a topic (between two times).",
        {namesrv_flag().must(), topic_flag(),
         flag('c', "charsetName", "CHARSET", "the bodies' charset (UTF-8 only)").or_else("UTF-8"),
         flag('s', "subExpression", "EXPR", "tags to print (\"*\" or \"TagA || TagB\")").or_else("*"),
         flag('b', "beginTimestamp", "TIME", "from this store time (ms, or yyyy-MM-dd#HH:mm:ss:SSS UTC)"),
         flag('e', "endTimestamp", "TIME", "to this store time"),
         flag('d', "printBody", "BOOL", "print the bodies", K::boolean).or_else("true")}},
       print_msg},
      {{"sendMsgStatus", "Time sends to a broker (to the topic named after it).",
        {namesrv_flag().must(), flag('b', "brokerName", "BROKER_NAME", "the broker (and topic) name").must(),
         flag('s', "messageSize", "BYTES", "message size", K::integer).or_else("128").within(1, 4 * 1024 * 1024),
         flag('c', "count", "COUNT", "sends", K::integer).or_else("50").within(1, 1000000)}},
       send_msg_status},
  };
}

}  // namespace rmq::tools
