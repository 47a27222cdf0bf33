#include "namesrv/kv_config.h"

#include <boost/json.hpp>

#include "common/atomic_file.h"
#include "common/json.h"

namespace rmq::namesrv {

namespace bj = boost::json;

rt::Result<void> KvConfig::load() {
  auto text = common::read_file(fs_, path_);
  if (!text) {
    if (text.code() == rt::Errc::not_found) return {};
    return text.error();
  }
  auto v = json::parse_lenient(*text);
  if (!v || !v->is_object())
    return rt::Error(rt::Errc::invalid_argument, path_ + ": not a KV config JSON object");
  table_.clear();
  if (const auto* t = v->get_object().if_contains("configTable"); t && t->is_object()) {
    for (const auto& ns : t->get_object()) {
      if (!ns.value().is_object()) continue;
      auto& dst = table_[std::string(ns.key())];
      for (const auto& kv : ns.value().get_object())
        if (auto s = json::scalar_text(kv.value())) dst[std::string(kv.key())] = *s;
    }
  }
  return {};
}

rt::Result<void> KvConfig::persist() {
  bj::object table;
  for (const auto& [ns, kvs] : table_) {
    bj::object o;
    for (const auto& [k, v] : kvs) o[k] = v;
    table[ns] = std::move(o);
  }
  bj::object root;
  root["configTable"] = std::move(table);
  return common::replace_file(fs_, path_, json::serialize(bj::value(std::move(root))));
}

rt::Result<void> KvConfig::put(const std::string& ns, const std::string& key, const std::string& value) {
  table_[ns][key] = value;
  return persist();
}

rt::Result<void> KvConfig::remove(const std::string& ns, const std::string& key) {
  auto it = table_.find(ns);
  if (it == table_.end() || !it->second.erase(key)) return {};
  if (it->second.empty()) table_.erase(it);
  return persist();
}

std::optional<std::string> KvConfig::get(const std::string& ns, const std::string& key) const {
  auto it = table_.find(ns);
  if (it == table_.end()) return std::nullopt;
  auto kv = it->second.find(key);
  if (kv == it->second.end()) return std::nullopt;
  return kv->second;
}

const std::map<std::string, std::string>* KvConfig::list(const std::string& ns) const {
  auto it = table_.find(ns);
  return it == table_.end() ? nullptr : &it->second;
}

}  // namespace rmq::namesrv
