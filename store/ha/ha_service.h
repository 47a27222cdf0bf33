// Master/slave replication of the CommitLog: RocketMQ 4.x's default HA
// protocol (reference 9), a raw TCP stream on the master's haListenPort.
//
//   slave -> master: bare big-endian i64 values, the slave's log position.
//                    The first is where to start (0: the start of the
//                    master's last segment), later ones are acknowledgements.
//   master -> slave: i64 startPhyOffset, i32 bodySize, then bodySize bytes of
//                    the log from there (not record-aligned, within one
//                    segment, at most haTransferBatchSize); when idle, a
//                    header (next, 0) every haSendHeartbeatInterval.
//                    Under SYNC_FLUSH only synced bytes are streamed
//                    (MessageStore::replicable; RocketMQ streams written
//                    ones, so a master's power loss could leave its slave
//                    ahead of it, stuck for good).
//
// HaMaster serves any number of slaves and keeps the highest acknowledged
// position, which releases SYNC_MASTER writers (wait_acked). HaSlave appends
// what it receives at exactly its own position (MessageStore's replica side:
// the store validates and dispatches it), reports after every append once the
// bytes are written and every heartbeat interval, drops a silent master and
// reconnects with backoff. Roles, codes and metadata sync are the broker's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "store/message_store.h"

namespace rmq::store {

class HaMaster {
 public:
  HaMaster(rt::Runtime& rt, MessageStore& store, HaConfig cfg);
  ~HaMaster();  // stop()
  HaMaster(const HaMaster&) = delete;
  HaMaster& operator=(const HaMaster&) = delete;

  // Listens on `address` and accepts slaves.
  rt::Result<void> start(const std::string& address);
  // Closes the listener and every slave; joins the tasks. Suspends.
  void stop();
  const std::string& address() const { return address_; }

  // RocketMQ's isSlaveOK: a slave is connected and the highest
  // acknowledgement is less than haSlaveFallbehindMax behind `put_end`.
  bool slave_ok(int64_t put_end) const;
  // Suspends until a slave acknowledged `end` (true) or the timeout passed.
  // Every acknowledgement releases all the writers it covers (group commit).
  bool wait_acked(int64_t end, rt::Duration timeout);
  // RocketMQ's push2SlaveMaxOffset: the highest position any slave acknowledged.
  int64_t acked() const { return acked_; }

  struct SlaveState {
    std::string address;  // the slave's end of the connection
    int64_t requested = -1;  // where it asked to start
    int64_t acked = -1;      // its last report
    int64_t sent = -1;       // where the stream stands
  };
  std::vector<SlaveState> slaves() const;

 private:
  struct Link;
  void accept_loop();
  void read_loop(Link& l);
  void write_loop(Link& l);
  void on_report(Link& l, int64_t position);

  rt::Runtime& rt_;
  MessageStore& store_;
  HaConfig cfg_;
  std::string address_;
  std::unique_ptr<rt::Listener> listener_;
  rt::Task acceptor_;
  uint64_t next_link_ = 0;
  std::map<uint64_t, std::shared_ptr<Link>> links_;  // by accept order
  int64_t acked_ = 0;
  // Writers waiting for an acknowledgement, by the position they need.
  std::multimap<int64_t, std::shared_ptr<rt::Event>> waiters_;
};

class HaSlave {
 public:
  HaSlave(rt::Runtime& rt, MessageStore& store, HaConfig cfg);
  ~HaSlave();  // stop()
  HaSlave(const HaSlave&) = delete;
  HaSlave& operator=(const HaSlave&) = delete;

  void start();
  // Cancels and joins the replication task. Suspends.
  void stop();
  // The master's HA address (haMasterAddress, or the namesrv's haServerAddr).
  // A change drops the current connection.
  void set_master(const std::string& address);
  const std::string& master() const { return master_; }
  bool connected() const { return connected_; }
  // The last position reported to the master.
  int64_t reported() const { return reported_; }

 private:
  void run();
  // One connection, until it fails. Returns why it ended.
  std::string replicate(rt::Conn& conn);
  bool report(rt::Conn& conn, int64_t position);

  rt::Runtime& rt_;
  MessageStore& store_;
  HaConfig cfg_;
  std::string master_;
  rt::Event master_changed_;
  rt::Task task_;
  bool connected_ = false;
  int64_t reported_ = -1;
  rt::Instant last_report_{};
};

}  // namespace rmq::store
