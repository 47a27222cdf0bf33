// rmq-admin: the daily mqadmin subcommands, over the remoting protocol.
//
//   rmq-admin help [SUBCOMMAND]
//   rmq-admin SUBCOMMAND -n NAMESRV[;NAMESRV...] [flags]
//
// -n falls back to the NAMESRV_ADDR environment variable; several namesrvs
// are asked in turn until one answers. A connect, and each answer, waits at
// most 5 s.
// Exit status: 0 done; 1 a namesrv or broker could not be reached or
// answered with an error (the message names the address, and the response
// code and remark); 2 bad usage (unknown subcommand, missing or bad flag).
// Times print in UTC.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "common/message_const.h"
#include "common/message_format.h"
#include "common/numbers.h"
#include "remoting/codes.h"
#include "remoting/header_fields.h"
#include "remoting/headers_namesrv.h"
#include "remoting/headers_pull.h"
#include "remoting/headers_send.h"
#include "runtime/real/real_runtime.h"
#include "store/delay_levels.h"
#include "tools/admin_args.h"
#include "tools/admin_client.h"
#include "tools/admin_data.h"
#include "tools/admin_format.h"

namespace rmq::tools {
namespace {

namespace rc = remoting::request_code;
namespace rs = remoting::response_code;
using remoting::put_field;
using remoting::RemotingCommand;

constexpr const char* kProgram = "rmq-admin";
constexpr const char* kProducerGroup = "rmq-admin";
constexpr const char* kAutoCreateTopic = "TBW102";
constexpr int32_t kAutoCreateQueues = 4;  // defaultTopicQueueNums of a send
constexpr int32_t kQueryMaxNum = 64;          // messages per broker for queryMsgByKey
constexpr int32_t kPullBatchMax = 32;         // messages per PULL_MESSAGE
constexpr int kPullRoundsPerQueueMax = 1000;  // bounds consumeMessage on one queue

struct Context {
  rt::Runtime& runtime;
  AdminClient& admin;
  const Flags& flags;
};

void print(const std::string& text) { std::fputs(text.c_str(), stdout); }

// ---- topics -------------------------------------------------------------------

// The brokers a subcommand's -b BROKER_ADDR or -c CLUSTER names.
Outcome<std::vector<Master>> chosen_brokers(Context& c) {
  const Flags& f = c.flags;
  if (f.has('b') == f.has('c')) return usage_failure("give exactly one of -b BROKER_ADDR and -c CLUSTER");
  if (f.has('b')) return std::vector<Master>{Master{"", f.text('b')}};
  auto info = c.admin.cluster_info();
  if (!info) return info.failure();
  std::vector<Master> targets = cluster_masters(*info, f.text('c'));
  if (targets.empty()) return failure("cluster " + f.text('c') + " has no master broker in the namesrv");
  return targets;
}

Outcome<void> update_topic(Context& c) {
  const Flags& f = c.flags;
  auto targets = chosen_brokers(c);
  if (!targets) return targets.failure();
  for (const auto& target : *targets) {
    auto req = RemotingCommand::request(rc::kUpdateAndCreateTopic);
    put_field(req, "topic", f.text('t'));
    put_field(req, "defaultTopic", kAutoCreateTopic);
    put_field(req, "readQueueNums", f.integer('r'));
    put_field(req, "writeQueueNums", f.integer('w'));
    put_field(req, "perm", f.integer('p'));
    put_field(req, "topicFilterType", "SINGLE_TAG");
    put_field(req, "topicSysFlag", int32_t{0});
    put_field(req, "order", f.boolean('o'));
    if (auto r = c.admin.ask_broker(target.addr, std::move(req)); !r) return r.failure();
    print(fmt::format("create topic to {} success.\n", target.addr));
  }
  print(fmt::format("TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, order={}]\n", f.text('t'),
                    f.integer('r'), f.integer('w'), f.integer('p'), f.text('o')));
  if (f.boolean('o') && f.has('c')) {
    // Ordered topics in a cluster: the namesrv hands brokerName:queues to producers.
    std::string conf;
    for (const auto& t : *targets)
      conf += fmt::format("{}{}:{}", conf.empty() ? "" : ";", t.broker_name, f.integer('w'));
    auto req = RemotingCommand::request(rc::kPutKvConfig);
    remoting::KvConfigRequestHeader{"ORDER_TOPIC_CONFIG", f.text('t'), conf}.encode(req);
    if (auto r = c.admin.tell_every_namesrv(req); !r) return r;
    print("set cluster orderConf. orderConf=[" + conf + "]\n");
  }
  return {};
}

Outcome<void> delete_topic(Context& c) {
  const std::string& topic = c.flags.text('t');
  const std::string& cluster = c.flags.text('c');
  auto info = c.admin.cluster_info();
  if (!info) return info.failure();
  const auto masters = cluster_masters(*info, cluster);
  if (masters.empty()) return failure("cluster " + cluster + " has no master broker in the namesrv");
  for (const auto& m : masters) {
    auto req = RemotingCommand::request(rc::kDeleteTopicInBroker);
    put_field(req, "topic", topic);
    if (auto r = c.admin.ask_broker(m.addr, std::move(req)); !r) return r.failure();
  }
  print(fmt::format("delete topic [{}] from cluster [{}] success.\n", topic, cluster));
  auto req = RemotingCommand::request(rc::kDeleteTopicInNamesrv);
  remoting::DeleteTopicFromNamesrvRequestHeader{topic, cluster}.encode(req);
  if (auto r = c.admin.tell_every_namesrv(req); !r) return r;
  auto kv = RemotingCommand::request(rc::kDeleteKvConfig);
  remoting::KvConfigRequestHeader{"ORDER_TOPIC_CONFIG", topic, std::nullopt}.encode(kv);
  if (auto r = c.admin.tell_every_namesrv(kv); !r) return r;
  print(fmt::format("delete topic [{}] from NameServer success.\n", topic));
  return {};
}

Outcome<void> topic_list(Context& c) {
  auto resp = c.admin.ask_namesrv(RemotingCommand::request(rc::kGetAllTopicListFromNameserver));
  if (!resp) return resp.failure();
  auto topics = remoting::decode_topic_list(remoting::to_text(resp->body));
  if (!topics) return failure("the topic list does not decode: " + topics.error().detail());
  for (const auto& t : *topics) print(t + "\n");
  return {};
}

Outcome<void> topic_route(Context& c) {
  auto json = c.admin.route_json(c.flags.text('t'));
  if (!json) return json.failure();
  print(pretty_json(*json) + "\n");
  return {};
}

Outcome<void> topic_status(Context& c) {
  const std::string& topic = c.flags.text('t');
  auto route = c.admin.route(topic);
  if (!route) return route.failure();
  Table table({"#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"});
  for (const auto& m : route_masters(*route)) {
    auto req = RemotingCommand::request(rc::kGetTopicStatsInfo);
    put_field(req, "topic", topic);
    auto resp = c.admin.ask_broker(m.addr, std::move(req));
    if (!resp) return resp.failure();
    auto stats = decode_topic_stats(remoting::to_text(resp->body));
    if (!stats) return undecodable("topic stats", m.addr, stats.error());
    for (const auto& s : *stats)
      table.add({s.mq.broker_name, std::to_string(s.mq.queue_id), std::to_string(s.min_offset),
                 std::to_string(s.max_offset), format_time_ms(s.last_update_ms)});
  }
  print(table.render());
  return {};
}

// ---- brokers ------------------------------------------------------------------

Outcome<void> cluster_list(Context& c) {
  auto info = c.admin.cluster_info();
  if (!info) return info.failure();
  // mqadmin's columns, then replication: the role, the HA peer (a master's
  // slaves, a slave's master) and the bytes of log the slave(s) lack.
  Table table({"#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS", "#OutTPS", "#InTotalToday",
               "#OutTotalToday", "#Role", "#HAPeer", "#HALagBytes"});
  std::string problems;
  for (const auto& [cluster, names] : info->cluster_addr_table) {
    for (const auto& name : names) {
      auto b = info->broker_addr_table.find(name);
      if (b == info->broker_addr_table.end()) continue;
      int64_t master_log_end = -1;
      for (const auto& [id, addr] : b->second.broker_addrs) {  // the master (id 0) first
        auto rt_info = c.admin.broker_runtime_info(addr);
        if (!rt_info) {
          problems += (problems.empty() ? "" : "; ") + rt_info.failure().message;
          table.add({cluster, name, std::to_string(id), addr, "-", "-", "-", "-", "-", "-", "-", "-"});
          continue;
        }
        const auto& t = *rt_info;
        auto field = [&](const char* key) {
          auto it = t.find(key);
          return it == t.end() || it->second.empty() ? std::string("-") : it->second;
        };
        std::string lag = field("haReplicationLagBytes");
        if (id == 0) {
          master_log_end = table_long(t, "commitLogMaxOffset");
        } else if (master_log_end >= 0) {
          lag = std::to_string(std::max<int64_t>(0, master_log_end - table_long(t, "commitLogMaxOffset")));
        }
        table.add({cluster, name, std::to_string(id), addr, field("brokerVersionDesc"), table_rate(t, "putTps"),
                   table_rate(t, "getTransferedTps"),
                   std::to_string(table_long(t, "msgPutTotalTodayNow") - table_long(t, "msgPutTotalTodayMorning")),
                   std::to_string(table_long(t, "msgGetTotalTodayNow") - table_long(t, "msgGetTotalTodayMorning")),
                   field("brokerRole"), field("haPeer"), lag});
      }
    }
  }
  print(table.render());
  if (!problems.empty()) return failure(problems);
  return {};
}

Outcome<void> broker_status(Context& c) {
  auto t = c.admin.broker_runtime_info(c.flags.text('b'));
  if (!t) return t.failure();
  for (const auto& [k, v] : *t) print(fmt::format("{:<40}: {}\n", k, v));
  return {};
}

// Delay levels (reference 8.5) and transactions (8.6) of each broker, from
// its runtime info.
Outcome<void> delay_status(Context& c) {
  auto targets = chosen_brokers(c);
  if (!targets) return targets.failure();
  for (const auto& target : *targets) {
    auto t = c.admin.broker_runtime_info(target.addr);
    if (!t) return t.failure();
    print(fmt::format("{}broker {}{}\n", &target == &targets->front() ? "" : "\n", target.addr,
                      target.broker_name.empty() ? "" : " (" + target.broker_name + ")"));
    Table table({"#Level", "#Delay", "#Delivered", "#Parked", "#Backlog", "#NextDue"});
    for (int level = 1;; ++level) {
      auto offsets = t->find(fmt::format("scheduleMessageOffset_{}", level));
      if (offsets == t->end()) break;
      // "delivered,parked", as RocketMQ's broker reports them.
      const std::string_view v = offsets->second;
      const size_t comma = std::min(v.find(','), v.size());
      const int64_t delivered = common::parse_java_long(v.substr(0, comma)).value_or(0);
      const int64_t parked = common::parse_java_long(v.substr(std::min(comma + 1, v.size()))).value_or(0);
      const int64_t delay_ms = table_long(*t, fmt::format("scheduleMessageDelay_{}", level));
      const int64_t due = table_long(*t, fmt::format("scheduleMessageNextDue_{}", level));
      table.add({std::to_string(level), store::format_delay_levels({delay_ms}), std::to_string(delivered),
                 std::to_string(parked), std::to_string(parked - delivered), due > 0 ? format_time_ms(due) : "-"});
    }
    if (table.rows() == 0) return failure("broker " + target.addr + " reports no delay levels");
    print(table.render());
    print(fmt::format("Transactions: {} half message(s) pending, {} committed, {} rolled back, {} given up, {} "
                      "check(s) sent\n",
                      table_long(*t, "transactionHalfPending"), table_long(*t, "transactionCommitted"),
                      table_long(*t, "transactionRolledBack"), table_long(*t, "transactionGivenUp"),
                      table_long(*t, "transactionChecksSent")));
  }
  return {};
}

Outcome<void> consumer_progress(Context& c) {
  const std::string& group = c.flags.text('g');
  const std::optional<std::string> topic = c.flags.optional('t');
  std::vector<Master> masters;
  if (topic) {
    auto route = c.admin.route(*topic);
    if (!route) return route.failure();
    masters = route_masters(*route);
  } else {
    auto info = c.admin.cluster_info();
    if (!info) return info.failure();
    masters = cluster_masters(*info, "");
  }
  Table table({"#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime"});
  int64_t diff_total = 0;
  double tps = 0;
  for (const auto& m : masters) {
    auto req = RemotingCommand::request(rc::kGetConsumeStats);
    put_field(req, "consumerGroup", group);
    if (topic) put_field(req, "topic", *topic);
    auto resp = c.admin.ask_broker(m.addr, std::move(req));
    if (!resp) return resp.failure();
    auto stats = decode_consume_stats(remoting::to_text(resp->body));
    if (!stats) return undecodable("consume stats", m.addr, stats.error());
    tps += stats->consume_tps;
    for (const auto& q : stats->queues) {
      const int64_t diff = q.broker_offset - q.consumer_offset;
      diff_total += diff;
      table.add({q.mq.topic, q.mq.broker_name, std::to_string(q.mq.queue_id), std::to_string(q.broker_offset),
                 std::to_string(q.consumer_offset), std::to_string(diff), format_time_ms(q.last_timestamp_ms)});
    }
  }
  if (table.rows() == 0 && !topic)
    return failure("group " + group + " has no consume offsets on any broker (give -t TOPIC to see a topic's queues)");
  print(table.render());
  print(fmt::format("\nConsume TPS: {:.2f}\nDiff Total: {}\n", tps, diff_total));
  return {};
}

// ---- messages -----------------------------------------------------------------

struct Found {
  std::string broker_name;
  common::StoredMessage message;
};

// QUERY_MESSAGE on every master of the topic's route; only messages that
// really carry `key` (the index may collide). `unique`: `key` is a UNIQ_KEY.
Outcome<std::vector<Found>> query_key(Context& c, const std::string& topic, const std::string& key, bool unique) {
  auto route = c.admin.route(topic);
  if (!route) return route.failure();
  std::vector<Found> found;
  std::string not_found;
  for (const auto& m : route_masters(*route)) {
    auto req = RemotingCommand::request(rc::kQueryMessage);
    put_field(req, "topic", topic);
    put_field(req, "key", key);
    put_field(req, "maxNum", kQueryMaxNum);
    put_field(req, "beginTimestamp", int64_t{0});
    put_field(req, "endTimestamp", std::numeric_limits<int64_t>::max());
    if (unique) put_field(req, "_UNIQUE_KEY_QUERY", true);
    auto resp = c.admin.exchange(m.addr, std::move(req));
    if (!resp) return resp.failure();
    if (resp->code == rs::kQueryNotFound) {
      not_found = answered("broker", m.addr, *resp).message;
      continue;
    }
    if (resp->code != rs::kSuccess) return answered("broker", m.addr, *resp);
    auto records = decode_records(resp->body);
    if (!records) return undecodable("query answer", m.addr, records.error());
    for (auto& r : *records)
      if (r.topic == topic && has_key(r, key)) found.push_back(Found{m.broker_name, std::move(r)});
  }
  if (found.empty())
    return failure(fmt::format("no message with key {} in topic {}{}", key, topic,
                               not_found.empty() ? "" : " (" + not_found + ")"));
  return found;
}

Outcome<void> query_msg_by_id(Context& c) {
  const std::string& id = c.flags.text('i');
  const std::optional<std::string> topic = c.flags.optional('t');
  auto parsed = common::parse_offset_msg_id(id);
  std::string why;
  if (parsed) {
    const std::string addr = common::to_string(parsed->store_host);
    auto req = RemotingCommand::request(rc::kViewMessageById);
    put_field(req, "offset", parsed->commit_log_offset);
    auto resp = c.admin.ask_broker(addr, std::move(req));
    if (resp) {
      auto records = decode_records(resp->body);
      if (!records || records->size() != 1)
        return failure(fmt::format("the answer of broker {} is not one message{}", addr,
                                   records ? "" : ": " + records.error().detail()));
      print(message_detail(records->front()));
      return {};
    }
    if (!topic) return resp.failure();
    why = resp.failure().message;
  } else if (!topic) {
    return usage_failure("'" + id +
                         "' is not an offset msgId (32 hex digits); for a client msgId (UNIQ_KEY) give -t TOPIC");
  }
  // Not an offset msgId of a reachable broker: try it as a client msgId.
  auto found = query_key(c, *topic, id, /*unique=*/true);
  if (!found) return failure(why.empty() ? found.failure().message : why + "; " + found.failure().message);
  for (size_t i = 0; i < found->size(); ++i) {
    if (i > 0) print("\n");
    print(message_detail((*found)[i].message));
  }
  return {};
}

Outcome<void> query_msg_by_key(Context& c) {
  auto found = query_key(c, c.flags.text('t'), c.flags.text('k'), /*unique=*/false);
  if (!found) return found.failure();
  Table table({"#Broker Name", "#QID", "#Offset", "#Offset Msg ID", "#Msg ID"});
  for (const auto& f : *found)
    table.add({f.broker_name, std::to_string(f.message.queue_id), std::to_string(f.message.queue_offset),
               stored_offset_msg_id(f.message), message_id(f.message)});
  print(table.render());
  return {};
}

// A client msgId (UNIQ_KEY, reference 5.5): 4 random bytes in place of the
// IP, low 16 bits of the pid, a random i32, ms since the month began, and a
// counter (one message per run: 0).
std::string client_msg_id(rt::Runtime& rt) {
  const uint64_t r = rt.random().next_u64();
  const auto pid = static_cast<uint16_t>(::getpid() & 0xFFFF);
  const auto month_ms = static_cast<uint32_t>(ms_since_month_start(rt.wall_ms()));
  return fmt::format("{:08X}{:04X}{:08X}{:08X}{:04X}", static_cast<uint32_t>(r >> 32), pid,
                     static_cast<uint32_t>(r & 0xFFFFFFFF), month_ms, 0);
}

// The queues of `all` that -b/-i select.
std::vector<QueueRef> selected(const Flags& f, std::vector<QueueRef> all) {
  std::erase_if(all, [&](const QueueRef& q) {
    return (f.has('b') && q.broker_name != f.text('b')) || (f.has('i') && q.queue_id != f.integer('i'));
  });
  return all;
}

std::string filter_note(const Flags& f) { return f.has('b') || f.has('i') ? " matching -b/-i" : ""; }

Outcome<void> send_message(Context& c) {
  const Flags& f = c.flags;
  const std::string& topic = f.text('t');
  auto route = c.admin.route(topic);
  std::vector<QueueRef> all;
  if (route) {
    all = write_queues(*route);
  } else if (route.failure().response_code == rs::kTopicNotExist) {
    // As a producer does: through the brokers that may auto-create it.
    auto tbw = c.admin.route(kAutoCreateTopic);
    if (!tbw) return route.failure();
    all = write_queues(*tbw);
    std::erase_if(all, [](const QueueRef& q) { return q.queue_id >= kAutoCreateQueues; });
    std::fprintf(stderr, "%s: topic %s has no route yet; sending through %s (the broker creates the topic)\n", kProgram,
                 topic.c_str(), kAutoCreateTopic);
  } else {
    return route.failure();
  }
  const auto queues = selected(f, std::move(all));
  if (queues.empty()) return failure("topic " + topic + " has no writable queue" + filter_note(f));
  const QueueRef& q = queues[f.has('i') ? 0 : c.runtime.random().below(queues.size())];

  common::MessageProperties props;
  if (f.has('c')) props["TAGS"] = f.text('c');
  if (f.has('k')) props["KEYS"] = f.text('k');
  if (f.has('d')) props[common::kPropDelay] = std::to_string(f.integer('d'));
  const std::string uniq = client_msg_id(c.runtime);
  props["UNIQ_KEY"] = uniq;
  remoting::SendMessageRequestHeader h;
  h.producer_group = kProducerGroup;
  h.topic = topic;
  h.default_topic = kAutoCreateTopic;
  h.default_topic_queue_nums = kAutoCreateQueues;
  h.queue_id = q.queue_id;
  h.born_timestamp = c.runtime.wall_ms();
  h.properties = common::encode_properties(props);
  auto req = RemotingCommand::request(rc::kSendMessageV2);
  h.encode(req, /*v2=*/true);
  req.body = remoting::to_bytes(f.text('p'));

  auto resp = c.admin.exchange(q.addr, std::move(req));
  if (!resp) return resp.failure();
  const std::string status = send_status_name(resp->code);
  if (status.empty()) return answered("broker", q.addr, *resp);
  auto rh = remoting::SendMessageResponseHeader::decode(*resp);
  if (!rh) return undecodable("send answer", q.addr, rh.error());
  auto line = [](const char* name, const std::string& value) { print(fmt::format("{:<16}{}\n", name, value)); };
  line("Send Status:", status);
  line("MsgId:", uniq);
  line("OffsetMsgId:", rh->msg_id);
  line("Broker:", q.broker_name + " (" + q.addr + ")");
  line("Queue:", std::to_string(rh->queue_id));
  line("Queue Offset:", std::to_string(rh->queue_offset));
  return {};
}

// Pulls `q` from `offset` without suspending, adding up to `budget` rows.
Outcome<void> consume_queue(Context& c, const QueueRef& q, int64_t offset, int64_t& budget, Table& table) {
  for (int round = 0; round < kPullRoundsPerQueueMax && budget > 0; ++round) {
    remoting::PullMessageRequestHeader h;
    h.consumer_group = c.flags.text('g');
    h.topic = c.flags.text('t');
    h.queue_id = q.queue_id;
    h.queue_offset = offset;
    h.max_msg_nums = static_cast<int32_t>(std::min<int64_t>(budget, kPullBatchMax));
    h.sys_flag = remoting::kPullSubscription;
    h.suspend_timeout_millis = 0;
    h.subscription = "*";
    h.expression_type = "TAG";
    auto req = RemotingCommand::request(rc::kPullMessage);
    h.encode(req);
    auto resp = c.admin.exchange(q.addr, std::move(req));
    if (!resp) return resp.failure();
    if (resp->code == rs::kPullNotFound) return {};
    if (resp->code != rs::kSuccess && resp->code != rs::kPullRetryImmediately && resp->code != rs::kPullOffsetMoved)
      return answered("broker", q.addr, *resp);
    auto rh = remoting::PullMessageResponseHeader::decode(*resp);
    if (!rh) return undecodable("pull answer", q.addr, rh.error());
    if (resp->code == rs::kPullOffsetMoved)
      std::fprintf(stderr, "%s: %s queue %d: offset %lld is outside [%lld, %lld), reading from %lld\n", kProgram,
                   q.broker_name.c_str(), q.queue_id, static_cast<long long>(offset),
                   static_cast<long long>(rh->min_offset), static_cast<long long>(rh->max_offset),
                   static_cast<long long>(rh->next_begin_offset));
    auto records = decode_records(resp->body);
    if (!records) return undecodable("pull answer", q.addr, records.error());
    for (const auto& m : *records) {
      if (budget <= 0) break;
      --budget;
      table.add({q.broker_name, std::to_string(m.queue_id), std::to_string(m.queue_offset), message_id(m),
                 property(m, "TAGS"), property(m, "KEYS"), body_text(m.body)});
    }
    if (rh->next_begin_offset == offset) return {};  // nothing further to read
    offset = rh->next_begin_offset;
  }
  return {};
}

Outcome<void> consume_message(Context& c) {
  const Flags& f = c.flags;
  auto route = c.admin.route(f.text('t'));
  if (!route) return route.failure();
  const auto queues = selected(f, read_queues(*route));
  if (queues.empty()) return failure("topic " + f.text('t') + " has no readable queue" + filter_note(f));
  int64_t budget = f.integer('c');
  Table table({"#Broker Name", "#QID", "#Offset", "#MsgId", "#Tags", "#Keys", "#Body"});
  for (const auto& q : queues) {
    if (budget <= 0) break;
    if (auto r = consume_queue(c, q, f.integer('o'), budget, table); !r) return r;
  }
  print(table.render());
  print(fmt::format("{} message(s)\n", table.rows()));
  return {};
}

// ---- the subcommand table -------------------------------------------------------

using Run = Outcome<void> (*)(Context&);
struct Subcommand {
  CommandSpec spec;
  Run run;
};

constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxLong = std::numeric_limits<int64_t>::max();

FlagSpec namesrv_flag() {
  return flag('n', "namesrvAddr", "NAMESRV", "namesrv address(es), host:port;host:port", FlagKind::address_list);
}
FlagSpec topic_flag() { return flag('t', "topic", "TOPIC", "the topic").must(); }

const std::vector<Subcommand>& subcommands() {
  using K = FlagKind;
  static const std::vector<Subcommand> all = {
      {{"updateTopic", "Create or update a topic on one broker (-b) or every master of a cluster (-c).",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker to update", K::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster"), topic_flag(),
         flag('r', "readQueueNums", "READQ", "read queues", K::integer).or_else("8").within(1, 1024),
         flag('w', "writeQueueNums", "WRITEQ", "write queues", K::integer).or_else("8").within(1, 1024),
         flag('p', "perm", "PERM", "permission bits (2 write, 4 read)", K::integer).or_else("6").within(0, 7),
         flag('o', "order", "ORDER", "ordered topic (true/false)", K::boolean).or_else("false")}},
       update_topic},
      {{"deleteTopic", "Delete a topic from every master of a cluster and from the namesrvs.",
        {namesrv_flag().must(), flag('c', "clusterName", "CLUSTER", "the cluster").must(), topic_flag()}},
       delete_topic},
      {{"topicList", "List the topics the namesrv knows.", {namesrv_flag().must()}}, topic_list},
      {{"topicRoute", "Print a topic's route (JSON).", {namesrv_flag().must(), topic_flag()}}, topic_route},
      {{"topicStatus", "Min and max offset of every queue of a topic.", {namesrv_flag().must(), topic_flag()}},
       topic_status},
      {{"clusterList", "Every broker of every cluster, with its version and traffic.", {namesrv_flag().must()}},
       cluster_list},
      {{"brokerStatus", "A broker's runtime statistics.",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "the broker", K::address).must()}},
       broker_status},
      {{"delayStatus", "Delay levels (delivered, parked, backlog, next due) and transactions of brokers.",
        {namesrv_flag(), flag('b', "brokerAddr", "BROKER_ADDR", "this broker", K::address),
         flag('c', "clusterName", "CLUSTER", "every master of this cluster")}},
       delay_status},
      {{"consumerProgress", "A consumer group's offsets and lag, per queue (with -g alone, its retry topic too).",
        {namesrv_flag().must(), flag('g', "groupName", "GROUP", "the consumer group").must(),
         flag('t', "topic", "TOPIC", "only this topic (default: every topic the group has offsets for)")}},
       consumer_progress},
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
  };
  return all;
}

