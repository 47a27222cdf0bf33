// The runtime contract, checked on both backends with the same test bodies.
// A failure names its backend (".../real" or ".../sim"): if only one fails,
// the simulator and Linux disagree about the behaviour under test.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "runtime/task_set.h"
#include "tests/runtime/backend.h"
#include "tests/util/bytes.h"

namespace rmq::test {
namespace {

using namespace std::chrono_literals;
using rt::Errc;

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = GetParam() == "real" ? make_real_backend() : make_sim_backend(42);
  }
  void run(std::function<void(rt::Runtime&)> body) { backend_->run(std::move(body)); }
  std::string scratch() { return backend_->scratch_dir(); }

  std::unique_ptr<Backend> backend_;
};

// Accepts one connection on a fresh listener and runs `server` on it in a
// task; returns the listener's address through `addr`.
rt::Task serve_one(rt::Runtime& rt, std::unique_ptr<rt::Listener>& l, std::function<void(rt::Conn&)> server) {
  auto listened = rt.listen("127.0.0.1:0");
  RMQ_ASSERT(listened.ok());
  l = std::move(*listened);
  return rt.spawn("server", [&l, server = std::move(server)] {
    auto c = l->accept(10s);
    ASSERT_TRUE(c.ok()) << c.error().message();
    server(**c);
  });
}

// ---------------------------------------------------------------------------
// Clock and timers

TEST_P(Conformance, SleepAdvancesMonotonicClock) {
  run([](rt::Runtime& rt) {
    const rt::Instant t0 = rt.now();
    const int64_t w0 = rt.wall_ms();
    rt.sleep_for(20ms);
    EXPECT_GE(rt.now() - t0, 20ms);
    EXPECT_GE(rt.wall_ms() - w0, 19);
    EXPECT_GT(w0, int64_t{1'600'000'000'000});  // after 2020
  });
}

TEST_P(Conformance, SleepersWakeInDeadlineOrder) {
  run([](rt::Runtime& rt) {
    std::vector<int> order;
    std::vector<rt::Task> tasks;
    for (int i : {3, 1, 2})
      tasks.push_back(rt.spawn("sleeper", [&rt, &order, i] {
        rt.sleep_for(i * 15ms);
        order.push_back(i);
      }));
    for (auto& t : tasks) ASSERT_TRUE(t.join(5s).ok());
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  });
}

// ---------------------------------------------------------------------------
// Tasks

TEST_P(Conformance, SpawnedTaskRunsAndJoins) {
  run([](rt::Runtime& rt) {
    int value = 0;
    rt::Task t = rt.spawn("worker", [&] {
      rt.sleep_for(1ms);
      value = 7;
    });
    EXPECT_FALSE(t.done());
    ASSERT_TRUE(t.join().ok());
    EXPECT_TRUE(t.done());
    EXPECT_EQ(value, 7);
  });
}

