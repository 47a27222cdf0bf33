// Store recovery over arbitrary segment bytes: it must never crash, and it
// must recover a consistent prefix of the log.
//
// Each input becomes a store directory on a fresh simulated node (see
// store_recovery_oracle.h for the layout: one or two CommitLog segments, an
// optional checkpoint and abort file, a few config switches). Then:
//  1. MessageStore::open either fails with an error that says something, or
//     succeeds; with checkpoint positions a store could have written, the
//     oracle says which, and where the log must end.
//  2. Every queue reads back through get(): offsets contiguous from min to
//     max, records that decode, belong to their queue and sit below the
//     recovered log end, byte for byte the input's bytes at that offset.
//     When the oracle can predict the units exactly, they must be exactly
//     those.
//  3. close() and open() again: the same log end and the same queues, and
//     nothing left to repair.
//  4. One put lands at the log end with the next queue offset, and survives
//     a third open.
// A violation prints what broke and aborts (libFuzzer saves the input).
//
// The inputs that found store bugs (a queue id or offset out of range, a
// topic that is not a file name, a log ending in a segment's last 8 bytes, a
// checkpoint just past a closing blank) are in the corpus, so every run
// replays them first.
// RMQ_FUZZ_STORE_VERBOSE=1 prints what each input became and what recovery did.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz/store_recovery_oracle.h"
#include "sim/simulation.h"
#include "store/message_store.h"

using namespace rmq;
using namespace rmq::fuzz;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void violation(const std::string& what) {
  fmt::print(stderr, "fuzz_store_recovery: {}\n", what);
  std::fflush(stderr);
  std::abort();
}

void require(bool ok, const char* what) {
  if (!ok) violation(what);
}

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// RMQ_FUZZ_STORE_VERBOSE=1: say what each input became and what recovery did.
bool verbose() {
  static const bool on = env_on("RMQ_FUZZ_STORE_VERBOSE");
  return on;
}

// What the store serves: unit -> (physical offset, size), and each queue's
// [min, max).
struct Served {
  int64_t log_end = 0;
  std::map<UnitKey, std::pair<int64_t, int32_t>> units;
  std::map<QueueKey, std::pair<int64_t, int64_t>> ranges;  // non-empty queues only
  bool operator==(const Served&) const = default;
};

// The input's bytes at [offset, offset + size), if it has them all.
std::optional<std::span<const std::byte>> image_bytes(const StoreImage& image, int64_t offset, int64_t size) {
  const int64_t start = offset - offset % static_cast<int64_t>(kSegmentBytes);
  auto it = image.segments.find(start);
  if (it == image.segments.end() || offset + size > start + static_cast<int64_t>(it->second.size())) return std::nullopt;
  return std::span<const std::byte>(it->second.data() + (offset - start), static_cast<size_t>(size));
}

