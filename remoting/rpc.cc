// Implementation of remoting/rpc.h: one ConnectionImpl per TCP connection,
// used by both RpcServer and RpcClient.
//
// Tasks of a connection: "rpc-reader" reads what the socket has into a buffer
// and decodes every whole frame in it; each incoming request runs in its own
// "rpc-request" task (at most max_in_flight_requests; the reader waits for a
// slot); "rpc-writer" writes what the others queue; invoke_async runs in an
// "rpc-async" task. The connection owns them: shutdown() closes, cancels and
// joins them all.
//
// Writes are gathered: a frame is appended to the connection's outgoing
// queue and the writer task, woken after the tasks ready at that moment have
// run, writes the whole queue at once, so the responses of one loop turn
// leave in one write. Only the writer writes: a task cancelled while its
// frame waits neither cuts the write nor closes the connection (its frame is
// still sent). Requests and responses do not wait for their write (a failed
// write closes the connection, which fails the invocations) unless more than
// kQueuedBytesMax is queued; oneway requests wait, to report the outcome.
#include "remoting/rpc.h"

#include <algorithm>
#include <cstring>

#include "remoting/codes.h"

namespace rmq::remoting {

using rt::Errc;
using rt::Error;

RemotingCommand Dispatcher::not_supported(const RemotingCommand& request) {
  return RemotingCommand::response_to(request, response_code::kRequestCodeNotSupported,
                                      " request type " + std::to_string(request.code) + " not supported");
}

std::optional<RemotingCommand> Dispatcher::dispatch(Connection& from, RemotingCommand& request) const {
  auto it = table_.find(request.code);
  if (it == table_.end()) return not_supported(request);
  return it->second(from, request);
}

namespace {

class ConnectionImpl final : public Connection {
 public:
  ConnectionImpl(rt::Runtime& rt, std::unique_ptr<rt::Conn> conn, const Dispatcher* dispatcher,
                 const ConnectionOptions& opts, std::function<void(Connection&)> on_close)
      : rt_(rt),
        conn_(std::move(conn)),
        peer_(conn_->peer_address()),
        dispatcher_(dispatcher),
        opts_(opts),
        on_close_(std::move(on_close)),
        slot_free_(rt),
        out_ready_(rt) {}

  ~ConnectionImpl() override { RMQ_ASSERT_MSG(pending_.empty(), "connection destroyed with pending invocations"); }

  void start() {
    auto self = std::static_pointer_cast<ConnectionImpl>(shared_from_this());
    reader_ = rt_.spawn("rpc-reader", [self] { self->read_loop(); });
    writer_ = rt_.spawn("rpc-writer", [self] { self->write_loop(); });
  }

  const std::string& peer_address() const override { return peer_; }
  bool closed() const override { return closed_; }

  rt::Result<RemotingCommand> invoke(RemotingCommand request, rt::Duration timeout) override {
    if (closed_) return Error(Errc::closed, "connection to " + peer_ + " is closed");
    if (pending_.size() >= opts_.max_pending_invocations)
      return Error(Errc::io_error, "too many requests waiting for answers from " + peer_);
    const int32_t opaque = next_opaque();
    request.opaque = opaque;
    request.flag &= ~(kFlagResponse | kFlagOneway);
    Pending p(rt_);
    pending_[opaque] = &p;
    struct Unregister {
      std::map<int32_t, Pending*>& pending;
      int32_t opaque;
      ~Unregister() { pending.erase(opaque); }
    } unregister{pending_, opaque};
    const rt::Instant deadline = rt::deadline_after(rt_.now(), timeout);
    if (auto w = write(request, false, timeout); !w) {
      if (w.code() == Errc::timeout)
        return Error(Errc::timeout, "request code " + std::to_string(request.code) + " to " + peer_ +
                                        " not written within its timeout");
      return w.error();
    }
    auto waited = p.done.wait(deadline - rt_.now());
    if (p.result) return std::move(*p.result);
    if (!waited) {
      if (waited.code() == Errc::timeout)
        return Error(Errc::timeout, "no answer from " + peer_ + " to request code " + std::to_string(request.code));
      return waited.error();
    }
    return Error(Errc::closed, "connection to " + peer_ + " closed");
  }

  rt::Result<void> invoke_oneway(RemotingCommand request) override {
    if (closed_) return Error(Errc::closed, "connection to " + peer_ + " is closed");
    request.opaque = next_opaque();
    request.flag = (request.flag & ~kFlagResponse) | kFlagOneway;
    return write(request, true);
  }

