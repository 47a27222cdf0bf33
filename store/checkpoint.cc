#include "store/checkpoint.h"

#include <zlib.h>

#include <array>

#include "common/big_endian.h"

namespace rmq::store {

namespace {
constexpr size_t kCrcAt = 48;
constexpr size_t kUsedBytes = 52;

uint32_t crc_of(const std::byte* p, size_t n) {
  return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}
}  // namespace

rt::Result<std::unique_ptr<Checkpoint>> Checkpoint::open(rt::FileSystem& fs, const std::string& path) {
  auto f = fs.open(path, rt::OpenMode::create);
  if (!f) return f.error();
  return std::unique_ptr<Checkpoint>(new Checkpoint(std::move(*f)));
}

rt::Result<std::optional<CheckpointData>> Checkpoint::load() {
  std::array<std::byte, kUsedBytes> b{};
  // A CRC mismatch is read again: it may be the read that went wrong.
  bool crc_ok = false;
  for (int attempt = 0; attempt < 3 && !crc_ok; ++attempt) {
    auto n = file_->read_at(0, b);
    if (!n) return n.error();
    if (*n < kUsedBytes) return std::optional<CheckpointData>{};
    crc_ok = static_cast<uint32_t>(common::get_i32(b.data() + kCrcAt)) == crc_of(b.data(), kCrcAt);
  }
  if (!crc_ok) return std::optional<CheckpointData>{};
  CheckpointData d;
  d.physic_msg_timestamp = common::get_i64(b.data());
  d.logics_msg_timestamp = common::get_i64(b.data() + 8);
  d.index_msg_timestamp = common::get_i64(b.data() + 16);
  d.flushed_offset = common::get_i64(b.data() + 24);
  d.confirm_offset = common::get_i64(b.data() + 32);
  d.dispatched_offset = common::get_i64(b.data() + 40);
  if (d.flushed_offset < 0 || d.dispatched_offset < 0 || d.dispatched_offset > d.flushed_offset)
    return std::optional<CheckpointData>{};
  return std::optional<CheckpointData>{d};
}

rt::Result<void> Checkpoint::store(const CheckpointData& d) {
  std::array<std::byte, kCheckpointBytes> b{};
  common::put_i64(b.data(), d.physic_msg_timestamp);
  common::put_i64(b.data() + 8, d.logics_msg_timestamp);
  common::put_i64(b.data() + 16, d.index_msg_timestamp);
  common::put_i64(b.data() + 24, d.flushed_offset);
  common::put_i64(b.data() + 32, d.confirm_offset);
  common::put_i64(b.data() + 40, d.dispatched_offset);
  common::put_i32(b.data() + kCrcAt, static_cast<int32_t>(crc_of(b.data(), kCrcAt)));
  if (auto r = file_->write_at(0, b); !r) return r;
  return file_->sync();
}

}  // namespace rmq::store