TEST_P(Conformance, JoinTimesOutWhileTaskRuns) {
  run([](rt::Runtime& rt) {
    rt::Task t = rt.spawn("slow", [&] { rt.sleep_for(200ms); });
    auto r = t.join(10ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    EXPECT_TRUE(t.join().ok());
  });
}

TEST_P(Conformance, CancelUnwindsBlockedTask) {
  run([](rt::Runtime& rt) {
    bool destructor_ran = false;
    bool after_sleep = false;
    struct Guard {
      bool& flag;
      ~Guard() { flag = true; }
    };
    rt::Task t = rt.spawn("sleeper", [&] {
      Guard g{destructor_ran};
      rt.sleep_for(1h);
      after_sleep = true;
    });
    rt.sleep_for(1ms);
    t.cancel();
    ASSERT_TRUE(t.join(5s).ok());
    EXPECT_TRUE(destructor_ran);
    EXPECT_FALSE(after_sleep);
  });
}

// A component's side tasks: finished ones are forgotten, the bound
// refuses more, and stop() cancels and joins the rest.
TEST_P(Conformance, TaskSetIsBoundedForgetsFinishedTasksAndJoinsTheRestAtStop) {
  run([](rt::Runtime& rt) {
    rt::TaskSet set(rt, 2);
    int finished = 0, unwound = 0;
    struct Count {
      int& n;
      ~Count() { ++n; }
    };
    ASSERT_TRUE(set.spawn("quick", [&] { ++finished; }));
    ASSERT_TRUE(set.spawn("slow", [&] {
      Count c{unwound};
      rt.sleep_for(1h);
      ++finished;
    }));
    EXPECT_FALSE(set.spawn("third", [&] { ++finished; }));  // two in flight
    rt.sleep_for(1ms);
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(set.in_flight(), 1u);  // "quick" is done and forgotten
    ASSERT_TRUE(set.spawn("again", [&] { rt.sleep_for(1h); }));
    set.stop();
    EXPECT_EQ(unwound, 1);
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(set.in_flight(), 0u);
    EXPECT_FALSE(set.spawn("late", [&] { ++finished; }));
  });
}

TEST_P(Conformance, CancelBeforeStartNeverRuns) {
  run([](rt::Runtime& rt) {
    bool ran = false;
    rt::Task t = rt.spawn("never", [&] { ran = true; });
    t.cancel();
    ASSERT_TRUE(t.join().ok());
    EXPECT_FALSE(ran);
  });
}

TEST_P(Conformance, CancelledTaskThrowsAgainAtNextSuspension) {
  run([](rt::Runtime& rt) {
    int caught = 0;
    rt::Task t = rt.spawn("stubborn", [&] {
      try {
        rt.sleep_for(1h);
      } catch (const rt::Cancelled&) {
        ++caught;
      }
      rt.sleep_for(1h);  // still cancelled: throws again
      caught = 100;
    });
    rt.sleep_for(1ms);
    t.cancel();
    ASSERT_TRUE(t.join(5s).ok());
    EXPECT_EQ(caught, 1);
  });
}

TEST_P(Conformance, DestructorMayJoinWhileUnwinding) {
  run([](rt::Runtime& rt) {
    bool child_done = false;
    struct JoinOnExit {
      rt::Task child;
      ~JoinOnExit() {
        child.cancel();
        (void)child.join();
      }
    };
    rt::Task parent = rt.spawn("parent", [&] {
      JoinOnExit j{rt.spawn("child", [&] {
        struct Mark {
          bool& f;
          ~Mark() { f = true; }
        } m{child_done};
        rt.sleep_for(1h);
      })};
      rt.sleep_for(1h);
    });
    rt.sleep_for(1ms);
    parent.cancel();
    ASSERT_TRUE(parent.join(5s).ok());
    EXPECT_TRUE(child_done);
  });
}

TEST_P(Conformance, YieldInterleavesTasks) {
  run([](rt::Runtime& rt) {
    std::string trace;
    auto a = rt.spawn("a", [&] {
      for (int i = 0; i < 3; ++i) {
        trace += 'a';
        rt.yield();
      }
    });
    auto b = rt.spawn("b", [&] {
      for (int i = 0; i < 3; ++i) {
        trace += 'b';
        rt.yield();
      }
    });
    ASSERT_TRUE(a.join().ok());
    ASSERT_TRUE(b.join().ok());
    EXPECT_EQ(trace, "ababab");
  });
}

// ---------------------------------------------------------------------------
// Sync primitives

TEST_P(Conformance, EventWakesAllWaitersAndTimesOut) {
  run([](rt::Runtime& rt) {
    rt::Event ev(rt);
    auto r = ev.wait(5ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    int woken = 0;
    std::vector<rt::Task> ts;
    for (int i = 0; i < 3; ++i)
      ts.push_back(rt.spawn("waiter", [&] {
        if (ev.wait(5s).ok()) ++woken;
      }));
    rt.sleep_for(1ms);
    EXPECT_EQ(woken, 0);
    ev.set();
    for (auto& t : ts) ASSERT_TRUE(t.join().ok());
    EXPECT_EQ(woken, 3);
    EXPECT_TRUE(ev.wait(0ms).ok());  // stays set
  });
}

TEST_P(Conformance, MutexExcludesAcrossSuspensionInFifoOrder) {
  run([](rt::Runtime& rt) {
    rt::Mutex m(rt);
    int inside = 0;
    int max_inside = 0;
    std::vector<int> order;
    std::vector<rt::Task> ts;
    for (int i = 0; i < 4; ++i)
      ts.push_back(rt.spawn("locker", [&, i] {
        rt::LockGuard g(m);
        order.push_back(i);
        max_inside = std::max(max_inside, ++inside);
        rt.sleep_for(2ms);
        --inside;
      }));
    for (auto& t : ts) ASSERT_TRUE(t.join().ok());
    EXPECT_EQ(max_inside, 1);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_FALSE(m.locked());
  });
}

TEST_P(Conformance, MutexLockTimesOut) {
  run([](rt::Runtime& rt) {
    rt::Mutex m(rt);
    ASSERT_TRUE(m.try_lock());
    auto t = rt.spawn("waiter", [&] {
      auto r = m.lock(5ms);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.code(), Errc::timeout);
      EXPECT_FALSE(m.try_lock());
    });
    ASSERT_TRUE(t.join().ok());
    m.unlock();
    EXPECT_FALSE(m.locked());
  });
}

TEST_P(Conformance, CondVarSignalsAndHoldsMutexOnTimeout) {
  run([](rt::Runtime& rt) {
    rt::Mutex m(rt);
    rt::CondVar cv(rt);
    bool ready = false;
    auto consumer = rt.spawn("consumer", [&] {
      rt::LockGuard g(m);
      while (!ready) ASSERT_TRUE(cv.wait(m, 5s).ok());
      EXPECT_TRUE(m.locked());
    });
    rt.sleep_for(1ms);
    {
      rt::LockGuard g(m);
      ready = true;
      cv.notify_one();
    }
    ASSERT_TRUE(consumer.join().ok());
    rt::LockGuard g(m);
    auto r = cv.wait(m, 3ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    EXPECT_TRUE(m.locked());
  });
}

TEST_P(Conformance, CancelInCondVarWaitReleasesMutexOnUnwind) {
  run([](rt::Runtime& rt) {
    rt::Mutex m(rt);
    rt::CondVar cv(rt);
    auto t = rt.spawn("waiter", [&] {
      rt::LockGuard g(m);
      (void)cv.wait(m);
    });
    rt.sleep_for(1ms);
    t.cancel();
    ASSERT_TRUE(t.join(5s).ok());
    EXPECT_FALSE(m.locked());
    EXPECT_TRUE(m.try_lock());
    m.unlock();
  });
}

TEST_P(Conformance, ChannelIsBoundedFifoAndDrainsAfterClose) {
  run([](rt::Runtime& rt) {
    rt::Channel<int> ch(rt, 2);
    ASSERT_TRUE(ch.send(1).ok());
    ASSERT_TRUE(ch.try_send(2));
    EXPECT_FALSE(ch.try_send(3));
    auto full = ch.send(3, 5ms);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.code(), Errc::timeout);
    auto sender = rt.spawn("sender", [&] { ASSERT_TRUE(ch.send(3, 5s).ok()); });
    rt.sleep_for(1ms);
    EXPECT_EQ(*ch.recv(), 1);
    ASSERT_TRUE(sender.join().ok());
    EXPECT_EQ(*ch.recv(), 2);
    ch.close();
    EXPECT_EQ(ch.send(9).code(), Errc::closed);
    EXPECT_EQ(*ch.recv(), 3);
    EXPECT_EQ(ch.recv().code(), Errc::closed);
    rt::Channel<int> empty(rt, 1);
    EXPECT_EQ(empty.recv(3ms).code(), Errc::timeout);
  });
}

TEST_P(Conformance, CancelTaskBlockedOnChannelRecv) {
  run([](rt::Runtime& rt) {
    rt::Channel<std::string> ch(rt, 1);
    bool got = false;
    auto t = rt.spawn("receiver", [&] {
      (void)ch.recv();
      got = true;
    });
    rt.sleep_for(1ms);
    t.cancel();
    ASSERT_TRUE(t.join(5s).ok());
    EXPECT_FALSE(got);
    EXPECT_TRUE(ch.try_send("still usable"));
  });
}

TEST_P(Conformance, WaitGroupWaitsForAllAndTimesOut) {
  run([](rt::Runtime& rt) {
    rt::WaitGroup wg(rt);
    int finished = 0;
    for (int i = 1; i <= 3; ++i) {
      wg.add();
      rt.spawn("w", [&, i] {
        rt.sleep_for(i * 2ms);
        ++finished;
        wg.done();
      });
    }
    EXPECT_EQ(wg.wait(1ms).code(), Errc::timeout);
    ASSERT_TRUE(wg.wait(5s).ok());
    EXPECT_EQ(finished, 3);
    EXPECT_EQ(wg.count(), 0);
  });
}

// ---------------------------------------------------------------------------
// Network

TEST_P(Conformance, TcpEchoOfGatheredMegabyte) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    auto server = serve_one(rt, l, [](rt::Conn& c) {
      std::vector<std::byte> buf(16 * 1024);
      for (;;) {
        auto n = c.read_some(buf, 10s);
        ASSERT_TRUE(n.ok()) << n.error().message();
        if (*n == 0) break;
        ASSERT_TRUE(c.write_all(rt::ConstBytes(buf.data(), *n), 10s).ok());
      }
      c.close();
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok()) << c.error().message();
    rt::Conn& conn = **c;
    const auto a = pattern(300 * 1024, 1);
    const auto b = pattern(724 * 1024, 2);
    std::vector<std::byte> received(a.size() + b.size());
    auto reader = rt.spawn("reader", [&] { ASSERT_TRUE(conn.read_exact(received, 20s).ok()); });
    const rt::ConstBytes parts[] = {a, b};
    ASSERT_TRUE(conn.write_all(parts, 20s).ok());
    ASSERT_TRUE(reader.join().ok());
    EXPECT_TRUE(std::equal(a.begin(), a.end(), received.begin()));
    EXPECT_TRUE(std::equal(b.begin(), b.end(), received.begin() + static_cast<ptrdiff_t>(a.size())));
    conn.close();
    ASSERT_TRUE(server.join(10s).ok());
  });
}