  void invoke_async(RemotingCommand request, rt::Duration timeout,
                    std::function<void(rt::Result<RemotingCommand>)> done) override {
    auto self = std::static_pointer_cast<ConnectionImpl>(shared_from_this());
    track(rt_.spawn("rpc-async", [self, request = std::move(request), timeout, done = std::move(done)]() mutable {
      done(self->invoke(std::move(request), timeout));
    }));
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    conn_->close();
    for (auto& [opaque, p] : pending_) p->done.set();  // no result: closed
    if (next_round_) next_round_->done.set();        // its result says closed
    if (writing_round_) writing_round_->done.set();  // likewise: the write is cut
    next_round_ = nullptr;
    writing_round_ = nullptr;
    out_.clear();
    queued_bytes_ = 0;
    slot_free_.set();
    out_ready_.set();  // the writer ends
    if (on_close_) on_close_(*this);
  }

  // Closes, then cancels and joins every task of this connection. Suspends.
  // REQUIRES: not called from one of those tasks.
  void shutdown() {
    close();
    for (auto& [id, t] : tasks_) t.cancel();
    for (auto& [id, t] : tasks_) (void)t.join();
    tasks_.clear();
    for (rt::Task* t : {&reader_, &writer_}) {
      if (!t->valid()) continue;
      t->cancel();
      (void)t->join();
    }
  }

  // True when no task of this connection is alive (it can be forgotten).
  bool finished() {
    prune();
    return closed_ && tasks_.empty() && (!reader_.valid() || reader_.done()) && (!writer_.valid() || writer_.done());
  }

 private:
  struct Pending {
    explicit Pending(rt::Runtime& rt) : done(rt) {}
    rt::Event done;
    std::optional<RemotingCommand> result;
  };

  int32_t next_opaque() {
    const int32_t o = opaque_counter_;
    opaque_counter_ = opaque_counter_ == INT32_MAX ? 1 : opaque_counter_ + 1;
    return o;
  }

  void track(rt::Task t) {
    // Pruning walks every task: only when the map has doubled since the
    // last walk, so a request costs O(1) amortized.
    if (tasks_.size() >= prune_at_) {
      prune();
      prune_at_ = std::max<size_t>(64, 2 * tasks_.size());
    }
    tasks_.emplace(next_task_id_++, std::move(t));
  }

  void prune() {
    for (auto it = tasks_.begin(); it != tasks_.end();) {
      if (it->second.done()) it = tasks_.erase(it);
      else ++it;
    }
  }

  // Frames gathered for one write, and the writers waiting for it.
  struct Round {
    explicit Round(rt::Runtime& rt) : done(rt) {}
    rt::Event done;
    rt::Result<void> result = Error(Errc::closed, "connection closed before the write");
  };

  // What the writer sends, in order: frames' bytes, or a file slice of a
  // frame's body.
  struct OutPiece {
    std::vector<std::byte> bytes;
    RemotingCommand::FileSlice file;  // when file.file is set
  };

  // Queues `cmd` for the writer. Waits until it is written when `wait` is
  // set or the queue holds more than kQueuedBytesMax (backpressure), and
  // then returns the write's outcome (Errc::timeout after `timeout`: the
  // frame stays queued); otherwise returns at once.
  rt::Result<void> write(const RemotingCommand& cmd, bool wait, rt::Duration timeout = rt::kForever) {
    if (closed_) return Error(Errc::closed, "connection to " + peer_ + " is closed");
    // While the runtime goes down the writer is gone: nothing would write.
    if (rt_.stopping()) return Error(Errc::cancelled, "runtime stopping");
    if (out_.empty() || out_.back().file.file) {
      out_.emplace_back();
      out_.back().bytes.swap(spare_);
    }
    const size_t before = out_.back().bytes.size();
    append_frame(cmd, out_.back().bytes);
    queued_bytes_ += out_.back().bytes.size() - before;
    for (const auto& f : cmd.body_files) {
      out_.push_back(OutPiece{{}, f});
      queued_bytes_ += f.length;
    }
    if (!next_round_) next_round_ = std::make_shared<Round>(rt_);
    const std::shared_ptr<Round> mine = next_round_;
    out_ready_.set();
    if (!wait && queued_bytes_ <= kQueuedBytesMax) return {};
    if (auto w = mine->done.wait(timeout); !w) return w.error();
    return mine->result;
  }

