// rmq-bench: producer and consumer load against a real cluster, like
// RocketMQ's benchmark tools.
//
//   rmq-bench producer -n 127.0.0.1:9876 -t BenchTopic [-s 128] [-w 64] [-d 10] [-g GROUP]
//   rmq-bench consumer -n 127.0.0.1:9876 -t BenchTopic [-g GROUP] [-d 10]
//
// producer: `-w` tasks each send synchronously in a loop (so `-w` sends are
// in flight) messages of `-s` bytes for `-d` seconds. consumer: a clustering
// push consumer from the last offset. Each prints one line per second (TPS,
// average/max/p99 latency in ms, failures) and a final `summary:` line.
// Exit status: 0, 1 when nothing got through, 2 for bad usage.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "client/producer.h"
#include "client/push_consumer.h"
#include "runtime/real/real_runtime.h"

namespace {

using namespace std::chrono_literals;
using rmq::rt::Duration;

struct Args {
  std::string mode;
  std::string namesrv = "127.0.0.1:9876";
  std::string topic = "BenchmarkTest";
  std::string group;
  size_t size = 128;
  int in_flight = 64;
  int seconds = 10;
};

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "rmq-bench: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: rmq-bench producer -n NAMESRV -t TOPIC [-s BYTES=128] [-w IN_FLIGHT=64] [-d SECONDS=10] [-g GROUP]\n"
               "       rmq-bench consumer -n NAMESRV -t TOPIC [-g GROUP] [-d SECONDS=10]\n");
  return 2;
}

// Latencies of one period, in microseconds.
struct Window {
  std::vector<int64_t> us;
  int64_t failed = 0;
  void clear() {
    us.clear();
    failed = 0;
  }
};

std::string describe(const std::vector<int64_t>& sorted_us, double seconds, int64_t failed) {
  if (sorted_us.empty()) return fmt::format("tps=0 failed={}", failed);
  double sum = 0;
  for (auto v : sorted_us) sum += static_cast<double>(v);
  const auto p99 = sorted_us[std::min(sorted_us.size() - 1, sorted_us.size() * 99 / 100)];
  return fmt::format("tps={:.0f} avg_ms={:.3f} p99_ms={:.3f} max_ms={:.3f} failed={}",
                     static_cast<double>(sorted_us.size()) / seconds, sum / static_cast<double>(sorted_us.size()) / 1000.0,
                     static_cast<double>(p99) / 1000.0, static_cast<double>(sorted_us.back()) / 1000.0, failed);
}

// Prints a line per second from `current` and keeps every sample in `all`.
void report_loop(rmq::rt::Runtime& rt, Window& current, std::vector<int64_t>& all, int64_t& failed_total,
                 const char* what) {
  for (int second = 1;; ++second) {
    rt.sleep_for(1s);
    std::vector<int64_t> w = current.us;
    std::sort(w.begin(), w.end());
    std::printf("%s second=%d %s\n", what, second, describe(w, 1.0, current.failed).c_str());
    std::fflush(stdout);
    all.insert(all.end(), current.us.begin(), current.us.end());
    failed_total += current.failed;
    current.clear();
  }
}