TEST_P(Conformance, TcpPreservesOrderOfManySmallWrites) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    std::string got;
    auto server = serve_one(rt, l, [&](rt::Conn& c) {
      std::vector<std::byte> buf(4096);
      for (;;) {
        auto n = c.read_some(buf, 10s);
        ASSERT_TRUE(n.ok());
        if (*n == 0) break;
        got += string_of(rt::ConstBytes(buf.data(), *n));
      }
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    std::string sent;
    for (int i = 0; i < 1000; ++i) {
      std::string msg = std::to_string(i) + ",";
      sent += msg;
      ASSERT_TRUE((*c)->write_all(bytes_of(msg)).ok());
    }
    (*c)->close();
    ASSERT_TRUE(server.join(10s).ok());
    EXPECT_EQ(got, sent);
  });
}

TEST_P(Conformance, PeerCloseGivesDataThenEndOfStream) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    auto server = serve_one(rt, l, [](rt::Conn& c) {
      ASSERT_TRUE(c.write_all(bytes_of("hello")).ok());
      c.close();
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    std::vector<std::byte> buf(5);
    ASSERT_TRUE((*c)->read_exact(buf, 5s).ok());
    EXPECT_EQ(string_of(buf), "hello");
    auto n = (*c)->read_some(buf, 5s);
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(*n, 0u);
    ASSERT_TRUE(server.join().ok());
  });
}

