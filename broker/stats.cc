#include "broker/stats.h"

#include <fmt/format.h>

namespace rmq::broker {

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int kWindowsSeconds[] = {10, 60, 600};

int64_t second_of(rt::Instant now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

}  // namespace

void BrokerStats::turn_day(int64_t wall_ms) {
  const int64_t day = wall_ms >= 0 ? wall_ms / kDayMs : -1;
  if (day_ < 0 || day <= day_) {
    if (day_ < 0) day_ = day;
    return;
  }
  // The totals have not moved since the last event: at every midnight
  // passed since, they stood where they stand now.
  for (Counter* c : {&put_, &get_}) {
    c->yesterday_morning = day - day_ >= 2 ? c->total : c->today_morning;
    c->today_morning = c->total;
  }
  day_ = day;
}

void BrokerStats::add(Counter& c, rt::Instant now, int64_t messages) {
  c.total += messages;
  const int64_t s = second_of(now);
  const auto slot = static_cast<size_t>(s % kRingSeconds);
  if (c.second[slot] != s) {
    c.second[slot] = s;
    c.count[slot] = 0;
  }
  c.count[slot] += messages;
}

BrokerStats::Traffic BrokerStats::traffic(const Counter& c, rt::Instant now) {
  Traffic t{.total = c.total, .today_morning = c.today_morning, .yesterday_morning = c.yesterday_morning, .tps = {}};
  const int64_t s = second_of(now);
  for (int w : kWindowsSeconds) {
    int64_t sum = 0;
    for (size_t i = 0; i < kRingSeconds; ++i)
      if (c.second[i] >= s - w && c.second[i] < s) sum += c.count[i];
    if (!t.tps.empty()) t.tps += ' ';
    t.tps += java_double(static_cast<double>(sum) / w);
  }
  return t;
}

void BrokerStats::on_put(rt::Instant now, int64_t wall_ms, int64_t messages) {
  turn_day(wall_ms);
  add(put_, now, messages);
}

void BrokerStats::on_get(rt::Instant now, int64_t wall_ms, int64_t messages) {
  turn_day(wall_ms);
  add(get_, now, messages);
}

BrokerStats::Traffic BrokerStats::puts(rt::Instant now, int64_t wall_ms) {
  turn_day(wall_ms);
  return traffic(put_, now);
}

BrokerStats::Traffic BrokerStats::gets(rt::Instant now, int64_t wall_ms) {
  turn_day(wall_ms);
  return traffic(get_, now);
}

namespace {

template <class Ring>
void bump(Ring& r, int64_t unit, int64_t count) {
  const size_t i = static_cast<size_t>(unit % static_cast<int64_t>(r.slot.size()));
  if (r.slot[i] != unit) {
    r.slot[i] = unit;
    r.count[i] = 0;
  }
  r.count[i] += count;
}

template <class Ring>
WindowStats::Window window(const Ring& r, int64_t unit, double seconds) {
  WindowStats::Window w;
  const auto n = static_cast<int64_t>(r.slot.size());
  for (size_t i = 0; i < r.slot.size(); ++i)
    if (r.slot[i] >= 0 && r.slot[i] > unit - n && r.slot[i] <= unit) w.sum += r.count[i];
  w.tps = static_cast<double>(w.sum) / seconds;
  return w;
}

int64_t seconds_of(rt::Instant now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

}  // namespace

void WindowStats::add(const std::string& key, rt::Instant now, int64_t count) {
  auto it = items_.find(key);
  if (it == items_.end()) {
    if (items_.size() >= kKeysMax) return;
    it = items_.emplace(key, Item{}).first;
  }
  const int64_t s = seconds_of(now);
  bump(it->second.tens, s / 10, count);
  bump(it->second.mins, s / 60, count);
  bump(it->second.hours, s / 3600, count);
}

std::optional<WindowStats::Figures> WindowStats::figures(const std::string& key, rt::Instant now) const {
  auto it = items_.find(key);
  if (it == items_.end()) return std::nullopt;
  const int64_t s = seconds_of(now);
  return Figures{window(it->second.tens, s / 10, 60), window(it->second.mins, s / 60, 3600),
                 window(it->second.hours, s / 3600, 86400)};
}

}  // namespace rmq::broker