  // The writer: writes everything queued, round after round, until the
  // connection closes. A failed write closes the connection (a frame may be
  // cut) and fails every waiting writer; so does the writer's end.
  void write_loop() {
    auto self = shared_from_this();  // alive while writing
    struct CloseOnExit {
      ConnectionImpl& c;
      ~CloseOnExit() { c.close(); }
    } close_on_exit{*this};
    std::vector<OutPiece> pieces;
    std::vector<rt::Conn::Piece> parts;
    while (!closed_) {
      if (out_.empty()) {
        out_ready_.reset();
        (void)out_ready_.wait();
        continue;
      }
      pieces.swap(out_);
      const std::shared_ptr<Round> round = std::move(next_round_);
      next_round_ = nullptr;
      writing_round_ = round;  // close() fails it if the write is cut
      parts.clear();
      size_t round_bytes = 0;
      for (const auto& p : pieces) {
        parts.push_back(p.file.file ? rt::Conn::Piece{{}, p.file.file.get(), p.file.offset, p.file.length}
                                    : rt::Conn::Piece{rt::ConstBytes(p.bytes)});
        round_bytes += p.file.file ? p.file.length : p.bytes.size();
      }
      const rt::Result<void> w = conn_->write_pieces(parts, opts_.write_timeout);
      if (closed_) return;  // closed meanwhile: close() failed the round
      writing_round_ = nullptr;
      round->result = w;
      round->done.set();
      if (!w) {
        rt_.log(rt::LogLevel::warn, "closing connection to " + peer_ + ": write failed: " + w.error().message());
        return;
      }
      RMQ_ASSERT(queued_bytes_ >= round_bytes);
      queued_bytes_ -= round_bytes;
      if (!pieces.front().bytes.empty() && pieces.front().bytes.capacity() <= kKeepWriteBufferBytes) {
        pieces.front().bytes.clear();
        spare_.swap(pieces.front().bytes);  // keep the allocation for the next round
      }
      pieces.clear();
    }
  }

  void protocol_error(const std::string& what) {
    rt_.log(rt::LogLevel::warn, "closing connection from " + peer_ + ": " + what);
    close();
  }

