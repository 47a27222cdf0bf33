// The HA stream between a master's and a slave's store (store/ha), in the
// simulator: what reaches the slave, where an empty slave starts, restarts,
// SYNC_MASTER acknowledgements, and what a bad peer gets.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "common/big_endian.h"
#include "sim/disk.h"
#include "store/ha/ha_service.h"
#include "store_test_util.h"

namespace rmq::store {
namespace {

using namespace std::chrono_literals;
using test::make_message;
using test::small_config;

// The bytes of the log files under `root`, by segment start.
std::map<int64_t, std::vector<std::byte>> log_files(sim::Disk& disk, const std::string& root) {
  std::map<int64_t, std::vector<std::byte>> out;
  auto names = disk.list(root + "/commitlog");
  if (!names) return out;
  for (const auto& n : *names) {
    auto start = parse_segment_file_name(n);
    if (!start) continue;
    auto f = disk.open(root + "/commitlog/" + n, rt::OpenMode::existing);
    if (!f) continue;
    out[*start] = (*f)->current;
  }
  return out;
}

struct HaPair {
  StoreConfig master_cfg = small_config("/m", FlushDiskType::async_flush);
  StoreConfig slave_cfg = small_config("/s", FlushDiskType::async_flush);
  HaConfig ha;
  bool start_slave = true;
  // Runs on the master node once its store and HA service are up.
  std::function<void(rt::Runtime&, MessageStore&, HaMaster&)> work;
  MessageStore* master = nullptr;
  HaMaster* ha_master = nullptr;
  MessageStore* slave = nullptr;
  HaSlave* ha_slave = nullptr;
  bool work_done = false;
  sim::NodeId master_node = 0, slave_node = 0;
  std::string master_ha;
  sim::Simulation sim;

  explicit HaPair(uint64_t seed) : sim(seed) {
    slave_cfg.replica = true;
    ha.heartbeat_interval = 1s;
    ha.housekeeping_interval = 4s;
    ha.reconnect_backoff = 1s;
    ha.transfer_batch_bytes = 4096;
    auto& m = sim.add_node("master", [this](rt::Runtime& rt) {
      auto s = MessageStore::open(rt, master_cfg);
      ASSERT_TRUE(s.ok()) << s.error().message();
      HaMaster h(rt, **s, ha);
      ASSERT_TRUE(h.start("0.0.0.0:10912").ok());
      master = s->get();
      ha_master = &h;
      struct Clear {
        HaPair& p;
        ~Clear() { p.master = nullptr, p.ha_master = nullptr; }
      } clear{*this};
      if (work) work(rt, **s, h);
      work_done = true;
      rt.sleep_for(rt::kForever);
    });
    master_node = m.id();
    master_ha = m.ip() + ":10912";
    auto& sl = sim.add_node("slave", [this](rt::Runtime& rt) {
      auto s = MessageStore::open(rt, slave_cfg);
      ASSERT_TRUE(s.ok()) << s.error().message();
      HaSlave h(rt, **s, ha);
      h.set_master(master_ha);
      h.start();
      slave = s->get();
      ha_slave = &h;
      struct Clear {
        HaPair& p;
        ~Clear() { p.slave = nullptr, p.ha_slave = nullptr; }
      } clear{*this};
      rt.sleep_for(rt::kForever);
    });
    slave_node = sl.id();
  }

