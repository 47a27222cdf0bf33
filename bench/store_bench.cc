// rmq-store-bench: MessageStore put throughput and latency on the real
// runtime, each case beside a raw sequential-write baseline measured in the
// same run, through the same runtime file API.
//
//   rmq-store-bench [--dir=DIR] [--seconds=S | --count=N] [--rounds=R]
//                   [--sizes=128,1024] [--flush=async,sync] [--putters=1,16,64]
//                   [--no-io-uring] [--keep]
//
// For each (body size, flush type, putters) case, R rounds (default 5) of:
//  - store: a fresh store under DIR (default: a new directory under $TMPDIR
//    or /tmp) with the default StoreConfig but for the flush type; N putter
//    tasks on one runtime call put() until M messages in all; each put's
//    latency is timed with the runtime clock. M is what the first round put
//    in S seconds (default 0.2), or --count. The store is closed (untimed)
//    and removed.
//  - baselines: M records of the same stored size, written back to back to
//    one fresh file,
//      1 record/write:  one write_at() per record (what the bytes cost with
//        no coalescing), and, for N > 1,
//      N records/write: N records per write_at() (the store's writer
//        coalesces whatever the putters appended into one write; with N
//        putters waiting that is up to N records);
//    and the flush policy:
//      ASYNC_FLUSH: a second task syncs the file every 500 ms (the store's
//        flushIntervalCommitLog);
//      SYNC_FLUSH:  a sync after every N records, and every record of those
//        N has their latency. With 1 putter that is a sync per record. It is
//        what perfect group commit would cost: every waiting putter rides
//        on every sync.
//  Odd rounds run the baselines first (store, baselines, baselines, store,
//  ...) so that a machine that speeds up or slows down during a case favours
//  neither side. Each row sums its rounds; a baseline row's ratio is the
//  store's messages per second over the baseline's in the same round, the
//  median over the rounds with the lowest and highest beside it (a shared
//  machine's bursts hit single rounds; the median shrugs them off).
// MB/s counts stored record bytes (header, body, topic, properties), the
// bytes both sides write. Prints a Markdown table (docs/perf.md keeps them).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "common/message_format.h"
#include "runtime/real/real_runtime.h"
#include "store/message_store.h"

