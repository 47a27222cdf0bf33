// Helpers for the store tests: small store configs and messages.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/message_format.h"
#include "sim/simulation.h"
#include "store/message_store.h"

namespace rmq::store::test {

inline StoreConfig small_config(std::string root, FlushDiskType flush = FlushDiskType::sync_flush) {
  StoreConfig c;
  c.root_dir = std::move(root);
  c.commit_log_segment_bytes = 64 * 1024;
  c.consume_queue_units_per_file = 64;
  c.flush_disk_type = flush;
  c.max_hash_slot_num = 64;
  c.max_index_num = 256;
  c.max_message_size = 16 * 1024;
  return c;
}

inline common::StoredMessage make_message(const std::string& topic, int32_t queue_id, const std::string& body,
                                          const std::string& tags = "", const std::string& keys = "") {
  common::StoredMessage m;
  m.topic = topic;
  m.queue_id = queue_id;
  for (char c : body) m.body.push_back(static_cast<std::byte>(c));
  common::MessageProperties p;
  if (!tags.empty()) p["TAGS"] = tags;
  if (!keys.empty()) p["KEYS"] = keys;
  p["UNIQ_KEY"] = "U-" + body;
  m.properties = common::encode_properties(p);
  m.born_timestamp = 1700000000000;
  m.born_host = *common::parse_host_port4("10.0.0.1:50000");
  return m;
}

inline std::string body_text(const common::StoredMessage& m) {
  return std::string(reinterpret_cast<const char*>(m.body.data()), m.body.size());
}

// Decodes a GetResult's records.
inline std::vector<common::StoredMessage> decode_all(const GetResult& r) {
  std::vector<common::StoredMessage> out;
  size_t at = 0;
  while (at < r.data.size()) {
    auto d = common::decode_stored(std::span<const std::byte>(r.data.data() + at, r.data.size() - at));
    if (d.status != common::RecordStatus::ok) break;
    out.push_back(*d.message);
    at += d.size;
  }
  return out;
}

// Runs `body` on a fresh simulated node and fails if it does not finish.
inline void on_node(uint64_t seed, const std::function<void(rt::Runtime&)>& body, sim::DiskConfig disk = {}) {
  sim::Simulation s(seed, {}, disk);
  bool done = false;
  s.add_node("broker", [&](rt::Runtime& rt) {
    body(rt);
    done = true;
  });
  s.start_all();
  s.run_until([&] { return done; }, std::chrono::hours(3));
  ASSERT_TRUE(done) << "the test body did not finish";
}

}  // namespace rmq::store::test
