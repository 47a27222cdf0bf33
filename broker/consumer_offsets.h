// Consumer offsets (consumerOffset.json): RocketMQ's ConsumerOffsetManager.
// Commits land in memory at once and reach the file every
// flushConsumerOffsetInterval (5 s) and at shutdown, so a broker crash can
// lose the last few seconds of commits (consumers then see some messages
// again, as with RocketMQ). Negative commits are ignored (ali-ons commits -1
// for a queue it has not consumed from).
#pragma once

#include <optional>
#include <string>

#include "broker/broker_config.h"
#include "store/config_files.h"

namespace rmq::broker {

class ConsumerOffsets {
 public:
  ConsumerOffsets(rt::Runtime& rt, const BrokerConfig& cfg);
  rt::Result<void> load();  // Suspends.

  void commit(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset);
  std::optional<int64_t> query(const std::string& group, const std::string& topic, int32_t queue_id) const;
  // Every group with offsets for `topic`, and the topics of `group`.
  std::vector<std::string> groups_of_topic(const std::string& topic) const;
  std::vector<std::string> topics_of_group(const std::string& group) const;
  void remove_topic(const std::string& topic);
  void remove_group(const std::string& group);
  const store::ConsumerOffsetTable& table() const { return table_; }
  // A slave takes its master's offsets: every queue the master has
  // overwrites its own (RocketMQ's putAll); others stay.
  void mirror(const store::ConsumerOffsetTable& master);

  // Writes the table if it changed since the last write. Suspends.
  rt::Result<void> persist();

 private:
  rt::Runtime& rt_;
  std::string path_;
  store::ConsumerOffsetTable table_;
  uint64_t version_ = 0;        // bumped by every change
  uint64_t saved_version_ = 0;  // the newest version the file holds
  rt::Mutex save_;
};

}  // namespace rmq::broker
