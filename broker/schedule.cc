#include "broker/schedule.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/message_const.h"
#include "common/numbers.h"
#include "runtime/assert.h"
#include "runtime/unlock_guard.h"
#include "store/delay_levels.h"

namespace rmq::broker {

namespace {

using namespace std::chrono_literals;

constexpr rt::Duration kFirstWalkDelay = 1s;       // FIRST_DELAY_TIME
constexpr rt::Duration kRetryDelay = 1s;           // after a failed re-store or read
constexpr rt::Duration kLongestWait = 1s;          // re-read the wall clock at least this often
constexpr size_t kUnitsPerRead = 32;

int32_t queue_of_level(int32_t level) { return level - 1; }

}  // namespace

struct ScheduleService::Level {
  Level(rt::Runtime& rt, int32_t l, int64_t d) : level(l), delay_ms(d), arrived(rt) {}
  int32_t level;
  int64_t delay_ms;
  int64_t offset = 0;
  // Delivered units whose re-stored copy may not be synced yet: (unit
  // offset, CommitLog end of the copy), oldest first. The progress saved is
  // the first of them: after a power loss they are delivered again.
  std::deque<std::pair<int64_t, int64_t>> unsynced;
  rt::Event arrived;
  bool failing = false;  // the last re-store failed (logged once per streak)