  void start() {
    sim.start(master_node);
    if (start_slave) sim.start(slave_node);
  }
  bool caught_up(rt::Duration limit) {
    return sim.run_until([&] { return work_done && master && slave && slave->written() == master->written() &&
                                      slave->dispatched() == slave->written(); },
                         limit);
  }
  void expect_identical_logs() {
    auto m = log_files(sim.node(master_node).disk(), "/m");
    auto s = log_files(sim.node(slave_node).disk(), "/s");
    ASSERT_FALSE(s.empty());
    for (const auto& [start, bytes] : s) {
      ASSERT_TRUE(m.contains(start)) << "the slave has segment " << start << " the master lacks";
      EXPECT_TRUE(bytes == m[start]) << "segment " << start << " differs (" << bytes.size() << " vs "
                                     << m[start].size() << " bytes)";
    }
  }
};

void put_many(MessageStore& s, int from, int n, const std::string& topic = "T") {
  for (int i = from; i < from + n; ++i) {
    auto r = s.put(make_message(topic, i % 3, "message-" + std::to_string(i) + std::string(200, 'x')));
    ASSERT_TRUE(r.ok()) << r.detail;
  }
}

TEST(Ha, TheSlaveHoldsTheMastersLogByteForByteAndServesItsQueues) {
  HaPair p(1);
  p.work = [](rt::Runtime& rt, MessageStore& s, HaMaster& h) {
    while (h.slaves().empty()) rt.sleep_for(10ms);  // it asks for the log from 0
    put_many(s, 0, 900);                             // several segments
  };
  p.start();
  ASSERT_TRUE(p.caught_up(60s));
  EXPECT_GT(p.master->written(), 3 * 64 * 1024) << "the test means to cross segments";
  p.expect_identical_logs();
  for (int q = 0; q < 3; ++q) EXPECT_EQ(p.slave->max_offset("T", q), p.master->max_offset("T", q));
  bool read = false;
  p.sim.node(p.slave_node).runtime().spawn("read", [&] {
    auto r = p.slave->get("T", 1, 0, 10, 1 << 20);
    ASSERT_EQ(r.status, GetStatus::found);
    auto ms = test::decode_all(r);
    ASSERT_EQ(ms.size(), 10u);
    EXPECT_EQ(test::body_text(ms[0]).substr(0, 9), "message-1");
    read = true;
  });
  ASSERT_TRUE(p.sim.run_until([&] { return read; }, 10s));
  // The acknowledgement reached the master.
  ASSERT_TRUE(p.sim.run_until([&] { return p.ha_master->acked() == p.master->written(); }, 10s));
}

TEST(Ha, AnEmptySlaveStartsAtTheMastersLastSegment) {
  HaPair p(2);
  p.start_slave = false;
  p.work = [](rt::Runtime&, MessageStore& s, HaMaster&) { put_many(s, 0, 700); };
  p.start();
  ASSERT_TRUE(p.sim.run_until([&] { return p.work_done; }, 60s));
  const int64_t seg = 64 * 1024;
  const int64_t last = p.master->written() - p.master->written() % seg;
  ASSERT_GT(last, 0);
  p.sim.start(p.slave_node);
  ASSERT_TRUE(p.caught_up(30s));
  EXPECT_EQ(p.slave->commit_log_min_offset(), last);
  p.expect_identical_logs();
  // Its queues begin where the stream began, and end where the master's do.
  for (int q = 0; q < 3; ++q) {
    EXPECT_GT(p.slave->min_offset("T", q), 0);
    EXPECT_EQ(p.slave->max_offset("T", q), p.master->max_offset("T", q));
  }
}

TEST(Ha, ASlaveCrashedMidStreamResumesFromItsOwnLogWithoutGapsOrRepeats) {
  HaPair p(3);
  p.work = [](rt::Runtime& rt, MessageStore& s, HaMaster&) {
    for (int round = 0; round < 6; ++round) {
      put_many(s, round * 100, 100);
      rt.sleep_for(700ms);
    }
  };
  p.start();
  p.sim.after(1500ms, [&] { p.sim.crash(p.slave_node); });
  p.sim.after(2500ms, [&] { p.sim.start(p.slave_node); });
  p.sim.after(3100ms, [&] { p.sim.power_loss(p.slave_node); });
  p.sim.after(3900ms, [&] { p.sim.start(p.slave_node); });
  ASSERT_TRUE(p.caught_up(60s));
  p.expect_identical_logs();
  for (int q = 0; q < 3; ++q) EXPECT_EQ(p.slave->max_offset("T", q), p.master->max_offset("T", q));
}

TEST(Ha, WaitAckedReturnsOnceASlaveHasTheBytesAndTimesOutWhenItIsCutOff) {
  HaPair p(4);
  std::optional<bool> first, cut_off, no_slave_ok;
  p.work = [&](rt::Runtime& rt, MessageStore& s, HaMaster& h) {
    no_slave_ok = h.slave_ok(s.appended());  // nobody connected yet
    while (h.slaves().empty()) rt.sleep_for(10ms);
    auto r = s.put(make_message("T", 0, "one"));
    first = h.wait_acked(r.physical_offset + r.bytes, 3s);
    rt.sleep_for(100ms);
    p.sim.partition(p.master_node, p.slave_node);
    r = s.put(make_message("T", 0, "two"));
    cut_off = h.wait_acked(r.physical_offset + r.bytes, 2s);
  };
  p.start();
  ASSERT_TRUE(p.sim.run_until([&] { return p.work_done; }, 30s));
  EXPECT_EQ(no_slave_ok, false);
  EXPECT_EQ(first, true);
  EXPECT_EQ(cut_off, false);
  // A slave silent past the housekeeping interval is dropped, and slave_ok
  // says so; once healed it reconnects and catches up.
  ASSERT_TRUE(p.sim.run_until([&] { return p.ha_master->slaves().empty(); }, 10s));
  EXPECT_FALSE(p.ha_master->slave_ok(p.master->appended()));
  p.sim.heal_all();
  ASSERT_TRUE(p.caught_up(30s));
  ASSERT_TRUE(p.sim.run_until([&] { return p.ha_master->acked() == p.master->written(); }, 10s));
  EXPECT_TRUE(p.ha_master->slave_ok(p.master->appended()));
}

TEST(Ha, ASlaveTooFarBehindIsNotOk) {
  HaPair p(5);
  p.ha.slave_fallbehind_max = 10 * 1024;
  p.start_slave = false;
  p.work = [](rt::Runtime&, MessageStore& s, HaMaster&) { put_many(s, 0, 100); };
  p.start();
  ASSERT_TRUE(p.sim.run_until([&] { return p.work_done; }, 30s));
  p.slave_cfg.replica = true;
  p.sim.start(p.slave_node);
  ASSERT_TRUE(p.sim.run_until([&] { return !p.ha_master->slaves().empty(); }, 10s));
  ASSERT_TRUE(p.caught_up(30s));
  EXPECT_TRUE(p.ha_master->slave_ok(p.master->appended()));
  EXPECT_FALSE(p.ha_master->slave_ok(p.master->appended() + 20 * 1024));
}

// A raw peer on the HA port: what a bad slave or a bad master gets.
TEST(Ha, TheMasterDropsASlaveReportingAPositionBeyondItsLog) {
  HaPair p(6);
  p.start_slave = false;
  p.work = [](rt::Runtime&, MessageStore& s, HaMaster&) { put_many(s, 0, 10); };
  std::optional<std::string> outcome;
  auto& peer = p.sim.add_node("peer", [&](rt::Runtime& rt) {
    rt.sleep_for(1s);
    auto c = rt.connect(p.master_ha, 3s);
    ASSERT_TRUE(c.ok());
    std::byte b[8];
    common::put_i64(b, int64_t{1} << 40);
    ASSERT_TRUE((*c)->write_all(rt::ConstBytes(b, 8)).ok());
    std::byte r[64];
    auto n = (*c)->read_some(r, 5s);
    outcome = n ? (*n == 0 ? "closed" : "data") : n.error().message();
  });
  p.start();
  p.sim.start(peer.id());
  ASSERT_TRUE(p.sim.run_until([&] { return outcome.has_value(); }, 30s));
  EXPECT_EQ(*outcome, "closed");
  EXPECT_TRUE(p.ha_master->slaves().empty());
}

// A fake master: frames written by the test, to a real slave.
struct FakeMaster {
  std::vector<std::vector<std::byte>> frames;  // written one by one after the first report
  std::optional<int64_t> first_report;
  bool closed_by_slave = false;
  std::vector<int64_t> reports;
};

std::vector<std::byte> frame(int64_t offset, std::span<const std::byte> body) {
  std::vector<std::byte> f(12 + body.size());
  common::put_i64(f.data(), offset);
  common::put_i32(f.data() + 8, static_cast<int32_t>(body.size()));
  std::copy(body.begin(), body.end(), f.begin() + 12);
  return f;
}

std::vector<std::byte> encoded(common::StoredMessage m, int64_t offset, int64_t queue_offset) {
  m.physical_offset = offset;
  m.queue_offset = queue_offset;
  m.store_timestamp = 1700000000000;
  std::vector<std::byte> out;
  common::encode_stored(m, out);
  return out;
}

void run_fake_master(HaPair& p, FakeMaster& fm) {
  p.start_slave = true;
  // Replace the master node's main: a raw listener.
  auto& fake = p.sim.add_node("fake-master", [&](rt::Runtime& rt) {
    auto l = rt.listen("0.0.0.0:10912");
    ASSERT_TRUE(l.ok());
    auto c = (*l)->accept();
    ASSERT_TRUE(c.ok());
    std::byte b[8];
    ASSERT_TRUE((*c)->read_exact(rt::MutableBytes(b, 8)).ok());
    fm.first_report = common::get_i64(b);
    for (const auto& f : fm.frames) {
      if (!(*c)->write_all(f).ok()) break;
      rt.sleep_for(50ms);
    }
    for (;;) {
      auto n = (*c)->read_some(rt::MutableBytes(b, 8), 3s);
      if (!n || *n == 0) {
        fm.closed_by_slave = n.ok();
        break;
      }
      if (*n == 8) fm.reports.push_back(common::get_i64(b));
    }
    rt.sleep_for(rt::kForever);
  });
  p.master_ha = fake.ip() + ":10912";
  p.sim.start(fake.id());
  p.sim.start(p.slave_node);
}

TEST(Ha, ASlaveSkipsTheZerosAfterAPreallocatedMastersBlankRecord) {
  HaPair p(7);
  FakeMaster fm;
  const int64_t seg = 64 * 1024;
  // Segment 0: one record, then a blank covering the rest, then zeros to the
  // end (an Apache master's preallocated file); segment 1: one record.
  auto r1 = encoded(make_message("T", 0, "first"), 0, 0);
  std::vector<std::byte> seg0(static_cast<size_t>(seg), std::byte{0});
  std::copy(r1.begin(), r1.end(), seg0.begin());
  common::put_i32(seg0.data() + r1.size(), static_cast<int32_t>(seg - static_cast<int64_t>(r1.size())));
  common::put_i32(seg0.data() + r1.size() + 4, common::kBlankMagic);
  for (int64_t at = 0; at < seg; at += 4096)
    fm.frames.push_back(frame(at, std::span<const std::byte>(seg0).subspan(static_cast<size_t>(at), 4096)));
  auto r2 = encoded(make_message("T", 0, "second"), seg, 1);
  fm.frames.push_back(frame(seg, r2));
  run_fake_master(p, fm);
  ASSERT_TRUE(p.sim.run_until([&] { return p.slave && p.slave->dispatched() == seg + static_cast<int64_t>(r2.size()); },
                              30s));
  EXPECT_EQ(fm.first_report, 0);
  EXPECT_EQ(p.slave->max_offset("T", 0), 2);
  ASSERT_TRUE(p.sim.run_until([&] { return !fm.reports.empty() && fm.reports.back() == p.slave->written(); }, 10s));
  // Its own file ends after the blank's header, as the store writes it.
  auto files = log_files(p.sim.node(p.slave_node).disk(), "/s");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].size(), r1.size() + 8);
}

