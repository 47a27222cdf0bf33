// The HTTP responder as a scraper and a careless client use it, on the real
// runtime and in the simulator: GET and HEAD of a path, keep-alive and
// pipelining, 404 / 405 / 400 / 431 with a close, a bound on connections,
// and stop() closing idle ones.
#include "remoting/http_server.h"

#include <gtest/gtest.h>

#include "tests/runtime/backend.h"
#include "tests/util/bytes.h"

namespace rmq::remoting {
namespace {

using namespace std::chrono_literals;

class Http : public ::testing::TestWithParam<std::string> {
 protected:
  void run(std::function<void(rt::Runtime&)> body) {
    auto backend = GetParam() == "real" ? test::make_real_backend() : test::make_sim_backend(5);
    backend->run(std::move(body));
  }
};

// Writes `request`, then reads until the server closes (or `until` is in
// what was read) and returns all of it.
std::string exchange(rt::Runtime& rt, const std::string& addr, const std::string& request, std::string until = {}) {
  auto c = rt.connect(addr, 5s);
  if (!c) return "connect: " + c.error().message();
  auto& conn = **c;
  if (!request.empty()) (void)conn.write_all(std::as_bytes(std::span(request)), 5s);
  std::string got;
  std::vector<std::byte> buf(4096);
  for (;;) {
    if (!until.empty() && got.find(until) != std::string::npos) break;
    auto n = conn.read_some(rt::MutableBytes(buf), 5s);
    if (!n) return got + "<" + n.error().message() + ">";
    if (*n == 0) return got + "<eof>";
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  return got;
}

void serve_metrics(HttpServer& s) {
  s.get("/metrics", [] { return HttpResponse{.content_type = "text/plain; version=0.0.4", .body = "m 1\n"}; });
  ASSERT_TRUE(s.start("127.0.0.1:0").ok());
}

TEST_P(Http, GetAnswersTheHandlersBodyAndCloseEndsTheConnection) {
  run([](rt::Runtime& rt) {
    HttpServer s(rt);
    serve_metrics(s);
    const std::string got = exchange(rt, s.address(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(got,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 4\r\n"
              "Connection: close\r\n\r\nm 1\n<eof>");
    // HTTP/1.0 closes by default; a query string is not part of the path.
    EXPECT_NE(exchange(rt, s.address(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n").find("200 OK"), std::string::npos);
    // HEAD: the head alone.
    const std::string head = exchange(rt, s.address(), "HEAD /metrics HTTP/1.0\r\n\r\n");
    EXPECT_NE(head.find("Content-Length: 4\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.find("m 1"), std::string::npos) << head;
  });
}

TEST_P(Http, KeepAliveServesPipelinedRequestsOnOneConnection) {
  run([](rt::Runtime& rt) {
    HttpServer s(rt);
    serve_metrics(s);
    const std::string two = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string got = exchange(rt, s.address(), two, "404 Not Found\n");
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u) << got;
    EXPECT_NE(got.find("m 1\nHTTP/1.1 404 Not Found"), std::string::npos) << got;
  });
}

TEST_P(Http, BadRequestsAreAnsweredAndClosed) {
  run([](rt::Runtime& rt) {
    HttpServer s(rt);
    serve_metrics(s);
    auto status = [&](const std::string& req) {
      const std::string got = exchange(rt, s.address(), req);
      EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
      EXPECT_TRUE(got.ends_with("<eof>")) << got;
      return got.substr(0, got.find("\r\n"));
    };
    EXPECT_EQ(status("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(status("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
              "HTTP/1.1 405 Method Not Allowed");
    EXPECT_EQ(status("\x16\x03\x01 not http at all\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(status("GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(status("GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"),
              "HTTP/1.1 431 Request Header Fields Too Large");
    // A request cut short by the client's close gets 400, never a hang.
    auto c = rt.connect(s.address(), 5s);
    ASSERT_TRUE(c.ok());
    const std::string half = "GET /metr";
    ASSERT_TRUE((*c)->write_all(std::as_bytes(std::span(half))).ok());
    (*c)->close();
  });
}

TEST_P(Http, ConnectionsBeyondTheBoundAreAnswered503) {
  run([](rt::Runtime& rt) {
    HttpServer s(rt, {.max_connections = 2});
    serve_metrics(s);
    std::vector<std::unique_ptr<rt::Conn>> held;
    for (int i = 0; i < 2; ++i) {
      auto c = rt.connect(s.address(), 5s);
      ASSERT_TRUE(c.ok());
      held.push_back(std::move(*c));
    }
    rt.sleep_for(50ms);  // accepted
    EXPECT_EQ(exchange(rt, s.address(), "").substr(0, 32), "HTTP/1.1 503 Service Unavailable");
    held.clear();
    rt.sleep_for(50ms);
    EXPECT_NE(exchange(rt, s.address(), "GET /metrics HTTP/1.0\r\n\r\n").find("200 OK"), std::string::npos);
  });
}

TEST_P(Http, StopClosesIdleConnectionsAndJoinsTheirTasks) {
  run([](rt::Runtime& rt) {
    HttpServer s(rt, {.idle_timeout = 1h});
    serve_metrics(s);
    auto c = rt.connect(s.address(), 5s);
    ASSERT_TRUE(c.ok());
    rt.sleep_for(50ms);
    const rt::Instant before = rt.now();
    s.stop();
    EXPECT_LT(rt.now() - before, 1s);
    std::vector<std::byte> buf(16);
    auto n = (*c)->read_some(rt::MutableBytes(buf), 5s);
    EXPECT_TRUE(!n || *n == 0);  // closed, not left hanging
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, Http, ::testing::Values("real", "sim"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace rmq::remoting
