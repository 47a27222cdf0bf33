#include "runtime/real/net.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "runtime/real/disk_io.h"
#include "runtime/real/fs.h"
#include "runtime/real/loop.h"

namespace rmq::real {

using asio::ip::tcp;
using rt::Errc;
using rt::Error;
using rt::Instant;
using rt::Result;

namespace {

// Chunk size of send_file() for files that are not RealFiles.
constexpr size_t kCopyChunkBytes = 64 * 1024;

Error stopping_error() { return Error(Errc::cancelled, "runtime stopping"); }

std::string to_address(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// A failed socket operation as an Error with "<what>: <message>" as detail.
Error net_error(const asio::error_code& ec, std::string_view what) {
  Errc code = Errc::io_error;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted) {
    code = Errc::reset;
  } else if (ec == asio::error::connection_refused) {
    code = Errc::refused;
  } else if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable ||
             ec == asio::error::network_down) {
    code = Errc::unreachable;
  } else if (ec == asio::error::address_in_use) {
    code = Errc::address_in_use;
  } else if (ec == asio::error::timed_out) {
    code = Errc::timeout;
  } else if (ec == asio::error::invalid_argument || ec == std::errc::address_not_available) {
    code = Errc::invalid_argument;
  }
  std::string detail(what);
  detail += ": ";
  detail += ec.message();
  return Error(code, std::move(detail));
}

// The time left until `deadline`, as a timeout for a nested call.
rt::Duration time_left(rt::Runtime& rt, Instant deadline) {
  if (deadline == rt::kNever) return rt::kForever;
  return std::max(deadline - rt.now(), rt::Duration::zero());
}

class RealConn final : public rt::Conn, private IoObject {
 public:
  RealConn(Loop& loop, tcp::socket socket, std::string local, std::string peer)
      : rt::Conn(std::move(local), std::move(peer)), loop_(loop), socket_(std::move(socket)) {
    loop_.add(*this);
  }

  ~RealConn() override {
    RMQ_ASSERT_MSG(!reading_ && !writing_, "Conn destroyed while in use");
    do_close(false);
    loop_.remove(*this);
  }

 private:
  Result<size_t> do_read_some(rt::MutableBytes buf, rt::Duration timeout) override {
    if (loop_.stopping()) return stopping_error();
    if (closed_) return Error(Errc::closed, "read on closed connection to " + peer_address());
    RMQ_ASSERT_MSG(!reading_, "two tasks reading one Conn");
    const Instant deadline = rt::deadline_after(loop_.runtime().now(), timeout);
    AsioOp op(loop_);
    reading_ = true;
    socket_.async_read_some(asio::buffer(buf.data(), buf.size()), op.on_bytes());
    const AsioOp::End end = op.wait(deadline);
    reading_ = false;
    if (end != AsioOp::End::completed) return interrupted(end, "read from ");
    if (!op.ec()) {
      RMQ_ASSERT(op.bytes() > 0);
      RMQ_ASSERT(op.bytes() <= buf.size());
      return op.bytes();
    }
    if (op.ec() == asio::error::eof) return size_t{0};
    return failed(op.ec(), "read from ");
  }

  Result<void> do_write_all(std::span<const rt::ConstBytes> bufs, rt::Duration timeout) override {
    if (loop_.stopping()) return stopping_error();
    if (closed_) return Error(Errc::closed, "write on closed connection to " + peer_address());
    std::vector<asio::const_buffer> gathered;
    gathered.reserve(bufs.size());
    size_t total = 0;
    for (rt::ConstBytes b : bufs) {
      if (b.empty()) continue;
      gathered.emplace_back(b.data(), b.size());
      total += b.size();
    }
    if (total == 0) return {};
    RMQ_ASSERT_MSG(!writing_, "two tasks writing one Conn");
    const Instant deadline = rt::deadline_after(loop_.runtime().now(), timeout);
    AsioOp op(loop_);
    writing_ = true;
    asio::async_write(socket_, gathered, op.on_bytes());
    const AsioOp::End end = op.wait(deadline);
    writing_ = false;
    if (end != AsioOp::End::completed) return interrupted(end, "write to ");
    if (op.ec()) return failed(op.ec(), "write to ");
    RMQ_ASSERT(op.bytes() == total);
    return {};
  }

