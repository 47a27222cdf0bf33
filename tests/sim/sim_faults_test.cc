// The simulator's faults, each checked from the point of view of the nodes:
// what a partition, clog, reset, crash, power loss and clock skew look like
// through the runtime contract.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

#include "runtime/runtime.h"
#include "sim/disk.h"
#include "sim/simulation.h"
#include "tests/util/bytes.h"

namespace rmq::sim {
namespace {

using namespace std::chrono_literals;
using rt::Errc;
using test::bytes_of;

// A server node that accepts connections on :9000 and hands them to
// `on_conn` (run in its own task).
Node::Main server_main(std::function<void(rt::Runtime&, rt::Conn&)> on_conn) {
  return [on_conn](rt::Runtime& rt) {
    auto l = rt.listen("0.0.0.0:9000");
    ASSERT_TRUE(l.ok());
    for (;;) {
      auto c = (*l)->accept();
      if (!c) continue;
      std::shared_ptr<rt::Conn> conn = std::move(*c);
      rt.spawn("conn", [&rt, conn, on_conn] { on_conn(rt, *conn); });
    }
  };
}

void drain(rt::Runtime&, rt::Conn& c) {
  std::vector<std::byte> buf(1024);
  while (true) {
    auto n = c.read_some(buf);
    if (!n || *n == 0) return;
  }
}

TEST(SimNetwork, PartitionDelaysDataUntilHealNothingLost) {
  Simulation sim(1);
  std::string got;
  rt::Instant got_at{};
  auto& server = sim.add_node("server", server_main([&](rt::Runtime& rt, rt::Conn& c) {
    std::vector<std::byte> buf(5);
    if (c.read_exact(buf).ok()) {
      got.assign(reinterpret_cast<char*>(buf.data()), 5);
      got_at = rt.now();
    }
  }));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto c = rt.connect(server.ip() + ":9000", 1s);
    ASSERT_TRUE(c.ok());
    rt.sleep_for(1s);  // the partition starts meanwhile
    ASSERT_TRUE((*c)->write_all(bytes_of("hello")).ok());
    rt.sleep_for(1h);
  });
  sim.start_all();
  sim.at(rt::Instant(500ms), [&] { sim.partition(0, 1); });
  sim.at(rt::Instant(10s), [&] { sim.heal(0, 1); });
  sim.run_for(20s);
  EXPECT_EQ(got, "hello");
  EXPECT_GE(got_at, rt::Instant(10s));
}

TEST(SimNetwork, PartitionOutlastingGiveUpResetsConnection) {
  NetConfig net;
  net.give_up_after = 30s;
  Simulation sim(2, net);
  std::optional<Errc> client_error;
  auto& server = sim.add_node("server", server_main(drain));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto c = rt.connect(server.ip() + ":9000", 1s);
    ASSERT_TRUE(c.ok());
    rt.sleep_for(1s);
    ASSERT_TRUE((*c)->write_all(bytes_of("lost")).ok());
    std::vector<std::byte> buf(4);
    auto r = (*c)->read_some(buf, 10min);
    if (!r) client_error = r.code();
  });
  sim.start_all();
  sim.at(rt::Instant(500ms), [&] { sim.partition(0, 1); });
  sim.run_for(2min);
  ASSERT_TRUE(client_error.has_value());
  EXPECT_EQ(*client_error, Errc::reset);
}

TEST(SimNetwork, ConnectAcrossPartitionTimesOutAndOneWayPartitionToo) {
  Simulation sim(3);
  std::vector<Errc> errors;
  auto& server = sim.add_node("server", server_main(drain));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto a = rt.connect(server.ip() + ":9000", 3s);
    errors.push_back(a ? Errc::closed : a.code());
    auto b = rt.connect(server.ip() + ":9000", 3s);  // only server->client blocked now
    errors.push_back(b ? Errc::closed : b.code());
  });
  sim.partition(0, 1);
  sim.start_all();
  sim.at(rt::Instant(3500ms), [&] {
    sim.heal(0, 1);
    sim.partition(0, 1, /*two_way=*/false);
  });
  sim.run_for(20s);
  EXPECT_EQ(errors, (std::vector<Errc>{Errc::timeout, Errc::timeout}));
}

