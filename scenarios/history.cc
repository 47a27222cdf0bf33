// History checkers. Each public checker builds the same two indexes (who got
// what, and who owned which queue when) and walks them in map order, so the
// output never depends on anything but the History's contents and order.
#include "scenarios/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <tuple>
#include <utility>

namespace rmq::scenarios::history {
namespace {

std::string at(rt::Instant t) {
  const int64_t ns = t.time_since_epoch().count();
  if (ns < 0) return fmt::format("t={}ns", ns);
  return fmt::format("t={}.{:09}s", ns / 1'000'000'000, ns % 1'000'000'000);
}

std::string pos(const QueueRef& q, int64_t offset) {
  return fmt::format("{} offset {}", to_string(q), offset);
}

// A violation about one delivery: names its key, group, consumer and position.
Violation about(ViolationKind kind, const Delivery& d, std::string description) {
  return {.kind = kind,
          .description = std::move(description),
          .key = d.key,
          .group = d.group,
          .consumer = d.consumer,
          .queue = d.queue,
          .queue_offset = d.queue_offset};
}

// A violation about one send: names its key and position.
Violation about(ViolationKind kind, const Send& s, std::string description) {
  return {.kind = kind,
          .description = std::move(description),
          .key = s.key,
          .queue = s.queue,
          .queue_offset = s.queue_offset};
}

// Who must see each message: a clustering group as a whole (member empty) or
// one member of a broadcasting group.
struct Receiver {
  std::string group;
  std::string member;
  auto operator<=>(const Receiver&) const = default;
};

std::string name(const Receiver& r) {
  if (r.member.empty()) return fmt::format("group {}", r.group);
  return fmt::format("member {} of broadcasting group {}", r.member, r.group);
}

bool is_broadcasting(const History& h, const std::string& group) {
  auto it = h.groups.find(group);
  return it != h.groups.end() && it->second.kind == GroupKind::broadcasting;
}

Receiver receiver_of(const History& h, const Delivery& d) {
  return {d.group, is_broadcasting(h, d.group) ? d.consumer : std::string()};
}

std::vector<Receiver> receivers_of_topic(const History& h, const std::string& topic) {
  std::vector<Receiver> out;
  for (const auto& [g, group] : h.groups) {
    if (!group.topics.contains(topic)) continue;
    if (group.kind == GroupKind::clustering) {
      out.push_back({g, ""});
    } else {
      for (const auto& m : group.members) out.push_back({g, m});
    }
  }
  return out;
}

struct Index {
  std::map<std::string, const Send*> sends;  // by key; the first if repeated
  std::vector<const Delivery*> deliveries;   // by time, ties in record order
  std::map<std::string, std::vector<const Delivery*>> by_key;
  std::map<Receiver, std::vector<const Delivery*>> sequence;
  std::map<Receiver, std::map<std::string, std::vector<const Delivery*>>> seen;
};

Index build_index(const History& h) {
  Index ix;
  for (const auto& s : h.sends) ix.sends.try_emplace(s.key, &s);
  for (const auto& d : h.deliveries) ix.deliveries.push_back(&d);
  std::stable_sort(ix.deliveries.begin(), ix.deliveries.end(),
                   [](const Delivery* a, const Delivery* b) { return a->at < b->at; });
  for (const Delivery* d : ix.deliveries) {
    const Receiver r = receiver_of(h, *d);
    ix.by_key[d->key].push_back(d);
    ix.sequence[r].push_back(d);
    ix.seen[r][d->key].push_back(d);
  }
  return ix;
}

// [start, stop): one consumer owns one queue for one group.
struct Period {
  rt::Instant start;
  rt::Instant stop;
};

struct QueueChange {  // a queue entered or left a member's set
  rt::Instant at;
  std::string consumer;
  QueueRef queue;
};

using OwnerKey = std::tuple<std::string, std::string, QueueRef>;  // group, consumer, queue

struct Ownership {
  std::map<OwnerKey, std::vector<Period>> periods;
  std::set<std::pair<std::string, std::string>> known;       // (group, consumer) with rebalances
  std::map<std::string, std::vector<QueueChange>> changes;   // per group, by time
  std::map<std::string, std::vector<rt::Instant>> restarts;  // per consumer, sorted
};

Ownership build_ownership(const History& h) {
  Ownership own;
  for (const auto& r : h.restarts) own.restarts[r.consumer].push_back(r.at);
  for (auto& [c, times] : own.restarts) std::sort(times.begin(), times.end());
  // Per (group, consumer): its restarts and rebalances, restarts first at ties.
  struct Step {
    rt::Instant at;
    int order;  // 0 restart, 1 rebalance
    size_t index;
  };
  std::map<std::pair<std::string, std::string>, std::vector<Step>> steps;
  for (size_t i = 0; i < h.rebalances.size(); ++i) {
    const auto& r = h.rebalances[i];
    steps[{r.group, r.consumer}].push_back({r.at, 1, i});
    own.known.insert({r.group, r.consumer});
  }
  for (auto& entry : steps) {
    const std::pair<std::string, std::string>& gc = entry.first;  // (group, consumer)
    std::vector<Step>& list = entry.second;
    if (auto r = own.restarts.find(gc.second); r != own.restarts.end())
      for (rt::Instant t : r->second) list.push_back({t, 0, 0});
    std::sort(list.begin(), list.end(), [](const Step& a, const Step& b) {
      return std::tie(a.at, a.order, a.index) < std::tie(b.at, b.order, b.index);
    });
    std::map<QueueRef, rt::Instant> open;          // owned queue -> since
    auto close = [&](QueueRef q, rt::Instant t) {  // by value: q may be open's own key
      own.periods[{gc.first, gc.second, q}].push_back({open.at(q), t});
      open.erase(q);
    };
    for (const Step& s : list) {
      const std::set<QueueRef> none;
      const std::set<QueueRef>& next = s.order == 0 ? none : h.rebalances[s.index].owned;
      std::vector<QueueRef> dropped;
      for (const auto& [q, since] : open)
        if (!next.contains(q)) dropped.push_back(q);
      for (const auto& q : dropped) {
        close(q, s.at);
        if (s.order == 1) own.changes[gc.first].push_back({s.at, gc.second, q});
      }
      for (const auto& q : next) {
        if (open.contains(q)) continue;
        open.emplace(q, s.at);
        own.changes[gc.first].push_back({s.at, gc.second, q});
      }
    }
    while (!open.empty()) close(open.begin()->first, rt::kNever);
  }
  for (auto& [g, list] : own.changes)
    std::stable_sort(list.begin(), list.end(),
                     [](const QueueChange& a, const QueueChange& b) { return a.at < b.at; });
  return own;
}

const Period* period_at(const Ownership& own, const std::string& group, const std::string& consumer,
                        const QueueRef& q, rt::Instant t) {
  auto it = own.periods.find({group, consumer, q});
  if (it == own.periods.end()) return nullptr;
  for (const Period& p : it->second)
    if (p.start <= t && t < p.stop) return &p;
  return nullptr;
}

bool restarted_between(const Ownership& own, const std::string& consumer, rt::Instant from, rt::Instant to) {
  auto it = own.restarts.find(consumer);
  if (it == own.restarts.end()) return false;
  auto first = std::lower_bound(it->second.begin(), it->second.end(), from);
  return first != it->second.end() && *first <= to;
}

// `d` repeats `prev` (same group, key and position). Did the queue move?
bool rebalance_explains(const History& h, const Ownership& own, const Delivery& prev, const Delivery& d) {
  // Either delivered in flight, by a consumer that no longer owned the queue?
  auto in_flight = [&](const Delivery& x) {
    return own.known.contains({x.group, x.consumer}) &&
           period_at(own, x.group, x.consumer, x.queue, x.at) == nullptr;
  };
  if (in_flight(prev) || in_flight(d)) return true;
  const Period* p = period_at(own, prev.group, prev.consumer, prev.queue, prev.at);
  // Two members owning the queue at once (their views of the group disagreed
  // for a moment, as RocketMQ's rebalance allows): a rebalance duplicate.
  if (prev.consumer != d.consumer && p != nullptr) {
    const Period* pd = period_at(own, d.group, d.consumer, d.queue, d.at);
    if (pd != nullptr && pd->start <= prev.at) return true;
  }
  const rt::Instant since = p == nullptr ? prev.at : p->start;
  auto it = own.changes.find(d.group);
  if (it == own.changes.end()) return false;
  const bool broadcasting = is_broadcasting(h, d.group);
  for (const QueueChange& c : it->second) {
    if (c.at <= since || c.at > d.at || c.queue != d.queue) continue;
    if (broadcasting && c.consumer != d.consumer) continue;
    return true;
  }
  return false;
}

DuplicateCause classify(const History& h, const Ownership& own, std::span<const Delivery* const> earlier,
                        const Delivery& d) {
  if (d.reconsume_times > 0) return DuplicateCause::retry;
  const Delivery* prev = nullptr;
  for (const Delivery* e : earlier)
    if (e->queue == d.queue && e->queue_offset == d.queue_offset) prev = e;
  if (prev == nullptr) return DuplicateCause::stored_twice;
  if (restarted_between(own, prev->consumer, prev->at, d.at) ||
      restarted_between(own, d.consumer, prev->at, d.at))
    return DuplicateCause::restart;
  if (rebalance_explains(h, own, *prev, d)) return DuplicateCause::rebalance;
  return DuplicateCause::unexplained;
}

struct Context {
  const History& h;
  Index ix;
  Ownership own;
  explicit Context(const History& hist) : h(hist), ix(build_index(hist)), own(build_ownership(hist)) {}
};

void sort_violations(std::vector<Violation>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Violation& a, const Violation& b) {
    return std::tie(a.kind, a.key, a.group, a.consumer, a.queue, a.queue_offset, a.description) <
           std::tie(b.kind, b.key, b.group, b.consumer, b.queue, b.queue_offset, b.description);
  });
}

