// The RPC layer as its users rely on it, on the real runtime and in the
// simulator: matching by opaque under out-of-order answers, oneway,
// timeouts, server-initiated requests, close, and bad input closing only
// the offending connection.
#include <gtest/gtest.h>

#include <cstring>

#include "remoting/codes.h"
#include "remoting/rpc.h"
#include "sim/simulation.h"
#include "tests/runtime/backend.h"
#include "tests/util/bytes.h"

namespace rmq::remoting {
namespace {

using namespace std::chrono_literals;
using rt::Errc;
using test::bytes_of;
using test::string_of;

constexpr int32_t kEcho = 1000;
constexpr int32_t kSlowEcho = 1001;
constexpr int32_t kCount = 1002;

struct Server {
  Dispatcher dispatcher;
  int oneway_seen = 0;
  std::vector<std::string> closed_peers;
  std::vector<std::string> request_peers;
  std::unique_ptr<RpcServer> rpc;

  explicit Server(rt::Runtime& rt) {
    dispatcher.on(kEcho, [this](Connection& from, RemotingCommand& req) -> std::optional<RemotingCommand> {
      request_peers.push_back(from.peer_address());
      auto resp = RemotingCommand::response_to(req, response_code::kSuccess);
      resp.ext_fields = req.ext_fields;
      resp.body = req.body;
      return resp;
    });
    dispatcher.on(kSlowEcho, [&rt](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      rt.sleep_for(std::chrono::milliseconds(std::stoi(std::string(*req.field("sleepMs")))));
      auto resp = RemotingCommand::response_to(req, response_code::kSuccess);
      resp.ext_fields = req.ext_fields;
      return resp;
    });
    dispatcher.on(kCount, [this](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      ++oneway_seen;
      return RemotingCommand::response_to(req, response_code::kSuccess);
    });
    rpc = std::make_unique<RpcServer>(rt, dispatcher);
    rpc->on_close([this](Connection& c) { closed_peers.push_back(c.peer_address()); });
    auto started = rpc->start("127.0.0.1:0");
    RMQ_ASSERT(started.ok());
  }
  const std::string& address() const { return rpc->address(); }
};

RemotingCommand echo_request(std::string tag) {
  auto r = RemotingCommand::request(kEcho);
  r.ext_fields["tag"] = std::move(tag);
  r.body = bytes_of("payload");
  return r;
}

class Rpc : public ::testing::TestWithParam<std::string> {
 protected:
  void run(std::function<void(rt::Runtime&)> body) {
    auto backend = GetParam() == "real" ? test::make_real_backend() : test::make_sim_backend(3);
    backend->run(std::move(body));
  }
};

TEST_P(Rpc, EchoAndUnknownCodeAnsweredWithRemark) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    auto r = c.invoke(s.address(), echo_request("x"), 5s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->code, response_code::kSuccess);
    EXPECT_TRUE(r->is_response());
    EXPECT_EQ(r->field("tag"), "x");
    EXPECT_EQ(string_of(r->body), "payload");
    auto unknown = c.invoke(s.address(), RemotingCommand::request(9999), 5s);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->code, response_code::kRequestCodeNotSupported);
    EXPECT_EQ(unknown->remark, " request type 9999 not supported");
  });
}

// A connect error says once what failed and where: "connection refused:
// connect A[: the OS's words]" (it once read "connection refused: connect
// A: connection refused: connect A: Connection refused").
TEST_P(Rpc, AConnectErrorNamesItsAddressOnce) {
  run([](rt::Runtime& rt) {
    RpcClient c(rt, nullptr);
    const std::string nobody = "127.0.0.1:1";
    auto r = c.invoke(nobody, echo_request("x"), 5s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), Errc::refused);
    const std::string text = r.error().message();
    EXPECT_EQ(text.rfind("connection refused: connect " + nobody, 0), 0u) << text;
    size_t times = 0;
    for (size_t at = text.find(nobody); at != std::string::npos; at = text.find(nobody, at + 1)) ++times;
    EXPECT_EQ(times, 1u) << text;
  });
}

TEST_P(Rpc, AnswersUseTheSerializationOfTheRequest) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    for (auto type : {SerializeType::json, SerializeType::rocketmq}) {
      auto req = echo_request("t");
      req.serialize_type = type;
      auto r = c.invoke(s.address(), std::move(req), 5s);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->serialize_type, type);
      EXPECT_EQ(r->field("tag"), "t");
    }
  });
}