TEST(SimNetwork, ClogAddsLatency) {
  Simulation sim(4);
  rt::Duration rtt{};
  auto& server = sim.add_node("server", server_main([](rt::Runtime&, rt::Conn& c) {
    std::vector<std::byte> b(1);
    while (c.read_exact(b).ok() && c.write_all(b).ok()) {
    }
  }));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto c = rt.connect(server.ip() + ":9000", 1s);
    ASSERT_TRUE(c.ok());
    std::vector<std::byte> b(1);
    const auto t0 = rt.now();
    ASSERT_TRUE((*c)->write_all(b).ok());
    ASSERT_TRUE((*c)->read_exact(b).ok());
    rtt = rt.now() - t0;
  });
  sim.clog(1, 0, 200ms);
  sim.start_all();
  sim.run_for(10s);
  EXPECT_GE(rtt, 200ms);
  EXPECT_LT(rtt, 250ms);
}

TEST(SimNetwork, ResetConnectionsResetsBothEnds) {
  Simulation sim(5);
  std::optional<Errc> server_err, client_err;
  auto& server = sim.add_node("server", server_main([&](rt::Runtime&, rt::Conn& c) {
    std::vector<std::byte> b(1);
    auto r = c.read_some(b);
    if (!r) server_err = r.code();
  }));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto c = rt.connect(server.ip() + ":9000", 1s);
    ASSERT_TRUE(c.ok());
    std::vector<std::byte> b(1);
    auto r = (*c)->read_some(b);
    if (!r) client_err = r.code();
  });
  sim.start_all();
  sim.at(rt::Instant(1s), [&] { sim.reset_connections(0, 1); });
  sim.run_for(5s);
  EXPECT_EQ(server_err, Errc::reset);
  EXPECT_EQ(client_err, Errc::reset);
}

TEST(SimNodes, ProcessCrashClosesPeerConnectionsPowerLossDoesNot) {
  for (bool power : {false, true}) {
    SCOPED_TRACE(power ? "power loss" : "process crash");
    Simulation sim(6);
    std::optional<Errc> read_err;
    std::optional<size_t> read_n;
    auto& server = sim.add_node("server", server_main(drain));
    sim.add_node("client", [&](rt::Runtime& rt) {
      auto c = rt.connect(server.ip() + ":9000", 1s);
      ASSERT_TRUE(c.ok());
      std::vector<std::byte> b(1);
      auto r = (*c)->read_some(b, 30s);
      if (r) read_n = *r; else read_err = r.code();
    });
    sim.start_all();
    sim.at(rt::Instant(1s), [&] { power ? sim.power_loss(0) : sim.crash(0); });
    sim.run_for(1min);
    if (power) {
      EXPECT_EQ(read_err, Errc::timeout);  // nobody told the client
    } else {
      EXPECT_EQ(read_n, 0u);  // end of stream
    }
  }
}

TEST(SimNodes, WriteToPowerCycledPeerIsAnsweredWithReset) {
  Simulation sim(7);
  std::optional<Errc> err;
  auto& server = sim.add_node("server", server_main(drain));
  sim.add_node("client", [&](rt::Runtime& rt) {
    auto c = rt.connect(server.ip() + ":9000", 1s);
    ASSERT_TRUE(c.ok());
    rt.sleep_for(5s);
    for (int i = 0; i < 10 && !err; ++i) {
      auto w = (*c)->write_all(bytes_of("x"));
      if (!w) err = w.code();
      rt.sleep_for(100ms);
    }
  });
  sim.start_all();
  sim.at(rt::Instant(1s), [&] { sim.power_loss(0); });
  sim.at(rt::Instant(2s), [&] { sim.start(0); });
  sim.run_for(1min);
  EXPECT_EQ(err, Errc::reset);
}

TEST(SimNodes, CrashRunsDestructorsButTheirIoNeverReachesDisk) {
  Simulation sim(8);
  bool destructor_ran = false;
  int boots = 0;
  std::string seen_after_restart;
  sim.add_node("n", [&](rt::Runtime& rt) {
    ++boots;
    auto f = rt.fs().open("/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    if (boots == 2) {
      std::vector<std::byte> b(8);
      auto n = (*f)->read_at(0, b);
      seen_after_restart.assign(reinterpret_cast<char*>(b.data()), *n);
      return;
    }
    ASSERT_TRUE((*f)->write_at(0, bytes_of("before")).ok());  // unsynced: survives a process crash
    struct ScribbleOnExit {
      rt::File& file;
      bool& ran;
      ~ScribbleOnExit() {
        ran = true;
        auto r = file.write_at(0, bytes_of("AFTER!"));
        EXPECT_FALSE(r.ok());
        if (!r.ok()) {
          EXPECT_EQ(r.code(), Errc::cancelled);
        }
      }
    } scribble{**f, destructor_ran};
    rt.sleep_for(1h);
  });
  sim.start_all();
  sim.at(rt::Instant(1s), [&] { sim.crash(0); });
  sim.at(rt::Instant(2s), [&] { sim.start(0); });
  sim.run_for(5s);
  EXPECT_TRUE(destructor_ran);
  EXPECT_EQ(boots, 2);
  EXPECT_EQ(sim.node(0).incarnation(), 2u);
  EXPECT_EQ(seen_after_restart, "before");
}

