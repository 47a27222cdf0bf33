// Where a consumer's progress lives (RocketMQ's OffsetStore), for the push
// and the pull consumer alike:
// - remote (clustering; RemoteBrokerOffsetStore): the group's offsets on
//   the brokers, QUERY_CONSUMER_OFFSET and UPDATE_CONSUMER_OFFSET at the
//   address the caller names (the queue's master, else a slave);
// - local (broadcasting; LocalFileOffsetStore): this member's own, in
//   memory, and in a file of "topic broker queueId offset" lines when a path
//   is given (load() at start, persist() after commits).
// Calls that reach a broker suspend; a local store never does (but persist()
// writes its file).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "client/consumer_common.h"
#include "client/mq_client.h"

namespace rmq::client {

class OffsetStore {
 public:
  enum class Kind { remote, local };

  static OffsetStore remote(MqClient& c, std::string group) {
    return OffsetStore(c, Kind::remote, std::move(group), {});
  }
  // `path` empty: memory only.
  static OffsetStore local(MqClient& c, std::string group, std::string path) {
    return OffsetStore(c, Kind::local, std::move(group), std::move(path));
  }

  Kind kind() const { return kind_; }

  // Where a member starts on `q` (read from the broker at `addr` when
  // remote): the stored offset, else where `from` says (a retry topic from
  // its first offset).
  rt::Result<int64_t> start_offset(const MessageQueue& q, const std::string& addr, ConsumeFrom from,
                                   int64_t timestamp_ms);
  // The stored offset of `q`, -1 when there is none.
  rt::Result<int64_t> read(const MessageQueue& q, const std::string& addr);
  // Stores `offset` as `q`'s (remote: at `addr`).
  rt::Result<void> update(const MessageQueue& q, const std::string& addr, int64_t offset);

  // Local: reads the file (a missing file, or a line that does not parse,
  // is skipped). Remote: nothing.
  void load();
  // Local: writes the file atomically (a failure is logged). Remote: nothing.
  void persist();

 private:
  OffsetStore(MqClient& c, Kind kind, std::string group, std::string path)
      : client_(&c), kind_(kind), group_(std::move(group)), path_(std::move(path)) {}

  MqClient* client_;
  Kind kind_;
  std::string group_;
  std::string path_;
  std::map<MessageQueue, int64_t> local_;
};

}  // namespace rmq::client
