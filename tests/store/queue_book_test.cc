// The store's queue and index bookkeeping on its own (store/queue_book.h):
// offsets handed to puts, records turned into units and index entries, and
// what recovery and the dispatcher rely on.
#include <gtest/gtest.h>

#include "store/queue_book.h"
#include "tests/store/store_test_util.h"

namespace rmq::store {
namespace {

using test::make_message;
using test::on_node;
using test::small_config;

common::StoredMessage at(const std::string& topic, int32_t queue_id, int64_t queue_offset, const std::string& keys = "") {
  common::StoredMessage m = make_message(topic, queue_id, "b" + std::to_string(queue_offset), "TagA", keys);
  m.queue_offset = queue_offset;
  m.store_timestamp = 1700000000000 + queue_offset;
  return m;
}

TEST(QueueBook, EachQueueCountsItsOwnOffsetsForPuts) {
  on_node(1, [](rt::Runtime& rt) {
    const StoreConfig cfg = small_config("/store");
    QueueBook book(rt, cfg);
    EXPECT_EQ(book.take_queue_offset("T", 0), 0);
    EXPECT_EQ(book.take_queue_offset("T", 0), 1);
    EXPECT_EQ(book.take_queue_offset("T", 1), 0);
    EXPECT_EQ(book.take_queue_offset("U", 0), 0);
    book.forget_queue_offset("T", 0);
    EXPECT_EQ(book.take_queue_offset("T", 0), 0);  // a deleted topic starts again
  });
}

TEST(QueueBook, LiveUnitsMustFollowEachOtherAndRecoveryRaisesTheNextOffset) {
  on_node(2, [](rt::Runtime& rt) {
    const StoreConfig cfg = small_config("/store");
    QueueBook book(rt, cfg);
    using Mode = QueueBook::DispatchMode;
    EXPECT_TRUE(book.dispatch_record(at("T", 0, 0), 0, 100, Mode::live));
    EXPECT_TRUE(book.dispatch_record(at("T", 0, 1), 100, 100, Mode::live));
    EXPECT_FALSE(book.dispatch_record(at("T", 0, 3), 200, 100, Mode::live));  // a gap
    EXPECT_EQ(book.find_queue("T", 0)->appended_offset(), 2);
    EXPECT_EQ(book.find_queue("T", 1), nullptr);
    // Recovery may start an empty queue anywhere (its first records aged out).
    EXPECT_TRUE(book.dispatch_record(at("T", 1, 7), 300, 100, Mode::recovery_queues_and_index));
    EXPECT_EQ(book.take_grown(), (std::map<std::pair<std::string, int32_t>, int64_t>{{{"T", 0}, 2}, {{"T", 1}, 8}}));
    EXPECT_TRUE(book.take_grown().empty());
    EXPECT_EQ(book.last_dispatched_timestamp(), 1700000000007);
    book.raise_queue_offsets();
    EXPECT_EQ(book.take_queue_offset("T", 1), 8);
    // Index-only dispatch touches no queue.
    EXPECT_TRUE(book.dispatch_record(at("V", 0, 0), 400, 100, Mode::index_only));
    EXPECT_EQ(book.find_queue("V", 0), nullptr);
  });
}

TEST(QueueBook, DispatchedUnitsAndKeysAreWrittenAndFoundInTheIndex) {
  on_node(3, [](rt::Runtime& rt) {
    StoreConfig cfg = small_config("/store");
    cfg.message_index_enable = true;
    ASSERT_TRUE(rt.fs().create_dirs("/store/index").ok());
    QueueBook book(rt, cfg);
    ASSERT_TRUE(book.dispatch_record(at("T", 0, 0, "k1 k2"), 0, 100, QueueBook::DispatchMode::live));
    ASSERT_TRUE(book.write_dispatched(/*all_index=*/true).ok());
    ASSERT_EQ(book.index_files().size(), 1u);
    EXPECT_FALSE(book.find_queue("T", 0)->has_pending());
    // UNIQ_KEY and both KEYS: three entries.
    EXPECT_EQ(book.index_files().front()->header().index_count, 1 + 3);
    ASSERT_TRUE(book.sync_all().ok());
  });
}

}  // namespace
}  // namespace rmq::store
