// Every row of the recovery table (store/recovery.h), reached on purpose by
// shaping the files a store left behind, plus regressions the crash property
// found. Each test runs on a simulated node; a "crash" is the store dropped
// without close() (its tasks cancelled, no I/O: the page cache keeps what was
// written, the abort file stays).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/big_endian.h"
#include "store/checkpoint.h"
#include "tests/store/store_test_util.h"
#include "tests/util/bytes.h"

namespace rmq::store {
namespace {

using namespace std::chrono_literals;
using test::body_text;
using test::decode_all;
using test::make_message;
using test::on_node;
using test::small_config;

constexpr const char* kSegment0 = "/store/commitlog/00000000000000000000";
constexpr const char* kSegment1 = "/store/commitlog/00000000000000065536";

std::unique_ptr<MessageStore> open_ok(rt::Runtime& rt, const StoreConfig& cfg) {
  auto st = MessageStore::open(rt, cfg);
  EXPECT_TRUE(st.ok()) << st.error().message();
  return st ? std::move(*st) : nullptr;
}

// The error open() refuses with ("" if it opened).
std::string open_refusal(rt::Runtime& rt, const StoreConfig& cfg) {
  auto st = MessageStore::open(rt, cfg);
  return st ? "" : st.error().message();
}

void put_all(MessageStore& s, const std::string& topic, int32_t queue_id, int from, int to) {
  for (int i = from; i < to; ++i) {
    auto r = s.put(make_message(topic, queue_id, topic + "-" + std::to_string(queue_id) + "-" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.detail;
  }
  ASSERT_TRUE(s.wait_dispatched(5s).ok());
}

// Every body of a queue, in queue order, checking the offsets on the way.
std::vector<std::string> bodies(MessageStore& s, const std::string& topic, int32_t queue_id) {
  std::vector<std::string> out;
  int64_t offset = s.min_offset(topic, queue_id);
  int64_t next_queue_offset = offset;
  while (offset < s.max_offset(topic, queue_id)) {
    auto g = s.get(topic, queue_id, offset, 32, 1 << 20);
    EXPECT_EQ(g.status, GetStatus::found) << to_string(g.status) << " at " << offset;
    if (g.status != GetStatus::found) break;
    for (const auto& m : decode_all(g)) {
      EXPECT_EQ(m.queue_offset, next_queue_offset++);
      out.push_back(body_text(m));
    }
    offset = g.next_begin_offset;
  }
  return out;
}

std::vector<std::string> expected(const std::string& topic, int32_t queue_id, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(topic + "-" + std::to_string(queue_id) + "-" + std::to_string(i));
  return out;
}

std::unique_ptr<rt::File> open_file(rt::Runtime& rt, const std::string& path) {
  auto f = rt.fs().open(path, rt::OpenMode::existing);
  EXPECT_TRUE(f.ok()) << path;
  return f ? std::move(*f) : nullptr;
}

uint64_t file_size(rt::Runtime& rt, const std::string& path) { return *open_file(rt, path)->size(); }

void rewrite_checkpoint(rt::Runtime& rt, const std::function<void(CheckpointData&)>& change) {
  auto cp = Checkpoint::open(rt.fs(), "/store/checkpoint");
  ASSERT_TRUE(cp.ok());
  auto d = (*cp)->load();
  ASSERT_TRUE(d.ok() && d->has_value());
  CheckpointData data = **d;
  change(data);
  ASSERT_TRUE((*cp)->store(data).ok());
}

StoreConfig no_periodic_checkpoint() {
  StoreConfig cfg = small_config("/store");
  cfg.flush_interval_consume_queue = 10h;  // only open() and close() write the checkpoint
  return cfg;
}

// A key lookup finds each of messages 0..end-1 of T-0 exactly once, intact.
void expect_every_key_found_once(MessageStore& s, int end) {
  for (const auto& b : expected("T", 0, 0, end)) {
    auto hits = s.query_by_key("T", "U-" + b, 4, 0, INT64_MAX);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), 1u) << b;
    EXPECT_EQ(body_text((*hits)[0].message), b);
  }
}

// Five messages closed cleanly, messages 5..end-1 dispatched after the
// checkpoint, then a crash: queue units and index entries exist past the
// checkpoint.
void crash_after_the_checkpoint(rt::Runtime& rt, const StoreConfig& cfg, int end = 10) {
  auto s = open_ok(rt, cfg);
  put_all(*s, "T", 0, 0, 5);
  ASSERT_TRUE(s->close().ok());
  s = open_ok(rt, cfg);
  put_all(*s, "T", 0, 5, end);
  s.reset();  // crash
}

TEST(RecoveryTable, TableRowsAreInEnumOrderWithNames) {
  for (size_t i = 0; i < kRecoveryTable.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kRecoveryTable[i].row), i);
    EXPECT_EQ(to_string(kRecoveryTable[i].row), kRecoveryTable[i].name);
    EXPECT_FALSE(kRecoveryTable[i].action.empty());
  }
}

