// scenarios/history: each checker against hand-made histories that break its
// rule (and one clean history that passes them all). Times are milliseconds
// from the start of a made-up run.
#include "scenarios/history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace rmq::scenarios::history {
namespace {

rt::Instant ms(int64_t n) { return rt::Instant(std::chrono::milliseconds(n)); }

QueueRef q(int32_t id, std::string topic = "T") { return {std::move(topic), "broker-a", id}; }

std::string key_of(int n) { return "m" + std::to_string(n); }

// Builds a history one record at a time; messages are m<n>, their bodies
// "body-m<n>", their msgIds "id-m<n>".
struct Builder {
  History h;
  Builder() { h.end = ms(100'000); }

  Builder& group(const std::string& name, GroupKind kind, std::set<std::string> members,
                 bool orderly = false) {
    h.groups[name] = {.kind = kind, .topics = {"T"}, .members = std::move(members), .orderly = orderly};
    return *this;
  }
  // Acked at queue `queue`, `offset`; invoked at `t` and completed 1 ms later.
  Send& ack(int n, int32_t queue, int64_t offset, int64_t t) {
    h.sends.push_back({.key = key_of(n),
                       .queue = q(queue),
                       .outcome = SendOutcome::acked,
                       .queue_offset = offset,
                       .msg_id = "id-" + key_of(n),
                       .body_digest = "body-" + key_of(n),
                       .invoked = ms(t),
                       .completed = ms(t + 1),
                       .producer = "p1"});
    return h.sends.back();
  }
  Delivery& deliver(const std::string& group, const std::string& consumer, int n, QueueRef queue,
                    int64_t offset, int64_t t, int32_t reconsume_times = 0) {
    h.deliveries.push_back({.group = group,
                            .consumer = consumer,
                            .key = key_of(n),
                            .msg_id = "id-" + key_of(n),
                            .queue = std::move(queue),
                            .queue_offset = offset,
                            .body_digest = "body-" + key_of(n),
                            .reconsume_times = reconsume_times,
                            .at = ms(t)});
    return h.deliveries.back();
  }
  Builder& rebalance(const std::string& group, const std::string& consumer, int64_t t,
                     std::set<QueueRef> owned) {
    h.rebalances.push_back({.group = group, .consumer = consumer, .at = ms(t), .owned = std::move(owned)});
    return *this;
  }
};

// Two queues, m0..m3 (m0, m2 on queue 0; m1, m3 on queue 1), a clustering
// group CG (c1 owns queue 0, c2 queue 1) and a broadcasting group BG (b1, b2).
Builder clean() {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1", "c2"}, /*orderly=*/true);
  b.group("BG", GroupKind::broadcasting, {"b1", "b2"});
  b.rebalance("CG", "c1", 0, {q(0)}).rebalance("CG", "c2", 0, {q(1)});
  b.rebalance("BG", "b1", 0, {q(0), q(1)}).rebalance("BG", "b2", 0, {q(0), q(1)});
  for (int n = 0; n < 4; ++n) b.ack(n, n % 2, n / 2, 10 + 10 * n);
  for (int n = 0; n < 4; ++n) {
    const int64_t t = 100 + 10 * n;
    b.deliver("CG", n % 2 == 0 ? "c1" : "c2", n, q(n % 2), n / 2, t);
    b.deliver("BG", "b1", n, q(n % 2), n / 2, t + 1);
    b.deliver("BG", "b2", n, q(n % 2), n / 2, t + 2);
  }
  b.h.healed_at = ms(5);
  return b;
}

// The only violation in `v`; it must be of kind `k`.
Violation only(const std::vector<Violation>& v, ViolationKind k) {
  EXPECT_EQ(v.size(), 1u);
  for (const auto& x : v) EXPECT_EQ(x.kind, k) << to_string(x.kind) << ": " << x.description;
  return v.empty() ? Violation{} : v.front();
}

#define EXPECT_NAMES(v, text)                              \
  EXPECT_NE((v).description.find(text), std::string::npos) \
      << "no \"" << (text) << "\" in: " << (v).description

TEST(History, CleanHistoryPassesEveryChecker) {
  const History h = clean().h;
  EXPECT_TRUE(check_lost_writes(h).empty());
  EXPECT_TRUE(check_unseen_after_heal(h).empty());
  EXPECT_TRUE(check_duplicates(h).empty());
  EXPECT_TRUE(check_offsets(h).empty());
  EXPECT_TRUE(check_queue_continuity(h).empty());
  EXPECT_TRUE(check_order(h).empty());
  EXPECT_TRUE(check_aborted_reads(h).empty());
  EXPECT_TRUE(check_phantoms(h).empty());
  EXPECT_TRUE(check_delays(h).empty());
  EXPECT_TRUE(check_well_formed(h).empty());
  const Summary s = check_all(h);
  EXPECT_TRUE(s.ok());
  for (const auto& [kind, n] : s.counts) EXPECT_EQ(n, 0) << to_string(kind);
  EXPECT_EQ(s.counts.size(), static_cast<size_t>(ViolationKind::malformed) + 1);
  const std::vector<std::string> lines = s.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "lost_write=0 unseen_after_heal=0 unexplained_duplicate=0 inconsistent_offset=0 poll_skip=0 "
            "non_monotonic=0 queue_order=0 key_order=0 aborted_read=0 phantom=0 corrupt=0 early_delivery=0 "
            "malformed=0");
  EXPECT_EQ(lines[1], "duplicates BG: retry=0 stored_twice=0 restart=0 rebalance=0 unexplained=0");
  EXPECT_EQ(lines[2], "duplicates CG: retry=0 stored_twice=0 restart=0 rebalance=0 unexplained=0");
}

// 1. Lost acknowledged writes.

TEST(History, LostWriteIsReportedForTheGroupThatNeverSawIt) {
  Builder b = clean();
  b.ack(4, 0, 2, 50);
  b.deliver("BG", "b1", 4, q(0), 2, 150);
  b.deliver("BG", "b2", 4, q(0), 2, 150);
  const Violation v = only(check_lost_writes(b.h), ViolationKind::lost_write);
  EXPECT_EQ(v.key, "m4");
  EXPECT_EQ(v.group, "CG");
  EXPECT_EQ(v.queue, q(0));
  EXPECT_EQ(v.queue_offset, 2);
  EXPECT_NAMES(v, "m4");
  EXPECT_NAMES(v, "T@broker-a:0 offset 2");
  EXPECT_NAMES(v, "group CG");
}

TEST(History, BroadcastingLostWriteNamesTheMemberThatMissedIt) {
  Builder b = clean();
  b.ack(4, 1, 2, 50);
  b.deliver("CG", "c2", 4, q(1), 2, 150);
  b.deliver("BG", "b1", 4, q(1), 2, 150);
  const Violation v = only(check_lost_writes(b.h), ViolationKind::lost_write);
  EXPECT_EQ(v.consumer, "b2");
  EXPECT_NAMES(v, "member b2 of broadcasting group BG");
  EXPECT_NAMES(v, "T@broker-a:1 offset 2");
}

TEST(History, UnknownAndFailedSendsNeedNotBeDelivered) {
  Builder b = clean();
  b.ack(4, 0, 2, 50).outcome = SendOutcome::unknown;
  b.ack(5, 0, 3, 60).outcome = SendOutcome::failed;
  EXPECT_TRUE(check_lost_writes(b.h).empty());
  EXPECT_TRUE(check_all(b.h).ok());
}

TEST(History, GroupNotSubscribedToTheTopicNeedNotSeeIt) {
  Builder b = clean();
  b.h.groups["OTHER"] = {.kind = GroupKind::clustering, .topics = {"U"}, .members = {"o1"}};
  EXPECT_TRUE(check_lost_writes(b.h).empty());
}

// 2. Unseen after heal.

TEST(History, UnseenAfterHealCountsOnlySendsInvokedAfterTheHeal) {
  Builder b = clean();
  b.h.healed_at = ms(60);
  b.ack(4, 0, 2, 55);  // sent under faults, then lost
  b.ack(5, 0, 3, 65);  // sent after the heal, then lost
  const auto lost = check_lost_writes(b.h);
  EXPECT_EQ(lost.size(), 6u);  // m4 and m5, each to CG, b1 and b2
  const Summary s = check_all(b.h);
  EXPECT_EQ(s.count(ViolationKind::unseen_after_heal), 3);  // m5 to CG, b1, b2
  const auto unseen = check_unseen_after_heal(b.h);
  ASSERT_EQ(unseen.size(), 3u);
  for (const auto& v : unseen) {
    EXPECT_EQ(v.kind, ViolationKind::unseen_after_heal);
    EXPECT_EQ(v.key, "m5");
    EXPECT_NAMES(v, "T@broker-a:0 offset 3");
    EXPECT_NAMES(v, "after the heal");
  }
}

TEST(History, UnseenAfterHealNeedsAHeal) {
  Builder b = clean();
  b.h.healed_at.reset();
  b.ack(4, 0, 2, 55);
  EXPECT_FALSE(check_lost_writes(b.h).empty());
  EXPECT_TRUE(check_unseen_after_heal(b.h).empty());
}

// 3. Duplicates.

TEST(History, RetriedDeliveryIsAnExplainedDuplicate) {
  Builder b = clean();
  b.deliver("CG", "c1", 0, q(0, "%RETRY%CG"), 0, 500, /*reconsume_times=*/1);
  EXPECT_TRUE(check_duplicates(b.h).empty());
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::retry), 1);
  EXPECT_TRUE(check_all(b.h).ok());
}

