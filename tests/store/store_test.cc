// The store as the broker uses it: puts, reads with RocketMQ's statuses,
// lookups, segment rolling, flush policies, failures and retention. Runs in
// the simulator (a node with its own disk).
#include <gtest/gtest.h>

#include <set>

#include "common/big_endian.h"
#include "sim/simulation.h"
#include "tests/store/store_test_util.h"

namespace rmq::store {
namespace {

using namespace std::chrono_literals;
using test::body_text;
using test::decode_all;
using test::make_message;
using test::on_node;
using test::small_config;

TEST(Store, PutThenGetReturnsTheRecordsInQueueOrderWithOffsets) {
  on_node(1, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto& s = **st;
    EXPECT_TRUE(s.recovery_report().has(RecoveryRow::fresh));
    for (int i = 0; i < 10; ++i) {
      auto r = s.put(make_message("TopicA", i % 2, "a" + std::to_string(i), "TagA", "k" + std::to_string(i)));
      ASSERT_TRUE(r.ok()) << r.detail;
      EXPECT_EQ(r.queue_offset, i / 2);
      EXPECT_EQ(r.msg_id, common::offset_msg_id(*common::parse_host_port4("127.0.0.1:10911"), r.physical_offset));
    }
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    EXPECT_EQ(s.max_offset("TopicA", 0), 5);
    EXPECT_EQ(s.max_offset("TopicA", 1), 5);
    EXPECT_EQ(s.min_offset("TopicA", 0), 0);
    auto g = s.get("TopicA", 1, 1, 32, 1 << 20);
    ASSERT_EQ(g.status, GetStatus::found);
    EXPECT_EQ(g.next_begin_offset, 5);
    EXPECT_EQ(g.min_offset, 0);
    EXPECT_EQ(g.max_offset, 5);
    auto ms = decode_all(g);
    ASSERT_EQ(ms.size(), 4u);
    for (size_t i = 0; i < ms.size(); ++i) {
      EXPECT_EQ(body_text(ms[i]), "a" + std::to_string(3 + 2 * i));
      EXPECT_EQ(ms[i].queue_offset, static_cast<int64_t>(1 + i));
      EXPECT_EQ(ms[i].queue_id, 1);
      EXPECT_EQ(ms[i].store_host, *common::parse_host_port4("127.0.0.1:10911"));
      EXPECT_EQ(g.items[i].physical_offset, ms[i].physical_offset);
    }
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, GetStatusesFollowRocketMq) {
  on_node(2, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    EXPECT_EQ(s.get("Nope", 0, 0, 32, 1 << 20).status, GetStatus::no_matched_logic_queue);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.put(make_message("T", 0, "m" + std::to_string(i))).ok());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    auto one = s.get("T", 0, 3, 32, 1 << 20);
    EXPECT_EQ(one.status, GetStatus::offset_overflow_one);
    EXPECT_EQ(one.next_begin_offset, 3);
    auto badly = s.get("T", 0, 99, 32, 1 << 20);
    EXPECT_EQ(badly.status, GetStatus::offset_overflow_badly);
    EXPECT_EQ(badly.next_begin_offset, 0);  // min offset 0 -> back to the start
    // Max count and max bytes: at least one message, then stop.
    auto two = s.get("T", 0, 0, 2, 1 << 20);
    EXPECT_EQ(two.items.size(), 2u);
    EXPECT_EQ(two.next_begin_offset, 2);
    auto tiny = s.get("T", 0, 0, 32, 1);
    EXPECT_EQ(tiny.items.size(), 1u);
    EXPECT_EQ(tiny.next_begin_offset, 1);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, TagFilterSkipsUnmatchedAndReportsNoMatchedMessage) {
  on_node(3, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(s.put(make_message("T", 0, std::to_string(i), i % 3 == 0 ? "A" : "B")).ok());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    const int64_t a = tags_code("A");
    auto g = s.get("T", 0, 0, 32, 1 << 20, [&](int64_t code) { return code == a; });
    ASSERT_EQ(g.status, GetStatus::found);
    auto ms = decode_all(g);
    ASSERT_EQ(ms.size(), 2u);
    EXPECT_EQ(body_text(ms[0]), "0");
    EXPECT_EQ(body_text(ms[1]), "3");
    EXPECT_EQ(g.next_begin_offset, 6);
    auto none = s.get("T", 0, 4, 32, 1 << 20, [&](int64_t code) { return code == a; });
    EXPECT_EQ(none.status, GetStatus::no_matched_message);
    EXPECT_EQ(none.next_begin_offset, 6);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, SegmentsRollWithBlankRecordsAndTwentyDigitNames) {
  on_node(4, [](rt::Runtime& rt) {
    auto cfg = small_config("/store");
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    const std::string body(3000, 'x');
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(s.put(make_message("T", i % 4, body)).ok());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    auto names = rt.fs().list("/store/commitlog");
    ASSERT_TRUE(names.ok());
    ASSERT_GE(names->size(), 3u);
    EXPECT_EQ((*names)[0], "00000000000000000000");
    EXPECT_EQ((*names)[1], "00000000000000065536");
    // The first segment ends with a blank record covering its rest.
    auto f = rt.fs().open("/store/commitlog/00000000000000000000", rt::OpenMode::existing);
    ASSERT_TRUE(f.ok());
    const uint64_t size = *(*f)->size();
    std::byte tail[8];
    ASSERT_EQ(*(*f)->read_at(size - 8, tail), 8u);
    EXPECT_EQ(common::get_i32(tail + 4), common::kBlankMagic);
    EXPECT_EQ(common::get_i32(tail), static_cast<int32_t>(65536 - (size - 8)));
    // Every message is readable across the segments.
    for (int q = 0; q < 4; ++q) {
      auto g = s.get("T", q, 0, 32, 1 << 20);
      EXPECT_EQ(decode_all(g).size(), 15u);
    }
    EXPECT_EQ(s.appended(), s.written());
    EXPECT_EQ(s.written(), s.synced());
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, LookupByOffsetMsgIdByKeyAndByTime) {
  on_node(5, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    std::vector<PutResult> puts;
    for (int i = 0; i < 20; ++i) {
      puts.push_back(s.put(make_message("T", 0, "b" + std::to_string(i), "", "order-" + std::to_string(i % 5) + " x")));
      ASSERT_TRUE(puts.back().ok());
      rt.sleep_for(1s);
    }
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    auto id = common::parse_offset_msg_id(puts[7].msg_id);
    ASSERT_TRUE(id.has_value());
    auto rec = s.read_at(id->commit_log_offset);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(body_text(rec->message), "b7");
    EXPECT_EQ(s.read_at(id->commit_log_offset + 1).code(), rt::Errc::not_found);
    auto hits = s.query_by_key("T", "order-2", 32, 0, INT64_MAX);
    ASSERT_TRUE(hits.ok());
    std::set<std::string> bodies;
    for (auto& h : *hits) bodies.insert(body_text(h.message));
    EXPECT_EQ(bodies, (std::set<std::string>{"b2", "b7", "b12", "b17"}));
    auto uniq = s.query_by_key("T", "U-b9", 32, 0, INT64_MAX);
    ASSERT_TRUE(uniq.ok());
    ASSERT_EQ(uniq->size(), 1u);
    EXPECT_EQ(body_text((*uniq)[0].message), "b9");
    EXPECT_TRUE(s.query_by_key("Other", "order-2", 32, 0, INT64_MAX)->empty());
    // Time range: only the puts stored within it.
    auto ranged = s.query_by_key("T", "order-2", 32, puts[7].store_timestamp, puts[12].store_timestamp);
    ASSERT_TRUE(ranged.ok());
    EXPECT_EQ(ranged->size(), 2u);
    auto off = s.offset_by_time("T", 0, puts[10].store_timestamp);
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(*off, 10);
    EXPECT_EQ(*s.offset_by_time("T", 0, 0), 0);
    EXPECT_EQ(*s.offset_by_time("T", 0, INT64_MAX), 20);
    EXPECT_EQ(*s.earliest_store_time("T", 0), puts[0].store_timestamp);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, BadMessagesAreRefusedWithAStatus) {
  on_node(6, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    EXPECT_EQ(s.put(make_message("", 0, "x")).status, PutStatus::message_illegal);
    EXPECT_EQ(s.put(make_message(std::string(128, 't'), 0, "x")).status, PutStatus::message_illegal);
    EXPECT_EQ(s.put(make_message("T", 0, std::string(16 * 1024 + 1, 'x'))).status, PutStatus::message_illegal);
    auto m = make_message("T", 0, "x");
    m.properties = std::string(40000, 'p');
    EXPECT_EQ(s.put(m).status, PutStatus::properties_size_exceeded);
    EXPECT_EQ(s.put(make_message("T", -1, "x")).status, PutStatus::message_illegal);
    EXPECT_EQ(s.put(make_message("T", kQueueIdMax + 1, "x")).status, PutStatus::message_illegal);
    // Topics become directory names: nothing that could leave the store.
    EXPECT_EQ(s.put(make_message("../T", 0, "x")).status, PutStatus::message_illegal);
    EXPECT_EQ(s.put(make_message("a/b", 0, "x")).status, PutStatus::message_illegal);
    EXPECT_TRUE(s.put(make_message("T", 0, "fine")).ok());
    ASSERT_TRUE(s.close().ok());
    EXPECT_EQ(s.put(make_message("T", 0, "late")).status, PutStatus::service_not_available);
  });
}

TEST(Store, BatchPutIsContiguous) {
  on_node(7, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    ASSERT_TRUE(s.put(make_message("T", 0, "first")).ok());
    std::vector<common::StoredMessage> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(make_message("T", 0, "batch" + std::to_string(i)));
    auto r = s.put_batch(batch);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.message_count, 5);
    EXPECT_EQ(r.queue_offset, 1);
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    EXPECT_EQ(s.max_offset("T", 0), 6);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, SyncFlushGroupCommitsConcurrentPuts) {
  // 64 putters at once: all acknowledged only once synced, with far fewer
  // syncs than puts.
  on_node(8, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    int ok = 0;
    std::vector<rt::Task> tasks;
    for (int i = 0; i < 64; ++i) {
      tasks.push_back(rt.spawn("putter", [&, i] {
        for (int j = 0; j < 5; ++j) {
          auto r = s.put(make_message("T", i % 4, std::to_string(i * 100 + j)));
          if (r.ok()) {
            ++ok;
            EXPECT_GE(s.synced(), r.physical_offset + r.bytes);
          }
        }
      }));
    }
    for (auto& t : tasks) ASSERT_TRUE(t.join().ok());
    EXPECT_EQ(ok, 320);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, FailedSyncIsNeverAcknowledgedAndStopsTheStore) {
  // With every sync failing, no SYNC_FLUSH put is acknowledged.
  sim::Simulation sim(10);
  bool done = false;
  auto& node = sim.add_node("broker", [&](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    ASSERT_TRUE(s.put(make_message("T", 0, "ok")).ok());
    rt.sleep_for(1s);  // the disk starts failing syncs here
    auto r = s.put(make_message("T", 0, "never-acked"));
    EXPECT_EQ(r.status, PutStatus::service_not_available) << r.detail;
    EXPECT_TRUE(s.failure().has_value());
    if (r.physical_offset >= 0) {
      EXPECT_LT(s.synced(), r.physical_offset + r.bytes);
    }
    // Later puts fail at once.
    EXPECT_EQ(s.put(make_message("T", 0, "after")).status, PutStatus::service_not_available);
    // Consumers never see the unsynced record.
    EXPECT_EQ(s.max_offset("T", 0), 1);
    done = true;
  });
  sim.start_all();
  sim.run_for(500ms);
  sim::DiskConfig failing;
  failing.sync_error_probability = 1.0;
  sim.set_disk_config(node.id(), failing);
  sim.run_until([&] { return done; }, 1min);
  EXPECT_TRUE(done);
}

TEST(Store, SyncFlushTimesOutAfterFiveSecondsOnAStalledDisk) {
  sim::Simulation sim(11);
  bool done = false;
  auto& node = sim.add_node("broker", [&](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store"));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    rt.sleep_for(1s);
    const auto t0 = rt.now();
    auto r = s.put(make_message("T", 0, "slow"));
    EXPECT_EQ(r.status, PutStatus::flush_disk_timeout) << r.detail;
    EXPECT_GE(rt.now() - t0, 5s);
    EXPECT_LT(rt.now() - t0, 6s);
    done = true;
  });
  sim.start_all();
  sim.run_for(500ms);
  sim::DiskConfig stalled;
  stalled.sync_stall_probability = 1.0;
  stalled.sync_stall = 20s;
  sim.set_disk_config(node.id(), stalled);
  sim.run_until([&] { return done; }, 1min);
  EXPECT_TRUE(done);
}

TEST(Store, AsyncFlushAcknowledgesWhenWrittenAndSyncsPeriodically) {
  on_node(12, [](rt::Runtime& rt) {
    auto st = MessageStore::open(rt, small_config("/store", FlushDiskType::async_flush));
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    auto r = s.put(make_message("T", 0, "a"));
    ASSERT_TRUE(r.ok());
    EXPECT_GE(s.written(), r.physical_offset + r.bytes);
    rt.sleep_for(600ms);
    EXPECT_EQ(s.synced(), s.written());
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, RetentionRemovesExpiredSegmentsAndCorrectsMinOffsets) {
  on_node(13, [](rt::Runtime& rt) {
    auto cfg = small_config("/store");
    cfg.file_reserved_hours = 1;
    cfg.delete_when = "";  // only by force or disk ratio
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    const std::string body(3000, 'x');
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(s.put(make_message("T", 0, body)).ok());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    const auto before = s.commit_log_min_offset();
    auto removed = s.clean_expired(false);
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 0);  // not the delete hour, disk not full
    removed = s.clean_expired(true);
    ASSERT_TRUE(removed.ok());
    EXPECT_GE(*removed, 1);
    EXPECT_GT(s.commit_log_min_offset(), before);
    const int64_t min = s.min_offset("T", 0);
    EXPECT_GT(min, 0);
    auto small = s.get("T", 0, 0, 32, 1 << 20);
    EXPECT_EQ(small.status, GetStatus::offset_too_small);
    EXPECT_EQ(small.next_begin_offset, min);
    auto g = s.get("T", 0, min, 32, 1 << 20);
    EXPECT_EQ(g.status, GetStatus::found);
    EXPECT_EQ(s.max_offset("T", 0), 60);
    // The segment being appended to is never removed.
    EXPECT_FALSE(rt.fs().list("/store/commitlog")->empty());
    ASSERT_TRUE(s.close().ok());
    // Min and max survive a restart.
    auto again = MessageStore::open(rt, cfg);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)->min_offset("T", 0), min);
    EXPECT_EQ((*again)->max_offset("T", 0), 60);
    auto r = (*again)->put(make_message("T", 0, "next"));
    EXPECT_EQ(r.queue_offset, 60);
    ASSERT_TRUE((*again)->close().ok());
  });
}

TEST(Store, ExpiredSegmentsGoAtTheDeleteHour) {
  on_node(14, [](rt::Runtime& rt) {
    auto cfg = small_config("/store");
    cfg.file_reserved_hours = 1;
    // Every hour is a delete hour.
    cfg.delete_when = "00;01;02;03;04;05;06;07;08;09;10;11;12;13;14;15;16;17;18;19;20;21;22;23";
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    const std::string body(3000, 'x');
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(s.put(make_message("T", 0, body)).ok());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    EXPECT_EQ(*s.clean_expired(false), 0);  // younger than an hour
    rt.sleep_for(std::chrono::minutes(61));
    // The cleaner task ran meanwhile.
    EXPECT_GT(s.commit_log_min_offset(), 0);
    ASSERT_TRUE(s.close().ok());
  });
}

TEST(Store, FullDiskRefusesPutsWithAClearStatus) {
  sim::DiskConfig disk;
  disk.capacity_bytes = 2 * 1024 * 1024;
  on_node(15, [](rt::Runtime& rt) {
    auto cfg = small_config("/store");
    cfg.clean_interval = 100ms;
    cfg.delete_when = "";
    cfg.disk_max_used_space_ratio = 99;
    cfg.disk_clean_forcibly_ratio = 99;
    cfg.disk_full_ratio = 50;
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    const std::string body(8000, 'x');
    PutResult last;
    for (int i = 0; i < 400; ++i) {
      last = s.put(make_message("T", 0, body));
      if (!last.ok()) break;
      rt.sleep_for(10ms);
    }
    EXPECT_EQ(last.status, PutStatus::service_not_available);
    EXPECT_NE(last.detail.find("disk full"), std::string::npos) << last.detail;
    EXPECT_TRUE(s.disk_full());
    EXPECT_FALSE(s.failure().has_value());
  }, disk);
}

TEST(Store, AFullDiskRefusesPutsAndTheStoreWritesAgainOnceThereIsRoom) {
  // ENOSPC mid-run (another process filled the disk), then room again: the
  // store neither fails for good nor loses the put it was writing.
  sim::DiskConfig disk;
  disk.capacity_bytes = 8 * 1024 * 1024;
  on_node(16, [](rt::Runtime& rt) {
    auto cfg = small_config("/store", FlushDiskType::async_flush);
    cfg.delete_when = "";
    auto st = MessageStore::open(rt, cfg);
    ASSERT_TRUE(st.ok());
    auto& s = **st;
    ASSERT_TRUE(s.put(make_message("T", 0, "before")).ok());
    // A ballast file takes every free byte (written until the disk says no).
    auto ballast = rt.fs().open("/ballast", rt::OpenMode::create);
    ASSERT_TRUE(ballast.ok());
    uint64_t filled = 0;
    for (size_t piece = 64 * 1024; piece >= 1;) {
      if ((*ballast)->write_at(filled, std::vector<std::byte>(piece)).ok()) filled += piece;
      else piece /= 2;
    }
    ASSERT_EQ(rt.fs().disk_usage("/store")->free_bytes, 0u);
    // A put now cannot be written: it waits; the ones after it are refused.
    PutResult during;
    bool during_done = false;
    rt::Task t = rt.spawn("put-during", [&] {
      during = s.put(make_message("T", 0, "during"));
      during_done = true;
    });
    rt.sleep_for(3s);
    EXPECT_FALSE(during_done);
    EXPECT_TRUE(s.disk_full());
    const PutResult refused = s.put(make_message("T", 0, "refused"));
    EXPECT_EQ(refused.status, PutStatus::service_not_available);
    EXPECT_NE(refused.detail.find("no space left"), std::string::npos) << refused.detail;
    EXPECT_FALSE(s.failure().has_value());
    // Room again: the waiting put is written, new ones are taken.
    ballast->reset();
    ASSERT_TRUE(rt.fs().remove("/ballast").ok());
    ASSERT_TRUE(t.join().ok());
    EXPECT_TRUE(during.ok()) << during.detail;
    EXPECT_TRUE(s.put(make_message("T", 0, "after")).ok());
    EXPECT_FALSE(s.disk_full());
    EXPECT_FALSE(s.failure().has_value());
    ASSERT_TRUE(s.wait_dispatched(5s).ok());
    auto g = s.get("T", 0, 0, 32, 1 << 20);
    ASSERT_EQ(g.status, GetStatus::found);
    std::vector<std::string> bodies;
    for (const auto& m : decode_all(g)) bodies.push_back(body_text(m));
    EXPECT_EQ(bodies, (std::vector<std::string>{"before", "during", "after"}));
    ASSERT_TRUE(s.close().ok());
  }, disk);
}

}  // namespace
}  // namespace rmq::store