TEST(RecoveryTable, FreshStartsEmptyWithACheckpointAndAnAbortFile) {
  on_node(1, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    EXPECT_EQ(s->recovery_report().rows, std::vector<RecoveryRow>{RecoveryRow::fresh});
    EXPECT_EQ(s->written(), 0);
    EXPECT_TRUE(*rt.fs().exists("/store/abort"));
    EXPECT_EQ(file_size(rt, "/store/checkpoint"), kCheckpointBytes);
    ASSERT_TRUE(s->close().ok());
    EXPECT_FALSE(*rt.fs().exists("/store/abort"));
  });
}

TEST(RecoveryTable, CleanShutdownRedispatchesNothing) {
  on_node(2, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 10);
    const int64_t end = s->written();
    ASSERT_TRUE(s->close().ok());
    s = open_ok(rt, small_config("/store"));
    const auto& rep = s->recovery_report();
    EXPECT_EQ(rep.rows, std::vector<RecoveryRow>{RecoveryRow::clean_shutdown});
    EXPECT_EQ(rep.scan_from, end);
    EXPECT_EQ(rep.records_dispatched, 0);
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 10));
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, CrashRedispatchesFromTheCheckpoint) {
  on_node(3, [](rt::Runtime& rt) {
    StoreConfig cfg = no_periodic_checkpoint();
    cfg.message_index_enable = false;  // a rebuilt index file would start the scan earlier
    crash_after_the_checkpoint(rt, cfg);
    auto s = open_ok(rt, cfg);
    const auto& rep = s->recovery_report();
    EXPECT_EQ(rep.rows.front(), RecoveryRow::crash);
    EXPECT_GT(rep.scan_from, 0);  // the clean close's checkpoint
    EXPECT_EQ(rep.records_dispatched, 5);
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 10));
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, QueueUnitsPastTheCheckpointAreCutAndRedispatched) {
  on_node(4, [](rt::Runtime& rt) {
    const StoreConfig cfg = no_periodic_checkpoint();
    crash_after_the_checkpoint(rt, cfg);
    auto s = open_ok(rt, cfg);
    EXPECT_TRUE(s->recovery_report().has(RecoveryRow::queue_truncated)) << s->recovery_report().summary();
    EXPECT_FALSE(s->recovery_report().has(RecoveryRow::queues_rebuilt));
    EXPECT_EQ(s->max_offset("T", 0), 10);
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 10));
    ASSERT_TRUE(s->close().ok());
  });
}