// Reads every queue back through get() and checks each record.
// `original` is the input image while the log holds only input bytes.
Served read_back(store::MessageStore& st, const StoreImage* original, const Oracle& oracle) {
  Served s;
  s.log_end = st.recovery_report().log_end;
  const bool crc_checked = st.config().check_crc_on_recover;
  for (const auto& [topic, ids] : st.queues()) {
    for (int32_t qid : ids) {
      const int64_t min = st.min_offset(topic, qid);
      const int64_t max = st.max_offset(topic, qid);
      require(min >= 0 && min <= max, "queue min offset outside [0, max]");
      if (min == max) continue;
      s.ranges[{topic, qid}] = {min, max};
      // A unit a read passes over: only a record recovery admitted without
      // a CRC check (checkCRCOnRecover=false) whose body is damaged; it is
      // skipped, never served and never a stall.
      const std::string& name = topic;  // a structured binding: not capturable in C++20
      auto damaged = [&](int64_t o) {
        for (const auto& r : oracle.records)
          if (r.message.topic == name && r.message.queue_id == qid && r.message.queue_offset == o) return !r.crc_ok;
        return false;
      };
      auto skipped = [&](int64_t from, int64_t to) {
        for (int64_t o = from; o < to; ++o) {
          require(!crc_checked, "get skipped a unit though recovery checked every CRC");
          require(damaged(o), "get skipped a record whose CRC is fine");
        }
      };
      int64_t off = min;
      while (off < max) {
        auto g = st.get(topic, qid, off, 32, 1 << 20);
        require(g.min_offset == min && g.max_offset == max, "get reports other min/max offsets");
        require(g.next_begin_offset > off && g.next_begin_offset <= max, "get made no progress inside [min, max)");
        if (g.items.empty()) {
          skipped(off, g.next_begin_offset);
          off = g.next_begin_offset;
          continue;
        }
        require(g.status == store::GetStatus::found, "get returned items without FOUND");
        size_t at = 0;
        int64_t expect = off;
        for (size_t i = 0; i < g.items.size(); ++i) {
          const auto& item = g.items[i];
          require(item.queue_offset >= expect, "queue offsets go back");
          skipped(expect, item.queue_offset);
          expect = item.queue_offset + 1;
          require(item.size > 0 && at + static_cast<size_t>(item.size) <= g.data.size(), "item size outside the data");
          const std::span<const std::byte> rec(g.data.data() + at, static_cast<size_t>(item.size));
          auto d = common::decode_stored(rec, {.check_crc = true, .expected_physical_offset = item.physical_offset});
          require(d.status == common::RecordStatus::ok && d.size == static_cast<uint32_t>(item.size),
                  "a served record does not decode");
          require(d.message->topic == topic && d.message->queue_id == qid, "a served record is of another queue");
          require(d.message->queue_offset == item.queue_offset, "a served record has another queue offset");
          require(common::takes_queue_slot(d.message->sys_flag), "a prepared or rolled-back record has a queue slot");
          require(item.physical_offset >= 0 && item.physical_offset + item.size <= s.log_end,
                  "a served record lies beyond the recovered log end");
          if (original != nullptr) {
            auto want = image_bytes(*original, item.physical_offset, item.size);
            require(want.has_value() && std::equal(rec.begin(), rec.end(), want->begin()),
                    "a served record is not the input's bytes at its offset");
          }
          s.units[UnitKey{topic, qid, item.queue_offset}] = {item.physical_offset, item.size};
          at += static_cast<size_t>(item.size);
        }
        require(at == g.data.size(), "get data longer than its items");
        skipped(expect, g.next_begin_offset);
        off = g.next_begin_offset;
      }
      // The first record is also found by its offset msgId.
      auto first = s.units.find(UnitKey{topic, qid, min});
      if (first != s.units.end()) {
        auto r = st.read_at(first->second.first);
        require(r.ok() && r->bytes.size() == static_cast<size_t>(first->second.second), "read_at misses a record");
      }
    }
  }
  return s;
}

void check_against_oracle(const Served& s, const Oracle& oracle, const QueueModel& model) {
  if (s.log_end != oracle.end)
    violation(fmt::format("log ends at {} but the valid prefix ends at {} ({})", s.log_end, oracle.end,
                          oracle.problem));
  for (const auto& [key, idx] : model.units) {
    auto it = s.units.find(key);
    const auto& r = oracle.records[idx];
    if (it == s.units.end()) {
      if (!r.crc_ok) continue;  // refused by reads (see read_back)
      violation(fmt::format("{}-{}@{} (record at {}) is missing", std::get<0>(key), std::get<1>(key), std::get<2>(key),
                            r.offset));
    }
    if (it->second.first != r.offset)
      violation(fmt::format("{}-{}@{} is at {}, expected {}", std::get<0>(key), std::get<1>(key), std::get<2>(key),
                            it->second.first, r.offset));
  }
  for (const auto& [key, unit] : s.units)
    if (!model.units.contains(key))
      violation(fmt::format("{}-{}@{} (at {}) should not exist", std::get<0>(key), std::get<1>(key), std::get<2>(key),
                            unit.first));
}

rt::Result<std::unique_ptr<store::MessageStore>> open_store(rt::Runtime& rt, const StoreImage& image) {
  return store::MessageStore::open(rt, image.config);
}

// Names the first queue whose range differs between two observations.
std::string first_difference(const Served& a, const Served& b) {
  for (const auto& [q, range] : a.ranges) {
    auto it = b.ranges.find(q);
    if (it == b.ranges.end()) return fmt::format("queue {}-{} [{}, {}) is gone", q.first, q.second, range.first, range.second);
    if (it->second != range)
      return fmt::format("queue {}-{} [{}, {}) became [{}, {})", q.first, q.second, range.first, range.second,
                         it->second.first, it->second.second);
  }
  for (const auto& [q, range] : b.ranges)
    if (!a.ranges.contains(q)) return fmt::format("queue {}-{} [{}, {}) appeared", q.first, q.second, range.first, range.second);
  return "the queues' units differ";
}

