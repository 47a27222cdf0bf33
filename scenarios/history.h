// History checkers: what a scenario recorded (every send with its outcome,
// every delivery, every rebalance) judged against what a RocketMQ cluster
// promises. Pure functions of a History: no runtime, no I/O, no clocks, so the
// same checkers judge a simulated run and a recorded real one, and the same
// History always gives the same violations in the same order.
//
//   history::History h;              // filled by the scenario as it runs
//   h.groups["CG"] = {.kind = history::GroupKind::clustering, .topics = {"T"}};
//   h.sends.push_back({...});  h.deliveries.push_back({...});
//   history::Summary s = history::check_all(h);
//   for (const auto& v : s.violations) fail(v.description);
//
// Identity. A message is named by its `key`: a string the producer puts in
// the message (a property or the body's prefix) and the consumer reads back.
// Keys are unique per send call; the checkers match deliveries to sends by
// key alone (msg ids are checked, never trusted for matching).
//
// Time. Every time is an rt::Instant (runtime/runtime.h): the simulated clock
// in the simulator, the node's monotonic clock in a real run. Times from
// different real machines are not comparable, so a real history should take
// all of its times from one recorder. Only their order matters, and ties are
// broken by the order records were appended.
//
// A receiver is who must see each message: the group (clustering: some
// member) or each member (broadcasting). Duplicates, loss and order are all
// judged per receiver.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::scenarios::history {

// One queue of one topic on one broker (RocketMQ's MessageQueue). The topic
// is part of it because a retried message is redelivered from
// `%RETRY%<group>`'s queues, whose offsets are unrelated to the original's.
struct QueueRef {
  std::string topic{};
  std::string broker{};
  int32_t queue_id = -1;
  auto operator<=>(const QueueRef&) const = default;
};
std::string to_string(const QueueRef& q);  // "T@broker-a:3"

enum class SendOutcome {
  acked,    // the broker answered SEND_OK: stored at queue/queue_offset
  failed,   // every attempt was refused by a broker (definitely not stored)
  unknown,  // some attempt timed out or its connection broke: maybe stored
};

// One send call (one message, however many internal retries it took).
struct Send {
  std::string key{};                          // unique per send
  std::optional<std::string> sharding_key{};  // the selector's argument, if any
  QueueRef queue{};           // topic always; broker/queue_id of the last attempt
  SendOutcome outcome = SendOutcome::unknown;
  // acked: the offset the broker answered. -1 for a parked message (a delay
  // level's or a transaction's), whose ack names its offset in
  // SCHEDULE_TOPIC_XXXX or the half queue, not where consumers read it.
  int64_t queue_offset = -1;
  bool parked = false;        // delayed or transactional (queue_offset is -1)
  rt::Duration delay{0};      // a delay level's delay: never deliverable before invoked + delay
  std::string msg_id{};       // acked: the msgId the broker answered
  std::string body_digest{};  // the body or a hash of it; empty: not recorded
  rt::Instant invoked{};
  rt::Instant completed{};
  std::string producer{};
};

// One call of a consumer's listener.
struct Delivery {
  std::string group{};
  std::string consumer{};     // client id
  std::string key{};          // read back from the message
  std::string msg_id{};       // as delivered (informational)
  QueueRef queue{};           // the queue it was pulled from (maybe %RETRY%)
  int64_t queue_offset = -1;
  std::string body_digest{};  // same scheme as Send; empty: not recorded
  int32_t reconsume_times = 0;
  rt::Instant at{};
};

// From `at` on, `consumer` owns exactly `owned` for `group`.
struct Rebalance {
  std::string group{};
  std::string consumer{};
  rt::Instant at{};
  std::set<QueueRef> owned{};
};

// Orderly: `consumer`'s hold on `queue`'s broker lock changed at `at` (held:
// taken; else lost, lapsed or released, as `why` says). Drawn, not checked.
struct LockChange {
  std::string group{};
  std::string consumer{};
  rt::Instant at{};
  QueueRef queue{};
  bool held = false;
  std::string why{};
};

// The consumer's process (or client instance) started afresh at `at`: it owns
// nothing until its next Rebalance, and its in-memory offsets are gone.
struct Restart {
  std::string consumer{};
  rt::Instant at{};
};

enum class GroupKind { clustering, broadcasting };

struct Group {
  GroupKind kind = GroupKind::clustering;
  std::set<std::string> topics{};   // subscribed with "*" (no tag filter)
  std::set<std::string> members{};  // broadcasting: each must see everything
  bool orderly = false;             // an orderly consumer: queue and key order
  // The listener sees each queue's messages one at a time in pull order (true
  // of client::PushConsumer). False (e.g. a thread-pool consumer): only gaps
  // are checked, not the order of offsets.
  bool in_queue_order = true;
};

struct History {
  std::vector<Send> sends{};
  std::vector<Delivery> deliveries{};
  std::vector<Rebalance> rebalances{};
  std::vector<Restart> restarts{};
  std::vector<LockChange> locks{};
  std::map<std::string, Group> groups{};
  std::optional<rt::Instant> healed_at{};  // faults over; nullopt: they never were
  rt::Instant end{};                       // the recording stopped; nothing is delivered after it
};

enum class ViolationKind {
  lost_write,             // 1
  unseen_after_heal,      // 2
  unexplained_duplicate,  // 3
  inconsistent_offset,    // 4
  poll_skip,              // 5
  non_monotonic,          // 5
  queue_order,            // 6
  key_order,              // 6
  aborted_read,           // 7
  phantom,                // 8
  corrupt,                // 8
  early_delivery,         // 9
  malformed,              // the history itself is inconsistent; stays last
};
std::string to_string(ViolationKind k);