TEST(SimNodes, PowerLossDropsUnsyncedWrites) {
  Simulation sim(9);
  int boots = 0;
  std::string seen;
  sim.add_node("n", [&](rt::Runtime& rt) {
    ++boots;
    auto& fs = rt.fs();
    auto f = fs.open("/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    if (boots == 2) {
      std::vector<std::byte> b(16);
      auto n = (*f)->read_at(0, b);
      seen.assign(reinterpret_cast<char*>(b.data()), *n);
      return;
    }
    ASSERT_TRUE(fs.sync_dir("/").ok());
    ASSERT_TRUE((*f)->write_at(0, bytes_of("synced")).ok());
    ASSERT_TRUE((*f)->sync().ok());
    ASSERT_TRUE((*f)->write_at(6, std::vector<std::byte>(2000, std::byte{'u'})).ok());
    rt.sleep_for(1h);
  });
  sim.start_all();
  sim.at(rt::Instant(1s), [&] { sim.power_loss(0); });
  sim.at(rt::Instant(2s), [&] { sim.start(0); });
  sim.run_for(5s);
  ASSERT_EQ(boots, 2);
  ASSERT_GE(seen.size(), 6u);
  EXPECT_EQ(seen.substr(0, 6), "synced");
  for (char c : seen.substr(6)) EXPECT_EQ(c, 'u');  // a prefix of the unsynced write, at most
}