  Result<void> do_send_file(rt::File& file, uint64_t offset, uint64_t len, rt::Duration timeout) override {
    if (loop_.stopping()) return stopping_error();
    if (closed_) return Error(Errc::closed, "send_file on closed connection to " + peer_address());
    const Instant deadline = rt::deadline_after(loop_.runtime().now(), timeout);
    auto size = file.size();
    if (!size) return size.error();
    if (offset > *size || len > *size - offset)
      return Error(Errc::invalid_argument, "send_file past the end of " + file.path());
    return send_range(file, offset, len, deadline);
  }

  // The bytes of `file` in [offset, offset + len) to the socket, the range
  // not checked against the file's size (sendfile(2) returning 0 early says
  // it is shorter): by sendfile for a RealFile, else read and written.
  Result<void> send_range(rt::File& file, uint64_t offset, uint64_t len, Instant deadline) {
    if (len == 0) return {};
    auto* real_file = dynamic_cast<RealFile*>(&file);
    if (real_file == nullptr) return copy_file(file, offset, len, deadline);
    RMQ_ASSERT_MSG(!writing_, "two tasks writing one Conn");
    writing_ = true;
    auto r = sendfile_range(real_file->fd(), offset, len, deadline);
    writing_ = false;
    return r;
  }

  // Corked (TCP_CORK) while the pieces go out, so that a frame's head and
  // its file ranges fill whole segments; uncorking sends the rest at once.
  Result<void> do_write_pieces(std::span<const Piece> pieces, rt::Duration timeout) override {
    if (loop_.stopping()) return stopping_error();
    if (closed_) return Error(Errc::closed, "write on closed connection to " + peer_address());
    const int fd = socket_.native_handle();
    int on = 1;
    const bool corked = pieces.size() > 1 && ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0;
    struct Uncork {
      int fd;
      bool corked;
      ~Uncork() {
        int off = 0;
        if (corked) (void)::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
      }
    } uncork{fd, corked};
    // No fstat per range, unlike send_file.
    return write_pieces_by(pieces, timeout, [&](const Piece& p) {
      return send_range(*p.file, p.offset, p.length, rt::deadline_after(loop_.runtime().now(), timeout));
    });
  }

  // sendfile(2) until `len` bytes went out, waiting for writability on
  // EAGAIN. The socket is non-blocking (Asio reactor sockets may be).
  Result<void> sendfile_range(int file_fd, uint64_t offset, uint64_t len, Instant deadline) {
    if (!native_non_blocking_) {  // one ioctl per connection, not one per call
      asio::error_code ec;
      socket_.native_non_blocking(true, ec);
      if (ec) return failed(ec, "send_file to ");
      native_non_blocking_ = true;
    }
    auto pos = static_cast<off_t>(offset);
    while (len > 0) {
      if (closed_) return Error(Errc::closed, "send_file on closed connection to " + peer_address());
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(len, kMaxTransferBytes));
      const ssize_t n = ::sendfile(socket_.native_handle(), file_fd, &pos, chunk);
      if (n > 0) {
        RMQ_ASSERT(static_cast<uint64_t>(n) <= len);
        len -= static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) return Error(Errc::io_error, "send_file to " + peer_address() + ": the file shrank");
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK)
        return failed(asio::error_code(err, asio::system_category()), "send_file to ");
      AsioOp op(loop_);
      socket_.async_wait(tcp::socket::wait_write, op.on_done());
      const AsioOp::End end = op.wait(deadline);
      if (end != AsioOp::End::completed) return interrupted(end, "send_file to ");
      if (op.ec()) return failed(op.ec(), "send_file to ");
    }
    return {};
  }

  // send_file() of a File some other backend made: read_at + write_all.
  Result<void> copy_file(rt::File& file, uint64_t offset, uint64_t len, Instant deadline) {
    std::vector<std::byte> chunk(static_cast<size_t>(std::min<uint64_t>(len, kCopyChunkBytes)));
    while (len > 0) {
      const auto want = static_cast<size_t>(std::min<uint64_t>(len, chunk.size()));
      const rt::MutableBytes part(chunk.data(), want);
      auto n = file.read_at(offset, part);
      if (!n) return n.error();
      if (*n != want) return Error(Errc::io_error, "send_file: short read of " + file.path());
      auto w = write_all(rt::ConstBytes(part), time_left(loop_.runtime(), deadline));
      if (!w) return w;
      offset += want;
      len -= want;
    }
    return {};
  }

  // A wait ended by its deadline or by cancellation (the operation aborted).
  Error interrupted(AsioOp::End end, std::string_view what) {
    if (end == AsioOp::End::cancelled) return rt::detail::on_cancelled();
    RMQ_ASSERT(end == AsioOp::End::timed_out);
    if (closed_) return Error(Errc::closed, std::string(what) + peer_address());
    return Error(Errc::timeout, std::string(what) + peer_address());
  }

  // An operation that completed with an error.
  Error failed(const asio::error_code& ec, std::string_view what) {
    if (ec == asio::error::operation_aborted) {
      // Aborted by close()/abort() on this Conn, or by shutdown.
      if (closed_) return Error(Errc::closed, std::string(what) + peer_address());
      RMQ_ASSERT_MSG(loop_.stopping(), "socket operation aborted by nobody");
      return stopping_error();
    }
    return net_error(ec, std::string(what) + peer_address());
  }

  void do_close(bool reset) override {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    if (reset) {
      socket_.set_option(asio::socket_base::linger(true, 0), ignored);  // close() sends RST
    } else {
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
    }
    socket_.close(ignored);  // pending operations complete with operation_aborted
  }

  void cancel_io() override {
    asio::error_code ignored;
    socket_.cancel(ignored);
  }

  Loop& loop_;
  tcp::socket socket_;
  bool closed_ = false;
  bool reading_ = false;
  bool writing_ = false;  // write_all or send_file in flight
  bool native_non_blocking_ = false;  // set for sendfile(2)
};