TEST(History, RedeliveryAfterARebalanceIsAttributedToTheRebalance) {
  Builder b = clean();
  b.rebalance("CG", "c1", 300, {}).rebalance("CG", "c2", 300, {q(0), q(1)});
  b.deliver("CG", "c2", 2, q(0), 1, 310);  // from c1's last committed offset
  const DuplicateCounts counts = count_duplicates(b.h);
  EXPECT_EQ(counts.at("CG").at(DuplicateCause::rebalance), 1);
  EXPECT_EQ(counts.at("CG").at(DuplicateCause::unexplained), 0);
  EXPECT_TRUE(check_all(b.h).ok());
}

TEST(History, DeliveryInFlightAfterLosingTheQueueExplainsTheRedelivery) {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1", "c2"});
  b.rebalance("CG", "c1", 0, {q(0)});
  b.ack(0, 0, 0, 10);
  b.rebalance("CG", "c2", 20, {q(0)}).rebalance("CG", "c1", 25, {});
  b.deliver("CG", "c1", 0, q(0), 0, 30);  // pulled before 25, handed over after
  b.deliver("CG", "c2", 0, q(0), 0, 40);
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::rebalance), 1);
  EXPECT_TRUE(check_duplicates(b.h).empty());
}

TEST(History, TwoMembersOwningAQueueAtOnceExplainTheirDuplicates) {
  // c2 took the queue first, c1 later, and neither gave it up (their views
  // of the group disagreed): both deliver offset 0.
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1", "c2"});
  b.ack(0, 0, 0, 10);
  b.rebalance("CG", "c2", 20, {q(0)}).rebalance("CG", "c1", 25, {q(0)});
  b.deliver("CG", "c1", 0, q(0), 0, 30);
  b.deliver("CG", "c2", 0, q(0), 0, 31);
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::rebalance), 1);
  EXPECT_TRUE(check_duplicates(b.h).empty());
}