// Index entries are written in batches and at the checkpoint: the ones a
// crash caught in memory are indexed again from the checkpoint.
TEST(RecoveryTable, IndexEntriesStillInMemoryAtACrashAreIndexedAgain) {
  on_node(5, [](rt::Runtime& rt) {
    const StoreConfig cfg = no_periodic_checkpoint();
    crash_after_the_checkpoint(rt, cfg);
    auto s = open_ok(rt, cfg);
    EXPECT_FALSE(s->recovery_report().has(RecoveryRow::index_rebuilt)) << s->recovery_report().summary();
    expect_every_key_found_once(*s, 10);
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, IndexTouchedAfterTheCheckpointIsCutThereAndFindsEveryKey) {
  on_node(5, [](rt::Runtime& rt) {
    const StoreConfig cfg = no_periodic_checkpoint();
    // Enough puts after the checkpoint for the index to write a batch.
    const int end = 10 + static_cast<int>(MessageStore::kIndexWriteBatch);
    crash_after_the_checkpoint(rt, cfg, end);
    auto s = open_ok(rt, cfg);
    EXPECT_TRUE(s->recovery_report().has(RecoveryRow::index_truncated)) << s->recovery_report().summary();
    EXPECT_FALSE(s->recovery_report().has(RecoveryRow::index_rebuilt)) << s->recovery_report().summary();
    // Only what followed the checkpoint was indexed again.
    EXPECT_LE(s->recovery_report().records_dispatched, end - 5) << s->recovery_report().summary();
    expect_every_key_found_once(*s, end);
    ASSERT_TRUE(s->close().ok());
  });
}

// An entry below the checkpoint that makes no sense (corruption) cuts the
// file there, and everything from the last good entry on is indexed again.
TEST(RecoveryTable, IndexCutAtACorruptEntryBelowTheCheckpointIsIndexedAgainFromThere) {
  on_node(5, [](rt::Runtime& rt) {
    const StoreConfig cfg = no_periodic_checkpoint();
    const int end = 300;  // the first index file (256 entries) fills and is written past the checkpoint
    crash_after_the_checkpoint(rt, cfg, end);
    auto names = rt.fs().list("/store/index");
    ASSERT_TRUE(names.ok() && !names->empty());
    std::sort(names->begin(), names->end());
    auto f = open_file(rt, "/store/index/" + names->front());
    std::byte zero[8] = {};
    const uint64_t entry5 = kIndexHeaderBytes + uint64_t{cfg.max_hash_slot_num} * 4 + 5 * kIndexEntryBytes;
    ASSERT_TRUE(f->write_at(entry5 + 4, zero).ok());  // its CommitLog offset goes back to 0
    f.reset();
    auto s = open_ok(rt, cfg);
    EXPECT_TRUE(s->recovery_report().has(RecoveryRow::index_truncated)) << s->recovery_report().summary();
    expect_every_key_found_once(*s, end);
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, UnreadableIndexFileIsRebuilt) {
  on_node(6, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 4);
    ASSERT_TRUE(s->close().ok());
    auto names = rt.fs().list("/store/index");
    ASSERT_TRUE(names.ok() && names->size() == 1u);
    auto f = open_file(rt, "/store/index/" + (*names)[0]);
    std::byte junk[40];
    std::fill(std::begin(junk), std::end(junk), std::byte{0xff});
    ASSERT_TRUE(f->write_at(0, junk).ok());  // a header no store writes
    f.reset();
    s = open_ok(rt, small_config("/store"));
    EXPECT_TRUE(s->recovery_report().has(RecoveryRow::index_rebuilt));
    auto hits = s->query_by_key("T", "U-T-0-2", 4, 0, INT64_MAX);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 1u);
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, MissingCheckpointValidatesTheWholeLogAndRebuildsEveryQueue) {
  on_node(7, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 6);
    put_all(*s, "T", 1, 0, 4);
    ASSERT_TRUE(s->close().ok());
    ASSERT_TRUE(rt.fs().remove("/store/checkpoint").ok());
    s = open_ok(rt, small_config("/store"));
    const auto& rep = s->recovery_report();
    EXPECT_TRUE(rep.has(RecoveryRow::no_checkpoint)) << rep.summary();
    EXPECT_EQ(rep.scan_from, 0);
    EXPECT_EQ(rep.records_dispatched, 10);
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 6));
    EXPECT_EQ(bodies(*s, "T", 1), expected("T", 1, 0, 4));
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, LostSegmentsWithACheckpointThatSawDataRefuseToOpen) {
  on_node(8, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 3);
    ASSERT_TRUE(s->close().ok());
    ASSERT_TRUE(rt.fs().remove(kSegment0).ok());
    const std::string why = open_refusal(rt, small_config("/store"));
    EXPECT_NE(why.find("no segments"), std::string::npos) << why;
    EXPECT_NE(why.find("refusing"), std::string::npos) << why;
  });
}

TEST(RecoveryTable, BadSegmentLayoutsRefuseToOpenNamingTheSegment) {
  on_node(9, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 3);
    ASSERT_TRUE(s->close().ok());
    // Misaligned: a segment named by an offset that is not a multiple of the size.
    ASSERT_TRUE(rt.fs().rename(kSegment0, "/store/commitlog/00000000000000000100").ok());
    std::string why = open_refusal(rt, small_config("/store"));
    EXPECT_NE(why.find("00000000000000000100"), std::string::npos) << why;
    ASSERT_TRUE(rt.fs().rename("/store/commitlog/00000000000000000100", kSegment0).ok());
    // A gap: segment 2 without segment 1.
    ASSERT_TRUE(rt.fs().open("/store/commitlog/00000000000000131072", rt::OpenMode::create).ok());
    why = open_refusal(rt, small_config("/store"));
    EXPECT_NE(why.find("not contiguous"), std::string::npos) << why;
    ASSERT_TRUE(rt.fs().remove("/store/commitlog/00000000000000131072").ok());
    // Larger than the segment size (was the size changed?).
    StoreConfig smaller = small_config("/store");
    auto f = open_file(rt, kSegment0);
    std::vector<std::byte> fill(70 * 1024);
    ASSERT_TRUE(f->write_at(0, fill).ok());
    f.reset();
    why = open_refusal(rt, smaller);
    EXPECT_NE(why.find("more than the segment size"), std::string::npos) << why;
  });
}

