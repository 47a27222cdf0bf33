// Delay levels (reference 8.5; Apache RocketMQ's ScheduleMessageService).
//
// A message stored with DELAY=L > 0 (a producer's delay level, or a retry's
// level chosen by CONSUMER_SEND_MSG_BACK) is parked: park() moves it to
// SCHEDULE_TOPIC_XXXX queue L-1 (L clamped to the last level) with its real
// topic and queue in REAL_TOPIC/REAL_QID; the store gives its ConsumeQueue
// unit the delivery time (store time + delay(L)) as tags code.
//
// One task per level walks its queue in order from the level's progress
// offset: a unit that is due (delivery time <= the broker's wall clock) is
// re-stored in its real topic and queue with DELAY removed and WAIT=false;
// the first unit not yet due stops the walk until its time (or until a
// message arrives in the level's queue). A delivery time further ahead than
// the level's delay (the wall clock went back) counts as due now, as in
// RocketMQ. Nothing is delivered before its time by the broker's clock.
//
// Progress: the offset of each level's next unit, advanced only after the
// re-store was acknowledged by the store; saved to config/delayOffset.json
// every flush_delay_offset_interval (10 s) and at stop(), but never past a
// delivery whose copy is not synced yet (ASYNC_FLUSH, or a flush timeout),
// so even a power loss after the save cannot lose a delivered message. After a crash delivery goes on from the saved offsets, so a
// message delivered in the last interval before the crash is delivered again
// (a second copy in the real queue: RocketMQ's at-least-once). Offsets are
// corrected into each queue's [min, max] at load. A message due while the
// broker was down is delivered within a second of the restart.
//
// A unit whose record is gone (aged out), or whose copy can never be stored
// (too large), is skipped with an error log; any other failed re-store is
// retried after a second, from the same unit.
//
// All on one runtime: park() and status() never suspend; load(), start()'s
// tasks and stop() do.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "common/message_format.h"
#include "runtime/runtime.h"
#include "store/config_files.h"
#include "store/message_store.h"

namespace rmq::broker {

class ScheduleService {
 public:
  ScheduleService(rt::Runtime& rt, const BrokerConfig& cfg, store::MessageStore& store);
  ~ScheduleService();  // stop() without saving: the caller saves by calling stop()
  ScheduleService(const ScheduleService&) = delete;
  ScheduleService& operator=(const ScheduleService&) = delete;

  // Reads delayOffset.json (or its .bak) and corrects each level's offset
  // into its queue's range. Suspends.
  rt::Result<void> load();
  // Starts one delivery task per level (first walk after 1 s) and the task
  // that saves the progress.
  void start();
  // Cancels the tasks and saves the progress. Idempotent. Suspends.
  rt::Result<void> stop();

  // The message's DELAY level: 0 when it has none (absent or <= 0);
  // Errc::invalid_argument when it is not a number.
  static rt::Result<int32_t> delay_level(const common::MessageProperties& props);
  // Parks `m` for delay level `level` (> 0): see the top of this file.
  // REQUIRES: `props` are m's decoded properties.
  void park(common::StoredMessage& m, common::MessageProperties props, int32_t level) const;

  // A unit arrived in SCHEDULE_TOPIC_XXXX queue `queue_id`: wakes its level.
  void on_arrival(int32_t queue_id);

  struct LevelStatus {
    int32_t level = 0;
    int64_t delay_ms = 0;
    int64_t offset = 0;            // next unit to deliver
    int64_t max_offset = 0;        // units parked so far
    int64_t next_due_ms = 0;       // delivery time of the unit at `offset`; 0 when none
  };
  // One entry per level, in level order. Suspends (reads the next unit).
  std::vector<LevelStatus> status();
  // Messages parked and not yet delivered, by level (level order). Never
  // suspends: a metrics scrape reads it.
  std::vector<std::pair<int32_t, int64_t>> backlog() const;
  // What delayOffset.json holds now (GET_ALL_DELAY_OFFSET).
  std::string encode_offsets() const;
  int64_t delivered() const { return delivered_; }

 private:
  struct Level;
  void level_loop(Level& lv);
  // Delivers the due units of a level; how long to wait before looking again.
  rt::Duration deliver_due(Level& lv);
  // The message to re-store for a parked record; nullopt (logged) when its
  // REAL_TOPIC/REAL_QID are missing or bad.
  std::optional<common::StoredMessage> unparked(const common::StoredMessage& parked) const;
  void persist_loop();
  rt::Result<void> persist();

  rt::Runtime& rt_;
  const BrokerConfig& cfg_;
  store::MessageStore& store_;
  std::string path_;
  std::vector<std::unique_ptr<Level>> levels_;  // index = level - 1
  uint64_t version_ = 0;        // bumped by every change of progress
  uint64_t saved_version_ = 0;  // what the file holds, when fully durable
  rt::Mutex save_;
  std::vector<rt::Task> tasks_;
  bool started_ = false;
  bool stopped_ = false;
  int64_t delivered_ = 0;
};

}  // namespace rmq::broker