TEST(History, RedeliveryAfterAConsumerRestartIsAttributedToTheRestart) {
  Builder b = clean();
  b.h.restarts.push_back({.consumer = "c1", .at = ms(300)});
  b.rebalance("CG", "c1", 301, {q(0)});
  b.deliver("CG", "c1", 2, q(0), 1, 310);
  const DuplicateCounts counts = count_duplicates(b.h);
  EXPECT_EQ(counts.at("CG").at(DuplicateCause::restart), 1);
  EXPECT_TRUE(check_all(b.h).ok());
}

TEST(History, SecondStoredCopyIsCountedAsStoredTwice) {
  Builder b = clean();
  // The producer's first attempt was stored at queue 1 offset 2, its reply
  // lost; the retry was acked at queue 0 offset 2.
  b.ack(4, 0, 2, 50);
  b.deliver("CG", "c2", 4, q(1), 2, 150);
  b.deliver("CG", "c1", 4, q(0), 2, 151);
  b.deliver("BG", "b1", 4, q(0), 2, 152);
  b.deliver("BG", "b2", 4, q(0), 2, 152);
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::stored_twice), 1);
  EXPECT_TRUE(check_duplicates(b.h).empty());
}

TEST(History, UnexplainedDuplicateIsReportedWithItsConsumerAndOffset) {
  Builder b = clean();
  b.deliver("CG", "c1", 0, q(0), 0, 500);  // c1 owned queue 0 all along
  const Violation v = only(check_duplicates(b.h), ViolationKind::unexplained_duplicate);
  EXPECT_EQ(v.key, "m0");
  EXPECT_EQ(v.consumer, "c1");
  EXPECT_NAMES(v, "m0");
  EXPECT_NAMES(v, "consumer c1");
  EXPECT_NAMES(v, "T@broker-a:0 offset 0");
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::unexplained), 1);
}