namespace {

using namespace rmq;
using namespace std::chrono_literals;
using store::FlushDiskType;

constexpr rt::Duration kBaselineSyncInterval = 500ms;
constexpr int kQueues = 4;

struct Options {
  std::string dir;
  double seconds = 0.2;
  int64_t count = 0;  // > 0: a fixed number of messages per round instead of a duration
  int rounds = 5;
  std::vector<int> sizes{128, 1024};
  std::vector<FlushDiskType> flushes{FlushDiskType::async_flush, FlushDiskType::sync_flush};
  std::vector<int> putters{1, 16, 64};
  bool io_uring = true;
  bool keep = false;
};

// What one side measured, summed over rounds.
struct Sample {
  int64_t messages = 0;
  int64_t errors = 0;
  int64_t bytes = 0;
  rt::Duration elapsed{0};
  std::vector<rt::Duration> latencies;
  void add(Sample&& o) {
    messages += o.messages;
    errors += o.errors;
    bytes += o.bytes;
    elapsed += o.elapsed;
    latencies.insert(latencies.end(), o.latencies.begin(), o.latencies.end());
  }
};

struct Stats {
  int64_t messages = 0;
  double msgs_per_s = 0, mb_per_s = 0;
  double avg_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
};

double us(rt::Duration d) { return static_cast<double>(d.count()) / 1e3; }

Stats summarize(Sample& s) {
  Stats out;
  out.messages = s.messages;
  const double seconds = std::chrono::duration<double>(s.elapsed).count();
  if (seconds > 0) {
    out.msgs_per_s = static_cast<double>(s.messages) / seconds;
    out.mb_per_s = static_cast<double>(s.bytes) / seconds / 1e6;
  }
  auto& lat = s.latencies;
  if (lat.empty()) return out;
  std::sort(lat.begin(), lat.end());
  const size_t n = lat.size();
  const rt::Duration total = std::accumulate(lat.begin(), lat.end(), rt::Duration{0});
  out.avg_us = us(total) / static_cast<double>(n);
  out.p50_us = us(lat[n / 2]);
  out.p99_us = us(lat[std::min(n - 1, n * 99 / 100)]);
  out.max_us = us(lat.back());
  return out;
}

std::string_view flush_name(FlushDiskType f) { return f == FlushDiskType::sync_flush ? "SYNC" : "ASYNC"; }

common::StoredMessage make_message(int body_bytes, int32_t queue_id, uint64_t seq) {
  common::StoredMessage m;
  m.topic = "BenchTopic";
  m.queue_id = queue_id;
  m.body.assign(static_cast<size_t>(body_bytes), std::byte{'x'});
  // Fixed-width key: every record has the same stored size.
  m.properties = common::encode_properties({{"UNIQ_KEY", fmt::format("{:032X}", seq)}, {"TAGS", "TagA"}});
  m.born_timestamp = 1700000000000;
  m.born_host = *common::parse_host_port4("127.0.0.1:50000");
  return m;
}

struct Case {
  int body_bytes;
  FlushDiskType flush;
  int putters;
};

// How long a store round runs: `count` puts in all, or until `deadline`.
struct Limit {
  int64_t count = 0;
  rt::Duration duration{0};
};

// N putters on one fresh store. Suspends.
Sample run_store(rt::Runtime& rt, const Case& c, const Limit& limit, const std::string& dir) {
  store::StoreConfig cfg;
  cfg.root_dir = dir;
  cfg.flush_disk_type = c.flush;
  auto st = store::MessageStore::open(rt, cfg);
  if (!st) {
    fmt::print(stderr, "rmq-store-bench: open {}: {}\n", dir, st.error().message());
    std::exit(1);
  }
  store::MessageStore& s = **st;
  Sample out;
  std::vector<std::vector<rt::Duration>> lat(static_cast<size_t>(c.putters));
  int64_t issued = 0;
  uint64_t seq = 0;
  const uint32_t record_bytes = common::stored_size(make_message(c.body_bytes, 0, 0));
  rt::WaitGroup wg(rt);
  const rt::Instant start = rt.now();
  const rt::Instant deadline = start + limit.duration;
  std::vector<rt::Task> tasks;
  for (int p = 0; p < c.putters; ++p) {
    wg.add();
    tasks.push_back(rt.spawn(fmt::format("putter-{}", p), [&, p] {
      auto& mine = lat[static_cast<size_t>(p)];
      for (;;) {
        if (limit.count > 0 ? issued >= limit.count : rt.now() >= deadline) break;
        ++issued;
        common::StoredMessage m = make_message(c.body_bytes, p % kQueues, seq++);
        const rt::Instant t0 = rt.now();
        auto r = s.put(std::move(m));
        const rt::Instant t1 = rt.now();
        if (!r.ok()) {
          if (out.errors++ == 0) fmt::print(stderr, "rmq-store-bench: put failed: {} {}\n", to_string(r.status), r.detail);
          continue;
        }
        mine.push_back(t1 - t0);
      }
      wg.done();
    }));
  }
  (void)wg.wait();
  out.elapsed = rt.now() - start;
  for (auto& t : tasks) (void)t.join();
  for (auto& l : lat) out.latencies.insert(out.latencies.end(), l.begin(), l.end());
  out.messages = static_cast<int64_t>(out.latencies.size());
  out.bytes = out.messages * record_bytes;
  if (auto r = s.close(); !r) fmt::print(stderr, "rmq-store-bench: close: {}\n", r.error().message());
  return out;
}

// The raw sequential-write baseline (see the file comment): `messages`
// records, `per_write` of them in each write_at(). Suspends.
Sample run_baseline(rt::Runtime& rt, const Case& c, int64_t messages, int per_write, const std::string& path) {
  Sample out;
  std::vector<std::byte> record;
  common::encode_stored(make_message(c.body_bytes, 0, 0), record);
  std::vector<std::byte> buf;
  for (int i = 0; i < per_write; ++i) buf.insert(buf.end(), record.begin(), record.end());
  auto f = rt.fs().open(path, rt::OpenMode::create_new);
  if (!f) {
    fmt::print(stderr, "rmq-store-bench: open {}: {}\n", path, f.error().message());
    std::exit(1);
  }
  rt::File& file = **f;
  out.latencies.reserve(static_cast<size_t>(messages));
  const bool sync = c.flush == FlushDiskType::sync_flush;
  rt::Task syncer;
  if (!sync) {
    syncer = rt.spawn("baseline-syncer", [&] {
      for (;;) {
        rt.sleep_for(kBaselineSyncInterval);
        if (!file.sync()) ++out.errors;
      }
    });
  }
  // SYNC: a sync after every `group` records; every record of the group
  // waits for it.
  const int64_t group = c.putters;
  uint64_t offset = 0;
  const rt::Instant start = rt.now();
  for (int64_t i = 0; i < messages;) {
    const int64_t n = std::min(sync ? group : int64_t{per_write}, messages - i);
    const rt::Instant t0 = rt.now();
    for (int64_t k = 0; k < n; k += per_write) {
      const int64_t records = std::min<int64_t>(per_write, n - k);
      const std::span<const std::byte> data(buf.data(), static_cast<size_t>(records) * record.size());
      if (!file.write_at(offset, data)) ++out.errors;
      offset += data.size();
    }
    if (sync && !file.sync()) ++out.errors;
    const rt::Duration d = rt.now() - t0;
    for (int64_t k = 0; k < n; ++k) out.latencies.push_back(d);
    i += n;
  }
  out.elapsed = rt.now() - start;
  if (syncer.valid()) syncer.cancel_and_join();
  out.messages = messages;
  out.bytes = static_cast<int64_t>(offset);
  return out;
}

double rate(const Sample& s) {
  const double seconds = std::chrono::duration<double>(s.elapsed).count();
  return seconds > 0 ? static_cast<double>(s.messages) / seconds : 0;
}

struct CaseResult {
  Sample store;
  Sample per_record;  // baseline, one record per write
  Sample coalesced;   // baseline, `putters` records per write (putters > 1)
  // Per round: store msg/s over each baseline's.
  std::vector<double> per_record_ratios;
  std::vector<double> coalesced_ratios;
};

// The rounds of one case (see the file comment). Suspends.
CaseResult run_case(rt::Runtime& rt, const Options& opt, const Case& c, const std::string& dir) {
  CaseResult res;
  Limit limit{.count = opt.count,
              .duration = std::chrono::duration_cast<rt::Duration>(std::chrono::duration<double>(opt.seconds))};
  for (int r = 0; r < opt.rounds; ++r) {
    const std::string round_dir = fmt::format("{}/round-{}", dir, r);
    std::filesystem::create_directories(round_dir);
    Sample one, many;
    const auto baselines = [&](int64_t messages) {
      one = run_baseline(rt, c, messages, 1, round_dir + "/baseline-1");
      if (c.putters > 1) many = run_baseline(rt, c, messages, c.putters, round_dir + "/baseline-n");
    };
    const bool baseline_first = r % 2 == 1;
    if (baseline_first) baselines(limit.count);
    Sample s = run_store(rt, c, limit, round_dir + "/store");
    if (limit.count == 0) limit.count = s.messages;  // later rounds write as much as the first
    if (!baseline_first) baselines(s.messages);
    if (rate(one) > 0) res.per_record_ratios.push_back(rate(s) / rate(one));
    if (rate(many) > 0) res.coalesced_ratios.push_back(rate(s) / rate(many));
    res.store.add(std::move(s));
    res.per_record.add(std::move(one));
    res.coalesced.add(std::move(many));
    if (!opt.keep) std::filesystem::remove_all(round_dir);
  }
  return res;
}

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const int v = std::atoi(part.c_str());
    if (v <= 0) {
      fmt::print(stderr, "rmq-store-bench: bad number '{}'\n", part);
      std::exit(2);
    }
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    const std::string key = a.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (key == "--dir") {
      o.dir = value;
    } else if (key == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (key == "--count") {
      o.count = std::atoll(value.c_str());
    } else if (key == "--rounds") {
      o.rounds = std::atoi(value.c_str());
    } else if (key == "--sizes") {
      o.sizes = parse_ints(value);
    } else if (key == "--putters") {
      o.putters = parse_ints(value);
    } else if (key == "--flush") {
      o.flushes.clear();
      if (value.find("async") != std::string::npos) o.flushes.push_back(FlushDiskType::async_flush);
      if (value.find("sync") != std::string::npos && value != "async") o.flushes.push_back(FlushDiskType::sync_flush);
    } else if (key == "--no-io-uring") {
      o.io_uring = false;
    } else if (key == "--keep") {
      o.keep = true;
    } else {
      fmt::print(stderr,
                 "usage: rmq-store-bench [--dir=DIR] [--seconds=S | --count=N] [--rounds=R] [--sizes=128,1024] "
                 "[--flush=async,sync] [--putters=1,16,64] [--no-io-uring] [--keep]\n");
      std::exit(2);
    }
  }
  if ((o.seconds <= 0 && o.count <= 0) || o.rounds <= 0) {
    fmt::print(stderr, "rmq-store-bench: --seconds or --count, and --rounds, must be positive\n");
    std::exit(2);
  }
  return o;
}