TEST(RecoveryTable, TornTailIsCutAtTheLastWholeRecord) {
  on_node(10, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    put_all(*s, "T", 0, 0, 3);
    const int64_t end = s->written();
    ASSERT_TRUE(s->close().ok());
    // Half a record after the end, as a write cut by a power loss leaves it.
    auto f = open_file(rt, kSegment0);
    std::vector<std::byte> first(60);
    ASSERT_EQ(*f->read_at(0, first), first.size());
    ASSERT_TRUE(f->write_at(static_cast<uint64_t>(end), first).ok());
    f.reset();
    s = open_ok(rt, small_config("/store"));
    const auto& rep = s->recovery_report();
    EXPECT_TRUE(rep.has(RecoveryRow::torn_tail)) << rep.summary();
    EXPECT_EQ(rep.log_end, end);
    EXPECT_EQ(rep.truncated_bytes, 60);
    EXPECT_EQ(file_size(rt, kSegment0), static_cast<uint64_t>(end));
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 3));
    // The next put lands where the tail was cut.
    auto r = s->put(make_message("T", 0, "T-0-3"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.physical_offset, end);
    EXPECT_EQ(r.queue_offset, 3);
    ASSERT_TRUE(s->close().ok());
  });
}

// Flips one body byte of the second record and moves the checkpoint's
// dispatch position back so that recovery validates it: the record is below
// what the checkpoint says was synced.
int64_t corrupt_second_record(rt::Runtime& rt) {
  auto s = open_ok(rt, small_config("/store"));
  int64_t second = -1;
  for (int i = 0; i < 5; ++i) {
    auto r = s->put(make_message("T", 0, "T-0-" + std::to_string(i)));
    EXPECT_TRUE(r.ok());
    if (i == 1) second = r.physical_offset;
  }
  EXPECT_TRUE(s->wait_dispatched(5s).ok());
  auto rec = s->read_at(second);
  EXPECT_TRUE(rec.ok());
  // V1 layout: ... BODY, TOPICLEN (1), TOPIC, PROPERTIESLEN (2), PROPERTIES.
  const size_t body_at = rec->bytes.size() - rec->message.properties.size() - 2 - rec->message.topic.size() - 1 -
                         rec->message.body.size();
  EXPECT_TRUE(s->close().ok());
  rewrite_checkpoint(rt, [](CheckpointData& d) { d.dispatched_offset = 0; });
  auto f = open_file(rt, kSegment0);
  std::byte b[1];
  EXPECT_EQ(*f->read_at(static_cast<uint64_t>(second) + body_at, b), 1u);
  b[0] ^= std::byte{0x01};
  EXPECT_TRUE(f->write_at(static_cast<uint64_t>(second) + body_at, b).ok());
  return second;
}

TEST(RecoveryTable, CorruptionInSyncedDataRefusesToOpenNamingTheOffset) {
  on_node(11, [](rt::Runtime& rt) {
    const int64_t second = corrupt_second_record(rt);
    const std::string why = open_refusal(rt, small_config("/store"));
    EXPECT_NE(why.find("corrupt at offset " + std::to_string(second)), std::string::npos) << why;
    EXPECT_NE(why.find("truncateCorruptCommitLog"), std::string::npos) << why;
    // Refusing changed nothing: the records after the damage are still there.
    EXPECT_GT(file_size(rt, kSegment0), static_cast<uint64_t>(second) * 3);
  });
}

TEST(RecoveryTable, CorruptionInSyncedDataIsCutWhenAllowedAndTheLossReported) {
  on_node(12, [](rt::Runtime& rt) {
    const int64_t second = corrupt_second_record(rt);
    StoreConfig cfg = small_config("/store");
    cfg.truncate_corrupt_commit_log = true;
    auto s = open_ok(rt, cfg);
    const auto& rep = s->recovery_report();
    EXPECT_TRUE(rep.has(RecoveryRow::corrupt_durable)) << rep.summary();
    EXPECT_EQ(rep.log_end, second);
    EXPECT_GT(rep.truncated_bytes, 0);
    EXPECT_NE(rep.problem.find("CRC"), std::string::npos) << rep.problem;
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 1));
    ASSERT_TRUE(s->close().ok());
  });
}

