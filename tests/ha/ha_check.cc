// ha_check: the client half of the master/slave process test
// (tests/ha/master_kill_test.sh), on the real runtime.
//
//   ha_check send NAMESRV TOPIC COUNT ACKED_FILE
//       sends COUNT messages (key and body "k<i>"), writes the key of every
//       SEND_OK to ACKED_FILE, one per line; prints "sent=.. acked=..".
//   ha_check consume NAMESRV TOPIC GROUP ACKED_FILE SECONDS
//       consumes TOPIC from its first offset until every key of ACKED_FILE
//       was seen intact or SECONDS pass; exit 0 when all were, else 1 naming
//       how many are missing.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "runtime/real/real_runtime.h"

namespace {

using namespace std::chrono_literals;

int send(const std::string& namesrv, const std::string& topic, int count, const std::string& path) {
  rmq::real::RealRuntime rt({.name = "ha_check"});
  int rc = 0;
  rt.run([&] {
    rmq::client::MqClient mq(rt, {.namesrv_addrs = {namesrv}, .instance_name = "ha-send"});
    mq.start();
    rmq::client::Producer p(mq, {.group = "HaCheckPG"});
    std::ofstream out(path);
    int acked = 0;
    for (int i = 0; i < count; ++i) {
      const std::string key = "k" + std::to_string(i);
      auto r = p.send({.topic = topic, .keys = key, .body = key});
      if (r.ok()) {
        out << key << "\n";
        ++acked;
      }
    }
    out.flush();
    std::printf("sent=%d acked=%d\n", count, acked);
    if (!out) rc = 1;
    mq.stop();
  });
  return rc;
}

int consume(const std::string& namesrv, const std::string& topic, const std::string& group, const std::string& path,
            int seconds) {
  std::set<std::string> want;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) want.insert(line);
  }
  rmq::real::RealRuntime rt({.name = "ha_check"});
  std::set<std::string> seen;
  int corrupt = 0;
  rt.run([&] {
    rmq::client::MqClient mq(rt, {.namesrv_addrs = {namesrv}, .instance_name = "ha-consume"});
    mq.start();
    rmq::client::PushConsumer c(mq, {.group = group, .consume_from = rmq::client::ConsumeFrom::first_offset});
    c.subscribe(topic);
    c.start([&](const rmq::client::ReceivedMessage& m) {
      if (m.body != m.keys) ++corrupt;
      seen.insert(m.keys);
      return rmq::client::ConsumeResult::success;
    });
    for (int i = 0; i < seconds * 10; ++i) {
      size_t missing = 0;
      for (const auto& k : want) missing += seen.count(k) ? 0 : 1;
      if (missing == 0) break;
      rt.sleep_for(100ms);
    }
    c.shutdown();
    mq.stop();
  });
  size_t missing = 0;
  for (const auto& k : want) missing += seen.count(k) ? 0 : 1;
  std::printf("acked=%zu seen=%zu missing=%zu corrupt=%d\n", want.size(), seen.size(), missing, corrupt);
  return missing == 0 && corrupt == 0 && !want.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "send" && argc == 6) return send(argv[2], argv[3], std::stoi(argv[4]), argv[5]);
  if (mode == "consume" && argc == 7) return consume(argv[2], argv[3], argv[4], argv[5], std::stoi(argv[6]));
  std::fprintf(stderr,
               "usage: ha_check send NAMESRV TOPIC COUNT ACKED_FILE\n"
               "       ha_check consume NAMESRV TOPIC GROUP ACKED_FILE SECONDS\n");
  return 2;
}
