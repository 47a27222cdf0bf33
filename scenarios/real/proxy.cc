#include "scenarios/real/proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <random>
#include <set>

namespace rmq::chaos {

namespace {

constexpr size_t kChunkBytesMax = 64 * 1024;
constexpr size_t kQueuedBytesMax = 8 << 20;  // per direction: stop reading beyond this

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool parse_address(const std::string& ip_port, sockaddr_in& out) {
  const auto colon = ip_port.rfind(':');
  if (colon == std::string::npos) return false;
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(std::atoi(ip_port.c_str() + colon + 1)));
  return inet_pton(AF_INET, ip_port.substr(0, colon).c_str(), &out.sin_addr) == 1;
}

struct Chunk {
  int64_t release_us;
  std::string bytes;
  size_t written = 0;
};

// One direction of a proxied connection.
struct Direction {
  int from = -1, to = -1;
  std::string from_node, to_node;
  std::deque<Chunk> queue;
  size_t queued_bytes = 0;
  int64_t last_release_us = 0;
  bool eof = false;       // the reader saw the end
  bool shut = false;      // the end was passed on
  bool due(int64_t now) const { return !queue.empty() && queue.front().release_us <= now; }
};

struct Pair {
  int near = -1, far = -1;  // the accepted connection (from the link's `from`), ours to its `to`
  bool connecting = true;
  bool dead = false;
  Direction up, down;  // from -> to, to -> from
};

}  // namespace

bool ChaosProxy::start(const std::string& netns, const std::string& listen_ip, const std::vector<ProxyLink>& links,
                       std::string& error) {
  links_ = links;
  std::promise<std::string> ready;
  auto result = ready.get_future();
  thread_ = std::thread([this, netns, listen_ip, &ready] {
    // This thread alone moves into the hub's namespace: its sockets live there.
    const int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      ready.set_value("cannot enter " + netns + ": " + std::strerror(errno));
      if (ns >= 0) close(ns);
      return;
    }
    close(ns);
    std::vector<int> listeners;
    for (const auto& l : links_) {
      sockaddr_in a{};
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (fd < 0 || !parse_address(listen_ip + ":" + std::to_string(l.port), a) ||
          bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0) {
        ready.set_value("cannot listen on " + listen_ip + ":" + std::to_string(l.port) + ": " + std::strerror(errno));
        for (int f : listeners) close(f);
        if (fd >= 0) close(fd);
        return;
      }
      listeners.push_back(fd);
    }
    ready.set_value("");
    loop(std::move(listeners));
  });
  error = result.get();
  if (!error.empty()) {
    thread_.join();
    return false;
  }
  return true;
}

void ChaosProxy::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  thread_.join();
}

void ChaosProxy::set_delay(const std::string& from, const std::string& to, LinkDelay d) {
  std::lock_guard<std::mutex> lock(mu_);
  delays_[{from, to}] = d;
}

void ChaosProxy::clear_delays() {
  std::lock_guard<std::mutex> lock(mu_);
  delays_.clear();
}

void ChaosProxy::reset(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  resets_.insert({from, to});
}

LinkDelay ChaosProxy::delay_of(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = delays_.find({from, to});
  return it == delays_.end() ? LinkDelay{} : it->second;
}