  void read_loop() {
    auto self = shared_from_this();  // alive while reading
    std::vector<std::byte> buf(kReadChunkBytes);
    size_t begin = 0;  // [begin, end): bytes read and not yet decoded
    size_t end = 0;
    while (!closed_) {
      // Decode every whole frame in the buffer.
      size_t need = 4;  // bytes the next frame needs from `begin`
      while (end - begin >= 4) {
        auto len = decode_length_prefix(std::span<const std::byte, 4>(buf.data() + begin, 4), opts_.frame_max_bytes);
        if (!len.ok()) return protocol_error(std::string(to_string(len.error)) + ": " + len.detail);
        need = 4 + size_t{*len.value};
        if (end - begin < need) break;
        auto cmd = decode_frame_body(rt::ConstBytes(buf.data() + begin + 4, *len.value));
        begin += need;
        need = 4;
        if (!cmd.ok()) return protocol_error(std::string(to_string(cmd.error)) + ": " + cmd.detail);
        if (!handle(std::move(*cmd.value))) break;
      }
      if (closed_) break;
      // Room for the rest of the next frame (at most frame_max_bytes).
      if (begin == end) {
        begin = end = 0;
        if (buf.size() > kReadChunkBytes) buf = std::vector<std::byte>(kReadChunkBytes);
      } else if (buf.size() - begin < need || (begin > 0 && buf.size() - end < kReadChunkBytes / 4)) {
        std::memmove(buf.data(), buf.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        if (buf.size() < need) buf.resize(need);
      }
      auto got = conn_->read_some(rt::MutableBytes(buf.data() + end, buf.size() - end));
      if (!got || *got == 0) {
        // End of stream, reset or local close between frames is not a
        // protocol error; in the middle of one it is.
        if (begin != end && !closed_)
          protocol_error("truncated frame (" + (got ? std::string("end of stream") : got.error().message()) + ")");
        break;
      }
      end += *got;
    }
    close();
  }

  // Hands one decoded frame on: a response to its invoker, a request to a
  // task of its own (waiting for a slot). False when the connection closed.
  bool handle(RemotingCommand cmd) {
    if (cmd.is_response()) {
      auto it = pending_.find(cmd.opaque);
      if (it == pending_.end()) {
        rt_.log(rt::LogLevel::debug, "dropping unmatched response " + std::to_string(cmd.opaque) + " from " + peer_);
        return true;
      }
      it->second->result = std::move(cmd);
      it->second->done.set();
      return true;
    }
    while (in_flight_ >= opts_.max_in_flight_requests && !closed_) {
      slot_free_.reset();
      (void)slot_free_.wait();
    }
    if (closed_) return false;
    ++in_flight_;
    auto me = std::static_pointer_cast<ConnectionImpl>(shared_from_this());
    track(rt_.spawn("rpc-request", [me, req = std::move(cmd)]() mutable { me->serve(std::move(req)); }));
    return true;
  }

  void serve(RemotingCommand req) {
    struct Release {
      ConnectionImpl& c;
      ~Release() {
        --c.in_flight_;
        c.slot_free_.set();
      }
    } release{*this};
    std::optional<RemotingCommand> resp =
        dispatcher_ != nullptr ? dispatcher_->dispatch(*this, req) : Dispatcher::not_supported(req);
    if (!resp || req.is_oneway() || closed_) return;
    resp->opaque = req.opaque;
    resp->flag |= kFlagResponse;
    (void)write(*resp, false);
  }

  rt::Runtime& rt_;
  std::unique_ptr<rt::Conn> conn_;
  std::string peer_;
  const Dispatcher* dispatcher_;
  ConnectionOptions opts_;
  std::function<void(Connection&)> on_close_;
  static constexpr size_t kReadChunkBytes = 64 * 1024;
  static constexpr size_t kKeepWriteBufferBytes = 256 * 1024;
  // Bytes queued beyond which writers wait for the write (backpressure).
  static constexpr size_t kQueuedBytesMax = 4 * 1024 * 1024;
  rt::Event slot_free_;
  rt::Event out_ready_;                   // something was queued, or closed
  std::vector<OutPiece> out_;             // queued, not yet being written
  size_t queued_bytes_ = 0;               // in out_ and in the write in flight
  std::vector<std::byte> spare_;          // a cleared buffer for the next round
  std::shared_ptr<Round> next_round_;     // the writers of out_
  std::shared_ptr<Round> writing_round_;  // the writers of the write in flight
  rt::Task reader_;
  rt::Task writer_;
  std::map<uint64_t, rt::Task> tasks_;
  std::map<int32_t, Pending*> pending_;
  uint64_t next_task_id_ = 1;
  size_t prune_at_ = 64;
  int32_t opaque_counter_ = 1;
  size_t in_flight_ = 0;
  bool closed_ = false;
};

using ConnectionImplPtr = std::shared_ptr<ConnectionImpl>;

}  // namespace

// ---------------------------------------------------------------------------
// RpcServer

struct RpcServer::Impl {
  rt::Runtime& rt;
  const Dispatcher& dispatcher;
  ConnectionOptions opts;
  std::unique_ptr<rt::Listener> listener;
  std::string address;
  rt::Task acceptor;
  std::map<uint64_t, ConnectionImplPtr> live;     // by accept order
  std::vector<ConnectionImplPtr> retired;          // closed, tasks maybe still ending
  std::vector<std::function<void(Connection&)>> close_callbacks;
  uint64_t next_id = 1;
  bool stopped = false;