std::vector<Violation> lost(const Context& cx, bool after_heal_only) {
  std::vector<Violation> out;
  if (after_heal_only && !cx.h.healed_at) return out;
  for (const auto& [key, s] : cx.ix.sends) {
    if (s->outcome != SendOutcome::acked) continue;
    if (after_heal_only && s->invoked < *cx.h.healed_at) continue;
    for (const Receiver& r : receivers_of_topic(cx.h, s->queue.topic)) {
      auto seen = cx.ix.seen.find(r);
      if (seen != cx.ix.seen.end() && seen->second.contains(key)) continue;
      Violation v =
          about(after_heal_only ? ViolationKind::unseen_after_heal : ViolationKind::lost_write, *s, "");
      v.group = r.group;
      v.consumer = r.member;
      v.description = fmt::format(
          "acknowledged message {} ({}, msgId {}, producer {}, sent {}, acked {}) was never "
          "delivered to {} by the end ({})",
          key, pos(s->queue, s->queue_offset), s->msg_id, s->producer, at(s->invoked), at(s->completed),
          name(r), at(cx.h.end));
      if (after_heal_only)
        v.description += fmt::format(" although sent after the heal ({})", at(*cx.h.healed_at));
      out.push_back(std::move(v));
    }
  }
  return out;
}