// A reopen after a clean close has nothing to repair (an empty log may have
// no segment file at all: then it is fresh again).
void require_clean_reopen(const store::MessageStore& st) {
  const auto& rep = st.recovery_report();
  for (auto row : rep.rows)
    if (row != store::RecoveryRow::clean_shutdown && !(row == store::RecoveryRow::fresh && rep.log_end == 0))
      violation(fmt::format("reopen after a clean close applied row {}: {}", to_string(row), rep.summary()));
  require(rep.truncated_bytes == 0, "reopen after a clean close cut bytes");
}

void write_image(rt::Runtime& rt, const StoreImage& image) {
  auto& fs = rt.fs();
  const std::string dir = std::string(kStoreRoot) + "/commitlog";
  require(fs.create_dirs(dir).ok(), "create_dirs");
  for (const auto& [start, bytes] : image.segments) {
    auto f = fs.open(dir + "/" + store::segment_file_name(start), rt::OpenMode::create_new);
    require(f.ok() && (*f)->write_at(0, bytes).ok() && (*f)->sync().ok(), "writing a segment");
  }
  if (image.checkpoint) {
    auto cp = store::Checkpoint::open(fs, std::string(kStoreRoot) + "/checkpoint");
    require(cp.ok() && (*cp)->store(*image.checkpoint).ok(), "writing the checkpoint");
  }
  if (image.abort_file) require(fs.open(std::string(kStoreRoot) + "/abort", rt::OpenMode::create).ok(), "abort file");
  require(fs.sync_dir(dir).ok() && fs.sync_dir(kStoreRoot).ok(), "sync_dir");
}

// Steps 3 and 4: reopen, put, reopen.
void reopen_and_put(rt::Runtime& rt, const StoreImage& image, const Oracle& oracle, const Served& first,
                    const QueueModel* model) {
  auto st = open_store(rt, image);
  if (!st) violation("reopen after a clean close failed: " + st.error().message());
  require_clean_reopen(**st);
  const Served again = read_back(**st, nullptr, oracle);
  if (!(again == first))
    violation(fmt::format("reopen changed the store: log end {} -> {}, {} -> {} units, {} -> {} queues: {}",
                          first.log_end, again.log_end, first.units.size(), again.units.size(), first.ranges.size(),
                          again.ranges.size(), first_difference(first, again)));
  require((*st)->appended() == first.log_end, "appending does not continue at the log end");
  const int64_t seg = static_cast<int64_t>(kSegmentBytes);

  // Put into the queue of the last dispatched record, if its name is one a
  // producer could use, else into a new queue.
  QueueKey q{"FuzzTopic", 0};
  if (!first.units.empty()) {
    const auto& last = std::max_element(first.units.begin(), first.units.end(), [](const auto& a, const auto& b) {
                         return a.second.first < b.second.first;
                       })->first;
    if (!std::get<0>(last).empty() && std::get<0>(last).size() <= common::kTopicBytesMax)
      q = {std::get<0>(last), std::get<1>(last)};
  }
  const int64_t expected_queue_offset = [&]() -> int64_t {
    if (model != nullptr) {
      auto it = model->next.find(q);
      return it == model->next.end() ? 0 : it->second;
    }
    auto it = first.ranges.find(q);
    return it == first.ranges.end() ? 0 : it->second.second;
  }();
  common::StoredMessage m;
  m.topic = q.first;
  m.queue_id = q.second;
  const std::string body = "after recovery";
  for (char c : body) m.body.push_back(static_cast<std::byte>(c));
  m.properties = common::encode_properties({{"UNIQ_KEY", "fuzz-put"}, {"TAGS", "T"}});
  m.born_host = *common::parse_host_port4("10.0.0.1:50000");
  const int64_t size = common::stored_size(m);
  const int64_t seg_end = first.log_end - first.log_end % seg + seg;
  const int64_t expected_phys = first.log_end + size + store::kBlankRecordBytes > seg_end ? seg_end : first.log_end;
  auto r = (*st)->put(m);
  if (!r.ok()) violation("put after recovery failed: " + r.detail);
  if (r.physical_offset != expected_phys || r.queue_offset != expected_queue_offset)
    violation(fmt::format("put after recovery at {} (queue offset {}), expected {} ({})", r.physical_offset,
                          r.queue_offset, expected_phys, expected_queue_offset));
  require((*st)->wait_dispatched(10s).ok(), "wait_dispatched after the put");
  Served with_put = first;
  with_put.log_end = expected_phys + size;
  with_put.units[UnitKey{q.first, q.second, expected_queue_offset}] = {expected_phys, static_cast<int32_t>(size)};
  auto& range = with_put.ranges[q];
  if (range.first == range.second) range = {expected_queue_offset, expected_queue_offset};
  range.second = expected_queue_offset + 1;
  if (auto c = (*st)->close(); !c) violation("close after the put failed: " + c.error().message());
  st = rt::Error(rt::Errc::closed);

  auto third = open_store(rt, image);
  if (!third) violation("open after the put failed: " + third.error().message());
  require_clean_reopen(**third);
  const Served last = read_back(**third, nullptr, oracle);
  if (!(last == with_put))
    violation(fmt::format("the put did not survive a reopen: log end {} (expected {}), {} units (expected {}): {}",
                          last.log_end, with_put.log_end, last.units.size(), with_put.units.size(),
                          first_difference(with_put, last)));
  if (auto c = (*third)->close(); !c) violation("close failed: " + c.error().message());
}