TEST(History, BroadcastingDuplicatesAreCountedPerMember) {
  Builder b = clean();  // every BG message already reached both b1 and b2
  EXPECT_EQ(count_duplicates(b.h).at("BG").at(DuplicateCause::unexplained), 0);
  b.deliver("BG", "b2", 1, q(1), 0, 500);
  const Violation v = only(check_duplicates(b.h), ViolationKind::unexplained_duplicate);
  EXPECT_EQ(v.consumer, "b2");
  EXPECT_NAMES(v, "member b2 of broadcasting group BG");
  EXPECT_NAMES(v, "T@broker-a:1 offset 0");
}

// 4. Inconsistent offsets.

TEST(History, OnePositionDeliveredAsTwoMessagesIsInconsistent) {
  Builder b = clean();
  b.deliver("CG", "c2", 9, q(1), 1, 500).key = "m9";
  const auto v = check_offsets(b.h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, ViolationKind::inconsistent_offset);
  EXPECT_EQ(v[0].queue, q(1));
  EXPECT_EQ(v[0].queue_offset, 1);
  EXPECT_NAMES(v[0], "T@broker-a:1 offset 1 holds 2 different messages");
  EXPECT_NAMES(v[0], "m3");
  EXPECT_NAMES(v[0], "m9");
}

TEST(History, OneMsgIdAcknowledgedAtTwoPositionsIsInconsistent) {
  Builder b = clean();
  b.h.sends[3].msg_id = "id-m1";
  const Violation v = only(check_offsets(b.h), ViolationKind::inconsistent_offset);
  EXPECT_NAMES(v, "msgId id-m1 acknowledged at 2 positions");
  EXPECT_NAMES(v, "T@broker-a:1 offset 0 (message m1)");
  EXPECT_NAMES(v, "T@broker-a:1 offset 1 (message m3)");
}

TEST(History, MessageDeliveredOnlyFromAnotherPositionThanItsAckIsInconsistent) {
  Builder b = clean();
  b.h.sends[2].queue_offset = 7;  // the broker answered 7; m2 sits at offset 1
  const auto v = check_offsets(b.h);
  ASSERT_EQ(v.size(), 3u);  // CG, b1 and b2 all read it from offset 1
  for (const auto& x : v) {
    EXPECT_EQ(x.kind, ViolationKind::inconsistent_offset);
    EXPECT_NAMES(x, "m2 was acknowledged at T@broker-a:0 offset 7");
    EXPECT_NAMES(x, "from T@broker-a:0 offset 1");
  }
}