int run_producer(rmq::rt::Runtime& rt, const Args& a) {
  rmq::client::MqClient mq(rt, {.namesrv_addrs = {a.namesrv}, .instance_name = "rmq-bench"});
  mq.start();
  rmq::client::Producer p(mq, {.group = a.group.empty() ? "rmq-bench-producer" : a.group});
  const std::string body(a.size, 'b');
  Window current;
  std::vector<int64_t> all;
  int64_t failed = 0;
  bool stop = false;
  std::vector<rmq::rt::Task> senders;
  for (int i = 0; i < a.in_flight; ++i) {
    senders.push_back(rt.spawn("bench-send", [&] {
      while (!stop) {
        const auto t0 = rt.now();
        auto r = p.send({.topic = a.topic, .body = body});
        if (r.ok()) {
          current.us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(rt.now() - t0).count());
        } else {
          ++current.failed;
          if (current.failed == 1) std::fprintf(stderr, "rmq-bench: send failed: %s\n", r.error.c_str());
        }
      }
    }));
  }
  auto reporter = rt.spawn("bench-report", [&] { report_loop(rt, current, all, failed, "producer"); });
  const auto start = rt.now();
  rt.sleep_for(std::chrono::seconds(a.seconds));
  stop = true;
  for (auto& s : senders) (void)s.join();
  reporter.cancel_and_join();
  all.insert(all.end(), current.us.begin(), current.us.end());
  failed += current.failed;
  const double elapsed = std::chrono::duration<double>(rt.now() - start).count();
  std::sort(all.begin(), all.end());
  std::printf("summary: producer size=%zu in_flight=%d seconds=%.1f sent=%zu %s\n", a.size, a.in_flight, elapsed,
              all.size(), describe(all, elapsed, failed).c_str());
  mq.stop();
  return all.empty() ? 1 : 0;
}

int run_consumer(rmq::rt::Runtime& rt, const Args& a) {
  rmq::client::MqClient mq(rt, {.namesrv_addrs = {a.namesrv}, .instance_name = "rmq-bench-consumer"});
  mq.start();
  rmq::client::PushConsumer c(mq, {.group = a.group.empty() ? "rmq-bench-consumer" : a.group});
  c.subscribe(a.topic);
  Window current;
  std::vector<int64_t> all;
  int64_t failed = 0;
  c.start([&](const rmq::client::ReceivedMessage& m) {
    // End-to-end latency: store time to delivery, in wall-clock ms.
    current.us.push_back(std::max<int64_t>(0, rt.wall_ms() - m.store_timestamp) * 1000);
    return rmq::client::ConsumeResult::success;
  });
  auto reporter = rt.spawn("bench-report", [&] { report_loop(rt, current, all, failed, "consumer"); });
  const auto start = rt.now();
  rt.sleep_for(std::chrono::seconds(a.seconds));
  reporter.cancel_and_join();
  c.shutdown();
  all.insert(all.end(), current.us.begin(), current.us.end());
  const double elapsed = std::chrono::duration<double>(rt.now() - start).count();
  std::sort(all.begin(), all.end());
  std::printf("summary: consumer seconds=%.1f received=%zu %s (latency = store to delivery)\n", elapsed, all.size(),
              describe(all, elapsed, failed).c_str());
  mq.stop();
  return all.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) return usage("");
  a.mode = argv[1];
  if (a.mode != "producer" && a.mode != "consumer") return usage("unknown mode '" + a.mode + "'");
  for (int i = 2; i < argc; ++i) {
    const std::string f = argv[i];
    if (i + 1 >= argc) return usage(f + " needs a value");
    const std::string v = argv[++i];
    try {
      if (f == "-n") a.namesrv = v;
      else if (f == "-t") a.topic = v;
      else if (f == "-g") a.group = v;
      else if (f == "-s") a.size = std::stoul(v);
      else if (f == "-w") a.in_flight = std::stoi(v);
      else if (f == "-d") a.seconds = std::stoi(v);
      else return usage("unknown option '" + f + "'");
    } catch (const std::exception&) {
      return usage("bad value '" + v + "' for " + f);
    }
  }
  if (a.size == 0 || a.size > 4 * 1024 * 1024 || a.in_flight < 1 || a.in_flight > 4096 || a.seconds < 1)
    return usage("out of range: -s 1..4194304, -w 1..4096, -d >= 1");
  rmq::real::RealRuntime rt({.name = "bench", .min_log_level = rmq::rt::LogLevel::warn});
  int rc = 0;
  rt.stop_on_signals();
  rt.run([&] { rc = a.mode == "producer" ? run_producer(rt, a) : run_consumer(rt, a); });
  return rc;
}
