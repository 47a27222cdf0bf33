// The runtime info's traffic figures: rates over 10 s, 1 min and 10 min,
// and the totals at this morning's and yesterday morning's midnight.
#include <gtest/gtest.h>

#include "broker/stats.h"

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kMonday = 20'000 * kDayMs;  // a UTC midnight

rt::Instant at(rt::Duration d) { return rt::Instant(d); }

TEST(BrokerStats, RatesCountTheWholeSecondsOfEachWindow) {
  BrokerStats s;
  // 30 messages a second for 20 s (seconds 100..119).
  for (int sec = 100; sec < 120; ++sec) s.on_put(at(std::chrono::seconds(sec) + 300ms), kMonday + 8 * 3'600'000, 30);
  // At 120.5 s: the last 10 whole seconds hold 300, the last 60 600, the
  // last 600 also 600.
  const auto t = s.puts(at(120s + 500ms), kMonday + 8 * 3'600'000);
  EXPECT_EQ(t.tps, "30.0 10.0 1.0");
  EXPECT_EQ(t.total, 600);
  // Later, nothing new: the windows empty one after another.
  EXPECT_EQ(s.puts(at(170s), kMonday + 8 * 3'600'000).tps, "0.0 5.0 1.0");
  EXPECT_EQ(s.puts(at(800s), kMonday + 8 * 3'600'000).tps, "0.0 0.0 0.0");
  // Gets are counted apart.
  EXPECT_EQ(s.gets(at(800s), kMonday + 8 * 3'600'000).total, 0);
}

TEST(BrokerStats, MorningsAreTheTotalsAtEachMidnight) {
  BrokerStats s;
  s.on_put(at(1s), kMonday + 10 * 3'600'000, 5);  // Monday 10:00
  s.on_get(at(2s), kMonday + 11 * 3'600'000, 2);
  auto p = s.puts(at(3s), kMonday + 12 * 3'600'000);
  EXPECT_EQ(p.total, 5);
  EXPECT_EQ(p.today_morning, 0);
  EXPECT_EQ(p.yesterday_morning, 0);
  s.on_put(at(4s), kMonday + kDayMs + 3'600'000, 7);  // Tuesday 01:00
  p = s.puts(at(5s), kMonday + kDayMs + 2 * 3'600'000);
  EXPECT_EQ(p.total, 12);
  EXPECT_EQ(p.today_morning, 5);  // Monday's 5, as at Tuesday's midnight
  EXPECT_EQ(p.yesterday_morning, 0);
  const auto g = s.gets(at(5s), kMonday + kDayMs + 2 * 3'600'000);
  EXPECT_EQ(g.today_morning, 2);
  // Wednesday passes without a message; on Thursday both mornings are 12.
  p = s.puts(at(6s), kMonday + 3 * kDayMs + 60'000);
  EXPECT_EQ(p.today_morning, 12);
  EXPECT_EQ(p.yesterday_morning, 12);
  // A wall clock set back changes no morning.
  p = s.puts(at(7s), kMonday + kDayMs);
  EXPECT_EQ(p.today_morning, 12);
}

TEST(BrokerStats, JavaDoubles) {
  EXPECT_EQ(java_double(0), "0.0");
  EXPECT_EQ(java_double(12), "12.0");
  EXPECT_EQ(java_double(0.5), "0.5");
}

}  // namespace
}  // namespace rmq::broker