// checkCRCOnRecover=false lets a damaged body through recovery; a read
// then checks it, reads it again with care, and skips it as damaged on
// disk. It was served as it was, and a client (which checks the CRC) asked
// for it again for ever.
TEST(RecoveryTable, WithoutTheCrcCheckOnRecoveryADamagedBodyIsSkippedOnReadNotServed) {
  on_node(14, [](rt::Runtime& rt) {
    corrupt_second_record(rt);
    StoreConfig cfg = small_config("/store");
    cfg.check_crc_on_recover = false;
    auto s = open_ok(rt, cfg);
    EXPECT_FALSE(s->recovery_report().has(RecoveryRow::corrupt_durable)) << s->recovery_report().summary();
    auto g = s->get("T", 0, 0, 32, 1 << 20, {}, Transfer::heap);
    ASSERT_EQ(g.status, GetStatus::found);
    std::vector<int64_t> offsets;
    for (const auto& item : g.items) offsets.push_back(item.queue_offset);
    EXPECT_EQ(offsets, (std::vector<int64_t>{0, 2, 3, 4}));
    EXPECT_EQ(g.next_begin_offset, 5);
    std::span<const std::byte> data(g.data);
    for (size_t n = 0; n < g.items.size(); ++n) {
      auto d = common::decode_stored(data);  // the CRC checked, as a client does
      ASSERT_EQ(d.status, common::RecordStatus::ok) << d.problem;
      EXPECT_EQ(rmq::test::string_of(d.message->body), "T-0-" + std::to_string(offsets[n]));
      data = data.subspan(d.size);
    }
    // A lookup by offset refuses it too.
    EXPECT_FALSE(s->read_unit((*s->units("T", 0, 1, 1))[0]).ok());
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(RecoveryTable, QueueThatDoesNotLineUpWithTheLogIsRebuiltFromIt) {
  on_node(13, [](rt::Runtime& rt) {
    const StoreConfig cfg = no_periodic_checkpoint();
    crash_after_the_checkpoint(rt, cfg);
    // The queue lost units below the checkpoint too (two of ten are left).
    auto f = open_file(rt, "/store/consumequeue/T/0/00000000000000000000");
    ASSERT_TRUE(f->truncate(2 * 20).ok());
    f.reset();
    auto s = open_ok(rt, cfg);
    EXPECT_TRUE(s->recovery_report().has(RecoveryRow::queues_rebuilt)) << s->recovery_report().summary();
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 10));
    ASSERT_TRUE(s->close().ok());
  });
}

// ---- regressions ------------------------------------------------------------

common::StoredMessage sized_message(const std::string& topic, size_t body_bytes) {
  common::StoredMessage m;
  m.topic = topic;
  m.body.assign(body_bytes, std::byte{'z'});
  m.born_timestamp = 1700000000000;
  m.born_host = *common::parse_host_port4("10.0.0.1:50000");
  return m;
}

// Fills segment 0 so that exactly `left` bytes remain, then returns.
void fill_segment_leaving(MessageStore& s, int64_t left) {
  auto first = s.put(sized_message("F", 100));
  ASSERT_TRUE(first.ok());
  const int64_t overhead = first.bytes - 100;
  while (65536 - s.appended() - left > 12'000) ASSERT_TRUE(s.put(sized_message("F", 10'000)).ok());
  const int64_t last = 65536 - s.appended() - left - overhead;
  ASSERT_GT(last, 0);
  ASSERT_TRUE(s.put(sized_message("F", static_cast<size_t>(last))).ok());
  ASSERT_EQ(65536 - s.appended(), left);
}

TEST(StoreRegression, ABlankRecordOfExactlyItsHeaderClosesTheSegment) {
  on_node(14, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    fill_segment_leaving(*s, kBlankRecordBytes);
    auto r = s->put(make_message("T", 0, "T-0-0"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.physical_offset, 65536);
    ASSERT_TRUE(s->wait_dispatched(5s).ok());
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 1));
    EXPECT_EQ(file_size(rt, kSegment0), 65536u);
    s.reset();  // crash: recovery walks across the 8-byte blank
    s = open_ok(rt, small_config("/store"));
    EXPECT_EQ(s->recovery_report().log_end, r.physical_offset + r.bytes);
    EXPECT_EQ(bodies(*s, "T", 0), expected("T", 0, 0, 1));
    ASSERT_TRUE(s->close().ok());
  });
}