  void accept_loop() {
    for (;;) {
      auto c = listener->accept();
      if (!c) {
        if (c.code() == Errc::closed || c.code() == Errc::cancelled) return;
        continue;
      }
      std::erase_if(retired, [](const ConnectionImplPtr& r) { return r->finished(); });
      const uint64_t id = next_id++;
      auto conn = std::make_shared<ConnectionImpl>(rt, std::move(*c), &dispatcher, opts, [this, id](Connection& closed) {
        auto it = live.find(id);
        if (it != live.end()) {
          retired.push_back(it->second);
          live.erase(it);
        }
        for (auto& cb : close_callbacks) cb(closed);
      });
      live.emplace(id, conn);
      conn->start();
    }
  }
};

RpcServer::RpcServer(rt::Runtime& rt, const Dispatcher& dispatcher, ConnectionOptions opts)
    : impl_(std::make_unique<Impl>(Impl{rt, dispatcher, opts, nullptr, {}, {}, {}, {}, {}, 1, false})) {}

RpcServer::~RpcServer() { stop(); }

rt::Result<void> RpcServer::start(std::string_view address) {
  auto l = impl_->rt.listen(address);
  if (!l) return l.error();
  impl_->listener = std::move(*l);
  impl_->address = impl_->listener->address();
  impl_->acceptor = impl_->rt.spawn("rpc-accept", [impl = impl_.get()] { impl->accept_loop(); });
  return {};
}

const std::string& RpcServer::address() const { return impl_->address; }

void RpcServer::on_close(std::function<void(Connection&)> cb) { impl_->close_callbacks.push_back(std::move(cb)); }

std::vector<ConnectionPtr> RpcServer::connections() const {
  std::vector<ConnectionPtr> out;
  for (const auto& [id, c] : impl_->live) out.push_back(c);
  return out;
}

void RpcServer::stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  if (s.listener) s.listener->close();
  if (s.acceptor.valid()) {
    s.acceptor.cancel();
    (void)s.acceptor.join();
  }
  std::vector<ConnectionImplPtr> all = s.retired;
  for (auto& [id, c] : s.live) all.push_back(c);
  for (auto& c : all) c->shutdown();
  s.live.clear();
  s.retired.clear();
}

// ---------------------------------------------------------------------------
// RpcClient

struct RpcClient::Impl {
  rt::Runtime& rt;
  const Dispatcher* server_requests;
  ClientOptions opts;
  std::map<std::string, ConnectionImplPtr> conns;
  std::map<std::string, std::unique_ptr<rt::Mutex>> connecting;
  std::vector<ConnectionImplPtr> retired;
  bool stopped = false;
};

RpcClient::RpcClient(rt::Runtime& rt, const Dispatcher* server_requests, ClientOptions opts)
    : impl_(std::make_unique<Impl>(Impl{rt, server_requests, opts, {}, {}, {}, false})) {}

RpcClient::~RpcClient() { stop(); }

rt::Result<ConnectionPtr> RpcClient::connection(std::string_view address) {
  Impl& c = *impl_;
  if (c.stopped) return Error(Errc::closed, "client stopped");
  const std::string addr(address);
  auto& mu = c.connecting[addr];
  if (!mu) mu = std::make_unique<rt::Mutex>(c.rt);
  rt::LockGuard guard(*mu);  // one connect per address at a time
  auto it = c.conns.find(addr);
  if (it != c.conns.end() && !it->second->closed()) return ConnectionPtr(it->second);
  if (it != c.conns.end()) {
    c.retired.push_back(it->second);
    c.conns.erase(it);
  }
  std::erase_if(c.retired, [](const ConnectionImplPtr& r) { return r->finished(); });
  auto conn = c.rt.connect(addr, c.opts.connect_timeout);
  if (!conn) {
    // Named once: the runtime's connect errors begin "connect <address>".
    const rt::Error& e = conn.error();
    if (e.detail().find(addr) != std::string::npos) return e;
    return Error(e.code(), "connect " + addr + (e.detail().empty() ? "" : ": " + e.detail()));
  }
  auto impl = std::make_shared<ConnectionImpl>(c.rt, std::move(*conn), c.server_requests, c.opts.connection, nullptr);
  impl->start();
  c.conns[addr] = impl;
  return ConnectionPtr(impl);
}

rt::Result<RemotingCommand> RpcClient::invoke(std::string_view address, RemotingCommand request, rt::Duration timeout) {
  auto conn = connection(address);
  if (!conn) return conn.error();
  return (*conn)->invoke(std::move(request), timeout);
}

rt::Result<void> RpcClient::invoke_oneway(std::string_view address, RemotingCommand request) {
  auto conn = connection(address);
  if (!conn) return conn.error();
  return (*conn)->invoke_oneway(std::move(request));
}

void RpcClient::invoke_async(std::string_view address, RemotingCommand request, rt::Duration timeout,
                             std::function<void(rt::Result<RemotingCommand>)> done) {
  auto conn = connection(address);
  if (!conn) return done(conn.error());
  (*conn)->invoke_async(std::move(request), timeout, std::move(done));
}

void RpcClient::close(std::string_view address) {
  auto it = impl_->conns.find(std::string(address));
  if (it == impl_->conns.end()) return;
  it->second->close();
  impl_->retired.push_back(it->second);
  impl_->conns.erase(it);
}

void RpcClient::stop() {
  Impl& c = *impl_;
  if (c.stopped) return;
  c.stopped = true;
  std::vector<ConnectionImplPtr> all = c.retired;
  for (auto& [addr, conn] : c.conns) all.push_back(conn);
  for (auto& conn : all) conn->shutdown();
  c.conns.clear();
  c.retired.clear();
}

}  // namespace rmq::remoting
