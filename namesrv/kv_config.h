// The NameServer's KV config: namespace -> key -> value, persisted as
// {"configTable":{"<ns>":{"<key>":"<value>"}}} (kvConfig.json), rewritten
// atomically after every change. Suspends (file I/O).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "runtime/runtime.h"

namespace rmq::namesrv {

class KvConfig {
 public:
  KvConfig(rt::FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Loads the file; a missing file is an empty config, a corrupt one an error.
  rt::Result<void> load();
  rt::Result<void> put(const std::string& ns, const std::string& key, const std::string& value);
  rt::Result<void> remove(const std::string& ns, const std::string& key);
  std::optional<std::string> get(const std::string& ns, const std::string& key) const;
  const std::map<std::string, std::string>* list(const std::string& ns) const;

 private:
  rt::Result<void> persist();
  rt::FileSystem& fs_;
  std::string path_;
  std::map<std::string, std::map<std::string, std::string>> table_;
};

}  // namespace rmq::namesrv