TEST_P(Rpc, OutOfOrderAnswersAreMatchedByOpaque) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    std::vector<std::string> got(8);
    std::vector<std::string> finish_order;
    rt::WaitGroup wg(rt);
    for (int i = 0; i < 8; ++i) {
      auto req = RemotingCommand::request(kSlowEcho);
      req.ext_fields["i"] = std::to_string(i);
      req.ext_fields["sleepMs"] = std::to_string(80 - i * 10);  // later requests answer first
      wg.add();
      c.invoke_async(s.address(), std::move(req), 5s, [&, i](rt::Result<RemotingCommand> r) {
        if (r.ok()) {
          got[static_cast<size_t>(i)] = std::string(r->field("i").value_or(""));
          finish_order.push_back(got[static_cast<size_t>(i)]);
        }
        wg.done();
      });
    }
    ASSERT_TRUE(wg.wait(10s).ok());
    for (int i = 0; i < 8; ++i) EXPECT_EQ(got[static_cast<size_t>(i)], std::to_string(i));
    ASSERT_EQ(finish_order.size(), 8u);
    EXPECT_EQ(finish_order.front(), "7");
    EXPECT_EQ(finish_order.back(), "0");
  });
}

TEST_P(Rpc, OnewayRunsTheProcessorButGetsNoAnswer) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    ASSERT_TRUE(c.invoke_oneway(s.address(), RemotingCommand::request(kCount)).ok());
    // A normal request on the same connection still works and comes back
    // with its own opaque: the oneway produced no stray answer before it.
    auto r = c.invoke(s.address(), echo_request("after"), 5s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->field("tag"), "after");
    EXPECT_EQ(s.oneway_seen, 1);
  });
}

TEST_P(Rpc, TimeoutThenLateAnswerIsDroppedAndConnectionStillWorks) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    auto slow = RemotingCommand::request(kSlowEcho);
    slow.ext_fields["sleepMs"] = "200";
    auto r = c.invoke(s.address(), std::move(slow), 50ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), Errc::timeout);
    rt.sleep_for(300ms);  // the late answer arrives and is dropped
    auto ok = c.invoke(s.address(), echo_request("fresh"), 5s);
    ASSERT_TRUE(ok.ok()) << ok.error().message();
    EXPECT_EQ(ok->field("tag"), "fresh");
  });
}

TEST_P(Rpc, ServerInitiatedRequestsReachTheClientOnItsConnection) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    Dispatcher client_side;
    int notified = 0;
    client_side.on(request_code::kNotifyConsumerIdsChanged, [&](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      ++notified;
      return RemotingCommand::response_to(req, response_code::kSuccess);
    });
    client_side.on(kEcho, [](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      auto resp = RemotingCommand::response_to(req, response_code::kSuccess);
      resp.body = bytes_of("from client");
      return resp;
    });
    RpcClient c(rt, &client_side);
    ASSERT_TRUE(c.invoke(s.address(), echo_request("hello"), 5s).ok());
    auto conns = s.rpc->connections();
    ASSERT_EQ(conns.size(), 1u);
    ASSERT_TRUE(conns[0]->invoke_oneway(RemotingCommand::request(request_code::kNotifyConsumerIdsChanged)).ok());
    auto answer = conns[0]->invoke(RemotingCommand::request(kEcho), 5s);
    ASSERT_TRUE(answer.ok()) << answer.error().message();
    EXPECT_EQ(string_of(answer->body), "from client");
    EXPECT_EQ(notified, 1);
  });
}

TEST_P(Rpc, CloseFailsPendingInvocationsAndRunsCloseCallbacks) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    ASSERT_TRUE(c.invoke(s.address(), echo_request("first"), 5s).ok());
    std::optional<Errc> pending_error;
    auto waiter = rt.spawn("waiter", [&] {
      auto slow = RemotingCommand::request(kSlowEcho);
      slow.ext_fields["sleepMs"] = "5000";
      auto r = c.invoke(s.address(), std::move(slow), 30s);
      if (!r) pending_error = r.code();
    });
    rt.sleep_for(20ms);
    c.close(s.address());
    ASSERT_TRUE(waiter.join(5s).ok());
    EXPECT_EQ(pending_error, Errc::closed);
    rt.sleep_for(100ms);
    ASSERT_EQ(s.closed_peers.size(), 1u);
    ASSERT_EQ(s.request_peers.size(), 1u);
    EXPECT_EQ(s.closed_peers[0], s.request_peers[0]);
    // A new call reconnects.
    EXPECT_TRUE(c.invoke(s.address(), echo_request("again"), 5s).ok());
  });
}

