// A simulated disk: what survives a process crash and what survives a power
// loss, kept apart.
//
// Each file (inode) has its page-cache contents (`current`) and its durable
// contents, plus the ordered list of operations since its last sync. A
// process crash keeps everything (the page cache belongs to the kernel). A
// power loss rebuilds every file as: durable contents, then a prefix of the
// unsynced operations, the last of which may be torn at a sector boundary.
//
// Directory entries work the same way: a create, rename or remove is durable
// only after sync_dir() of the parent. After a power loss, every directory
// holds its durable entries.
//
// The Disk itself does no waiting; SimFileSystem (in sim_runtime.cc) adds the
// latency and the faults and is what a node's runtime hands out.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "sim/config.h"

namespace rmq::sim {

struct Inode {
  struct Op {
    bool is_truncate = false;
    uint64_t offset = 0;            // write: where; truncate: new size
    std::vector<std::byte> data;    // write only
  };
  std::vector<std::byte> current;
  std::vector<std::byte> durable;
  std::vector<Op> unsynced;
  uint64_t id = 0;
};

class Disk {
 public:
  explicit Disk(DiskConfig cfg) : cfg_(cfg) {}

  const DiskConfig& config() const { return cfg_; }
  void set_config(const DiskConfig& cfg) { cfg_ = cfg; }

  // All paths are normalized ("/a/b"); see normalize().
  rt::Result<std::shared_ptr<Inode>> open(const std::string& path, rt::OpenMode mode);
  bool exists(const std::string& path) const;
  rt::Result<std::vector<std::string>> list(const std::string& dir) const;
  rt::Result<void> create_dirs(const std::string& dir);
  rt::Result<void> rename(const std::string& from, const std::string& to);
  rt::Result<void> remove(const std::string& path);
  rt::Result<void> sync_dir(const std::string& dir);
  rt::DiskUsage usage() const;

  rt::Result<void> write(Inode& f, uint64_t offset, rt::ConstBytes data);
  rt::Result<void> truncate(Inode& f, uint64_t size_bytes);
  size_t read(const Inode& f, uint64_t offset, rt::MutableBytes buf) const;
  void sync(Inode& f);

  // Power loss: every file becomes its durable contents plus a random prefix
  // of its unsynced operations (the last one torn at a sector boundary), and
  // directories lose their unsynced entries.
  void power_loss(rt::Random& rng);

  // Total bytes of page-cache contents of the files in the namespace.
  uint64_t used_bytes() const;
  // Folded into the trace: a digest of every file's path and contents.
  uint64_t digest() const;

  // "/a//b/./c/" -> "/a/b/c"; relative paths are taken from "/". Errc::
  // invalid_argument for ".." escaping the root or an empty path.
  static rt::Result<std::string> normalize(std::string_view path);
  static std::string parent(const std::string& path);

 private:
  bool dir_exists(const std::string& dir) const;
  bool has_children(const std::string& dir) const;

  DiskConfig cfg_;
  std::map<std::string, std::shared_ptr<Inode>> files_;
  std::map<std::string, std::shared_ptr<Inode>> durable_files_;
  std::set<std::string> dirs_{"/"};
  std::set<std::string> durable_dirs_{"/"};
  uint64_t next_inode_ = 1;
};

// Applies a write or truncate to a byte vector, growing with zeros.
void apply_op(std::vector<std::byte>& bytes, const Inode::Op& op);

}  // namespace rmq::sim