std::string make_base_dir(const Options& opt) {
  std::string base = opt.dir;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = std::string(tmp && *tmp ? tmp : "/tmp") + "/rmq-store-bench.XXXXXX";
    if (::mkdtemp(base.data()) == nullptr) {
      fmt::print(stderr, "rmq-store-bench: mkdtemp {}: failed\n", base);
      std::exit(1);
    }
  } else {
    std::filesystem::create_directories(base);
  }
  return base;
}

// "**0.82x** (0.61-0.95)": the median of the rounds' ratios and their range.
std::string ratio_text(std::vector<double> r) {
  if (r.empty()) return "-";
  std::sort(r.begin(), r.end());
  const double median = r.size() % 2 == 1 ? r[r.size() / 2] : (r[r.size() / 2 - 1] + r[r.size() / 2]) / 2;
  return fmt::format("**{:.2f}x** ({:.2f}-{:.2f})", median, r.front(), r.back());
}

std::string row(const Case& c, std::string_view what, const Stats& s, std::string_view ratio) {
  return fmt::format("| {} B | {} | {} | {} | {} | {:.0f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {} |",
                     c.body_bytes, flush_name(c.flush), c.putters, what, s.messages, s.msgs_per_s, s.mb_per_s,
                     s.avg_us, s.p50_us, s.p99_us, s.max_us, ratio);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const std::string base = make_base_dir(opt);
  std::vector<Case> cases;
  for (int size : opt.sizes)
    for (auto flush : opt.flushes)
      for (int p : opt.putters) cases.push_back({size, flush, p});

  real::RealRuntime rt({.name = "store-bench", .seed = 1, .min_log_level = rt::LogLevel::warn,
                        .disable_io_uring = !opt.io_uring});
  int errors = 0;
  rt.run([&] {
    fmt::print("rmq-store-bench: {} cases under {}, files through {}, {} rounds of {} per case\n", cases.size(), base,
               rt.using_io_uring() ? "io_uring" : "the pread/pwrite fallback", opt.rounds,
               opt.count > 0 ? fmt::format("{} messages", opt.count) : fmt::format("{:g} s", opt.seconds));
    fmt::print("baselines: the same records written back to back to one file through the runtime's File, one\n"
               "  record per write_at, and (putters > 1) <putters> records per write_at; ASYNC: a sync every 500 ms;\n"
               "  SYNC: a sync after every <putters> records (1 putter: after every record).\n"
               "latency in us; MB/s of stored record bytes; last column: store msg/s / that baseline's msg/s,\n"
               "  the median over the rounds (and the lowest-highest round).\n\n");
    fmt::print("| body | flush | putters | run | msgs | msg/s | MB/s | avg | p50 | p99 | max | store / this |\n");
    fmt::print("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    std::fflush(stdout);
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const std::string dir = fmt::format("{}/case-{}", base, i);
      CaseResult res = run_case(rt, opt, c, dir);
      errors += static_cast<int>(res.store.errors + res.per_record.errors + res.coalesced.errors);
      const Stats s = summarize(res.store);
      fmt::print("{}\n", row(c, "store", s, ""));
      fmt::print("{}\n", row(c, "baseline: 1 record/write", summarize(res.per_record), ratio_text(res.per_record_ratios)));
      if (c.putters > 1)
        fmt::print("{}\n", row(c, fmt::format("baseline: {} records/write", c.putters), summarize(res.coalesced),
                                ratio_text(res.coalesced_ratios)));
      std::fflush(stdout);
      if (!opt.keep) std::filesystem::remove_all(dir);
    }
  });
  if (!opt.keep && opt.dir.empty()) std::filesystem::remove_all(base);
  if (errors > 0) {
    fmt::print(stderr, "rmq-store-bench: {} failed operations\n", errors);
    return 1;
  }
  return 0;
}
