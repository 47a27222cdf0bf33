// A small HTTP/1.1 responder on the runtime's sockets: the /metrics
// endpoint's server (RocketMQ 5's metricsExporterType=PROM), with no second
// thread model. Requests are parsed by Boost.Beast's parser; responses are
// written whole, with Content-Length.
//
// GET and HEAD of a registered path run its handler; another path is 404,
// another method 405, a request Beast refuses 400 and a header beyond
// HttpOptions::header_max_bytes 431, each answer followed by a close.
// Keep-alive is honoured; a connection idle for idle_timeout is closed.
// Beyond max_connections, a new connection is answered 503 and closed.
//
// Every task (the acceptor and one per connection) is owned by the server
// and cancelled and joined by stop(). One runtime's tasks use a server.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace rmq::remoting {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body{};
};

struct HttpOptions {
  size_t header_max_bytes = 8 * 1024;
  size_t max_connections = 64;
  rt::Duration idle_timeout = std::chrono::seconds(30);
  rt::Duration write_timeout = std::chrono::seconds(10);
};

class HttpServer {
 public:
  // Builds the answer to a GET of its path. Must not suspend.
  using Handler = std::function<HttpResponse()>;

  explicit HttpServer(rt::Runtime& rt, HttpOptions opts = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // REQUIRES: before start().
  void get(std::string path, Handler h);
  // Listens on `address` ("0.0.0.0:5557"; port 0 for any) and accepts.
  rt::Result<void> start(std::string_view address);
  const std::string& address() const;  // the bound address
  // Closes the listener and every connection; joins their tasks. Suspends.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::remoting
