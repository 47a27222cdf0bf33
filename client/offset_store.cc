#include "client/offset_store.h"

#include <fmt/format.h>

#include <cstdio>

#include "common/atomic_file.h"

namespace rmq::client {

rt::Result<int64_t> OffsetStore::start_offset(const MessageQueue& q, const std::string& addr, ConsumeFrom from,
                                              int64_t timestamp_ms) {
  if (kind_ == Kind::remote) return client::start_offset(*client_, addr, group_, q, from, timestamp_ms);
  if (auto it = local_.find(q); it != local_.end()) return it->second;
  return initial_offset(*client_, addr, q, from, timestamp_ms);
}

rt::Result<int64_t> OffsetStore::read(const MessageQueue& q, const std::string& addr) {
  if (kind_ == Kind::remote) return committed_offset(*client_, addr, group_, q);
  auto it = local_.find(q);
  return it == local_.end() ? int64_t{-1} : it->second;
}

rt::Result<void> OffsetStore::update(const MessageQueue& q, const std::string& addr, int64_t offset) {
  if (kind_ == Kind::remote) return commit_offset(*client_, addr, group_, q, offset);
  local_[q] = offset;
  return {};
}

void OffsetStore::load() {
  if (kind_ != Kind::local || path_.empty()) return;
  auto text = common::read_file(client_->runtime().fs(), path_);
  if (!text) return;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string line(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    char topic[256], broker[256];
    int queue = 0;
    long long offset = 0;
    if (std::sscanf(line.c_str(), "%255s %255s %d %lld", topic, broker, &queue, &offset) == 4 && offset >= 0)
      local_[MessageQueue{topic, broker, queue}] = offset;
  }
}

void OffsetStore::persist() {
  if (kind_ != Kind::local || path_.empty()) return;
  std::string text;
  for (const auto& [q, o] : local_) text += fmt::format("{} {} {} {}\n", q.topic, q.broker_name, q.queue_id, o);
  if (auto r = common::replace_file(client_->runtime().fs(), path_, text); !r)
    client_->runtime().log(rt::LogLevel::warn, "broadcast offsets not saved: " + r.error().message());
}

}  // namespace rmq::client