TEST(StoreRegression, ACheckpointAtTheEndOfABlankClosedLastSegmentKeepsThatEnd) {
  on_node(15, [](rt::Runtime& rt) {
    auto s = open_ok(rt, small_config("/store"));
    fill_segment_leaving(*s, 500);
    auto r = s->put(sized_message("G", 1000));  // does not fit: blank, then segment 1
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.physical_offset, 65536);
    ASSERT_TRUE(s->close().ok());
    // As a power loss leaves it when segment 1's data never reached the disk
    // but the checkpoint had seen segment 0 close.
    ASSERT_TRUE(rt.fs().remove(kSegment1).ok());
    ASSERT_TRUE(rt.fs().remove("/store/consumequeue/G/0/00000000000000000000").ok());
    rewrite_checkpoint(rt, [](CheckpointData& d) { d.dispatched_offset = d.flushed_offset = 65536; });
    for (int round = 0; round < 2; ++round) {
      s = open_ok(rt, small_config("/store"));
      EXPECT_EQ(s->recovery_report().log_end, 65536) << s->recovery_report().summary();
      EXPECT_EQ(s->written(), 65536);
      ASSERT_TRUE(s->close().ok());
    }
    s = open_ok(rt, small_config("/store"));
    auto again = s->put(make_message("T", 0, "T-0-0"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.physical_offset, 65536);
    ASSERT_TRUE(s->close().ok());
  });
}

}  // namespace
}  // namespace rmq::store

namespace rmq::store {
namespace {

// A store's first start creates its directories; a power loss right after
// an acknowledged SYNC_FLUSH put must not take them (and the message)
// away: every directory entry up to the root is synced.
TEST(StoreRegression, AFreshStoreInNewDirectoriesKeepsAnAcknowledgedMessageThroughAPowerLoss) {
  int64_t max_after = -1;
  bool put_ok = false;
  int boot = 0;
  StoreConfig cfg = test::small_config("/var/lib/rmq/store");
  cfg.flush_disk_type = FlushDiskType::sync_flush;
  sim::Simulation sim(17);
  auto& node = sim.add_node("broker", [&](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok()) << st.error().message();
    if (++boot == 1) {
      put_ok = (*st)->put(test::make_message("T", 0, "acked")).ok();
    } else {
      max_after = (*st)->max_offset("T", 0);
    }
    rt.sleep_for(1h);  // the power goes first
  });
  sim.start_all();
  ASSERT_TRUE(sim.run_until([&] { return put_ok; }, 5s));
  sim.power_loss(node.id());
  sim.start(node.id());
  sim.run_for(5s);
  EXPECT_EQ(boot, 2);
  EXPECT_EQ(max_after, 1);
}

TEST(StoreRegression, ConsumeQueuesSurviveAPowerLossAfterTheCheckpointSawThem) {
  // Every queue comes back whole, from offset 0, after a power loss that
  // follows a checkpoint (the broker-power-loss scenario once found queues
  // restarted mid-way: the consumequeue/ entry itself was never synced).
  std::optional<int64_t> min_after, max_after;
  int boot = 0;
  StoreConfig cfg = test::small_config("/store");
  cfg.flush_interval_consume_queue = 200ms;
  sim::Simulation sim(16);
  auto& node = sim.add_node("broker", [&](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok()) << st.error().message();
    if (++boot == 1) {
      for (int i = 0; i < 5; ++i) ASSERT_TRUE((*st)->put(test::make_message("T", 0, "m" + std::to_string(i))).ok());
      rt.sleep_for(1h);  // checkpoints run; the power goes first
    }
    min_after = (*st)->min_offset("T", 0);
    max_after = (*st)->max_offset("T", 0);
    rt.sleep_for(1h);
  });
  sim.start_all();
  sim.run_for(2s);
  sim.power_loss(node.id());
  sim.start(node.id());
  sim.run_until([&] { return max_after.has_value(); }, 1min);
  ASSERT_TRUE(max_after.has_value());
  EXPECT_EQ(*min_after, 0);
  EXPECT_EQ(*max_after, 5);
}

}  // namespace
}  // namespace rmq::store