// Frames queued by several tasks leave in one write by the connection's
// writer. To a peer that never reads, that write blocks: a cancelled invoker
// returns at once, the others return by their own timeouts, none is left
// waiting.
TEST_P(Rpc, InvokersOfABlockedWriteReturnByCancellationOrTimeout) {
  run([](rt::Runtime& rt) {
    auto listener = rt.listen("127.0.0.1:0");
    ASSERT_TRUE(listener.ok());
    std::unique_ptr<rt::Conn> silent;  // accepts, never reads
    auto acceptor = rt.spawn("silent-peer", [&] {
      auto c = (*listener)->accept();
      if (c) silent = std::move(*c);
    });
    RpcClient c(rt, nullptr);
    auto big = [] {
      auto r = echo_request("big");
      r.body.assign(8 << 20, std::byte{7});  // more than the socket buffers hold
      return r;
    };
    std::vector<std::optional<Errc>> errors(3);
    std::vector<rt::Task> writers;
    for (size_t i = 0; i < 3; ++i)
      writers.push_back(rt.spawn("writer", [&, i] {
        auto r = c.invoke((*listener)->address(), big(), 2s);
        errors[i] = r ? std::optional<Errc>() : std::optional<Errc>(r.code());
      }));
    rt.sleep_for(200ms);  // the writer writes for all three, and blocks
    writers[0].cancel();
    ASSERT_TRUE(writers[0].join(1s).ok()) << "a cancelled invoker waits for the write";
    for (size_t i = 1; i < 3; ++i) {
      ASSERT_TRUE(writers[i].join(10s).ok()) << "writer " << i << " still waits for a blocked write";
      EXPECT_TRUE(errors[i].has_value());
    }
    (*listener)->close();
    acceptor.cancel_and_join();
  });
}

// A task with a cancellation pending when it invokes neither cuts the
// connection's write nor closes the connection: another task's invocation on
// it still gets its answer, and no reconnect happens.
TEST_P(Rpc, ACancelledInvokerLeavesTheSharedConnectionOpen) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    RpcClient c(rt, nullptr);
    ASSERT_TRUE(c.invoke(s.address(), echo_request("first"), 5s).ok());
    std::optional<bool> slow_ok;
    auto slow_task = rt.spawn("slow", [&] {
      auto slow = RemotingCommand::request(kSlowEcho);
      slow.ext_fields["sleepMs"] = "300";
      slow_ok = c.invoke(s.address(), std::move(slow), 5s).ok();
    });
    rt.sleep_for(50ms);  // the slow request is being served
    // Woken and cancelled in the same turn: it reaches invoke() with its
    // cancellation pending.
    rt::Event go(rt);
    auto cancelled = rt.spawn("cancelled", [&] {
      (void)go.wait();
      (void)c.invoke(s.address(), echo_request("x"), 5s);
    });
    rt.yield();  // it waits for go
    go.set();
    cancelled.cancel();
    ASSERT_TRUE(cancelled.join(5s).ok());
    ASSERT_TRUE(slow_task.join(5s).ok());
    EXPECT_EQ(slow_ok, std::optional<bool>(true));
    EXPECT_TRUE(c.invoke(s.address(), echo_request("after"), 5s).ok());
    EXPECT_TRUE(s.closed_peers.empty());
    // The cancelled request was still sent; all on the one connection.
    ASSERT_EQ(s.request_peers.size(), 3u);
    EXPECT_EQ(s.request_peers[1], s.request_peers[0]);
    EXPECT_EQ(s.request_peers[2], s.request_peers[0]);
  });
}