TEST(History, RetryQueueOffsetsDoNotClashWithTheOriginalQueue) {
  Builder b = clean();
  b.deliver("CG", "c2", 0, q(1, "%RETRY%CG"), 1, 500, 1);  // m0 retried; %RETRY%CG queue 1, offset 1
  EXPECT_TRUE(check_offsets(b.h).empty());
}

// 5. Poll skip and non-monotonic delivery.

TEST(History, PollSkipIsReportedWithTheSkippedOffsets) {
  Builder b = clean();
  for (int n = 4; n < 8; ++n) b.ack(n, 0, n - 2, 60 + n);  // queue 0 offsets 2..5
  b.deliver("CG", "c1", 4, q(0), 2, 200);
  b.deliver("CG", "c1", 7, q(0), 5, 201);  // 3 and 4 skipped
  const Violation v = only(check_queue_continuity(b.h), ViolationKind::poll_skip);
  EXPECT_EQ(v.consumer, "c1");
  EXPECT_EQ(v.queue, q(0));
  EXPECT_EQ(v.queue_offset, 3);
  EXPECT_NAMES(v, "consumer c1 of group CG skipped T@broker-a:0 offsets 3..4");
}

TEST(History, AGapAnotherMemberConsumedMeanwhileIsNoSkip) {
  // In a rebalance c2 owned queue 0 too for a while and consumed offsets 2
  // and 3; c1 resumed from c2's committed offset. Nothing was skipped.
  Builder b = clean();
  b.rebalance("CG", "c2", 150, {q(0), q(1)});
  for (int n = 4; n < 8; ++n) b.ack(n, 0, n - 2, 60 + n);  // queue 0 offsets 2..5
  b.deliver("CG", "c2", 4, q(0), 2, 200);
  b.deliver("CG", "c2", 5, q(0), 3, 201);
  b.deliver("CG", "c1", 6, q(0), 4, 210);  // c1: offset 1 and then 4
  b.deliver("CG", "c1", 7, q(0), 5, 211);
  EXPECT_TRUE(check_queue_continuity(b.h).empty());
  // Had c2 not owned the queue when it consumed them, they were skipped.
  History not_owned = b.h;
  not_owned.rebalances.pop_back();
  EXPECT_FALSE(check_queue_continuity(not_owned).empty());
  // Had c2 consumed only offset 2 (or 3 after c1 moved on), 3 was skipped.
  b.h.deliveries.erase(b.h.deliveries.end() - 3);
  b.deliver("CG", "c2", 5, q(0), 3, 300);
  const Violation v = only(check_queue_continuity(b.h), ViolationKind::poll_skip);
  EXPECT_EQ(v.consumer, "c1");
  EXPECT_NAMES(v, "skipped T@broker-a:0 offsets 2..3");
}

TEST(History, GoingBackWithoutARebalanceIsNonMonotonic) {
  Builder b = clean();
  b.deliver("CG", "c1", 0, q(0), 0, 500);
  const Violation v = only(check_queue_continuity(b.h), ViolationKind::non_monotonic);
  EXPECT_EQ(v.consumer, "c1");
  EXPECT_EQ(v.queue_offset, 0);
  EXPECT_NAMES(v, "went back on T@broker-a:0: delivered offset 0 (m0)");
  EXPECT_NAMES(v, "after offset 1 (m2)");
}

TEST(History, GoingBackAfterARebalanceIsAllowed) {
  Builder b = clean();
  b.rebalance("CG", "c1", 300, {}).rebalance("CG", "c1", 400, {q(0)});
  b.deliver("CG", "c1", 0, q(0), 0, 410);
  b.deliver("CG", "c1", 2, q(0), 1, 420);
  EXPECT_TRUE(check_queue_continuity(b.h).empty());
  EXPECT_EQ(count_duplicates(b.h).at("CG").at(DuplicateCause::rebalance), 2);
}