// Walks every duplicate once; `f(receiver, earlier, d, cause)`.
template <typename F>
void each_duplicate(const Context& cx, F&& f) {
  for (const auto& [r, keys] : cx.ix.seen) {
    for (const auto& [key, list] : keys) {
      for (size_t i = 1; i < list.size(); ++i) {
        const std::span<const Delivery* const> earlier(list.data(), i);
        f(r, earlier, *list[i], classify(cx.h, cx.own, earlier, *list[i]));
      }
    }
  }
}

DuplicateCounts duplicate_counts(const Context& cx) {
  DuplicateCounts counts;
  auto zero = [](std::map<DuplicateCause, int64_t>& m) {
    for (auto c : {DuplicateCause::retry, DuplicateCause::stored_twice, DuplicateCause::restart,
                   DuplicateCause::rebalance, DuplicateCause::unexplained})
      m.try_emplace(c, 0);
  };
  for (const auto& [g, group] : cx.h.groups) zero(counts[g]);
  each_duplicate(cx, [&](const Receiver& r, const auto&, const Delivery&, DuplicateCause c) {
    zero(counts[r.group]);
    ++counts[r.group][c];
  });
  return counts;
}

std::vector<Violation> duplicates(const Context& cx) {
  std::vector<Violation> out;
  each_duplicate(cx, [&](const Receiver& r, std::span<const Delivery* const> earlier, const Delivery& d,
                         DuplicateCause c) {
    if (c != DuplicateCause::unexplained) return;
    const Delivery& first = *earlier.front();
    out.push_back(
        about(ViolationKind::unexplained_duplicate, d,
              fmt::format("message {} delivered again to {} by consumer {} from {} at {} (delivery #{}; "
                          "the first by {} at {}) with no retry, restart or rebalance to explain it",
                          d.key, name(r), d.consumer, pos(d.queue, d.queue_offset), at(d.at),
                          earlier.size() + 1, first.consumer, at(first.at))));
  });
  return out;
}