TEST(Ha, ASlaveDropsAMasterSendingACorruptRecordAndKeepsWhatWasGood) {
  HaPair p(8);
  FakeMaster fm;
  auto r1 = encoded(make_message("T", 0, "good"), 0, 0);
  auto r2 = encoded(make_message("T", 0, "bad"), static_cast<int64_t>(r1.size()), 1);
  r2[88] ^= std::byte{0xff};  // the body's first byte: its CRC no longer matches
  fm.frames.push_back(frame(0, r1));
  fm.frames.push_back(frame(static_cast<int64_t>(r1.size()), r2));
  run_fake_master(p, fm);
  ASSERT_TRUE(p.sim.run_until([&] { return fm.closed_by_slave; }, 30s));
  EXPECT_EQ(p.slave->written(), static_cast<int64_t>(r1.size()));
  EXPECT_EQ(p.slave->max_offset("T", 0), 1);
}

TEST(Ha, ASlaveDropsAMasterWhosePositionDiffersFromItsOwn) {
  HaPair p(9);
  FakeMaster fm;
  auto r1 = encoded(make_message("T", 0, "one"), 0, 0);
  fm.frames.push_back(frame(0, r1));
  fm.frames.push_back(frame(static_cast<int64_t>(r1.size()) + 100, r1));  // a gap
  run_fake_master(p, fm);
  ASSERT_TRUE(p.sim.run_until([&] { return fm.closed_by_slave; }, 30s));
  EXPECT_EQ(p.slave->written(), static_cast<int64_t>(r1.size()));
}

TEST(Ha, AReplicaStoreRefusesPuts) {
  test::on_node(10, [](rt::Runtime& rt) {
    auto cfg = small_config("/s");
    cfg.replica = true;
    auto s = MessageStore::open(rt, cfg);
    ASSERT_TRUE(s.ok());
    auto r = (*s)->put(make_message("T", 0, "x"));
    EXPECT_EQ(r.status, PutStatus::service_not_available);
    EXPECT_NE(r.detail.find("slave"), std::string::npos) << r.detail;
  });
}

}  // namespace
}  // namespace rmq::store