std::string overview() {
  std::string out =
      fmt::format("usage: {} SUBCOMMAND [flags]   ({} help SUBCOMMAND for its flags)\n\n", kProgram, kProgram);
  for (const auto& s : subcommands()) out += fmt::format("  {:<18}{}\n", s.spec.name, s.spec.summary);
  out += "\n-n NAMESRV falls back to $NAMESRV_ADDR. Exit status: 0 ok, 1 unreachable or refused, 2 bad usage.\n";
  return out;
}

const Subcommand* find_subcommand(std::string_view name) {
  for (const auto& s : subcommands())
    if (s.spec.name == name) return &s;
  return nullptr;
}

int run(const Subcommand& cmd, const Flags& flags) {
  real::RealRuntime runtime({.name = kProgram, .min_log_level = rt::LogLevel::error});
  int exit_code = 130;  // stays so when interrupted (SIGINT/SIGTERM)
  runtime.stop_on_signals();
  runtime.run([&] {
    AdminClient admin(runtime, flags.has('n') ? flags.addresses('n') : std::vector<std::string>{});
    Context ctx{runtime, admin, flags};
    const Outcome<void> r = cmd.run(ctx);
    std::fflush(stdout);
    admin.stop();
    exit_code = r ? 0 : r.failure().exit_code;
    if (r) return;
    std::fprintf(stderr, "%s %s: %s\n", kProgram, std::string(cmd.spec.name).c_str(), r.failure().message.c_str());
    if (exit_code == 2) std::fputs(usage_text(kProgram, cmd.spec).c_str(), stderr);
  });
  return exit_code;
}

}  // namespace
}  // namespace rmq::tools

