// MessageStoreConfig: the store's settings, with RocketMQ's names in the
// comments and its defaults (reference 7.7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace rmq::store {

enum class FlushDiskType { async_flush, sync_flush };

// Master/slave replication (store/ha), with RocketMQ's names and defaults.
struct HaConfig {
  rt::Duration heartbeat_interval = std::chrono::seconds(5);      // haSendHeartbeatInterval
  rt::Duration housekeeping_interval = std::chrono::seconds(20);  // haHousekeepingInterval
  size_t transfer_batch_bytes = 32 * 1024;                        // haTransferBatchSize
  int64_t slave_fallbehind_max = int64_t{256} * 1024 * 1024;      // haSlaveFallbehindMax
  rt::Duration reconnect_backoff = std::chrono::seconds(5);       // slave: after a failed or lost connection
  rt::Duration connect_timeout = std::chrono::seconds(3);
};

struct StoreConfig {
  std::string root_dir = "store";                        // storePathRootDir
  uint64_t commit_log_segment_bytes = uint64_t{1} << 30;  // mappedFileSizeCommitLog
  uint32_t consume_queue_units_per_file = 300'000;       // mappedFileSizeConsumeQueue / 20
  FlushDiskType flush_disk_type = FlushDiskType::async_flush;  // flushDiskType
  rt::Duration flush_interval_commit_log = std::chrono::milliseconds(500);     // flushIntervalCommitLog
  rt::Duration flush_interval_consume_queue = std::chrono::milliseconds(1000);  // flushIntervalConsumeQueue
  rt::Duration sync_flush_timeout = std::chrono::milliseconds(5000);           // syncFlushTimeout
  uint32_t max_message_size = 4 * 1024 * 1024;           // maxMessageSize (body)
  bool check_crc_on_recover = true;                      // checkCRCOnRecover
  bool message_index_enable = true;                      // messageIndexEnable
  uint32_t max_hash_slot_num = 5'000'000;                // maxHashSlotNum
  uint32_t max_index_num = 20'000'000;                   // maxIndexNum
  int64_t file_reserved_hours = 72;                      // fileReservedTime
  std::string delete_when = "04";                        // deleteWhen: hours, ';'-separated
  rt::Duration clean_interval = std::chrono::seconds(10);  // cleanResourceInterval
  int disk_max_used_space_ratio = 75;      // diskMaxUsedSpaceRatio: clean expired files above it
  int disk_clean_forcibly_ratio = 85;      // diskSpaceCleanForciblyRatio: clean even unexpired
  int disk_full_ratio = 90;                // diskSpaceWarningLevelRatio: refuse writes above it
  // Bytes appended but not yet written beyond which puts wait (back-pressure).
  uint64_t max_pending_write_bytes = 64 * 1024 * 1024;
  // Recovery: corruption in data the checkpoint says was durable is an error
  // (the store does not open) unless this is set, in which case the log is
  // truncated there and the loss reported.
  bool truncate_corrupt_commit_log = false;
  // messageDelayLevel: the delay of each level in ms (index 0 = level 1);
  // the default is store/delay_levels.h's kDefaultMessageDelayLevel.
  std::vector<int64_t> delay_level_ms = {1'000,     5'000,     10'000,    30'000,    60'000,    120'000,
                                         180'000,   240'000,   300'000,   360'000,   420'000,   480'000,
                                         540'000,   600'000,   1'200'000, 1'800'000, 3'600'000, 7'200'000};
  // A slave's replica (brokerRole=SLAVE): the log only grows by
  // MessageStore::append_replicated(); put() refuses; a queue may begin at
  // any offset (the master's stream may start after its first records).
  bool replica = false;
  HaConfig ha;
  // The machine's memory (0: unknown, never suggest reading from a slave) and
  // the share of it the page cache is expected to hold for readers
  // (accessMessageInMemoryMaxRatio): a pull further behind than that is told
  // to read from a slave when slaveReadEnable.
  int64_t physical_memory_bytes = 0;
  int64_t access_message_in_memory_max_ratio = 40;
  // Host and port written as STOREHOST into every record.
  std::string store_host = "127.0.0.1:10911";
};

}  // namespace rmq::store