void run(rt::Runtime& rt, StoreImage& image) {
  const Oracle oracle = walk(image.segments, image.config.check_crc_on_recover);
  // A checkpoint past a closing blank's header (older stores wrote one) is
  // left out: the store now never writes it.
  if (image.snapped) snap_checkpoint(image, oracle);
  write_image(rt, image);
  if (verbose()) {
    fmt::print(stderr, "input: {} segment(s), checkpoint {}, abort file {}, truncate {}, crc {}, {}\n",
               image.segments.size(),
               image.checkpoint ? fmt::format("dispatched {} flushed {}{}", image.checkpoint->dispatched_offset,
                                              image.checkpoint->flushed_offset, image.snapped ? " (snapped)" : " (raw)")
                                : "none",
               image.abort_file, image.config.truncate_corrupt_commit_log, image.config.check_crc_on_recover,
               image.config.flush_disk_type == store::FlushDiskType::sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH");
    fmt::print(stderr, "oracle: {} records, log ends at {}{}{}\n", oracle.records.size(), oracle.end,
               oracle.clean_end ? "" : ": ", oracle.problem);
  }

  auto st = open_store(rt, image);
  if (verbose())
    fmt::print(stderr, "open: {}\n", st ? (*st)->recovery_report().summary() : "refused: " + st.error().message());
  // A valid checkpoint's positions (what recovery validates from).
  const bool cp_valid = checkpoint_loads(image);
  const bool exact = image.snapped || !cp_valid;
  if (!st) {
    require(!st.error().message().empty(), "open failed without saying why");
    if (exact && !must_refuse(image, oracle))
      violation(fmt::format("open refused a store the oracle accepts (log end {}: {}): {}", oracle.end, oracle.problem,
                            st.error().message()));
    return;
  }
  if (exact && must_refuse(image, oracle))
    violation("open accepted a store it must refuse: " + (*st)->recovery_report().summary());
  require((*st)->appended() == (*st)->recovery_report().log_end, "appending does not continue at the log end");
  const Served first = read_back(**st, &image, oracle);
  std::optional<QueueModel> model;
  if (exact) {
    const int64_t from = cp_valid ? image.checkpoint->dispatched_offset : 0;
    model = model_queues(oracle, from);
    check_against_oracle(first, oracle, *model);
  }
  if (auto c = (*st)->close(); !c) violation("close after recovery failed: " + c.error().message());
  st = rt::Error(rt::Errc::closed);
  reopen_and_put(rt, image, oracle, first, model ? &*model : nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  StoreImage image = decode_input(std::span<const uint8_t>(data, size));
  sim::Simulation sim(1);
  bool done = false;
  sim.add_node("store", [&](rt::Runtime& rt) {
    run(rt, image);
    done = true;
  });
  sim.start_all();
  sim.run_until([&] { return done; }, 1h);
  if (!done) {
    for (const auto& line : sim.recent_logs()) fmt::print(stderr, "{}\n", line);
    violation("the store did not finish within an hour of simulated time");
  }
  return 0;
}
