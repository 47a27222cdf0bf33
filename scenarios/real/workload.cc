#include "scenarios/real/workload.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "client/transaction_producer.h"
#include "runtime/real/real_runtime.h"
#include "scenarios/nodes.h"
#include "store/store_config.h"

namespace rmq::chaos {

namespace h = scenarios::history;
using namespace std::chrono_literals;

namespace {

int64_t ns_of(rt::Instant t) { return t.time_since_epoch().count(); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

// One record per line, on disk before the worker goes on.
class HistoryFile {
 public:
  explicit HistoryFile(const std::string& path) : f_(std::fopen(path.c_str(), "a")) {}
  ~HistoryFile() {
    if (f_) std::fclose(f_);
  }
  bool ok() const { return f_ != nullptr; }
  void line(const std::string& text) {
    std::fputs(text.c_str(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);  // in the page cache: a SIGKILL keeps it
  }

 private:
  std::FILE* f_;
};

// The producer's next message number: one past the last invoked in its
// history (a restarted producer goes on, it does not resend).
int next_number(const std::string& path, const std::string& producer) {
  std::ifstream in(path);
  int next = 0;
  for (std::string line; std::getline(in, line);) {
    const auto f = split(line, '\t');
    if (f.size() >= 3 && f[0] == "invoke" && f[2] == producer) {
      const auto dash = f[1].rfind('-');
      if (dash != std::string::npos) next = std::max(next, std::atoi(f[1].c_str() + dash + 1) + 1);
    }
  }
  return next;
}

// A transaction's outcome, from its key alone, so that any instance of the
// group answers a check-back the same way: one in four rolled back; one in
// four left "unknown" by the producer for the check to settle.
client::LocalTransactionState decision_of(const std::string& key) {
  const auto dash = key.rfind('-');
  const int n = dash == std::string::npos ? 0 : std::atoi(key.c_str() + dash + 1);
  return n % 4 == 3 ? client::LocalTransactionState::rollback : client::LocalTransactionState::commit;
}

client::LocalTransactionState answer_of(const std::string& key) {
  const auto dash = key.rfind('-');
  const int n = dash == std::string::npos ? 0 : std::atoi(key.c_str() + dash + 1);
  return n % 4 == 2 ? client::LocalTransactionState::unknown : decision_of(key);
}

void record_result(HistoryFile& out, rt::Runtime& rt, const std::string& key, const client::SendResult& r,
                   bool parked) {
  if (r.ok()) {
    out.line(fmt::format("acked\t{}\t{}\t{}\t{}\t{}\t{}", key, r.queue.broker_name, r.queue.queue_id,
                         parked ? -1 : r.queue_offset, r.msg_id, ns_of(rt.now())));
  } else if (r.status == client::SendStatus::failed && !r.maybe_stored) {
    out.line(fmt::format("failed\t{}\t{}", key, ns_of(rt.now())));
  }
  // Otherwise unknown: a timeout, or a broker that stored it but answered
  // FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE.
}

// Orderly: each sharding key to its one queue (scenarios/nodes.h); the
// masters are broker-a, broker-b, ... in --brokers order.
client::MessageQueue pinned_queue(const WorkerArgs& a, int n) {
  const scenarios::PinnedQueue p = scenarios::pinned_queue_of(n, std::max<size_t>(1, a.brokers.size()), kChaosQueuesPerBroker);
  return {a.topic, fmt::format("broker-{}", static_cast<char>('a' + p.broker_index)), p.queue_id};
}

int run_producer(rt::Runtime& rt, const WorkerArgs& a, HistoryFile& out) {
  const std::string name = fmt::format("p{}", a.id);
  client::MqClient mq(rt, {.namesrv_addrs = a.namesrvs, .client_ip = a.ip, .instance_name = name});
  mq.start();
  if (a.id == 0)
    for (const auto& b : a.brokers) scenarios::create_topic(rt, mq, b, a.topic, kChaosQueuesPerBroker);
  rt.sleep_for(3s);  // the topic reaches the namesrvs
  client::Producer prod(mq, {.group = "PG"});
  std::unique_ptr<client::TransactionProducer> tp;
  if (a.transactional)
    tp = std::make_unique<client::TransactionProducer>(
        mq, client::ProducerConfig{.group = "TPG"},
        [](const client::ReceivedMessage& half) { return decision_of(half.keys); });
  for (int n = next_number(a.history_path, name); n < a.count; ++n) {
    const std::string key = fmt::format("{}-{}", name, n);
    const std::string body = scenarios::filler_body(key, 16 + rt.random().below(400));
    // Delay levels on plain sends only (a transaction's is ignored; a delayed
    // message would overtake its sharding key's order).
    int32_t level = 0;
    if (!a.transactional && !a.orderly && rt.random().chance(a.delay_share))
      level = static_cast<int32_t>(1 + rt.random().below(3));
    const std::string sharding = a.orderly ? scenarios::sharding_key_of(n) : "-";
    const bool parked = level > 0 || a.transactional;
    // The brokers run the default messageDelayLevel.
    static const std::vector<int64_t> kLevelsMs = store::StoreConfig{}.delay_level_ms;
    const int64_t delay_ms = level > 0 ? kLevelsMs[static_cast<size_t>(level - 1)] : 0;
    out.line(fmt::format("invoke\t{}\t{}\t{}\t{}\t{}\t{}\t{}", key, name, ns_of(rt.now()), body, delay_ms,
                         sharding, parked ? 1 : 0));
    const client::Message m{.topic = a.topic, .keys = key, .body = body, .delay_level = level};
    if (tp) {
      const client::TransactionSendResult r = tp->send_in_transaction(m, [&](const client::Message&, const client::SendResult&) {
        // Some local work; one in five outlasts transactionTimeOut, so that
        // check-backs race with the producer's own END_TRANSACTION.
        const bool slow = rt.random().below(5) == 0;
        rt.sleep_for(slow ? std::chrono::milliseconds(rt.random().between(5000, 12000))
                          : std::chrono::milliseconds(rt.random().below(3000)));
        return answer_of(key);
      });
      // A rollback (every check-back answers the same) is never delivered;
      // a commit may be lost with its oneway END_TRANSACTION and then
      // discarded after transactionCheckMax checks (RocketMQ's contract),
      // so it stays unknown: what is judged is that no rollback leaks.
      const bool refused = r.send.status == client::SendStatus::failed && !r.send.maybe_stored;
      if (refused || (r.send.ok() && decision_of(key) == client::LocalTransactionState::rollback))
        out.line(fmt::format("failed\t{}\t{}", key, ns_of(rt.now())));
    } else {
      record_result(out, rt, key, a.orderly ? prod.send_to_queue(m, pinned_queue(a, n)) : prod.send(m), parked);
    }
    rt.sleep_for(std::chrono::milliseconds(1 + rt.random().below(static_cast<uint64_t>(a.gap_ms_max))));
  }
  if (tp) rt.sleep_for(30s);  // still an instance of the group, answering check-backs
  tp.reset();
  mq.stop();
  return 0;
}

int run_consumer(rt::Runtime& rt, const WorkerArgs& a, HistoryFile& out) {
  const std::string name = fmt::format("c{}", a.id);
  client::MqClient mq(rt, {.namesrv_addrs = a.namesrvs, .client_ip = a.ip, .instance_name = name});
  mq.start();
  client::PushConsumer pc(
      mq, {.group = a.group,
           .model = a.broadcasting ? remoting::MessageModel::broadcasting : remoting::MessageModel::clustering,
           .consume_from = client::ConsumeFrom::first_offset,
           .orderly = a.orderly});
  pc.subscribe(a.topic);
  const std::string id = mq.client_id();
  out.line(fmt::format("restart\t{}\t{}", id, ns_of(rt.now())));
  pc.on_rebalance([&](const std::vector<client::MessageQueue>& owned) {
    std::string queues;
    for (const auto& q : owned)  // topic@broker:queue (its %RETRY% topic's queues too)
      queues += fmt::format("{}{}@{}:{}", queues.empty() ? "" : ",", q.topic, q.broker_name, q.queue_id);
    out.line(fmt::format("rebalance\t{}\t{}\t{}\t{}", a.group, id, ns_of(rt.now()), queues));
  });
  pc.start([&](const client::ReceivedMessage& m) {
    out.line(fmt::format("deliver\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", a.group, id, m.keys, m.msg_id,
                         m.queue.topic, m.queue.broker_name, m.queue.queue_id, m.queue_offset, m.reconsume_times,
                         ns_of(rt.now()), m.body));
    if (a.orderly) {  // some work, and now and then a failure retried in place
      rt.sleep_for(std::chrono::milliseconds(rt.random().below(200)));
      return rt.random().chance(a.failure_share) ? client::ConsumeResult::suspend_current_queue
                                                  : client::ConsumeResult::success;
    }
    // A failure is retried through %RETRY%<group> (broadcasting does not retry).
    if (!a.broadcasting && m.reconsume_times < 3 && rt.random().chance(a.failure_share))
      return client::ConsumeResult::reconsume_later;
    return client::ConsumeResult::success;
  });
  while (!rt.stopping()) rt.sleep_for(1s);
  pc.shutdown();
  mq.stop();
  return 0;
}

}  // namespace

std::string parse_worker_args(const std::vector<std::string>& args, WorkerArgs& out) {
  if (args.empty() || (args[0] != "producer" && args[0] != "consumer")) return "worker needs producer or consumer";
  out.role = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const auto eq = args[i].find('=');
    if (args[i].rfind("--", 0) != 0 || eq == std::string::npos) return "bad worker argument '" + args[i] + "'";
    const std::string key = args[i].substr(2, eq - 2), value = args[i].substr(eq + 1);
    if (key == "id") out.id = std::atoi(value.c_str());
    else if (key == "namesrvs") out.namesrvs = split(value, ';');
    else if (key == "brokers") out.brokers = split(value, ';');
    else if (key == "ip") out.ip = value;
    else if (key == "history") out.history_path = value;
    else if (key == "count") out.count = std::atoi(value.c_str());
    else if (key == "gap-ms") out.gap_ms_max = std::max(1, std::atoi(value.c_str()));
    else if (key == "group") out.group = value;
    else if (key == "broadcasting") out.broadcasting = value == "true";
    else if (key == "topic") out.topic = value;
    else if (key == "delay-share") out.delay_share = std::atof(value.c_str());
    else if (key == "orderly") out.orderly = value == "true";
    else if (key == "transactional") out.transactional = value == "true";
    else if (key == "failure-share") out.failure_share = std::atof(value.c_str());
    else return "unknown worker argument '" + key + "'";
  }
  if (out.history_path.empty() || out.namesrvs.empty() || out.ip.empty()) return "worker needs --history, --namesrvs and --ip";
  return "";
}

int run_worker(const WorkerArgs& a) {
  HistoryFile out(a.history_path);
  if (!out.ok()) {
    std::fprintf(stderr, "rmq-chaos worker: cannot append to %s\n", a.history_path.c_str());
    return 2;
  }
  real::RealRuntime rt({.name = fmt::format("{}{}", a.role, a.id), .min_log_level = rt::LogLevel::warn});
  rt.stop_on_signals();
  int rc = 0;
  rt.run([&] { rc = a.role == "producer" ? run_producer(rt, a, out) : run_consumer(rt, a, out); });
  return rc;
}

void read_histories(const std::vector<std::string>& paths, h::History& hist, int& bad_lines) {
  std::map<std::string, size_t> send_of;  // key -> index in hist.sends
  for (const auto& path : paths) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      const auto f = split(line, '\t');
      const auto at = [&](size_t i) { return rt::Instant(rt::Duration(std::strtoll(f[i].c_str(), nullptr, 10))); };
      if (f[0] == "invoke" && (f.size() == 5 || f.size() == 8)) {
        h::Send s;
        s.key = f[1];
        s.producer = f[2];
        s.queue.topic = kChaosTopic;
        s.invoked = at(3);
        s.completed = s.invoked;
        s.body_digest = f[4];
        if (f.size() == 8) {
          s.delay = std::chrono::milliseconds(std::atoi(f[5].c_str()));
          if (f[6] != "-") s.sharding_key = f[6];
          s.parked = f[7] == "1";
        }
        send_of[s.key] = hist.sends.size();
        hist.sends.push_back(std::move(s));
      } else if (f[0] == "acked" && f.size() == 7 && send_of.count(f[1])) {
        h::Send& s = hist.sends[send_of[f[1]]];
        s.outcome = h::SendOutcome::acked;
        s.queue.broker = f[2];
        s.queue.queue_id = std::atoi(f[3].c_str());
        s.queue_offset = std::strtoll(f[4].c_str(), nullptr, 10);
        s.msg_id = f[5];
        s.completed = at(6);
      } else if (f[0] == "failed" && f.size() == 3 && send_of.count(f[1])) {
        h::Send& s = hist.sends[send_of[f[1]]];
        s.outcome = h::SendOutcome::failed;
        s.completed = at(2);
      } else if (f[0] == "deliver" && f.size() == 12) {
        h::Delivery d;
        d.group = f[1];
        d.consumer = f[2];
        d.key = f[3];
        d.msg_id = f[4];
        d.queue = {f[5], f[6], std::atoi(f[7].c_str())};
        d.queue_offset = std::strtoll(f[8].c_str(), nullptr, 10);
        d.reconsume_times = std::atoi(f[9].c_str());
        d.at = at(10);
        d.body_digest = f[11];
        hist.deliveries.push_back(std::move(d));
      } else if (f[0] == "restart" && f.size() == 3) {
        hist.restarts.push_back({.consumer = f[1], .at = at(2)});
      } else if (f[0] == "rebalance" && f.size() == 5) {
        h::Rebalance rb{.group = f[1], .consumer = f[2], .at = at(3)};
        if (!f[4].empty())
          for (const auto& q : split(f[4], ',')) {
            const auto sep = q.find('@'), colon = q.rfind(':');
            if (sep == std::string::npos || colon == std::string::npos || colon < sep) {
              ++bad_lines;
              continue;
            }
            rb.owned.insert({q.substr(0, sep), q.substr(sep + 1, colon - sep - 1), std::atoi(q.c_str() + colon + 1)});
          }
        hist.rebalances.push_back(std::move(rb));
      } else {
        ++bad_lines;
      }
    }
  }
}

}  // namespace rmq::chaos