TEST_P(Conformance, ConnectToClosedPortIsRefused) {
  run([](rt::Runtime& rt) {
    std::string addr;
    {
      auto l = rt.listen("127.0.0.1:0");
      ASSERT_TRUE(l.ok());
      addr = (*l)->address();
    }
    auto c = rt.connect(addr, 5s);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.code(), Errc::refused) << c.error().message();
  });
}

TEST_P(Conformance, ListenTwiceOnOnePortFails) {
  run([](rt::Runtime& rt) {
    auto a = rt.listen("127.0.0.1:0");
    ASSERT_TRUE(a.ok());
    auto b = rt.listen((*a)->address());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.code(), Errc::address_in_use);
    EXPECT_EQ(rt.listen("not-an-address").code(), Errc::invalid_argument);
  });
}

TEST_P(Conformance, AbortResetsPeer) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    rt::Event aborted(rt);
    auto server = serve_one(rt, l, [&](rt::Conn& c) {
      c.abort();
      aborted.set();
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(aborted.wait(5s).ok());
    std::vector<std::byte> buf(16);
    auto n = (*c)->read_some(buf, 5s);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.code(), Errc::reset) << n.error().message();
    ASSERT_TRUE(server.join().ok());
  });
}

TEST_P(Conformance, ReadTimesOutThenStillWorks) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    rt::Event go(rt);
    auto server = serve_one(rt, l, [&](rt::Conn& c) {
      ASSERT_TRUE(go.wait(5s).ok());
      ASSERT_TRUE(c.write_all(bytes_of("late")).ok());
      std::vector<std::byte> b(1);
      (void)c.read_some(b, 5s);  // until the client closes
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    std::vector<std::byte> buf(4);
    auto r = (*c)->read_some(buf, 20ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    go.set();
    ASSERT_TRUE((*c)->read_exact(buf, 5s).ok());
    EXPECT_EQ(string_of(buf), "late");
    (*c)->close();
    ASSERT_TRUE(server.join().ok());
  });
}

