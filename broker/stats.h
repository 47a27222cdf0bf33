// GET_BROKER_RUNTIME_INFO's traffic figures (RocketMQ's StoreStatsService
// and BrokerStats): messages put by senders and handed out by pulls since
// the broker started, those totals as they stood at the start of today and
// of yesterday, and the rates over the last 10 s, 1 min and 10 min.
//
// Counts are kept per second of the runtime's clock in a ring of 600; a
// rate is the count of the window's whole seconds over its length (the
// second under way is left out). Days turn at midnight UTC of the wall
// clock (RocketMQ uses the host's time zone). Nothing runs on its own: the
// day turns on the first event or query after midnight, and the totals did
// not move in between. One fiber (the broker's).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <cstdint>
#include <string>

#include "common/numbers.h"
#include "runtime/runtime.h"

namespace rmq::broker {

class BrokerStats {
 public:
  static constexpr int kRingSeconds = 600;

  void on_put(rt::Instant now, int64_t wall_ms, int64_t messages);
  void on_get(rt::Instant now, int64_t wall_ms, int64_t messages);

  struct Traffic {
    int64_t total = 0;              // since start
    int64_t today_morning = 0;      // the total at today's midnight
    int64_t yesterday_morning = 0;  // ... at yesterday's
    std::string tps;                // "10s 60s 600s", as RocketMQ's putTps / getTransferedTps
  };
  Traffic puts(rt::Instant now, int64_t wall_ms);
  Traffic gets(rt::Instant now, int64_t wall_ms);

 private:
  struct Counter {
    int64_t total = 0;
    int64_t today_morning = 0;
    int64_t yesterday_morning = 0;
    std::array<int64_t, kRingSeconds> count{};
    std::array<int64_t, kRingSeconds> second{};  // which second each slot counts (-1: none)
    Counter() { second.fill(-1); }
  };
  void turn_day(int64_t wall_ms);
  static void add(Counter& c, rt::Instant now, int64_t messages);
  static Traffic traffic(const Counter& c, rt::Instant now);

  int64_t day_ = -1;  // days since the epoch (UTC) of the last event or query
  Counter put_, get_;
};

// VIEW_BROKER_STATS_DATA's figures of one key (RocketMQ's StatsItem:
// TOPIC_PUT_NUMS by topic, GROUP_GET_NUMS by "topic@group"): the count and
// rate over the last minute, hour and day. Counts go into buckets of 10 s
// (6 of them), 1 min (60) and 1 h (24); a window sums its buckets that are
// no older than it, the one under way included, so a figure lags by at most
// a bucket. About 1.5 KiB per key; keys are made on first use (only keys
// with traffic), at most kKeysMax of them (beyond, new keys are not
// counted and the figures say so by their absence). One fiber.
class WindowStats {
 public:
  static constexpr size_t kKeysMax = 100'000;
  struct Window {
    int64_t sum = 0;
    double tps = 0;  // sum over the window's seconds
  };
  struct Figures {
    Window minute, hour, day;
  };

  void add(const std::string& key, rt::Instant now, int64_t count);
  // nullopt when the key never counted anything.
  std::optional<Figures> figures(const std::string& key, rt::Instant now) const;

 private:
  template <int N>
  struct Ring {
    std::array<int64_t, N> count{};
    std::array<int64_t, N> slot{};  // which unit each entry counts (-1: none)
    Ring() { slot.fill(-1); }
  };
  struct Item {
    Ring<6> tens;   // 10 s units
    Ring<60> mins;  // 1 min units
    Ring<24> hours; // 1 h units
  };
  std::map<std::string, Item, std::less<>> items_;
};

// What the broker counts of its traffic for GET_BROKER_RUNTIME_INFO and
// VIEW_BROKER_STATS_DATA.
struct BrokerTraffic {
  BrokerStats totals;
  WindowStats topic_puts;  // TOPIC_PUT_NUMS, by topic
  WindowStats group_gets;  // GROUP_GET_NUMS, by "topic@group"
};

using common::java_double;

}  // namespace rmq::broker