void ChaosProxy::loop(std::vector<int> listeners) {
  std::mt19937_64 rng(0x70726f78);
  std::vector<std::unique_ptr<Pair>> pairs;
  auto close_pair = [](Pair& p) {
    if (p.near >= 0) close(p.near);
    if (p.far >= 0) close(p.far);
    p.near = p.far = -1;
    p.dead = true;
  };
  // Reads what `d.from` has into chunks released after the link's delay.
  auto pull = [&](Direction& d, Pair& p) {
    char buf[kChunkBytesMax];
    const ssize_t n = read(d.from, buf, sizeof buf);
    if (n == 0) {
      d.eof = true;
    } else if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) close_pair(p);
    } else {
      const LinkDelay delay = delay_of(d.from_node, d.to_node);
      int64_t release = now_us() + delay.fixed_us;
      if (delay.jitter_max_us > 0) release += static_cast<int64_t>(rng() % static_cast<uint64_t>(delay.jitter_max_us));
      release = std::max(release, d.last_release_us);  // bytes never overtake each other
      d.last_release_us = release;
      d.queue.push_back({release, std::string(buf, static_cast<size_t>(n))});
      d.queued_bytes += static_cast<size_t>(n);
    }
  };
  // Writes what is due; passes the end on once everything before it went.
  auto push = [&](Direction& d, Pair& p) {
    const int64_t now = now_us();
    while (d.due(now)) {
      Chunk& c = d.queue.front();
      const ssize_t n = write(d.to, c.bytes.data() + c.written, c.bytes.size() - c.written);
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) close_pair(p);
        return;
      }
      c.written += static_cast<size_t>(n);
      if (c.written < c.bytes.size()) return;
      d.queued_bytes -= c.bytes.size();
      d.queue.pop_front();
    }
    if (d.eof && d.queue.empty() && !d.shut) {
      shutdown(d.to, SHUT_WR);
      d.shut = true;
    }
  };
  while (!stopping_) {
    std::vector<pollfd> fds;
    for (int l : listeners) fds.push_back({l, POLLIN, 0});
    const int64_t now = now_us();
    int64_t next_release = now + 50'000;
    for (auto& p : pairs) {
      if (p->connecting) {
        fds.push_back({p->far, POLLOUT, 0});
        continue;
      }
      for (Direction* d : {&p->up, &p->down}) {
        short from_events = !d->eof && d->queued_bytes < kQueuedBytesMax ? POLLIN : 0;
        fds.push_back({d->from, from_events, 0});
        if (d->due(now)) fds.push_back({d->to, POLLOUT, 0});
        if (!d->queue.empty()) next_release = std::min(next_release, d->queue.front().release_us);
      }
    }
    const int timeout_ms = static_cast<int>(std::max<int64_t>(0, (next_release - now + 999) / 1000));
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    size_t i = 0;
    for (size_t l = 0; l < listeners.size(); ++l, ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const int c = accept4(listeners[l], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) continue;
      auto p = std::make_unique<Pair>();
      p->near = c;
      p->far = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      if (p->far < 0 || !parse_address(links_[l].to_address, a) ||
          (connect(p->far, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS)) {
        close_pair(*p);
        continue;
      }
      p->up.from = p->down.to = c;
      p->up.to = p->down.from = p->far;
      p->up.from_node = p->down.to_node = links_[l].from;
      p->up.to_node = p->down.from_node = links_[l].to;
      pairs.push_back(std::move(p));
    }
    // Links to reset: an abortive close (SO_LINGER 0 sends RST) of both ends.
    std::set<std::pair<std::string, std::string>> resets;
    {
      std::lock_guard<std::mutex> lock(mu_);
      resets.swap(resets_);
    }
    for (auto& p : pairs) {
      if (p->dead || !resets.count({p->up.from_node, p->up.to_node})) continue;
      const linger hard{1, 0};
      for (int fd : {p->near, p->far})
        if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      close_pair(*p);
    }
    // Every pair's sockets are ready or not; work them all (non-blocking).
    for (auto& p : pairs) {
      if (p->dead) continue;
      if (p->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        pollfd probe{p->far, POLLOUT, 0};
        if (poll(&probe, 1, 0) <= 0) continue;
        getsockopt(p->far, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          close_pair(*p);  // the connecting node sees its connection closed, as from a dead peer
          continue;
        }
        p->connecting = false;
      }
      for (Direction* d : {&p->up, &p->down}) {
        if (p->dead) break;
        pollfd probe{d->from, POLLIN, 0};
        if (!d->eof && d->queued_bytes < kQueuedBytesMax && poll(&probe, 1, 0) > 0) pull(*d, *p);
        if (!p->dead) push(*d, *p);
      }
      if (!p->dead && p->up.shut && p->down.shut) close_pair(*p);
    }
    std::erase_if(pairs, [](const std::unique_ptr<Pair>& p) { return p->dead; });
  }
  for (auto& p : pairs) close_pair(*p);
  for (int l : listeners) close(l);
}

}  // namespace rmq::chaos