TEST_P(Conformance, LocalCloseWakesBlockedReader) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    rt::Event done(rt);
    auto server = serve_one(rt, l, [&](rt::Conn&) { (void)done.wait(5s); });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    rt::Conn& conn = **c;
    std::optional<Errc> got;
    auto reader = rt.spawn("reader", [&] {
      std::vector<std::byte> buf(8);
      auto n = conn.read_some(buf, 5s);
      if (!n.ok()) got = n.code();
    });
    rt.sleep_for(2ms);
    conn.close();
    ASSERT_TRUE(reader.join(5s).ok());
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, Errc::closed);
    done.set();
    ASSERT_TRUE(server.join().ok());
  });
}

TEST_P(Conformance, CancelTaskBlockedInRead) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    rt::Event done(rt);
    auto server = serve_one(rt, l, [&](rt::Conn&) { (void)done.wait(5s); });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    bool returned = false;
    auto reader = rt.spawn("reader", [&] {
      std::vector<std::byte> buf(8);
      (void)(*c)->read_some(buf);
      returned = true;
    });
    rt.sleep_for(2ms);
    reader.cancel();
    ASSERT_TRUE(reader.join(5s).ok());
    EXPECT_FALSE(returned);
    (*c)->close();
    done.set();
    ASSERT_TRUE(server.join().ok());
  });
}

TEST_P(Conformance, AddressesMatchOnBothEnds) {
  run([](rt::Runtime& rt) {
    std::unique_ptr<rt::Listener> l;
    std::string server_saw_peer, server_local;
    auto server = serve_one(rt, l, [&](rt::Conn& c) {
      server_saw_peer = c.peer_address();
      server_local = c.local_address();
    });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(server.join().ok());
    EXPECT_EQ(server_saw_peer, (*c)->local_address());
    EXPECT_EQ((*c)->peer_address(), server_local);
    EXPECT_EQ(server_local, l->address());
  });
}

