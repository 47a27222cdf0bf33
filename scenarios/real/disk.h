// rmq-chaos's disks: a broker whose plan fills its disk keeps its store on
// a small tmpfs of its own, and disk_full fills that tmpfs with a ballast
// file (writes then fail with ENOSPC, as on a full disk); disk_free removes
// the ballast. Needs root (mount); every mount is undone by unmount_all()
// and the destructor.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rmq::chaos {

class ChaosDisks {
 public:
  ChaosDisks() = default;
  ~ChaosDisks() { unmount_all(); }
  ChaosDisks(const ChaosDisks&) = delete;
  ChaosDisks& operator=(const ChaosDisks&) = delete;

  // Mounts a tmpfs of `size_bytes` on `dir` (created) for `node`. False,
  // with `error`, when it cannot.
  bool mount(const std::string& node, const std::string& dir, uint64_t size_bytes, std::string& error);
  bool has(const std::string& node) const { return dirs_.count(node) != 0; }
  // Fills the node's tmpfs to the last byte; empties it again.
  void fill(const std::string& node);
  void free(const std::string& node);
  void unmount_all();

 private:
  std::map<std::string, std::string> dirs_;  // node -> mount point
};

}  // namespace rmq::chaos
