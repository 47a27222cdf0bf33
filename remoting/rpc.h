// The RPC layer: RemotingCommands over runtime connections, both ways.
//
// A Connection carries requests in both directions (reference 1.1): the
// client's sends, pulls and heartbeats, and the server's own requests such as
// NOTIFY_CONSUMER_IDS_CHANGED. Responses are matched by opaque and may arrive
// in any order. Every incoming request runs its processor in a task of its
// own, so a processor may suspend (a held pull) without stopping the others.
//
// Limits: a frame above ConnectionOptions::frame_max_bytes, a bad length or a
// header that does not decode closes the connection with one log line naming
// the peer and the reason; no more than max_in_flight_requests incoming
// requests run at once per connection (reading pauses beyond that), and no
// more than max_pending_invocations of our own requests wait for answers.
//
// Everything here belongs to one runtime and is used by its tasks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "remoting/codec.h"
#include "remoting/command.h"
#include "runtime/runtime.h"

namespace rmq::remoting {

using namespace std::chrono_literals;

class Connection;

// Handles one incoming request. May suspend. Returns the response to send, or
// nullopt to send none. The response of a oneway request is never sent.
using Processor = std::function<std::optional<RemotingCommand>(Connection& from, RemotingCommand& request)>;

// Request code -> processor. An unknown code is answered with
// REQUEST_CODE_NOT_SUPPORTED (3) and the remark " request type <code> not
// supported".
class Dispatcher {
 public:
  // The REQUEST_CODE_NOT_SUPPORTED answer to `request`.
  static RemotingCommand not_supported(const RemotingCommand& request);

  void on(int32_t code, Processor p) { table_[code] = std::move(p); }
  std::optional<RemotingCommand> dispatch(Connection& from, RemotingCommand& request) const;
  bool handles(int32_t code) const { return table_.count(code) != 0; }

 private:
  std::map<int32_t, Processor> table_;
};

struct ConnectionOptions {
  uint32_t frame_max_bytes = kDefaultFrameMaxBytes;
  size_t max_in_flight_requests = 256;
  size_t max_pending_invocations = 4096;
  rt::Duration write_timeout = 10s;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;

  virtual const std::string& peer_address() const = 0;
  virtual bool closed() const = 0;

  // Sends `request` (a fresh opaque is assigned) and waits for the matching
  // response. Errc::timeout when none came within `timeout`; Errc::closed /
  // reset when the connection ends first. Suspends.
  virtual rt::Result<RemotingCommand> invoke(RemotingCommand request, rt::Duration timeout) = 0;
  // Sends `request` with the oneway flag; no response is expected. Suspends
  // until written.
  virtual rt::Result<void> invoke_oneway(RemotingCommand request) = 0;
  // Like invoke(), but returns at once; `done` runs in a task of this
  // runtime with the outcome.
  virtual void invoke_async(RemotingCommand request, rt::Duration timeout,
                            std::function<void(rt::Result<RemotingCommand>)> done) = 0;

  // Closes the connection: pending invocations fail with Errc::closed and the
  // close callbacks run. Idempotent.
  virtual void close() = 0;
};

using ConnectionPtr = std::shared_ptr<Connection>;

// Accepts connections and serves their requests with a Dispatcher.
class RpcServer {
 public:
  RpcServer(rt::Runtime& rt, const Dispatcher& dispatcher, ConnectionOptions opts = {});
  ~RpcServer();  // stops
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Listens on `address` ("0.0.0.0:9876", port 0 for any) and starts the
  // accept task.
  rt::Result<void> start(std::string_view address);
  // The bound address (real port).
  const std::string& address() const;
  // Called (in a task) when a connection closes, for whatever reason.
  void on_close(std::function<void(Connection&)> cb);
  // Open connections, in accept order.
  std::vector<ConnectionPtr> connections() const;
  // Closes the listener and every connection and waits for their tasks.
  // Suspends.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ClientOptions {
  ConnectionOptions connection;
  rt::Duration connect_timeout = 3s;
};

// Connections to many servers, one per address, made on first use and
// reused; a closed one is replaced on the next call. Requests the servers send
// on those connections go to `server_requests` (may be null: then they are
// answered REQUEST_CODE_NOT_SUPPORTED).
class RpcClient {
 public:
  RpcClient(rt::Runtime& rt, const Dispatcher* server_requests, ClientOptions opts = {});
  ~RpcClient();  // closes every connection
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Connects if needed, then Connection::invoke. Suspends.
  rt::Result<RemotingCommand> invoke(std::string_view address, RemotingCommand request, rt::Duration timeout);
  rt::Result<void> invoke_oneway(std::string_view address, RemotingCommand request);
  void invoke_async(std::string_view address, RemotingCommand request, rt::Duration timeout,
                    std::function<void(rt::Result<RemotingCommand>)> done);
  // The connection to `address`, connecting if needed. Suspends.
  rt::Result<ConnectionPtr> connection(std::string_view address);
  void close(std::string_view address);
  // Closes every connection and waits for their tasks. Suspends.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rmq::remoting
