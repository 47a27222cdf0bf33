// The recovery decision (store/recovery.h) row by row, as a pure function of
// what recovery finds: segment layout, checkpoint, abort file, and where the
// scan of the log stopped. recovery_test.cc reaches the same rows through
// real files; this names each input that picks a row.
#include <gtest/gtest.h>

#include "store/recovery.h"

namespace rmq::store {
namespace {

constexpr int64_t kSegment = 65536;

// A log of two segments, data up to 70000, checkpoint at 66000/65600.
RecoveryInputs two_segments() {
  RecoveryInputs in;
  in.has_segments = true;
  in.log_min = 0;
  in.data_end = 70000;
  in.last_segment_end = 2 * kSegment;
  in.checkpoint_valid = true;
  in.checkpoint_flushed = 66000;
  in.checkpoint_dispatched = 65600;
  return in;
}

TEST(RecoveryDecision, BadLayoutRefusesWhateverElseIsFound) {
  RecoveryInputs in = two_segments();
  in.layout_ok = false;
  const RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.rows, std::vector<RecoveryRow>{RecoveryRow::bad_layout});
  EXPECT_TRUE(s.refuse);
}

TEST(RecoveryDecision, NoSegmentsAndNoSyncedDataIsAFreshStore) {
  RecoveryInputs in;
  EXPECT_EQ(recovery_start(in).rows, std::vector<RecoveryRow>{RecoveryRow::fresh});
  EXPECT_FALSE(recovery_start(in).refuse);
  in.checkpoint_valid = true;  // a checkpoint written before anything was synced
  in.abort_file = true;        // and a crash then
  EXPECT_EQ(recovery_start(in).rows, std::vector<RecoveryRow>{RecoveryRow::fresh});
  EXPECT_FALSE(recovery_start(in).refuse);
  EXPECT_FALSE(recovery_start(in).rebuild_queues);
}

TEST(RecoveryDecision, NoSegmentsWhereTheCheckpointSawSyncedBytesRefuses) {
  RecoveryInputs in;
  in.checkpoint_valid = true;
  in.checkpoint_flushed = 1;
  const RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.rows, std::vector<RecoveryRow>{RecoveryRow::segments_lost});
  EXPECT_TRUE(s.refuse);
}

TEST(RecoveryDecision, CleanShutdownAndCrashStartAtTheCheckpoint) {
  RecoveryInputs in = two_segments();
  RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.rows, std::vector<RecoveryRow>{RecoveryRow::clean_shutdown});
  EXPECT_EQ(s.scan_from, 65600);
  EXPECT_EQ(s.trusted, 66000);
  EXPECT_FALSE(s.rebuild_queues);
  EXPECT_FALSE(s.refuse);
  in.abort_file = true;
  s = recovery_start(in);
  EXPECT_EQ(s.rows, std::vector<RecoveryRow>{RecoveryRow::crash});
  EXPECT_EQ(s.scan_from, 65600);
  EXPECT_EQ(s.trusted, 66000);
}

TEST(RecoveryDecision, NoCheckpointValidatesEverythingAndRebuildsTheQueues) {
  RecoveryInputs in = two_segments();
  in.checkpoint_valid = false;
  in.abort_file = true;
  const RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.rows, std::vector<RecoveryRow>{RecoveryRow::no_checkpoint});
  EXPECT_EQ(s.scan_from, 0);
  EXPECT_EQ(s.trusted, 0);  // nothing is known synced: a bad record anywhere is a torn tail
  EXPECT_TRUE(s.rebuild_queues);
}

TEST(RecoveryDecision, ACheckpointOutsideTheLogIsClampedIntoIt) {
  RecoveryInputs in = two_segments();
  in.log_min = kSegment;  // retention removed the first segment since
  in.checkpoint_dispatched = 100;
  in.checkpoint_flushed = 200;
  RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.scan_from, kSegment);
  EXPECT_EQ(s.trusted, kSegment);  // never below where the scan starts
  in = two_segments();
  in.checkpoint_dispatched = 90000;  // the log lost its tail (page cache never written)
  in.checkpoint_flushed = 90000;
  s = recovery_start(in);
  EXPECT_EQ(s.scan_from, 70000);
  EXPECT_EQ(s.trusted, 90000);  // what was synced and is gone below 90000 is corruption, not a torn tail
}