// Raw bytes a broken or hostile peer might send.
std::vector<std::byte> be32(uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}
std::vector<std::byte> cat(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_P(Rpc, BadFramesCloseOnlyTheirConnection) {
  const std::vector<std::pair<std::string, std::vector<std::byte>>> cases = {
      {"frame over 16 MiB", be32(16 * 1024 * 1024 - 3)},
      {"frame of 2 GiB", be32(0x7fffffff)},
      {"negative length", be32(0xffffffff)},
      {"length below 4", be32(2)},
      {"header longer than frame", cat(be32(8), cat(be32(100), bytes_of("abcd")))},
      {"unknown serialize type", cat(be32(6), cat(be32((5u << 24) | 2), bytes_of("{}")))},
      {"invalid JSON header", cat(be32(9), cat(be32(5), bytes_of("{bad}")))},
      {"JSON header not an object", cat(be32(7), cat(be32(3), bytes_of("[1]")))},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    run([&, bytes = bytes](rt::Runtime& rt) {
      Server s(rt);
      RpcClient healthy(rt, nullptr);
      ASSERT_TRUE(healthy.invoke(s.address(), echo_request("before"), 5s).ok());
      auto raw = rt.connect(s.address(), 5s);
      ASSERT_TRUE(raw.ok());
      ASSERT_TRUE((*raw)->write_all(bytes).ok());
      // The server closes the offending connection without answering.
      std::vector<std::byte> buf(64);
      auto n = (*raw)->read_some(buf, 5s);
      if (n.ok()) {
        EXPECT_EQ(*n, 0u) << "the server answered a broken frame";
      } else {
        EXPECT_EQ(n.code(), Errc::reset) << n.error().message();
      }
      auto after = healthy.invoke(s.address(), echo_request("after"), 5s);
      ASSERT_TRUE(after.ok()) << after.error().message();
      EXPECT_EQ(after->field("tag"), "after");
    });
  }
}

TEST_P(Rpc, TruncatedFrameThenEndOfStreamLeavesServerHealthy) {
  run([](rt::Runtime& rt) {
    Server s(rt);
    {
      auto raw = rt.connect(s.address(), 5s);
      ASSERT_TRUE(raw.ok());
      ASSERT_TRUE((*raw)->write_all(cat(be32(100), be32(10))).ok());
      (*raw)->close();
    }
    rt.sleep_for(50ms);
    RpcClient c(rt, nullptr);
    EXPECT_TRUE(c.invoke(s.address(), echo_request("ok"), 5s).ok());
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, Rpc, ::testing::Values("real", "sim"),
                         [](const auto& param_info) { return param_info.param; });

// Faults only the simulator can make.
TEST(RpcSim, PartitionTimesOutHealRecoversCrashFailsFastRestartReconnects) {
  sim::Simulation s(11);
  std::vector<std::string> log;
  auto& server = s.add_node("server", [](rt::Runtime& rt) {
    Dispatcher d;
    d.on(kEcho, [](Connection&, RemotingCommand& req) -> std::optional<RemotingCommand> {
      return RemotingCommand::response_to(req, response_code::kSuccess);
    });
    RpcServer srv(rt, d);
    ASSERT_TRUE(srv.start("0.0.0.0:9000").ok());
    rt.sleep_for(rt::kForever);
  });
  s.add_node("client", [&](rt::Runtime& rt) {
    RpcClient c(rt, nullptr);
    const std::string addr = server.ip() + ":9000";
    for (int i = 0; i < 40; ++i) {
      const auto t0 = rt.now();
      auto r = c.invoke(addr, echo_request("x"), 2s);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(rt.now() - t0).count();
      log.push_back(r ? "ok" : std::string(rt::to_string(r.code())) + (ms < 100 ? "-fast" : ""));
      rt.sleep_for(1s);
    }
  });
  s.start_all();
  s.at(rt::Instant(5s), [&] { s.partition(0, 1); });
  s.at(rt::Instant(12s), [&] { s.heal(0, 1); });
  s.at(rt::Instant(25s), [&] { s.crash(0); });
  s.at(rt::Instant(30s), [&] { s.start(0); });
  s.run_for(60s);
  auto count = [&](const std::string& what) { return std::count(log.begin(), log.end(), what); };
  EXPECT_GT(count("timeout"), 0);               // during the partition
  EXPECT_GT(count("ok"), 20);                   // before, between and after
  EXPECT_EQ(log.back(), "ok");                  // reconnected after the restart
  EXPECT_GT(count("connection refused-fast") + count("closed-fast"), 0) << "crash did not fail fast";
}

}  // namespace
}  // namespace rmq::remoting