int main(int argc, char** argv) {
  using namespace rmq::tools;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(overview().c_str(), stderr);
    return 2;
  }
  if (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
    const Subcommand* cmd = args.size() > 1 ? find_subcommand(args[1]) : nullptr;
    if (args.size() > 1 && !cmd) {
      std::fprintf(stderr, "%s: unknown subcommand '%s'\n\n%s", kProgram, args[1].c_str(), overview().c_str());
      return 2;
    }
    std::fputs(cmd ? usage_text(kProgram, cmd->spec).c_str() : overview().c_str(), stdout);
    return 0;
  }
  const Subcommand* cmd = find_subcommand(args[0]);
  if (!cmd) {
    std::fprintf(stderr, "%s: unknown subcommand '%s'\n\n%s", kProgram, args[0].c_str(), overview().c_str());
    return 2;
  }
  const char* env = std::getenv("NAMESRV_ADDR");
  ParsedFlags parsed = parse_flags(cmd->spec, {args.begin() + 1, args.end()},
                                   env ? std::optional<std::string>(env) : std::nullopt);
  if (parsed.help) {
    std::fputs(usage_text(kProgram, cmd->spec).c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "%s %s: %s\n%s", kProgram, args[0].c_str(), parsed.error.c_str(),
                 usage_text(kProgram, cmd->spec).c_str());
    return 2;
  }
  return run(*cmd, parsed.flags);
}