std::vector<Violation> offsets(const Context& cx) {
  std::vector<Violation> out;
  // (queue, offset) -> key -> the first record that put it there.
  std::map<std::pair<QueueRef, int64_t>, std::map<std::string, std::string>> held;
  std::map<std::string, std::map<std::pair<QueueRef, int64_t>, std::string>> by_msg_id;
  for (const auto& s : cx.h.sends) {
    if (s.outcome != SendOutcome::acked || s.parked) continue;
    held[{s.queue, s.queue_offset}].try_emplace(s.key,
                                                fmt::format("acked to {} {}", s.producer, at(s.completed)));
    if (!s.msg_id.empty()) by_msg_id[s.msg_id].try_emplace({s.queue, s.queue_offset}, s.key);
  }
  for (const Delivery* d : cx.ix.deliveries)
    held[{d->queue, d->queue_offset}].try_emplace(
        d->key, fmt::format("delivered to {}/{} at {}", d->group, d->consumer, at(d->at)));
  for (const auto& [p, keys] : held) {
    if (keys.size() < 2) continue;
    std::string list;
    for (const auto& [key, source] : keys)
      list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", key, source);
    out.push_back({.kind = ViolationKind::inconsistent_offset,
                   .description = fmt::format("{} holds {} different messages: {}", pos(p.first, p.second),
                                              keys.size(), list),
                   .key = keys.begin()->first,
                   .queue = p.first,
                   .queue_offset = p.second});
  }
  for (const auto& [id, places] : by_msg_id) {
    if (places.size() < 2) continue;
    std::string list;
    for (const auto& [p, key] : places)
      list += fmt::format("{}{} (message {})", list.empty() ? "" : ", ", pos(p.first, p.second), key);
    out.push_back(
        {.kind = ViolationKind::inconsistent_offset,
         .description = fmt::format("msgId {} acknowledged at {} positions: {}", id, places.size(), list),
         .key = places.begin()->second,
         .queue = places.begin()->first.first,
         .queue_offset = places.begin()->first.second});
  }
  // A receiver that got a message from its own topic, but never from where it was acked.
  for (const auto& [key, s] : cx.ix.sends) {
    if (s->outcome != SendOutcome::acked || s->parked) continue;
    for (const Receiver& r : receivers_of_topic(cx.h, s->queue.topic)) {
      auto seen = cx.ix.seen.find(r);
      if (seen == cx.ix.seen.end() || !seen->second.contains(key)) continue;
      const Delivery* other = nullptr;
      bool at_ack = false;
      for (const Delivery* d : seen->second.at(key)) {
        if (d->queue.topic != s->queue.topic) continue;
        if (d->queue == s->queue && d->queue_offset == s->queue_offset)
          at_ack = true;
        else if (other == nullptr)
          other = d;
      }
      if (at_ack || other == nullptr) continue;
      out.push_back(
          about(ViolationKind::inconsistent_offset, *other,
                fmt::format("message {} was acknowledged at {} but {} only got it from {} "
                            "(consumer {} at {})",
                            key, pos(s->queue, s->queue_offset), name(r),
                            pos(other->queue, other->queue_offset), other->consumer, at(other->at))));
    }
  }
  return out;
}

// A group's first-time deliveries of one queue, by offset.
using ByOffset = std::map<int64_t, std::vector<const Delivery*>>;

// True when every offset strictly between `a` and `b` (one member's
// consecutive deliveries) went to another member of the group, which owned
// the queue then, between the two: in a rebalance two clustering members
// may own a queue for a while, and the one that resumes does so from the
// other's committed offset. Its gap is no skip then (the group lost
// nothing; duplicates are counted elsewhere).
bool consumed_elsewhere(const Ownership& own, const ByOffset* group_offsets, const Delivery& a, const Delivery& b) {
  constexpr int64_t kGapMax = 100'000;  // a wider gap is a skip whatever it holds
  if (group_offsets == nullptr || b.queue_offset - a.queue_offset > kGapMax) return false;
  for (int64_t off = a.queue_offset + 1; off < b.queue_offset; ++off) {
    auto it = group_offsets->find(off);
    if (it == group_offsets->end()) return false;
    const bool elsewhere = std::any_of(it->second.begin(), it->second.end(), [&](const Delivery* d) {
      return d->consumer != a.consumer && a.at <= d->at && d->at <= b.at &&
             period_at(own, d->group, d->consumer, d->queue, d->at) != nullptr;
    });
    if (!elsewhere) return false;
  }
  return true;
}

