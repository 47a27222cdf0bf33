// TCP for RealRuntime: rt::Listener and rt::Conn over Asio sockets on the
// runtime's io_context. Internal to runtime/real/.
//
// Every connection has TCP_NODELAY set. Reads, writes, accepts and connects
// are Asio operations awaited with AsioOp (see loop.h), so a timeout or a
// cancellation aborts only the operation it ends (a read timing out leaves a
// concurrent write running). send_file() uses sendfile(2) for a RealFile and
// falls back to read_at + write_all for any other File.
//
// Conns and Listeners are used by tasks of their runtime only, and must be
// destroyed before it, with no operation in flight. Once the runtime is
// stopping, every call fails at once with Errc::cancelled.
#pragma once

#include <memory>
#include <string_view>

#include "runtime/runtime.h"

namespace rmq::real {

class Loop;

// Listens on "a.b.c.d:port" (port 0: an ephemeral port, which the
// Listener's address() reports). SO_REUSEADDR is set, so a restarted server
// can bind at once; a second listener on a port in use gets
// Errc::address_in_use all the same.
rt::Result<std::unique_ptr<rt::Listener>> listen(Loop& loop, std::string_view address);

// Connects to "a.b.c.d:port". Suspends. Errc::refused, Errc::unreachable,
// Errc::timeout, Errc::invalid_argument (bad address).
rt::Result<std::unique_ptr<rt::Conn>> connect(Loop& loop, std::string_view address, rt::Duration timeout);

}  // namespace rmq::real