TEST(History, LocalRetriesAtTheSameOffsetKeepContinuity) {
  Builder b = clean();
  b.deliver("CG", "c1", 0, q(0), 0, 101, /*reconsume_times=*/1);  // suspended, retried in place
  EXPECT_TRUE(check_queue_continuity(b.h).empty());
  EXPECT_TRUE(check_order(b.h).empty());
}

TEST(History, GroupWithoutQueueOrderIsCheckedForGapsOnly) {
  Builder b = clean();
  b.h.groups["CG"].in_queue_order = false;
  b.h.groups["CG"].orderly = false;
  for (int n = 4; n < 7; ++n) b.ack(n, 0, n - 2, 60 + n);  // queue 0 offsets 2..4
  b.deliver("CG", "c1", 6, q(0), 4, 200);                  // 4 before 2: fine here
  b.deliver("CG", "c1", 4, q(0), 2, 201);                  // 3 is missing
  const Violation v = only(check_queue_continuity(b.h), ViolationKind::poll_skip);
  EXPECT_NAMES(v, "skipped T@broker-a:0 offsets 3..3");
  b.deliver("CG", "c1", 5, q(0), 3, 202);
  EXPECT_TRUE(check_queue_continuity(b.h).empty());
}

// 6. Order for orderly consumers.

TEST(History, QueueOrderViolationNamesTheMessageDeliveredTooEarly) {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1"}, /*orderly=*/true);
  b.rebalance("CG", "c1", 0, {q(0)});
  b.ack(0, 0, 0, 10);
  b.ack(1, 0, 1, 20);
  b.deliver("CG", "c1", 1, q(0), 1, 100);
  b.deliver("CG", "c1", 0, q(0), 0, 101);
  const Violation v = only(check_order(b.h), ViolationKind::queue_order);
  EXPECT_EQ(v.key, "m1");
  EXPECT_EQ(v.consumer, "c1");
  EXPECT_NAMES(v, "message m1 (T@broker-a:0 offset 1)");
  EXPECT_NAMES(v, "only before message m0 (T@broker-a:0 offset 0");
}

TEST(History, RedeliveryAfterARebalanceKeepsQueueOrder) {
  Builder b = clean();  // c1 got m0 m2 on queue 0
  b.rebalance("CG", "c1", 300, {}).rebalance("CG", "c2", 300, {q(0), q(1)});
  b.deliver("CG", "c2", 0, q(0), 0, 310);
  b.deliver("CG", "c2", 2, q(0), 1, 320);
  EXPECT_TRUE(check_order(b.h).empty());
}

TEST(History, ShardingKeyOrderFollowsRealTimeAcrossQueues) {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1", "c2"}, /*orderly=*/true);
  b.rebalance("CG", "c1", 0, {q(0)}).rebalance("CG", "c2", 0, {q(1)});
  b.ack(0, 0, 0, 10).sharding_key = "order-7";
  b.ack(1, 1, 0, 20).sharding_key = "order-7";  // the selector moved on (queue 0's broker was down)
  b.deliver("CG", "c2", 1, q(1), 0, 100);
  b.deliver("CG", "c1", 0, q(0), 0, 101);
  const Violation v = only(check_order(b.h), ViolationKind::key_order);
  EXPECT_EQ(v.key, "m1");
  EXPECT_EQ(v.consumer, "c2");
  EXPECT_NAMES(v, "message m1 (T@broker-a:1 offset 0)");
  EXPECT_NAMES(v, "sharding key order-7");
}

TEST(History, OverlappingSendsWithOneShardingKeyAreNotOrdered) {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1", "c2"}, /*orderly=*/true);
  b.rebalance("CG", "c1", 0, {q(0)}).rebalance("CG", "c2", 0, {q(1)});
  b.ack(0, 0, 0, 10).sharding_key = "k";
  Send& second = b.ack(1, 1, 0, 10);  // invoked before the first completed
  second.sharding_key = "k";
  b.deliver("CG", "c2", 1, q(1), 0, 100);
  b.deliver("CG", "c1", 0, q(0), 0, 101);
  EXPECT_TRUE(check_order(b.h).empty());
}