// One ownership period's first-time deliveries, in time order.
void check_period(const Ownership& own, const Group* group, const ByOffset* group_offsets,
                  const std::vector<const Delivery*>& run, const Period& p, std::vector<Violation>& out) {
  if (run.empty()) return;
  const Delivery& d0 = *run.front();
  auto report = [&](ViolationKind kind, const Delivery& d, int64_t offset, std::string what) {
    Violation v = about(kind, d,
                        fmt::format("consumer {} of group {} {} (owning {} since {})", d.consumer, d.group,
                                    what, to_string(d.queue), at(p.start)));
    v.queue_offset = offset;
    out.push_back(std::move(v));
  };
  if (group != nullptr && !group->in_queue_order) {
    std::map<int64_t, const Delivery*> offsets;
    for (const Delivery* d : run) offsets.try_emplace(d->queue_offset, d);
    for (auto it = std::next(offsets.begin()); it != offsets.end(); ++it) {
      const int64_t prev = std::prev(it)->first;
      if (it->first == prev + 1) continue;
      report(ViolationKind::poll_skip, *it->second, prev + 1,
             fmt::format("skipped {} offsets {}..{}: delivered {} and then {} ({})", to_string(d0.queue),
                         prev + 1, it->first - 1, prev, it->first, it->second->key));
    }
    return;
  }
  for (size_t i = 1; i < run.size(); ++i) {
    const Delivery& a = *run[i - 1];
    const Delivery& b = *run[i];
    if (b.queue_offset == a.queue_offset + 1) continue;
    if (b.queue_offset > a.queue_offset && consumed_elsewhere(own, group_offsets, a, b)) continue;
    if (b.queue_offset > a.queue_offset) {
      report(ViolationKind::poll_skip, b, a.queue_offset + 1,
             fmt::format("skipped {} offsets {}..{}: delivered offset {} ({}) and then {} ({}) at {}",
                         to_string(b.queue), a.queue_offset + 1, b.queue_offset - 1, a.queue_offset, a.key,
                         b.queue_offset, b.key, at(b.at)));
    } else {
      report(ViolationKind::non_monotonic, b, b.queue_offset,
             fmt::format(
                 "went back on {}: delivered offset {} ({}) at {} after offset {} ({}) with no rebalance "
                 "in between",
                 to_string(b.queue), b.queue_offset, b.key, at(b.at), a.queue_offset, a.key));
    }
  }
}

std::vector<Violation> continuity(const Context& cx) {
  std::vector<Violation> out;
  std::map<OwnerKey, std::vector<const Delivery*>> runs;
  std::map<std::pair<std::string, QueueRef>, ByOffset> by_offset;  // clustering groups only
  for (const Delivery* d : cx.ix.deliveries) {
    if (d->reconsume_times != 0) continue;
    runs[{d->group, d->consumer, d->queue}].push_back(d);
    auto g = cx.h.groups.find(d->group);
    if (g != cx.h.groups.end() && g->second.kind == GroupKind::clustering)
      by_offset[{d->group, d->queue}][d->queue_offset].push_back(d);
  }
  for (const auto& [k, periods] : cx.own.periods) {
    auto run = runs.find(k);
    if (run == runs.end()) continue;
    auto g = cx.h.groups.find(std::get<0>(k));
    const Group* group = g == cx.h.groups.end() ? nullptr : &g->second;
    for (const Period& p : periods) {
      std::vector<const Delivery*> inside;
      for (const Delivery* d : run->second)
        if (p.start <= d->at && d->at < p.stop) inside.push_back(d);
      auto bo = by_offset.find({std::get<0>(k), std::get<2>(k)});
      check_period(cx.own, group, bo == by_offset.end() ? nullptr : &bo->second, inside, p, out);
    }
  }
  return out;
}

// Order items: `a` precedes `b` iff a.done <= b.start. Sorted by start.
struct OrderItem {
  const Send* send;
  int64_t start;
  int64_t done;
};

struct OrderCheck {
  ViolationKind kind;
  const Receiver& receiver;
  const std::vector<const Delivery*>& sequence;
  const std::map<std::string, std::vector<size_t>>& positions;  // key -> indices into sequence
};