struct Violation {
  ViolationKind kind = ViolationKind::malformed;
  std::string description{};  // names the message, queue, offset, consumer
  std::string key{};          // the fields the description names, when known
  std::string group{};
  std::string consumer{};
  std::optional<QueueRef> queue{};
  int64_t queue_offset = -1;
};

// 1. Lost acknowledged write. Rule: every acked send is delivered at least
// once to every receiver of every group subscribed to its topic. Cannot see:
// whether the cluster's durability allowed the loss (async flush + power
// loss may); a send acked to a producer that did not record it.
std::vector<Violation> check_lost_writes(const History& h);

// 2. Unseen after heal. The lost writes whose send was invoked at or after
// `healed_at`: nothing can excuse them. Each is also a lost_write; a scenario
// that tolerates loss under faults fails on this kind alone. Needs healed_at.
std::vector<Violation> check_unseen_after_heal(const History& h);

// 3. Duplicates. Every delivery of a key to a receiver after its first is a
// duplicate, attributed to the first cause that fits:
//   retry         reconsume_times > 0 (the consumer asked for it again);
//   stored_twice  the first delivery from this (queue, offset): the broker
//                 holds a second copy (a producer retry after a lost reply —
//                 or a broker bug; the history cannot tell which);
//   restart       the consumer of this or of the previous delivery from the
//                 same position restarted in between;
//   rebalance     the queue changed owner in the group after the previous
//                 delivery's consumer took it, or that consumer no longer
//                 owned it when it delivered (in flight across a rebalance);
//   unexplained   none of these: reported as a violation.
enum class DuplicateCause { retry, stored_twice, restart, rebalance, unexplained };
std::string to_string(DuplicateCause c);
using DuplicateCounts = std::map<std::string, std::map<DuplicateCause, int64_t>>;  // per group
DuplicateCounts count_duplicates(const History& h);
std::vector<Violation> check_duplicates(const History& h);  // the unexplained ones

// 4. Inconsistent offsets. Rules: one (queue, offset) holds one message, by
// every acknowledgement and every delivery; one msgId is acknowledged at one
// (queue, offset); a receiver that reads an acked message from its own topic
// reads it (at least once) where the ack said it was. Cannot see: after a
// permitted loss (async flush + power loss) the broker may reuse an offset,
// which then shows here too.
std::vector<Violation> check_offsets(const History& h);

// 5. Poll skip and non-monotonic delivery. While a consumer owns a queue
// continuously (between the Rebalance that gives it the queue and the one
// that takes it away, or its Restart), its first-time deliveries from it
// (reconsume_times == 0) have offsets that rise by exactly 1. A jump is a
// poll_skip (queue offsets are dense, so the skipped ones held messages); a
// step back or a repeat is non_monotonic. In a clustering group a gap whose
// offsets other members consumed between the two deliveries is no skip
// (two members may own a queue for a while in a rebalance, and the one
// that resumes starts from the other's committed offset). With in_queue_order false only the
// gaps between the lowest and highest offset are checked. Cannot see: where
// the period should have started (the committed offset); tag filters (which
// make gaps legal); consumers with no Rebalance recorded are not checked.
std::vector<Violation> check_queue_continuity(const History& h);

// 6. Order, for orderly groups. The sends, per queue: the acked ones in
// offset order; per (topic, sharding key): the acked ones in real-time order
// (one precedes another if it completed no later than the other was invoked;
// overlapping sends are unordered). Rule, per receiver, in delivery order:
// match each send to its earliest delivery after the matches of all its
// predecessors; a send with no such delivery is a violation. For a chain this
// says the sends are a subsequence of the delivered sequence, so redeliveries
// in between (after a rebalance) are allowed. Only sends delivered to the
// receiver take part (the missing ones are lost_writes). Cannot see: groups
// whose `orderly` flag is false; queue order across a retry topic.
std::vector<Violation> check_order(const History& h);

// 7. Aborted read: a failed send delivered to anyone. The recorder must call
// a send failed only when no attempt could have been stored — or, for a
// transaction, when its producer rolled it back or never decided it (then
// its half message must never reach a consumer).
std::vector<Violation> check_aborted_reads(const History& h);

// 8. Phantom and corrupt: a delivered key no send carried; a delivered body
// digest that differs from the send's (when both were recorded).
std::vector<Violation> check_phantoms(const History& h);

// 9. Early delivery: a delayed send (delay > 0) delivered from its own
// topic (not a retry) before invoked (to the millisecond: store times are
// in ms) + delay. Times are one clock, so this
// is "by the broker's clock" only when the nodes' wall clocks agree (no skew
// faults). Cannot see: deliveries that are late (the scenario knows when
// the broker was down).
std::vector<Violation> check_delays(const History& h);

// The history's own consistency: unique send keys, acked sends with a
// position (parked ones: broker and queue), completed >= invoked, deliveries to declared groups (broadcasting:
// from declared members) and not after `end`, rebalances of declared groups.
std::vector<Violation> check_well_formed(const History& h);

struct Summary {
  std::map<ViolationKind, int64_t> counts{};  // every kind, zeros included
  DuplicateCounts duplicates{};               // explained and unexplained
  std::vector<Violation> violations{};        // sorted by kind, then key, ...
  bool ok() const { return violations.empty(); }
  int64_t count(ViolationKind k) const;
  // "lost_write=0 ... malformed=0", then "duplicates CG: retry=2 ..." per group.
  std::vector<std::string> lines() const;
};

// Every checker above.
Summary check_all(const History& h);

}  // namespace rmq::scenarios::history