TEST(History, ConcurrentGroupsAreNotCheckedForOrder) {
  Builder b;
  b.group("CG", GroupKind::clustering, {"c1"});
  b.ack(0, 0, 0, 10);
  b.ack(1, 0, 1, 20);
  b.deliver("CG", "c1", 1, q(0), 1, 100);
  b.deliver("CG", "c1", 0, q(0), 0, 101);
  EXPECT_TRUE(check_order(b.h).empty());
}

// 7. Aborted reads.

TEST(History, DeliveredFailedSendIsAnAbortedRead) {
  Builder b = clean();
  b.h.sends[1].outcome = SendOutcome::failed;
  const Violation v = only(check_aborted_reads(b.h), ViolationKind::aborted_read);
  EXPECT_EQ(v.key, "m1");
  EXPECT_NAMES(v, "message m1 failed to send");
  EXPECT_NAMES(v, "delivered 3 time(s), first to CG/c2 from T@broker-a:1 offset 0");
}

TEST(History, DeliveredTimedOutSendIsNotAnAbortedRead) {
  Builder b = clean();
  b.h.sends[1].outcome = SendOutcome::unknown;
  EXPECT_TRUE(check_aborted_reads(b.h).empty());
}

TEST(History, DeliveredRolledBackTransactionIsAnAbortedRead) {
  Builder b = clean();
  Send& tx = b.ack(4, 0, -1, 50);  // a transaction its producer rolled back
  tx.parked = true;
  tx.outcome = SendOutcome::failed;
  b.deliver("CG", "c1", 4, q(0), 2, 500);
  const Violation v = only(check_aborted_reads(b.h), ViolationKind::aborted_read);
  EXPECT_EQ(v.key, "m4");
}

// 8. Phantom and corrupt deliveries.

TEST(History, DeliveryOfAMessageNeverSentIsAPhantom) {
  Builder b = clean();
  b.deliver("CG", "c1", 9, q(0), 5, 500);
  const Violation v = only(check_phantoms(b.h), ViolationKind::phantom);
  EXPECT_EQ(v.key, "m9");
  EXPECT_NAMES(v, "message m9 was delivered to CG/c1 from T@broker-a:0 offset 5");
  EXPECT_NAMES(v, "never sent");
}

TEST(History, DeliveredBodyThatDiffersFromTheSentOneIsCorrupt) {
  Builder b = clean();
  b.h.deliveries[4].body_digest = "garbled";  // m1 to b1
  const Violation v = only(check_phantoms(b.h), ViolationKind::corrupt);
  EXPECT_EQ(v.key, "m1");
  EXPECT_EQ(v.consumer, "b1");
  EXPECT_NAMES(v, "message m1 was delivered to BG/b1 from T@broker-a:1 offset 0");
  EXPECT_NAMES(v, "body digest garbled, sent with body-m1");
}

TEST(History, UnrecordedDigestIsNotCompared) {
  Builder b = clean();
  b.h.deliveries[4].body_digest.clear();
  EXPECT_TRUE(check_phantoms(b.h).empty());
}

// The history's own consistency.

TEST(History, RepeatedSendKeyIsMalformed) {
  Builder b = clean();
  b.ack(0, 1, 5, 70).producer = "p2";
  const auto v = check_well_formed(b.h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, ViolationKind::malformed);
  EXPECT_NAMES(v[0], "send key m0 recorded twice (producers p1 and p2)");
}