// Matches each item to its first delivery after every predecessor's match.
void check_chain(const OrderCheck& c, std::vector<OrderItem> items, std::vector<Violation>& out) {
  std::erase_if(items, [&](const OrderItem& i) { return !c.positions.contains(i.send->key); });
  std::stable_sort(items.begin(), items.end(), [](const OrderItem& a, const OrderItem& b) {
    return std::tie(a.start, a.done) < std::tie(b.start, b.done);
  });
  std::multimap<int64_t, std::pair<size_t, const Send*>> matched;  // done -> (index, send)
  std::optional<std::pair<size_t, const Send*>> bound;             // the latest predecessor's match
  for (const OrderItem& item : items) {
    while (!matched.empty() && matched.begin()->first <= item.start) {
      if (!bound || matched.begin()->second.first > bound->first) bound = matched.begin()->second;
      matched.erase(matched.begin());
    }
    const std::vector<size_t>& at_list = c.positions.at(item.send->key);
    auto next = bound ? std::upper_bound(at_list.begin(), at_list.end(), bound->first) : at_list.begin();
    if (next != at_list.end()) {
      matched.emplace(item.done, std::make_pair(*next, item.send));
      continue;
    }
    RMQ_ASSERT(bound.has_value());  // with no predecessor the first delivery matches
    const Send& s = *item.send;
    const Send& before = *bound->second;
    const Delivery& last = *c.sequence[at_list.back()];
    const Delivery& before_d = *c.sequence[bound->first];
    const std::string why =
        c.kind == ViolationKind::queue_order
            ? "which precedes it in the queue"
            : fmt::format("which was sent before it with sharding key {}", *s.sharding_key);
    Violation v =
        about(c.kind, s,
              fmt::format("{}: message {} ({}) was delivered (last by consumer {} at {}) only before "
                          "message {} ({}, delivered {}), {}",
                          name(c.receiver), s.key, pos(s.queue, s.queue_offset), last.consumer, at(last.at),
                          before.key, pos(before.queue, before.queue_offset), at(before_d.at), why));
    v.group = c.receiver.group;
    v.consumer = last.consumer;
    out.push_back(std::move(v));
  }
}

std::vector<Violation> order(const Context& cx) {
  std::vector<Violation> out;
  for (const auto& [receiver, sequence] : cx.ix.sequence) {
    auto g = cx.h.groups.find(receiver.group);
    if (g == cx.h.groups.end() || !g->second.orderly) continue;
    std::map<std::string, std::vector<size_t>> positions;
    for (size_t i = 0; i < sequence.size(); ++i) positions[sequence[i]->key].push_back(i);
    std::map<QueueRef, std::vector<OrderItem>> by_queue;
    std::map<std::pair<std::string, std::string>, std::vector<OrderItem>> by_sharding_key;
    for (const auto& [key, s] : cx.ix.sends) {
      if (s->outcome != SendOutcome::acked || !g->second.topics.contains(s->queue.topic)) continue;
      if (!s->parked) by_queue[s->queue].push_back({s, s->queue_offset, s->queue_offset});
      if (s->sharding_key)
        by_sharding_key[{s->queue.topic, *s->sharding_key}].push_back(
            {s, s->invoked.time_since_epoch().count(), s->completed.time_since_epoch().count()});
    }
    for (auto& [q, items] : by_queue)
      check_chain({ViolationKind::queue_order, receiver, sequence, positions}, std::move(items), out);
    for (auto& [k, items] : by_sharding_key)
      check_chain({ViolationKind::key_order, receiver, sequence, positions}, std::move(items), out);
  }
  return out;
}

std::vector<Violation> aborted_reads(const Context& cx) {
  std::vector<Violation> out;
  for (const auto& [key, s] : cx.ix.sends) {
    auto d = cx.ix.by_key.find(key);
    if (s->outcome != SendOutcome::failed || d == cx.ix.by_key.end()) continue;
    const Delivery& first = *d->second.front();
    out.push_back(
        about(ViolationKind::aborted_read, first,
              fmt::format("message {} failed to send ({} to {}, failed at {}) but was delivered {} time(s), "
                          "first to {}/{} from {} at {}",
                          key, s->producer, to_string(s->queue), at(s->completed), d->second.size(),
                          first.group, first.consumer, pos(first.queue, first.queue_offset), at(first.at))));
  }
  return out;
}