TEST_P(Conformance, SendFileSendsTheRange) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto f = rt.fs().open(dir + "/data", rt::OpenMode::create);
    ASSERT_TRUE(f.ok()) << f.error().message();
    const auto content = pattern(200 * 1024, 9);
    ASSERT_TRUE((*f)->write_at(0, content).ok());
    std::unique_ptr<rt::Listener> l;
    std::vector<std::byte> got(100 * 1024);
    auto server = serve_one(rt, l, [&](rt::Conn& c) { ASSERT_TRUE(c.read_exact(got, 10s).ok()); });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->send_file(**f, 50 * 1024, got.size(), 10s).ok());
    ASSERT_TRUE(server.join(10s).ok());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), content.begin() + 50 * 1024));
    auto past = (*c)->send_file(**f, 150 * 1024, 100 * 1024, 1s);
    ASSERT_FALSE(past.ok());
    EXPECT_EQ(past.code(), Errc::invalid_argument);
  });
}

// A gathered write of bytes and file ranges arrives as their concatenation,
// in order (the pull answers of transferMsgByHeap=false).
TEST_P(Conformance, WritePiecesSendsBytesAndFileRangesInOrder) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto f = rt.fs().open(dir + "/data", rt::OpenMode::create);
    ASSERT_TRUE(f.ok()) << f.error().message();
    const auto content = pattern(200 * 1024, 5);
    ASSERT_TRUE((*f)->write_at(0, content).ok());
    const auto head = bytes_of("head");
    const auto mid = bytes_of("middle");
    using Piece = rt::Conn::Piece;
    const std::vector<Piece> pieces = {
        Piece{head}, Piece{{}, f->get(), 10 * 1024, 20 * 1024}, Piece{mid}, Piece{{}, f->get(), 100 * 1024, 5},
        Piece{{}, f->get(), 0, 1024}, Piece{head}};
    std::vector<std::byte> want;
    for (const Piece& p : pieces) {
      if (p.file == nullptr) want.insert(want.end(), p.bytes.begin(), p.bytes.end());
      else want.insert(want.end(), content.begin() + static_cast<ptrdiff_t>(p.offset),
                       content.begin() + static_cast<ptrdiff_t>(p.offset + p.length));
    }
    std::unique_ptr<rt::Listener> l;
    std::vector<std::byte> got(want.size());
    auto server = serve_one(rt, l, [&](rt::Conn& c) { ASSERT_TRUE(c.read_exact(got, 10s).ok()); });
    auto c = rt.connect(l->address(), 5s);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->write_pieces(pieces, 10s).ok());
    ASSERT_TRUE(server.join(10s).ok());
    EXPECT_TRUE(got == want);
  });
}

// ---------------------------------------------------------------------------
// Files

TEST_P(Conformance, FileWriteReadBackAndShortReadAtEnd) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto f = rt.fs().open(dir + "/a", rt::OpenMode::create);
    ASSERT_TRUE(f.ok()) << f.error().message();
    ASSERT_TRUE((*f)->write_at(0, bytes_of("hello world")).ok());
    ASSERT_TRUE((*f)->write_at(6, bytes_of("there")).ok());
    ASSERT_TRUE((*f)->sync().ok());
    std::vector<std::byte> buf(32);
    auto n = (*f)->read_at(0, buf);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(string_of(rt::ConstBytes(buf.data(), *n)), "hello there");
    auto tail = (*f)->read_at(8, buf);
    ASSERT_TRUE(tail.ok());
    EXPECT_EQ(*tail, 3u);
    auto past = (*f)->read_at(100, buf);
    ASSERT_TRUE(past.ok());
    EXPECT_EQ(*past, 0u);
    EXPECT_EQ(*(*f)->size(), 11u);
  });
}

TEST_P(Conformance, FileWriteBeyondEndFillsWithZeros) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto f = rt.fs().open(dir + "/sparse", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(10, bytes_of("x")).ok());
    std::vector<std::byte> buf(11);
    ASSERT_EQ(*(*f)->read_at(0, buf), 11u);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(buf[i], std::byte{0});
    EXPECT_EQ(buf[10], std::byte{'x'});
  });
}

TEST_P(Conformance, TruncateShrinksAndGrowsWithZeros) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto f = rt.fs().open(dir + "/t", rt::OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->write_at(0, bytes_of("abcdef")).ok());
    ASSERT_TRUE((*f)->truncate(3).ok());
    EXPECT_EQ(*(*f)->size(), 3u);
    ASSERT_TRUE((*f)->truncate(5).ok());
    std::vector<std::byte> buf(5);
    ASSERT_EQ(*(*f)->read_at(0, buf), 5u);
    EXPECT_EQ(string_of(buf), std::string("abc\0\0", 5));
  });
}