// A socket under construction (connecting, or accepted but not yet wrapped),
// registered so that shutdown can abort its operation.
class PendingSocket final : public IoObject {
 public:
  explicit PendingSocket(Loop& loop) : loop_(loop), socket_(loop.io()) { loop_.add(*this); }
  ~PendingSocket() { loop_.remove(*this); }
  tcp::socket& socket() { return socket_; }
  void cancel_io() override {
    asio::error_code ignored;
    socket_.cancel(ignored);
  }

 private:
  Loop& loop_;
  tcp::socket socket_;
};

// A connected socket as a Conn, with Nagle's algorithm off. The addresses
// come from the caller: by the time the task looks, the peer may have reset
// the connection, and getsockname/getpeername would fail or report port 0.
std::unique_ptr<rt::Conn> wrap(Loop& loop, tcp::socket socket, const tcp::endpoint& local,
                               const tcp::endpoint& peer) {
  asio::error_code ignored;  // fails only on a connection already reset
  socket.set_option(tcp::no_delay(true), ignored);
  return std::make_unique<RealConn>(loop, std::move(socket), to_address(local), to_address(peer));
}

// The local address of a connected (or connecting) socket, or `fallback`
// if the connection is already gone.
tcp::endpoint local_endpoint_or(tcp::socket& socket, const tcp::endpoint& fallback) {
  asio::error_code ec;
  const tcp::endpoint local = socket.local_endpoint(ec);
  if (ec || local.port() == 0) return fallback;
  return local;
}

class RealListener final : public rt::Listener, private IoObject {
 public:
  RealListener(Loop& loop, tcp::acceptor acceptor, const tcp::endpoint& bound)
      : loop_(loop), acceptor_(std::move(acceptor)), bound_(bound), address_(to_address(bound)) {
    loop_.add(*this);
  }

  ~RealListener() override {
    RMQ_ASSERT_MSG(!accepting_, "Listener destroyed while accepting");
    close();
    loop_.remove(*this);
  }