std::vector<Violation> phantoms(const Context& cx) {
  std::vector<Violation> out;
  for (const Delivery* d : cx.ix.deliveries) {
    auto s = cx.ix.sends.find(d->key);
    const bool phantom = s == cx.ix.sends.end();
    if (!phantom && (d->body_digest.empty() || s->second->body_digest.empty() ||
                     d->body_digest == s->second->body_digest))
      continue;
    const std::string where = fmt::format("to {}/{} from {} at {}", d->group, d->consumer,
                                          pos(d->queue, d->queue_offset), at(d->at));
    out.push_back(phantom ? about(ViolationKind::phantom, *d,
                                  fmt::format("message {} was delivered {} but never sent", d->key, where))
                          : about(ViolationKind::corrupt, *d,
                                  fmt::format("message {} was delivered {} with body digest {}, sent with {}",
                                              d->key, where, d->body_digest, s->second->body_digest)));
  }
  return out;
}

std::vector<Violation> delays(const Context& cx) {
  std::vector<Violation> out;
  for (const auto& [key, s] : cx.ix.sends) {
    if (s->delay <= rt::Duration::zero()) continue;
    auto d = cx.ix.by_key.find(key);
    if (d == cx.ix.by_key.end()) continue;
    // The broker's clock has millisecond precision: it may see the send
    // stored up to 1 ms before it was invoked.
    const rt::Instant due =
        rt::Instant(std::chrono::duration_cast<std::chrono::milliseconds>(s->invoked.time_since_epoch())) + s->delay;
    for (const Delivery* x : d->second) {
      if (x->reconsume_times != 0 || x->queue.topic != s->queue.topic || x->at >= due) continue;
      out.push_back(about(ViolationKind::early_delivery, *x,
                          fmt::format("message {} sent {} with a {} ms delay was delivered to {}/{} at {}, before {}",
                                      key, at(s->invoked),
                                      std::chrono::duration_cast<std::chrono::milliseconds>(s->delay).count(),
                                      x->group, x->consumer, at(x->at), at(due))));
    }
  }
  return out;
}

std::vector<Violation> well_formed(const Context& cx) {
  std::vector<Violation> out;
  auto bad = [&](std::string what, std::string key = {}, std::string group = {}, std::string consumer = {}) {
    out.push_back({.kind = ViolationKind::malformed,
                   .description = std::move(what),
                   .key = std::move(key),
                   .group = std::move(group),
                   .consumer = std::move(consumer)});
  };
  for (const auto& s : cx.h.sends) {
    const Send& first = *cx.ix.sends.at(s.key);
    if (&first != &s)
      bad(fmt::format("send key {} recorded twice (producers {} and {})", s.key, first.producer, s.producer),
          s.key);
    if (s.completed < s.invoked)
      bad(fmt::format("send {} completed {} before it was invoked {}", s.key, at(s.completed), at(s.invoked)),
          s.key);
    if (s.outcome == SendOutcome::acked &&
        ((s.queue_offset < 0) != s.parked || s.queue.broker.empty() || s.queue.queue_id < 0))
      bad(fmt::format("acked send {} has no position ({}{})", s.key, pos(s.queue, s.queue_offset),
                      s.parked ? ", parked" : ""),
          s.key);
    if (s.delay < rt::Duration::zero() || (s.delay > rt::Duration::zero() && !s.parked))
      bad(fmt::format("send {} has a delay but is not parked", s.key), s.key);
  }
  std::set<std::pair<std::string, std::string>> reported;
  const Delivery* late = nullptr;
  size_t late_count = 0;
  for (const Delivery* d : cx.ix.deliveries) {
    auto g = cx.h.groups.find(d->group);
    if (g == cx.h.groups.end() && reported.insert({d->group, ""}).second)
      bad(fmt::format("delivery of {} to undeclared group {}", d->key, d->group), d->key, d->group);
    if (g != cx.h.groups.end() && g->second.kind == GroupKind::broadcasting &&
        !g->second.members.contains(d->consumer) && reported.insert({d->group, d->consumer}).second)
      bad(fmt::format("delivery of {} to {} which is not a member of broadcasting group {}", d->key,
                      d->consumer, d->group),
          d->key, d->group, d->consumer);
    if (d->at > cx.h.end && late_count++ == 0) late = d;
  }
  if (late != nullptr)
    bad(fmt::format("{} deliveries after the end ({}), the first: {} to {}/{} {}", late_count, at(cx.h.end),
                    late->key, late->group, late->consumer, at(late->at)),
        late->key, late->group, late->consumer);
  for (const auto& r : cx.h.rebalances)
    if (!cx.h.groups.contains(r.group) && reported.insert({r.group, ""}).second)
      bad(fmt::format("rebalance of {} in undeclared group {}", r.consumer, r.group), "", r.group,
          r.consumer);
  return out;
}

