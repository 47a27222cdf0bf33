// The simulated disk's crash model, as properties and examples.
//
// Property: after any sequence of writes and syncs and then a power loss, a
// file holds its last synced contents plus a prefix of the unsynced writes,
// the last of which may be cut at a sector boundary — and nothing else.
// The oracle below rebuilds every allowed outcome independently of Disk.
//
// Run with RC_PARAMS="max_success=1000" (CTest sets it).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "sim/disk.h"

namespace rmq::sim {
namespace {

struct WriteOp {
  uint64_t offset;
  std::vector<std::byte> data;
};

void apply(std::vector<std::byte>& b, uint64_t offset, rt::ConstBytes data) {
  if (b.size() < offset + data.size()) b.resize(offset + data.size());
  if (!data.empty()) std::memcpy(b.data() + offset, data.data(), data.size());
}

// Every file content a power loss may leave, given the synced content and
// the unsynced writes in order.
bool allowed_outcome(const std::vector<std::byte>& synced, const std::vector<WriteOp>& unsynced,
                     const std::vector<std::byte>& got, uint64_t sector) {
  std::vector<std::byte> base = synced;
  for (size_t k = 0; k <= unsynced.size(); ++k) {
    if (got == base) return true;
    if (k == unsynced.size()) break;
    const WriteOp& w = unsynced[k];
    // Torn: the write reached the disk up to a sector boundary inside it.
    for (uint64_t cut = (w.offset / sector + 1) * sector; cut < w.offset + w.data.size(); cut += sector) {
      std::vector<std::byte> torn = base;
      apply(torn, w.offset, rt::ConstBytes(w.data.data(), cut - w.offset));
      if (got == torn) return true;
    }
    apply(base, w.offset, w.data);
  }
  return false;
}

RC_GTEST_PROP(DiskPowerLoss, FileIsSyncedContentsPlusTornPrefixOfUnsyncedWrites, ()) {
  DiskConfig cfg;
  cfg.sector_bytes = 512;
  Disk disk(cfg);
  auto inode = disk.open("/f", rt::OpenMode::create);
  RC_ASSERT(inode.ok());
  RC_ASSERT(disk.sync_dir("/").ok());

  std::vector<std::byte> synced;
  std::vector<std::byte> current;
  std::vector<WriteOp> unsynced;
  const int steps = *rc::gen::inRange(0, 40);
  for (int i = 0; i < steps; ++i) {
    if (*rc::gen::inRange(0, 5) == 0) {
      disk.sync(**inode);
      synced = current;
      unsynced.clear();
      continue;
    }
    WriteOp w;
    w.offset = *rc::gen::inRange<uint64_t>(0, 6000);
    const auto len = *rc::gen::inRange<size_t>(1, 2500);
    const auto fill = *rc::gen::inRange<int>(1, 255);
    w.data.resize(len);
    for (size_t j = 0; j < len; ++j) w.data[j] = std::byte{static_cast<uint8_t>(fill + j * 7)};
    RC_ASSERT(disk.write(**inode, w.offset, w.data).ok());
    apply(current, w.offset, w.data);
    unsynced.push_back(std::move(w));
  }
  // Before the power loss the page cache holds everything.
  RC_ASSERT((*inode)->current == current);

  rt::Random rng(*rc::gen::arbitrary<uint64_t>());
  disk.power_loss(rng);
  auto after = disk.open("/f", rt::OpenMode::existing);
  RC_ASSERT(after.ok());
  RC_ASSERT(allowed_outcome(synced, unsynced, (*after)->current, cfg.sector_bytes));
  // What survived is durable now: a second power loss changes nothing.
  const auto survived = (*after)->current;
  disk.power_loss(rng);
  RC_ASSERT((*disk.open("/f", rt::OpenMode::existing))->current == survived);
}

// The oracle must reject what the model forbids, or the property proves
// nothing.
TEST(DiskPowerLossOracle, RejectsOutOfOrderAndMisalignedOutcomes) {
  std::vector<std::byte> synced(4, std::byte{1});
  std::vector<WriteOp> unsynced{{0, std::vector<std::byte>(1024, std::byte{2})},
                                {2048, std::vector<std::byte>(10, std::byte{3})}};
  std::vector<std::byte> second_without_first = synced;
  apply(second_without_first, 2048, unsynced[1].data);
  EXPECT_FALSE(allowed_outcome(synced, unsynced, second_without_first, 512));
  std::vector<std::byte> misaligned = synced;
  apply(misaligned, 0, rt::ConstBytes(unsynced[0].data.data(), 100));
  EXPECT_FALSE(allowed_outcome(synced, unsynced, misaligned, 512));
  std::vector<std::byte> torn_at_sector = synced;
  apply(torn_at_sector, 0, rt::ConstBytes(unsynced[0].data.data(), 512));
  EXPECT_TRUE(allowed_outcome(synced, unsynced, torn_at_sector, 512));
}

TEST(DiskCrash, ProcessCrashKeepsPageCacheButPowerLossDropsUnsyncedEntries) {
  Disk disk(DiskConfig{});
  ASSERT_TRUE(disk.create_dirs("/d").ok());
  ASSERT_TRUE(disk.sync_dir("/").ok());
  auto kept = disk.open("/d/kept", rt::OpenMode::create);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(disk.sync_dir("/d").ok());
  auto lost = disk.open("/d/lost", rt::OpenMode::create);  // entry never synced
  ASSERT_TRUE(lost.ok());
  const std::vector<std::byte> data(100, std::byte{9});
  ASSERT_TRUE(disk.write(**kept, 0, data).ok());
  disk.sync(**kept);
  rt::Random rng(1);
  disk.power_loss(rng);
  EXPECT_TRUE(disk.exists("/d/kept"));
  EXPECT_FALSE(disk.exists("/d/lost"));
  EXPECT_EQ((*disk.open("/d/kept", rt::OpenMode::existing))->current, data);
}

TEST(DiskCrash, RenameIsUndoneByPowerLossUnlessDirectorySynced) {
  Disk disk(DiskConfig{});
  rt::Random rng(3);
  auto a = disk.open("/a", rt::OpenMode::create);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(disk.sync_dir("/").ok());
  ASSERT_TRUE(disk.rename("/a", "/b").ok());
  disk.power_loss(rng);
  EXPECT_TRUE(disk.exists("/a"));
  EXPECT_FALSE(disk.exists("/b"));
  ASSERT_TRUE(disk.rename("/a", "/b").ok());
  ASSERT_TRUE(disk.sync_dir("/").ok());
  disk.power_loss(rng);
  EXPECT_FALSE(disk.exists("/a"));
  EXPECT_TRUE(disk.exists("/b"));
}

TEST(DiskCrash, DirectoryNotSyncedIntoParentVanishesWithItsFiles) {
  Disk disk(DiskConfig{});
  rt::Random rng(5);
  ASSERT_TRUE(disk.create_dirs("/x").ok());
  auto f = disk.open("/x/f", rt::OpenMode::create);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(disk.sync_dir("/x").ok());  // but "/" never synced
  disk.power_loss(rng);
  EXPECT_FALSE(disk.exists("/x"));
  EXPECT_FALSE(disk.exists("/x/f"));
}

// Deeper: the file and its directory are durable in theirs, but an
// ancestor is not. All of it goes, and making the directories again brings
// no file back (the file once outlived its lost ancestors and reappeared).
TEST(DiskCrash, AFileUnderALostAncestorIsGoneForGood) {
  Disk disk(DiskConfig{});
  rt::Random rng(6);
  ASSERT_TRUE(disk.create_dirs("/a/b/c").ok());
  auto f = disk.open("/a/b/c/f", rt::OpenMode::create);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(disk.write(**f, 0, std::vector<std::byte>(10, std::byte{7})).ok());
  disk.sync(**f);
  ASSERT_TRUE(disk.sync_dir("/a/b/c").ok());
  ASSERT_TRUE(disk.sync_dir("/a/b").ok());  // "/a" never synced into "/", "/a/b" never into "/a"
  disk.power_loss(rng);
  EXPECT_FALSE(disk.exists("/a"));
  EXPECT_FALSE(disk.exists("/a/b/c/f"));
  ASSERT_TRUE(disk.create_dirs("/a/b/c").ok());
  EXPECT_FALSE(disk.exists("/a/b/c/f"));
}

TEST(DiskFull, WritePastCapacityFailsWithNoSpace) {
  DiskConfig cfg;
  cfg.capacity_bytes = 1000;
  Disk disk(cfg);
  auto f = disk.open("/f", rt::OpenMode::create);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(disk.write(**f, 0, std::vector<std::byte>(900)).ok());
  auto r = disk.write(**f, 900, std::vector<std::byte>(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), rt::Errc::no_space);
  EXPECT_EQ((*f)->current.size(), 900u);  // nothing of the failed write
  EXPECT_TRUE(disk.write(**f, 0, std::vector<std::byte>(900)).ok());  // overwrite is fine
  EXPECT_EQ(disk.usage().free_bytes, 100u);
}

TEST(DiskPaths, NormalizeAndRejectEscapes) {
  EXPECT_EQ(*Disk::normalize("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(*Disk::normalize("a/b"), "/a/b");
  EXPECT_EQ(*Disk::normalize("/a/../b"), "/b");
  EXPECT_EQ(Disk::normalize("/..").code(), rt::Errc::invalid_argument);
  EXPECT_EQ(Disk::normalize("").code(), rt::Errc::invalid_argument);
}

}  // namespace
}  // namespace rmq::sim
