// rmq-namesrv as a user runs it: a real process on a real port, a broker
// registration and a route read over TCP with the project's RPC client,
// KV config persisted across a SIGTERM restart, and bad config refused.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "remoting/codes.h"
#include "remoting/headers_namesrv.h"
#include "remoting/route_data.h"
#include "remoting/rpc.h"
#include "runtime/real/real_runtime.h"

namespace rmq::namesrv {
namespace {

using namespace std::chrono_literals;
namespace rc = remoting::request_code;
namespace rs = remoting::response_code;

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

struct Process {
  pid_t pid = -1;
  std::string log_path;
  // Returns the exit status, waiting at most `limit`.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    for (auto waited = 0ms; waited < limit; waited += 20ms) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }
  ~Process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

Process spawn_namesrv(const std::vector<std::string>& args, const std::string& log_path) {
  Process p;
  p.log_path = log_path;
  p.pid = ::fork();
  if (p.pid == 0) {
    std::freopen(log_path.c_str(), "w", stderr);
    std::vector<char*> argv{const_cast<char*>(RMQ_NAMESRV_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(RMQ_NAMESRV_BIN, argv.data());
    std::_Exit(127);
  }
  return p;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class NamesrvProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rmq-namesrv-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    addr_ = "127.0.0.1:" + std::to_string(port_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> args() {
    return {"--listenPort=" + std::to_string(port_), "--bindAddress=127.0.0.1",
            "--kvConfigPath=" + (dir_ / "kv" / "kvConfig.json").string()};
  }

  // Runs `body` as a client on a real runtime, retrying the first connection
  // while the server starts.
  void client(const std::function<void(rt::Runtime&, remoting::RpcClient&)>& body) {
    real::RealRuntime rt({.name = "client", .min_log_level = rt::LogLevel::error});
    rt.run([&] {
      remoting::RpcClient c(rt, nullptr);
      for (int i = 0; i < 250; ++i) {
        if (c.connection(addr_).ok()) break;
        rt.sleep_for(20ms);
      }
      body(rt, c);
    });
  }

  std::filesystem::path dir_;
  int port_ = 0;
  std::string addr_;
};

TEST_F(NamesrvProcess, RegistersBrokerAndServesRouteOverTcp) {
  Process ns = spawn_namesrv(args(), (dir_ / "ns.log").string());
  client([&](rt::Runtime&, remoting::RpcClient& c) {
    auto req = remoting::RemotingCommand::request(rc::kRegisterBroker);
    remoting::RegisterBrokerRequestHeader h;
    h.broker_name = "broker-a";
    h.broker_addr = "127.0.0.1:10911";
    h.cluster_name = "DefaultCluster";
    h.ha_server_addr = "127.0.0.1:10912";
    h.encode(req);
    remoting::RegisterBrokerBody body;
    body.data_version.counter = 1;
    remoting::TopicConfig t;
    t.topic_name = "TopicTest";
    t.read_queue_nums = t.write_queue_nums = 4;
    body.topic_config_table["TopicTest"] = t;
    req.body = remoting::encode_register_broker_body(body, false);
    auto reg = c.invoke(addr_, std::move(req), 3s);
    ASSERT_TRUE(reg.ok()) << reg.error().message();
    ASSERT_EQ(reg->code, rs::kSuccess) << reg->remark.value_or("");

    auto get = remoting::RemotingCommand::request(rc::kGetRouteinfoByTopic);
    remoting::GetRouteInfoRequestHeader gh;
    gh.topic = "TopicTest";
    gh.encode(get);
    auto resp = c.invoke(addr_, std::move(get), 3s);
    ASSERT_TRUE(resp.ok());
    ASSERT_EQ(resp->code, rs::kSuccess);
    auto route = remoting::decode_topic_route(remoting::to_text(resp->body));
    ASSERT_TRUE(route.ok());
    ASSERT_EQ(route->broker_datas.size(), 1u);
    EXPECT_EQ(route->broker_datas[0].broker_addrs.at(0), "127.0.0.1:10911");
    EXPECT_EQ(route->queue_datas.at(0).write_queue_nums, 4);

    auto missing = remoting::RemotingCommand::request(rc::kGetRouteinfoByTopic);
    gh.topic = "Nope";
    gh.encode(missing);
    auto miss = c.invoke(addr_, std::move(missing), 3s);
    ASSERT_TRUE(miss.ok());
    EXPECT_EQ(miss->code, rs::kTopicNotExist);

    auto unknown = c.invoke(addr_, remoting::RemotingCommand::request(9999), 3s);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->code, rs::kRequestCodeNotSupported);
  });
  ::kill(ns.pid, SIGTERM);
  EXPECT_EQ(ns.wait_exit(10s), 0) << slurp(ns.log_path);
  EXPECT_NE(slurp(ns.log_path).find("broker registered"), std::string::npos) << slurp(ns.log_path);
}

TEST_F(NamesrvProcess, KvConfigSurvivesRestart) {
  {
    Process ns = spawn_namesrv(args(), (dir_ / "ns1.log").string());
    client([&](rt::Runtime&, remoting::RpcClient& c) {
      auto put = remoting::RemotingCommand::request(rc::kPutKvConfig);
      remoting::KvConfigRequestHeader h{"ORDER_TOPIC_CONFIG", "TopicTest", std::string("broker-a:4")};
      h.encode(put);
      auto r = c.invoke(addr_, std::move(put), 3s);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->code, rs::kSuccess);
    });
    ::kill(ns.pid, SIGTERM);
    ASSERT_EQ(ns.wait_exit(10s), 0) << slurp(ns.log_path);
  }
  Process ns = spawn_namesrv(args(), (dir_ / "ns2.log").string());
  client([&](rt::Runtime&, remoting::RpcClient& c) {
    auto get = remoting::RemotingCommand::request(rc::kGetKvConfig);
    remoting::KvConfigRequestHeader h{"ORDER_TOPIC_CONFIG", "TopicTest", std::nullopt};
    h.encode(get);
    auto r = c.invoke(addr_, std::move(get), 3s);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, rs::kSuccess);
    EXPECT_EQ(r->field("value"), "broker-a:4");
  });
}

TEST_F(NamesrvProcess, InvalidConfigValueFailsStartupNamingTheKey) {
  std::ofstream(dir_ / "bad.conf") << "listenPort=notaport\n";
  Process ns = spawn_namesrv({"-c", (dir_ / "bad.conf").string()}, (dir_ / "bad.log").string());
  EXPECT_EQ(ns.wait_exit(10s), 1);
  EXPECT_NE(slurp(ns.log_path).find("listenPort"), std::string::npos) << slurp(ns.log_path);
  Process usage = spawn_namesrv({"bogus"}, (dir_ / "usage.log").string());
  EXPECT_EQ(usage.wait_exit(10s), 2);
}

}  // namespace
}  // namespace rmq::namesrv