std::vector<Violation> lost_writes(const Context& cx) { return lost(cx, false); }
std::vector<Violation> unseen_after_heal(const Context& cx) { return lost(cx, true); }

using Checker = std::vector<Violation> (*)(const Context&);
constexpr Checker kCheckers[] = {lost_writes,   unseen_after_heal, duplicates, offsets, continuity, order,
                                 aborted_reads, phantoms,          delays,     well_formed};

std::vector<Violation> sorted(const History& h, Checker checker) {
  auto v = checker(Context(h));
  sort_violations(v);
  return v;
}

}  // namespace

std::string to_string(const QueueRef& q) { return fmt::format("{}@{}:{}", q.topic, q.broker, q.queue_id); }

std::string to_string(ViolationKind k) {
  switch (k) {
    case ViolationKind::lost_write: return "lost_write";
    case ViolationKind::unseen_after_heal: return "unseen_after_heal";
    case ViolationKind::unexplained_duplicate: return "unexplained_duplicate";
    case ViolationKind::inconsistent_offset: return "inconsistent_offset";
    case ViolationKind::poll_skip: return "poll_skip";
    case ViolationKind::non_monotonic: return "non_monotonic";
    case ViolationKind::queue_order: return "queue_order";
    case ViolationKind::key_order: return "key_order";
    case ViolationKind::aborted_read: return "aborted_read";
    case ViolationKind::phantom: return "phantom";
    case ViolationKind::corrupt: return "corrupt";
    case ViolationKind::early_delivery: return "early_delivery";
    case ViolationKind::malformed: return "malformed";
  }
  RMQ_UNREACHABLE("ViolationKind");
}

std::string to_string(DuplicateCause c) {
  switch (c) {
    case DuplicateCause::retry: return "retry";
    case DuplicateCause::stored_twice: return "stored_twice";
    case DuplicateCause::restart: return "restart";
    case DuplicateCause::rebalance: return "rebalance";
    case DuplicateCause::unexplained: return "unexplained";
  }
  RMQ_UNREACHABLE("DuplicateCause");
}

std::vector<Violation> check_lost_writes(const History& h) { return sorted(h, lost_writes); }
std::vector<Violation> check_unseen_after_heal(const History& h) { return sorted(h, unseen_after_heal); }
DuplicateCounts count_duplicates(const History& h) { return duplicate_counts(Context(h)); }
std::vector<Violation> check_duplicates(const History& h) { return sorted(h, duplicates); }
std::vector<Violation> check_offsets(const History& h) { return sorted(h, offsets); }
std::vector<Violation> check_queue_continuity(const History& h) { return sorted(h, continuity); }
std::vector<Violation> check_order(const History& h) { return sorted(h, order); }
std::vector<Violation> check_aborted_reads(const History& h) { return sorted(h, aborted_reads); }
std::vector<Violation> check_phantoms(const History& h) { return sorted(h, phantoms); }
std::vector<Violation> check_delays(const History& h) { return sorted(h, delays); }
std::vector<Violation> check_well_formed(const History& h) { return sorted(h, well_formed); }

int64_t Summary::count(ViolationKind k) const {
  auto it = counts.find(k);
  return it == counts.end() ? 0 : it->second;
}

std::vector<std::string> Summary::lines() const {
  std::vector<std::string> out(1);
  for (const auto& [k, n] : counts)
    out[0] += fmt::format("{}{}={}", out[0].empty() ? "" : " ", to_string(k), n);
  for (const auto& [g, causes] : duplicates) {
    std::string line = fmt::format("duplicates {}:", g);
    for (const auto& [c, n] : causes) line += fmt::format(" {}={}", to_string(c), n);
    out.push_back(std::move(line));
  }
  return out;
}

Summary check_all(const History& h) {
  const Context cx(h);
  Summary s;
  for (int k = 0; k <= static_cast<int>(ViolationKind::malformed); ++k)
    s.counts[static_cast<ViolationKind>(k)] = 0;
  for (const Checker checker : kCheckers) {
    auto v = checker(cx);
    s.violations.insert(s.violations.end(), std::make_move_iterator(v.begin()),
                        std::make_move_iterator(v.end()));
  }
  s.duplicates = duplicate_counts(cx);
  sort_violations(s.violations);
  for (const auto& v : s.violations) ++s.counts[v.kind];
  return s;
}

}  // namespace rmq::scenarios::history