TEST(History, DeliveriesToUndeclaredGroupsAndAfterTheEndAreMalformed) {
  Builder b = clean();
  b.deliver("NOPE", "x1", 0, q(0), 0, 200);
  b.deliver("CG", "c1", 0, q(0), 0, 200'000);
  b.deliver("CG", "c1", 2, q(0), 1, 200'001);
  const auto v = check_well_formed(b.h);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NAMES(v[0], "2 deliveries after the end");
  EXPECT_NAMES(v[1], "undeclared group NOPE");
}

// check_all.

// 9. Early delivery of delayed messages.

// m4 is sent at 50 ms with a 5 s delay (acked with its parked offset, so
// no position of its own) and delivered at `at` from queue 0, offset 2.
Builder delayed(int64_t at) {
  Builder b = clean();
  Send& s = b.ack(4, 0, -1, 50);
  s.parked = true;
  s.delay = std::chrono::seconds(5);
  b.deliver("CG", "c1", 4, q(0), 2, at);
  b.deliver("BG", "b1", 4, q(0), 2, at);
  b.deliver("BG", "b2", 4, q(0), 2, at);
  return b;
}

TEST(History, DelayedMessageDeliveredAfterItsDelayPassesEveryChecker) {
  EXPECT_TRUE(check_all(delayed(5'050).h).ok());
  EXPECT_TRUE(check_all(delayed(9'000).h).ok());
}

TEST(History, DelayedMessageDeliveredBeforeItsDelayIsEarly) {
  const Builder b = delayed(5'049);
  const auto v = check_delays(b.h);
  ASSERT_EQ(v.size(), 3u);  // CG and each member of BG
  EXPECT_EQ(v[0].kind, ViolationKind::early_delivery);
  EXPECT_NAMES(v[0], "message m4 sent t=0.050000000s with a 5000 ms delay was delivered to");
  EXPECT_NAMES(v[0], "before t=5.050000000s");
}

TEST(History, AnEarlyRetryOfADelayedMessageIsNotEarly) {
  Builder b = delayed(6'000);
  b.deliver("CG", "c2", 4, q(0, "%RETRY%CG"), 0, 5'000, 1);  // a retry comes on its own schedule
  EXPECT_TRUE(check_delays(b.h).empty());
}

TEST(History, ParkedAndUnparkedPositionsMustAgree) {
  Builder b = clean();
  b.h.sends[0].parked = true;  // but it has an offset
  b.h.sends[1].delay = std::chrono::seconds(1);  // a delay, not parked
  EXPECT_EQ(check_well_formed(b.h).size(), 2u);
}

TEST(History, CheckAllCountsEveryKindAndSortsViolationsByKind) {
  Builder b = clean();
  b.ack(4, 0, 2, 50);                      // lost to CG, b1 and b2 (after the heal too)
  b.deliver("CG", "c1", 9, q(0), 2, 500);  // a phantom at the position m4 was acked at
  b.h.sends[1].outcome = SendOutcome::failed;
  const Summary s = check_all(b.h);
  EXPECT_EQ(s.count(ViolationKind::lost_write), 3);
  EXPECT_EQ(s.count(ViolationKind::unseen_after_heal), 3);
  EXPECT_EQ(s.count(ViolationKind::phantom), 1);
  EXPECT_EQ(s.count(ViolationKind::aborted_read), 1);
  EXPECT_EQ(s.count(ViolationKind::inconsistent_offset), 1);
  EXPECT_EQ(static_cast<int64_t>(s.violations.size()), 9);
  EXPECT_TRUE(std::is_sorted(s.violations.begin(), s.violations.end(),
                             [](const Violation& x, const Violation& y) { return x.kind < y.kind; }));
  EXPECT_FALSE(s.ok());
}

TEST(History, CheckAllDependsOnlyOnTheHistory) {
  Builder b = clean();
  b.ack(4, 0, 2, 50);
  b.deliver("CG", "c1", 0, q(0), 0, 500);
  b.deliver("CG", "c1", 9, q(1), 7, 501);
  const Summary first = check_all(b.h);
  std::reverse(b.h.sends.begin(), b.h.sends.end());  // same records, other order
  const Summary second = check_all(b.h);
  ASSERT_EQ(first.violations.size(), second.violations.size());
  for (size_t i = 0; i < first.violations.size(); ++i)
    EXPECT_EQ(first.violations[i].description, second.violations[i].description);
  EXPECT_EQ(first.lines(), second.lines());
}

}  // namespace
}  // namespace rmq::scenarios::history
