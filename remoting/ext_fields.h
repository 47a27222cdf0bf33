// ExtFields: a command's extFields, the typed header flattened to text.
//
// A sorted vector of (key, value) pairs rather than a node-based map: a
// request has some 5-20 fields, decoded and looked up once each, so one
// allocation for all of them (plus the values too long for the small-string
// buffer) and a binary search over adjacent keys beat a tree node per field.
// Keys are unique; iteration is in key order, as with std::map.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rmq::remoting {

class ExtFields {
 public:
  using value_type = std::pair<std::string, std::string>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  ExtFields() = default;
  // Later duplicates of a key are dropped, as std::map's constructor does.
  ExtFields(std::initializer_list<value_type> init) : ExtFields(init.begin(), init.end()) {}
  template <class It>
  ExtFields(It first, It last) {
    for (; first != last; ++first) emplace(first->first, first->second);
  }

  // The value of `key`, inserted empty if absent.
  std::string& operator[](std::string_view key) {
    auto it = lower(key);
    if (it == v_.end() || it->first != key) it = insert_at(it, key, {});
    return it->second;
  }
  // Inserts or replaces.
  void insert_or_assign(std::string_view key, std::string value) { (*this)[key] = std::move(value); }
  // Inserts unless present; true if inserted.
  bool emplace(std::string_view key, std::string_view value) {
    auto it = lower(key);
    if (it != v_.end() && it->first == key) return false;
    insert_at(it, key, value);
    return true;
  }

  const_iterator find(std::string_view key) const {
    auto it = lower(key);
    return it != v_.end() && it->first == key ? it : v_.end();
  }
  iterator find(std::string_view key) {
    auto it = lower(key);
    return it != v_.end() && it->first == key ? it : v_.end();
  }
  size_t count(std::string_view key) const { return find(key) == end() ? 0 : 1; }
  size_t erase(std::string_view key) {
    auto it = find(key);
    if (it == v_.end()) return 0;
    v_.erase(it);
    return 1;
  }
  template <class Pred>
  friend size_t erase_if(ExtFields& f, Pred pred) {
    return std::erase_if(f.v_, [&](const value_type& kv) { return pred(kv); });
  }

  iterator begin() { return v_.begin(); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  void clear() { v_.clear(); }
  void reserve(size_t n) { v_.reserve(n); }

  bool operator==(const ExtFields&) const = default;

 private:
  // Room for a whole header at the first insert: one allocation, not five.
  static constexpr size_t kTypicalFieldsMax = 16;

  iterator insert_at(iterator at, std::string_view key, std::string_view value) {
    if (v_.capacity() == 0) {
      const auto i = at - v_.begin();
      v_.reserve(kTypicalFieldsMax);
      at = v_.begin() + i;
    }
    return v_.emplace(at, std::string(key), std::string(value));
  }
  const_iterator lower(std::string_view key) const {
    return std::lower_bound(v_.begin(), v_.end(), key,
                            [](const value_type& kv, std::string_view k) { return std::string_view(kv.first) < k; });
  }
  iterator lower(std::string_view key) {
    return std::lower_bound(v_.begin(), v_.end(), key,
                            [](const value_type& kv, std::string_view k) { return std::string_view(kv.first) < k; });
  }

  std::vector<value_type> v_;
};

}  // namespace rmq::remoting