TEST(SimNodes, SlowDiskAndSyncStallsDelayOperations) {
  DiskConfig slow;
  slow.sync_stall_probability = 1.0;
  slow.sync_stall = 3s;
  Simulation sim(10, NetConfig{}, slow);
  rt::Duration took{};
  sim.add_node("n", [&](rt::Runtime& rt) {
    auto f = rt.fs().open("/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    const auto t0 = rt.now();
    ASSERT_TRUE((*f)->sync().ok());
    took = rt.now() - t0;
  });
  sim.start_all();
  sim.run_for(10s);
  EXPECT_GE(took, 3s);
}

TEST(SimNodes, ReadCorruptionFlipsReturnedBitsNotStoredOnes) {
  DiskConfig cfg;
  cfg.read_corruption_probability = 1.0;
  Simulation sim(11, NetConfig{}, cfg);
  int differing_bits = -1;
  sim.add_node("n", [&](rt::Runtime& rt) {
    auto f = rt.fs().open("/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    const std::vector<std::byte> data(64, std::byte{0x55});
    ASSERT_TRUE((*f)->write_at(0, data).ok());
    std::vector<std::byte> b(64);
    ASSERT_EQ(*(*f)->read_at(0, b), 64u);
    differing_bits = 0;
    for (size_t i = 0; i < b.size(); ++i)
      differing_bits += __builtin_popcount(static_cast<unsigned>(b[i] ^ data[i]));
  });
  sim.start_all();
  sim.run_for(1s);
  EXPECT_EQ(differing_bits, 1);
  EXPECT_EQ(sim.node(0).disk().open("/f", rt::OpenMode::existing).value()->current,
            std::vector<std::byte>(64, std::byte{0x55}));
}

TEST(SimNodes, SyncErrorIsReportedAndPromisesNothing) {
  DiskConfig cfg;
  cfg.sync_error_probability = 1.0;
  Simulation sim(12, NetConfig{}, cfg);
  std::optional<Errc> err;
  sim.add_node("n", [&](rt::Runtime& rt) {
    auto f = rt.fs().open("/f", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(0, bytes_of("x")).ok());
    auto s = (*f)->sync();
    if (!s) err = s.code();
  });
  sim.start_all();
  sim.run_for(1s);
  EXPECT_EQ(err, Errc::io_error);
  EXPECT_FALSE(sim.node(0).disk().open("/f", rt::OpenMode::existing).value()->unsynced.empty());
}

TEST(SimClock, SkewAndDriftMoveOnlyTheWallClock) {
  Simulation sim(13);
  int64_t a_wall = 0, b_wall = 0;
  rt::Instant a_now{}, b_now{};
  auto& a = sim.add_node("a", [&](rt::Runtime& rt) {
    rt.sleep_for(100s);
    a_wall = rt.wall_ms();
    a_now = rt.now();
  });
  auto& b = sim.add_node("b", [&](rt::Runtime& rt) {
    rt.sleep_for(100s);
    b_wall = rt.wall_ms();
    b_now = rt.now();
  });
  a.clock().skew_ms = 5000;
  b.clock().drift_ppm = 1000;  // 1 ms per second fast
  sim.start_all();
  sim.run_for(200s);
  EXPECT_EQ(a_now, b_now);
  EXPECT_EQ(a_wall - b_wall, 5000 - 100);
}

TEST(SimClock, ChangingTheDriftMidRunDoesNotJumpTheWallClock) {
  Simulation sim(14);
  std::vector<int64_t> walls;
  sim.add_node("a", [&](rt::Runtime& rt) {
    for (int i = 0; i < 3; ++i) {
      rt.sleep_for(100s);
      walls.push_back(rt.wall_ms());
    }
  });
  sim.node(0).clock().drift_ppm = 1000;
  sim.start_all();
  sim.at(rt::Instant(150s), [&] { sim.set_clock_drift(0, -1000); });
  sim.run_for(400s);
  ASSERT_EQ(walls.size(), 3u);
  // 100 s at +1000 ppm: +100 ms; then 50 s fast and 50 s slow: +0; then 100 s slow: -100 ms.
  EXPECT_EQ(walls[1] - walls[0], 100'000);
  EXPECT_EQ(walls[2] - walls[1], 100'000 - 100);
}

// Echoes single bytes on :9000 and measures, from a client, the round trips
// of `count` pings spaced `gap` apart.
struct PingRig {
  Simulation sim;
  std::vector<rt::Duration> rtts;
  std::vector<rt::Instant> answered;
  bool broken = false;  // the connection failed
  explicit PingRig(uint64_t seed, int count, rt::Duration gap) : sim(seed) {
    auto& server = sim.add_node("server", server_main([](rt::Runtime&, rt::Conn& c) {
      std::vector<std::byte> b(1);
      while (c.read_exact(b).ok() && c.write_all(b).ok()) {
      }
    }));
    sim.add_node("client", [this, ip = server.ip(), count, gap](rt::Runtime& rt) {
      auto c = rt.connect(ip + ":9000", 1s);
      ASSERT_TRUE(c.ok());
      std::vector<std::byte> b(1);
      for (int i = 0; i < count; ++i) {
        const auto t0 = rt.now();
        if (!(*c)->write_all(b).ok() || !(*c)->read_exact(b).ok()) {
          broken = true;
          return;
        }
        rtts.push_back(rt.now() - t0);
        answered.push_back(rt.now());
        rt.sleep_for(gap);
      }
    });
  }
};

TEST(SimNetwork, LossDelaysDeliveriesByRetransmissionsNothingLost) {
  PingRig k(15, 200, 10ms);
  k.sim.loss(1, 0, 0.5);
  k.sim.start_all();
  k.sim.run_for(600s);
  ASSERT_EQ(k.rtts.size(), 200u);
  const auto slow = std::count_if(k.rtts.begin(), k.rtts.end(), [](rt::Duration d) { return d >= 200ms; });
  EXPECT_GT(slow, 60);
  EXPECT_LT(slow, 140);
  k.sim.loss(1, 0, 0);
}

TEST(SimNetwork, JitterAddsLatencyUpToItsMaximum) {
  PingRig k(16, 100, 10ms);
  k.sim.jitter(0, 1, 100ms);
  k.sim.start_all();
  k.sim.run_for(600s);
  ASSERT_EQ(k.rtts.size(), 100u);
  const auto [lo, hi] = std::minmax_element(k.rtts.begin(), k.rtts.end());
  EXPECT_LT(*lo, 30ms);
  EXPECT_GT(*hi, 70ms);
  EXPECT_LT(*hi, 100ms + 50ms);
}

TEST(SimNodes, APausedNodeAnswersNothingUntilResumedThenEverythingHeldRuns) {
  PingRig k(17, 20, 1s);
  std::vector<rt::Instant> server_ticks;
  k.sim.start_all();
  k.sim.at(rt::Instant(5500ms), [&] { k.sim.pause(0); });
  k.sim.at(rt::Instant(15500ms), [&] {
    EXPECT_TRUE(k.sim.node(0).paused());
    k.sim.resume(0);
  });
  k.sim.run_for(60s);
  ASSERT_EQ(k.rtts.size(), 20u);
  EXPECT_FALSE(k.broken);
  // No answer while paused; the ping sent during the pause is answered at resume.
  for (rt::Instant t : k.answered) EXPECT_FALSE(t > rt::Instant(5500ms) && t < rt::Instant(15500ms));
  EXPECT_GE(*std::max_element(k.rtts.begin(), k.rtts.end()), 9s);
  EXPECT_FALSE(k.sim.node(0).paused());
}

TEST(SimNodes, CrashingAPausedNodeReleasesWhatItHeld) {
  PingRig k(18, 20, 1s);
  k.sim.start_all();
  k.sim.at(rt::Instant(5500ms), [&] { k.sim.pause(0); });
  k.sim.at(rt::Instant(8s), [&] { k.sim.crash(0); });
  k.sim.run_for(60s);
  EXPECT_FALSE(k.sim.node(0).paused());
  EXPECT_FALSE(k.sim.node(0).up());
  // The ping held at the pause was not answered; the client saw the crash.
  EXPECT_EQ(k.rtts.size(), 6u);
  EXPECT_TRUE(k.broken);
}

// Three nodes wake at the same instants; returns who woke in what order,
// and a control event's place among them.
std::vector<std::string> wake_order(uint64_t seed, bool shuffle) {
  Simulation sim(seed);
  Perturbation p;
  p.shuffle_ties = shuffle;
  sim.set_perturbation(p);
  std::vector<std::string> order;
  for (const char* name : {"a", "b", "c"})
    sim.add_node(name, [&order, name](rt::Runtime& rt) {
      for (int i = 0; i < 4; ++i) {
        rt.sleep_for(1s);
        order.push_back(name);
      }
    });
  sim.start_all();
  for (int i = 1; i <= 4; ++i) sim.at(rt::Instant(std::chrono::seconds(i)), [&order] { order.push_back("control"); });
  sim.run_for(10s);
  return order;
}

TEST(SimPerturbation, ShuffledTiesVaryBySeedRepeatPerSeedAndControlEventsStayFirst) {
  const std::vector<std::string> fixed = wake_order(1, false);
  EXPECT_EQ(fixed, wake_order(2, false));  // unperturbed: creation order, whatever the seed
  std::set<std::vector<std::string>> seen;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const auto order = wake_order(seed, true);
    EXPECT_EQ(order, wake_order(seed, true));  // deterministic per seed
    ASSERT_EQ(order.size(), 16u);
    for (size_t i = 0; i < order.size(); i += 4) EXPECT_EQ(order[i], "control");
    seen.insert(order);
  }
  EXPECT_GT(seen.size(), 10u);
}

TEST(SimPerturbation, IoDelaysMakeSomeCompletionsLateByAtMostTheirMaximum) {
  for (double probability : {0.0, 0.5}) {
    SCOPED_TRACE(probability);
    Simulation sim(19);
    Perturbation p;
    p.io_delay_probability = probability;
    p.io_delay_max = 5ms;
    sim.set_perturbation(p);
    std::vector<rt::Duration> took;
    sim.add_node("a", [&](rt::Runtime& rt) {
      auto f = rt.fs().open("/f", rt::OpenMode::create);
      ASSERT_TRUE(f.ok());
      for (int i = 0; i < 100; ++i) {
        const auto t0 = rt.now();
        ASSERT_TRUE((*f)->write_at(0, bytes_of("x")).ok());
        took.push_back(rt.now() - t0);
      }
    });
    sim.start_all();
    sim.run_for(10s);
    ASSERT_EQ(took.size(), 100u);
    const auto late = std::count_if(took.begin(), took.end(), [](rt::Duration d) { return d > 50us; });
    if (probability == 0) {
      EXPECT_EQ(late, 0);
    } else {
      EXPECT_GT(late, 30);
      EXPECT_LT(late, 70);
    }
    EXPECT_LE(*std::max_element(took.begin(), took.end()), 5ms + 50us);
  }
}

}  // namespace
}  // namespace rmq::sim