  Result<std::unique_ptr<rt::Conn>> accept(rt::Duration timeout) override {
    const Instant deadline = rt::deadline_after(loop_.runtime().now(), timeout);
    for (;;) {
      if (loop_.stopping()) return stopping_error();
      if (closed_) return Error(Errc::closed, "accept on closed listener " + address_);
      RMQ_ASSERT_MSG(!accepting_, "two tasks accepting on one Listener");
      PendingSocket peer(loop_);
      tcp::endpoint peer_endpoint;
      AsioOp op(loop_);
      accepting_ = true;
      acceptor_.async_accept(peer.socket(), peer_endpoint, op.on_done());
      const AsioOp::End end = op.wait(deadline);
      accepting_ = false;
      if (end == AsioOp::End::cancelled) return rt::detail::on_cancelled();
      if (end == AsioOp::End::timed_out)
        return Error(closed_ ? Errc::closed : Errc::timeout, "accept on " + address_);
      if (op.ec() == asio::error::connection_aborted) continue;  // the client gave up first
      if (op.ec() == asio::error::operation_aborted) {
        if (closed_) return Error(Errc::closed, "accept on closed listener " + address_);
        RMQ_ASSERT_MSG(loop_.stopping(), "accept aborted by nobody");
        return stopping_error();
      }
      if (op.ec()) return net_error(op.ec(), "accept on " + address_);
      const tcp::endpoint local = local_endpoint_or(peer.socket(), bound_);
      return wrap(loop_, std::move(peer.socket()), local, peer_endpoint);
    }
  }

  const std::string& address() const override { return address_; }

  void close() override {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    acceptor_.close(ignored);  // a pending accept completes with operation_aborted
  }

 private:
  void cancel_io() override {
    asio::error_code ignored;
    acceptor_.cancel(ignored);
  }

  Loop& loop_;
  tcp::acceptor acceptor_;
  tcp::endpoint bound_;
  std::string address_;
  bool closed_ = false;
  bool accepting_ = false;
};

// Parses "a.b.c.d:port" into an endpoint.
Result<tcp::endpoint> endpoint_of(std::string_view address) {
  auto hp = rt::parse_address(address);
  if (!hp) return hp.error();
  asio::error_code ec;
  const asio::ip::address_v4 ip = asio::ip::make_address_v4(hp->host, ec);
  if (ec) return Error(Errc::invalid_argument, "bad IPv4 address '" + std::string(address) + "'");
  return tcp::endpoint(ip, hp->port);
}

}  // namespace

Result<std::unique_ptr<rt::Listener>> listen(Loop& loop, std::string_view address) {
  if (loop.stopping()) return stopping_error();
  auto ep = endpoint_of(address);
  if (!ep) return ep.error();
  const std::string what = "listen " + std::string(address);
  tcp::acceptor acceptor(loop.io());
  asio::error_code ec;
  acceptor.open(ep->protocol(), ec);
  if (ec) return net_error(ec, what);
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return net_error(ec, what);
  acceptor.bind(*ep, ec);
  if (ec) return net_error(ec, what);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return net_error(ec, what);
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return net_error(ec, what);
  return std::unique_ptr<rt::Listener>(std::make_unique<RealListener>(loop, std::move(acceptor), bound));
}

Result<std::unique_ptr<rt::Conn>> connect(Loop& loop, std::string_view address, rt::Duration timeout) {
  if (loop.stopping()) return stopping_error();
  auto ep = endpoint_of(address);
  if (!ep) return ep.error();
  const std::string what = "connect " + std::string(address);
  const Instant deadline = rt::deadline_after(loop.runtime().now(), timeout);
  PendingSocket pending(loop);
  asio::error_code ec;
  pending.socket().open(tcp::v4(), ec);
  if (ec) return net_error(ec, what);
  AsioOp op(loop);
  pending.socket().async_connect(*ep, op.on_done());
  // connect(2) has run inside async_connect and bound the local port; ask
  // now, before a quick reset by the peer can unbind it.
  const tcp::endpoint local = local_endpoint_or(pending.socket(), tcp::endpoint());
  const AsioOp::End end = op.wait(deadline);
  if (end == AsioOp::End::cancelled) return rt::detail::on_cancelled();
  if (end == AsioOp::End::timed_out) return Error(Errc::timeout, what);
  if (op.ec() == asio::error::operation_aborted) {
    RMQ_ASSERT_MSG(loop.stopping(), "connect aborted by nobody");
    return stopping_error();
  }
  if (op.ec()) return net_error(op.ec(), what);
  return wrap(loop, std::move(pending.socket()), local_endpoint_or(pending.socket(), local), *ep);
}

}  // namespace rmq::real