TEST_P(Conformance, OpenModes) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto missing = rt.fs().open(dir + "/nope", rt::OpenMode::existing);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.code(), Errc::not_found);
    ASSERT_TRUE(rt.fs().open(dir + "/new", rt::OpenMode::create_new).ok());
    auto again = rt.fs().open(dir + "/new", rt::OpenMode::create_new);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.code(), Errc::already_exists);
    EXPECT_TRUE(rt.fs().open(dir + "/new", rt::OpenMode::existing).ok());
    auto no_parent = rt.fs().open(dir + "/no/such/dir/f", rt::OpenMode::create);
    ASSERT_FALSE(no_parent.ok());
    EXPECT_EQ(no_parent.code(), Errc::not_found);
  });
}

TEST_P(Conformance, RenameReplacesTarget) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto& fs = rt.fs();
    {
      auto a = fs.open(dir + "/a.tmp", rt::OpenMode::create);
      ASSERT_TRUE(a.ok());
      ASSERT_TRUE((*a)->write_at(0, bytes_of("new")).ok());
      auto b = fs.open(dir + "/b", rt::OpenMode::create);
      ASSERT_TRUE(b.ok());
      ASSERT_TRUE((*b)->write_at(0, bytes_of("old contents")).ok());
    }
    ASSERT_TRUE(fs.rename(dir + "/a.tmp", dir + "/b").ok());
    ASSERT_TRUE(fs.sync_dir(dir).ok());
    EXPECT_FALSE(*fs.exists(dir + "/a.tmp"));
    auto b = fs.open(dir + "/b", rt::OpenMode::existing);
    ASSERT_TRUE(b.ok());
    std::vector<std::byte> buf(32);
    auto n = (*b)->read_at(0, buf);
    EXPECT_EQ(string_of(rt::ConstBytes(buf.data(), *n)), "new");
    EXPECT_EQ(fs.rename(dir + "/missing", dir + "/x").code(), Errc::not_found);
  });
}

TEST_P(Conformance, DirectoriesListCreateRemove) {
  const std::string dir = scratch();
  run([dir](rt::Runtime& rt) {
    auto& fs = rt.fs();
    ASSERT_TRUE(fs.create_dirs(dir + "/x/y/z").ok());
    ASSERT_TRUE(fs.create_dirs(dir + "/x/y").ok());  // exists: fine
    ASSERT_TRUE(fs.open(dir + "/x/b", rt::OpenMode::create).ok());
    ASSERT_TRUE(fs.open(dir + "/x/a", rt::OpenMode::create).ok());
    auto names = fs.list(dir + "/x");
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "y"}));
    EXPECT_EQ(fs.remove(dir + "/x/y").code(), Errc::not_empty);
    ASSERT_TRUE(fs.remove(dir + "/x/y/z").ok());
    ASSERT_TRUE(fs.remove(dir + "/x/y").ok());
    ASSERT_TRUE(fs.remove(dir + "/x/a").ok());
    EXPECT_EQ(fs.remove(dir + "/x/a").code(), Errc::not_found);
    EXPECT_EQ(*fs.list(dir + "/x"), (std::vector<std::string>{"b"}));
    EXPECT_EQ(fs.list(dir + "/nope").code(), Errc::not_found);
    EXPECT_TRUE(*fs.exists(dir + "/x/b"));
    EXPECT_FALSE(*fs.exists(dir + "/x/a"));
    ASSERT_TRUE(fs.sync_dir(dir + "/x").ok());
    auto usage = fs.disk_usage(dir);
    ASSERT_TRUE(usage.ok());
    EXPECT_GT(usage->total_bytes, 0u);
    EXPECT_LE(usage->free_bytes, usage->total_bytes);
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::Values("real", "sim"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace rmq::test