TEST(RecoveryDecision, ACheckpointAtTheEndOfAClosedLastSegmentStaysThere) {
  RecoveryInputs in = two_segments();
  in.data_end = 2 * kSegment - 100;  // the blank record's header, not its zeros
  in.checkpoint_dispatched = 2 * kSegment;
  in.checkpoint_flushed = 2 * kSegment;
  const RecoveryStart s = recovery_start(in);
  EXPECT_EQ(s.scan_from, 2 * kSegment);
  EXPECT_EQ(s.trusted, 2 * kSegment);
}

TEST(RecoveryDecision, WhereTheScanStopsPicksTornTailOrCorruption) {
  EXPECT_EQ(recovery_end(true, 70000, 66000), std::nullopt);
  EXPECT_EQ(recovery_end(false, 66000, 66000), RecoveryRow::torn_tail);  // at `flushed`: may have been in flight
  EXPECT_EQ(recovery_end(false, 69000, 66000), RecoveryRow::torn_tail);
  EXPECT_EQ(recovery_end(false, 65999, 66000), RecoveryRow::corrupt_durable);
  EXPECT_EQ(recovery_end(false, 0, 0), RecoveryRow::torn_tail);  // no checkpoint: nothing trusted
}

// What CommitLog::open_segments guarantees of a layout it accepts cannot be
// otherwise: a decision over such inputs stops rather than guesses.
TEST(RecoveryDecision, ImpossibleInputsStopTheDecision) {
  RecoveryInputs backwards = two_segments();
  backwards.log_min = 80000;  // past the end of the data
  EXPECT_DEATH((void)recovery_start(backwards), "log_min <= in.data_end");
  RecoveryInputs overlong = two_segments();
  overlong.data_end = 3 * kSegment;  // data past the last segment's end
  EXPECT_DEATH((void)recovery_start(overlong), "data_end <= in.last_segment_end");
}

// The index files, one by one in name order, against checkpoint.dispatched
// (here 65600): the rows index_truncated and index_rebuilt.
TEST(RecoveryDecision, EachIndexFileIsKeptCutRebuiltOrRemoved) {
  constexpr int64_t kDispatched = 65600;
  auto action = [](IndexFileFound f, bool after_cut = false) { return index_file_action(f, kDispatched, after_cut); };
  // Complete before the checkpoint: kept, no row.
  EXPECT_EQ(action({true, 0, kDispatched - 1}), IndexFileAction::keep);
  EXPECT_EQ(row_of(IndexFileAction::keep), std::nullopt);
  // Reaching the checkpoint from before it: cut there.
  EXPECT_EQ(action({true, 0, kDispatched}), IndexFileAction::truncate);
  EXPECT_EQ(action({true, kDispatched - 1, 90000}), IndexFileAction::truncate);
  EXPECT_EQ(row_of(IndexFileAction::truncate), RecoveryRow::index_truncated);
  // Wholly past it, or unreadable: deleted and indexed again.
  EXPECT_EQ(action({true, kDispatched, 90000}), IndexFileAction::rebuild);
  EXPECT_EQ(action({}), IndexFileAction::rebuild);
  EXPECT_EQ(row_of(IndexFileAction::rebuild), RecoveryRow::index_rebuilt);
  // After a cut or rebuilt file every later one goes, whatever it holds.
  EXPECT_EQ(action({true, 0, 10}, /*after_cut=*/true), IndexFileAction::remove);
  EXPECT_EQ(action({}, /*after_cut=*/true), IndexFileAction::remove);
  EXPECT_EQ(row_of(IndexFileAction::remove), std::nullopt);
}

TEST(RecoveryDecision, EveryRowHasANameAndAnAction) {
  for (const auto& info : kRecoveryTable) {
    EXPECT_EQ(to_string(info.row), info.name);
    EXPECT_FALSE(info.action.empty()) << info.name;
  }
}

}  // namespace
}  // namespace rmq::store