  void forget_synced(int64_t synced) {
    while (!unsynced.empty() && unsynced.front().second <= synced) unsynced.pop_front();
  }
  // The offset to save: every unit below it was delivered durably.
  int64_t durable_offset() const { return unsynced.empty() ? offset : unsynced.front().first; }
};

ScheduleService::ScheduleService(rt::Runtime& rt, const BrokerConfig& cfg, store::MessageStore& store)
    : rt_(rt), cfg_(cfg), store_(store), path_(store::delay_offset_path(cfg.store.root_dir)), save_(rt) {
  const auto& table = cfg_.store.delay_level_ms;
  for (size_t i = 0; i < table.size(); ++i)
    levels_.push_back(std::make_unique<Level>(rt, static_cast<int32_t>(i + 1), table[i]));
}

ScheduleService::~ScheduleService() {
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
}

rt::Result<void> ScheduleService::load() {
  auto loaded = store::load_delay_offsets(rt_.fs(), path_);
  if (!loaded) return loaded.error();
  for (auto& lv : levels_) {
    auto it = loaded->table.offset_table.find(lv->level);
    const int64_t saved = it == loaded->table.offset_table.end() ? 0 : it->second;
    const int64_t min = store_.min_offset(common::kScheduleTopic, queue_of_level(lv->level));
    const int64_t max = store_.max_offset(common::kScheduleTopic, queue_of_level(lv->level));
    lv->offset = std::clamp(saved, min, std::max(min, max));
    if (lv->offset != saved) {
      rt_.log(rt::LogLevel::warn, fmt::format("delay level {}: saved offset {} is outside its queue's [{}, {}]; "
                                              "going on from {}",
                                              lv->level, saved, min, max, lv->offset));
      ++version_;
    }
  }
  return {};
}

void ScheduleService::start() {
  RMQ_ASSERT(!started_);
  started_ = true;
  for (auto& lv : levels_) {
    Level* l = lv.get();
    tasks_.push_back(rt_.spawn(fmt::format("broker-delay-{}", l->level), [this, l] { level_loop(*l); }));
  }
  tasks_.push_back(rt_.spawn("broker-delay-offsets", [this] { persist_loop(); }));
}

rt::Result<void> ScheduleService::stop() {
  if (stopped_) return {};
  stopped_ = true;
  for (auto& t : tasks_) t.cancel();
  for (auto& t : tasks_) t.cancel_and_join();
  tasks_.clear();
  if (!started_) return {};
  return persist();
}

rt::Result<int32_t> ScheduleService::delay_level(const common::MessageProperties& props) {
  auto it = props.find(common::kPropDelay);
  if (it == props.end()) return 0;
  auto level = common::parse_java_int(it->second);
  if (!level)
    return rt::Error(rt::Errc::invalid_argument,
                     fmt::format("the {} property '{}' is not a delay level", common::kPropDelay, it->second));
  return std::max(*level, 0);
}

void ScheduleService::park(common::StoredMessage& m, common::MessageProperties props, int32_t level) const {
  RMQ_ASSERT(level > 0);
  const int32_t clamped = store::clamp_delay_level(cfg_.store.delay_level_ms, level);
  props[common::kPropRealTopic] = m.topic;
  props[common::kPropRealQueueId] = std::to_string(m.queue_id);
  props[common::kPropDelay] = std::to_string(clamped);
  m.topic = common::kScheduleTopic;
  m.queue_id = queue_of_level(clamped);
  m.properties = common::encode_properties(props);
}

void ScheduleService::on_arrival(int32_t queue_id) {
  if (queue_id >= 0 && static_cast<size_t>(queue_id) < levels_.size()) levels_[static_cast<size_t>(queue_id)]->arrived.set();
}

void ScheduleService::level_loop(Level& lv) {
  rt_.sleep_for(kFirstWalkDelay);
  for (;;) {
    // Reset before reading: a unit arriving during the walk sets it again.
    lv.arrived.reset();
    const rt::Duration wait = deliver_due(lv);
    (void)lv.arrived.wait(wait);
  }
}

rt::Duration ScheduleService::deliver_due(Level& lv) {
  const int32_t qid = queue_of_level(lv.level);
  for (;;) {
    auto units = store_.units(common::kScheduleTopic, qid, lv.offset, kUnitsPerRead);
    if (!units) {
      const int64_t min = store_.min_offset(common::kScheduleTopic, qid);
      if (units.error().code() == rt::Errc::not_found && lv.offset < min) {
        rt_.log(rt::LogLevel::error, fmt::format("delay level {}: offset {} aged out of its queue; going on from {}",
                                                 lv.level, lv.offset, min));
        lv.offset = min;
        ++version_;
        continue;
      }
      rt_.log(rt::LogLevel::warn, fmt::format("delay level {}: reading its queue at {}: {}", lv.level, lv.offset,
                                              units.error().message()));
      return kRetryDelay;
    }
    if (units->empty()) return rt::kForever;  // until a unit arrives
    for (const store::CqUnit& u : *units) {
      const int64_t now = rt_.wall_ms();
      // Further ahead than the level's delay: the clock went back. Due a
      // full delay from now, so never before its time by the clock.
      const int64_t due = std::min(u.tags_code, common::sat_add(now, lv.delay_ms));
      if (due > now) return std::min<rt::Duration>(std::chrono::milliseconds(due - now), kLongestWait);
      auto rec = store_.read_unit(u);
      if (!rec && rec.error().code() != rt::Errc::not_found) {
        rt_.log(rt::LogLevel::warn, fmt::format("delay level {}: reading offset {}: {}", lv.level, lv.offset,
                                                rec.error().message()));
        return kRetryDelay;
      }
      std::optional<common::StoredMessage> m;
      if (!rec) {
        rt_.log(rt::LogLevel::error, fmt::format("delay level {}: the message at offset {} is gone ({}); skipped",
                                                 lv.level, lv.offset, rec.error().message()));
      } else if (rec->message.topic != common::kScheduleTopic) {
        rt_.log(rt::LogLevel::error, fmt::format("delay level {}: offset {} points at a {} record; skipped", lv.level,
                                                 lv.offset, rec->message.topic));
      } else {
        m = unparked(rec->message);
      }
      if (m) {
        auto put = store_.put(std::move(*m));
        const bool stored = put.ok() || put.status == store::PutStatus::flush_disk_timeout;
        const bool hopeless = put.status == store::PutStatus::message_illegal ||
                              put.status == store::PutStatus::properties_size_exceeded;
        if (!stored && !hopeless) {
          if (!lv.failing)
            rt_.log(rt::LogLevel::warn, fmt::format("delay level {}: re-storing offset {} failed ({}: {}); retrying",
                                                    lv.level, lv.offset, store::to_string(put.status), put.detail));
          lv.failing = true;
          return kRetryDelay;
        }
        if (hopeless)
          rt_.log(rt::LogLevel::error, fmt::format("delay level {}: offset {} can never be re-stored ({}: {}); skipped",
                                                   lv.level, lv.offset, store::to_string(put.status), put.detail));
        if (lv.failing) rt_.log(rt::LogLevel::info, fmt::format("delay level {}: delivering again", lv.level));
        lv.failing = false;
        if (stored) {
          ++delivered_;
          // Stored, maybe not synced yet (ASYNC_FLUSH, or a flush timeout).
          lv.forget_synced(store_.synced());
          const int64_t end = put.physical_offset + put.bytes;
          if (end > store_.synced()) lv.unsynced.emplace_back(lv.offset, end);
        }
      }
      ++lv.offset;
      ++version_;
    }
  }
}

std::optional<common::StoredMessage> ScheduleService::unparked(const common::StoredMessage& parked) const {
  common::MessageProperties props = common::decode_properties(parked.properties);
  const auto topic = props.find(common::kPropRealTopic);
  const auto qid = props.find(common::kPropRealQueueId);
  std::optional<int32_t> queue_id;
  if (qid != props.end()) queue_id = common::parse_java_int(qid->second);
  if (topic == props.end() || !common::valid_topic_name(topic->second) || !queue_id || *queue_id < 0) {
    rt_.log(rt::LogLevel::error,
            fmt::format("delay: the parked message at commitlog offset {} has no valid {}/{}; skipped",
                        parked.physical_offset, common::kPropRealTopic, common::kPropRealQueueId));
    return std::nullopt;
  }
  common::StoredMessage m = parked;
  m.topic = topic->second;
  m.queue_id = *queue_id;
  props.erase(common::kPropDelay);
  // WAIT=false as RocketMQ adds it, unless that would make the properties
  // too long to store (the delivery matters more than the flag).
  props[common::kPropWait] = "false";
  m.properties = common::encode_properties(props);
  if (m.properties.size() > common::kPropertiesBytesMax) {
    props.erase(common::kPropWait);
    m.properties = common::encode_properties(props);
  }
  return m;
}

std::vector<ScheduleService::LevelStatus> ScheduleService::status() {
  std::vector<LevelStatus> out;
  for (const auto& lv : levels_) {
    LevelStatus s;
    s.level = lv->level;
    s.delay_ms = lv->delay_ms;
    s.offset = lv->offset;
    s.max_offset = store_.max_offset(common::kScheduleTopic, queue_of_level(lv->level));
    if (s.offset < s.max_offset)
      if (auto u = store_.units(common::kScheduleTopic, queue_of_level(lv->level), s.offset, 1); u && !u->empty())
        s.next_due_ms = (*u)[0].tags_code;
    out.push_back(s);
  }
  return out;
}

std::vector<std::pair<int32_t, int64_t>> ScheduleService::backlog() const {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const auto& lv : levels_)
    out.emplace_back(lv->level, std::max<int64_t>(0, store_.max_offset(common::kScheduleTopic, queue_of_level(lv->level)) -
                                                         lv->offset));
  return out;
}

