#include "remoting/http_server.h"

#include <fmt/format.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <vector>

namespace rmq::remoting {
namespace {

namespace http = boost::beast::http;
using rt::Errc;

std::string_view reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
  }
  return "Error";
}

std::string head_of(const HttpResponse& r, bool keep_alive, size_t body_bytes) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", r.status,
                                reason(r.status), r.content_type, body_bytes);
  if (r.status == 405) out += "Allow: GET, HEAD\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

HttpResponse error_page(int status) {
  return {.status = status, .body = fmt::format("{} {}\n", status, reason(status))};
}

}  // namespace

struct HttpServer::Impl {
  rt::Runtime& rt;
  HttpOptions opts;
  std::map<std::string, Handler, std::less<>> handlers;
  std::unique_ptr<rt::Listener> listener;
  std::string address;
  rt::Task acceptor;
  std::map<uint64_t, rt::Task> connections;  // by accept order
  uint64_t next_id = 1;
  bool stopped = false;

  void accept_loop() {
    for (;;) {
      auto c = listener->accept();
      if (!c) {
        if (c.code() == Errc::closed || c.code() == Errc::cancelled) return;
        continue;
      }
      std::erase_if(connections, [](const auto& kv) { return kv.second.done(); });
      std::shared_ptr<rt::Conn> conn(std::move(*c));
      const bool full = connections.size() >= opts.max_connections;
      connections.emplace(next_id++, rt.spawn("http-conn", [this, conn, full] {
                            if (full)
                              (void)write(*conn, error_page(503), false, false);
                            else
                              serve(*conn);
                            conn->close();
                          }));
    }
  }

  rt::Result<void> write(rt::Conn& conn, const HttpResponse& r, bool keep_alive, bool head_only) {
    const std::string head = head_of(r, keep_alive, r.body.size());
    const rt::ConstBytes parts[] = {std::as_bytes(std::span(head)),
                                    head_only ? rt::ConstBytes{} : std::as_bytes(std::span(r.body))};
    return conn.write_all(std::span<const rt::ConstBytes>(parts), opts.write_timeout);
  }

  // Reads and drops what the client still sends, for a bounded time and
  // amount, before the close: closing with unread bytes sends a reset,
  // which can destroy the error answer before the client reads it.
  void drain(rt::Conn& conn) {
    std::vector<std::byte> sink(4096);
    for (size_t dropped = 0; dropped < kDrainBytesMax;) {
      auto n = conn.read_some(rt::MutableBytes(sink), kDrainWait);
      if (!n || *n == 0) return;
      dropped += *n;
    }
  }
  static constexpr size_t kDrainBytesMax = 256 * 1024;
  static constexpr rt::Duration kDrainWait = std::chrono::milliseconds(200);

  // Answers requests until the peer closes, asks to, errs or idles.
  void serve(rt::Conn& conn) {
    std::vector<std::byte> buf;  // bytes read and not yet consumed by a parser
    bool at_eof = false;
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(static_cast<uint32_t>(opts.header_max_bytes));
      parser.eager(true);
      boost::beast::error_code ec;
      while (!parser.is_done()) {
        if (!buf.empty()) {
          const size_t used = parser.put(boost::asio::const_buffer(buf.data(), buf.size()), ec);
          buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
          if (ec == http::error::need_more) ec = {};
          if (ec || parser.is_done()) break;
        }
        if (at_eof) {
          if (buf.empty() && !parser.got_some()) return;  // closed between requests
          parser.put_eof(ec);
          if (!ec) ec = http::error::partial_message;
          break;
        }
        // Never more than a header's worth waits for its end.
        if (buf.size() > opts.header_max_bytes) {
          ec = http::error::header_limit;
          break;
        }
        const size_t have = buf.size();
        buf.resize(have + 4096);
        auto got = conn.read_some(rt::MutableBytes(buf.data() + have, 4096), opts.idle_timeout);
        buf.resize(have + (got ? *got : 0));
        if (!got) return;  // idle, reset or closed by stop()
        if (*got == 0) at_eof = true;
      }
      if (ec) {
        if (write(conn, error_page(ec == http::error::header_limit ? 431 : 400), false, false)) drain(conn);
        return;
      }
      const auto& req = parser.get();
      const bool head = req.method() == http::verb::head;
      const bool keep_alive = req.keep_alive() && !at_eof;
      std::string_view target(req.target().data(), req.target().size());
      target = target.substr(0, target.find('?'));
      HttpResponse r;
      if (req.method() != http::verb::get && !head) {
        r = error_page(405);
      } else if (auto h = handlers.find(target); h == handlers.end()) {
        r = error_page(404);
      } else {
        r = h->second();
      }
      if (!write(conn, r, keep_alive, head) || !keep_alive) return;
    }
  }
};

HttpServer::HttpServer(rt::Runtime& rt, HttpOptions opts) : impl_(std::make_unique<Impl>(Impl{rt, opts, {}, {}, {}, {}, {}, 1, false})) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::get(std::string path, Handler h) { impl_->handlers[std::move(path)] = std::move(h); }

rt::Result<void> HttpServer::start(std::string_view address) {
  auto l = impl_->rt.listen(address);
  if (!l) return l.error();
  impl_->listener = std::move(*l);
  impl_->address = impl_->listener->address();
  impl_->acceptor = impl_->rt.spawn("http-accept", [impl = impl_.get()] { impl->accept_loop(); });
  return {};
}

const std::string& HttpServer::address() const { return impl_->address; }

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  if (s.listener) s.listener->close();
  if (s.acceptor.valid()) s.acceptor.cancel_and_join();
  for (auto& [id, t] : s.connections) t.cancel_and_join();
  s.connections.clear();
}

}  // namespace rmq::remoting