std::string ScheduleService::encode_offsets() const {
  store::DelayOffsetTable t;
  for (const auto& lv : levels_) t.offset_table[lv->level] = lv->offset;
  return store::encode_delay_offsets(t);
}

void ScheduleService::persist_loop() {
  for (;;) {
    rt_.sleep_for(cfg_.flush_delay_offset_interval);
    if (auto r = persist(); !r) rt_.log(rt::LogLevel::warn, "delay offsets not saved: " + r.error().message());
  }
}

rt::Result<void> ScheduleService::persist() {
  if (saved_version_ == version_) return {};
  if (auto r = save_.lock(); !r) return r;
  rt::UnlockGuard unlock(save_);
  const uint64_t version = version_;
  const int64_t synced = store_.synced();
  store::DelayOffsetTable t;
  for (const auto& lv : levels_) {
    lv->forget_synced(synced);
    t.offset_table[lv->level] = lv->durable_offset();
  }
  auto saved = store::save_delay_offsets(rt_.fs(), path_, t);
  if (!saved) return saved;
  // Unsynced deliveries saved as not yet done are saved again later.
  bool all_durable = true;
  for (const auto& lv : levels_) all_durable = all_durable && lv->unsynced.empty();
  if (all_durable) saved_version_ = std::max(saved_version_, version);
  return {};
}

}  // namespace rmq::broker
