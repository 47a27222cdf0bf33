#include "sim/disk.h"

#include <algorithm>
#include <cstring>

#include "sim/simulation.h"

namespace rmq::sim {

using rt::Errc;
using rt::Error;

void apply_op(std::vector<std::byte>& bytes, const Inode::Op& op) {
  if (op.is_truncate) {
    bytes.resize(op.offset);
    return;
  }
  const uint64_t end = op.offset + op.data.size();
  if (bytes.size() < end) bytes.resize(end);
  if (!op.data.empty()) std::memcpy(bytes.data() + op.offset, op.data.data(), op.data.size());
}

rt::Result<std::string> Disk::normalize(std::string_view path) {
  if (path.empty()) return Error(Errc::invalid_argument, "empty path");
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return Error(Errc::invalid_argument, "path escapes root: " + std::string(path));
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? std::string("/") : out;
}

std::string Disk::parent(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return path.substr(0, slash);
}

bool Disk::dir_exists(const std::string& dir) const { return dirs_.count(dir) != 0; }

bool Disk::has_children(const std::string& dir) const {
  for (const auto& [p, f] : files_)
    if (parent(p) == dir) return true;
  for (const auto& d : dirs_)
    if (d != "/" && parent(d) == dir) return true;
  return false;
}

rt::Result<std::shared_ptr<Inode>> Disk::open(const std::string& path, rt::OpenMode mode) {
  if (dir_exists(path)) return Error(Errc::invalid_argument, "open " + path + ": is a directory");
  auto it = files_.find(path);
  if (it != files_.end()) {
    if (mode == rt::OpenMode::create_new) return Error(Errc::already_exists, "open " + path);
    return it->second;
  }
  if (mode == rt::OpenMode::existing) return Error(Errc::not_found, "open " + path);
  if (!dir_exists(parent(path))) return Error(Errc::not_found, "open " + path + ": no parent directory");
  auto inode = std::make_shared<Inode>();
  inode->id = next_inode_++;
  files_.emplace(path, inode);
  return inode;
}

bool Disk::exists(const std::string& path) const { return files_.count(path) || dirs_.count(path); }

rt::Result<std::vector<std::string>> Disk::list(const std::string& dir) const {
  if (!dir_exists(dir)) return Error(Errc::not_found, "list " + dir);
  std::vector<std::string> names;
  const size_t skip = dir == "/" ? 1 : dir.size() + 1;
  for (const auto& [p, f] : files_)
    if (parent(p) == dir) names.push_back(p.substr(skip));
  for (const auto& d : dirs_)
    if (d != "/" && parent(d) == dir) names.push_back(d.substr(skip));
  std::sort(names.begin(), names.end());
  return names;
}

rt::Result<void> Disk::create_dirs(const std::string& dir) {
  if (files_.count(dir)) return Error(Errc::already_exists, "create_dirs " + dir + ": is a file");
  std::string d = dir;
  std::vector<std::string> missing;
  while (!dir_exists(d)) {
    if (files_.count(d)) return Error(Errc::already_exists, "create_dirs " + dir + ": " + d + " is a file");
    missing.push_back(d);
    d = parent(d);
  }
  for (auto& m : missing) dirs_.insert(m);
  return {};
}

rt::Result<void> Disk::rename(const std::string& from, const std::string& to) {
  if (dir_exists(from))
    return Error(Errc::invalid_argument, "rename " + from + ": directories cannot be renamed in the simulator");
  auto it = files_.find(from);
  if (it == files_.end()) return Error(Errc::not_found, "rename " + from);
  if (dir_exists(to)) return Error(Errc::invalid_argument, "rename to " + to + ": is a directory");
  if (!dir_exists(parent(to))) return Error(Errc::not_found, "rename to " + to + ": no parent directory");
  if (from == to) return {};
  auto inode = it->second;
  files_.erase(it);
  files_[to] = std::move(inode);
  return {};
}

rt::Result<void> Disk::remove(const std::string& path) {
  if (files_.erase(path)) return {};
  if (path != "/" && dir_exists(path)) {
    if (has_children(path)) return Error(Errc::not_empty, "remove " + path);
    dirs_.erase(path);
    return {};
  }
  return Error(Errc::not_found, "remove " + path);
}

rt::Result<void> Disk::sync_dir(const std::string& dir) {
  if (!dir_exists(dir)) return Error(Errc::not_found, "sync_dir " + dir);
  // Make the durable children of `dir` equal to the current ones.
  for (auto it = durable_files_.begin(); it != durable_files_.end();) {
    if (parent(it->first) == dir && !files_.count(it->first)) it = durable_files_.erase(it);
    else ++it;
  }
  for (const auto& [p, f] : files_)
    if (parent(p) == dir) durable_files_[p] = f;
  for (auto it = durable_dirs_.begin(); it != durable_dirs_.end();) {
    if (*it != "/" && parent(*it) == dir && !dirs_.count(*it)) it = durable_dirs_.erase(it);
    else ++it;
  }
  for (const auto& d : dirs_)
    if (d != "/" && parent(d) == dir) durable_dirs_.insert(d);
  return {};
}

uint64_t Disk::used_bytes() const {
  uint64_t used = 0;
  for (const auto& [p, f] : files_) used += f->current.size();
  return used;
}

rt::DiskUsage Disk::usage() const {
  const uint64_t used = used_bytes();
  return {cfg_.capacity_bytes, used >= cfg_.capacity_bytes ? 0 : cfg_.capacity_bytes - used};
}

rt::Result<void> Disk::write(Inode& f, uint64_t offset, rt::ConstBytes data) {
  const uint64_t end = offset + data.size();
  if (end > f.current.size() && used_bytes() + (end - f.current.size()) > cfg_.capacity_bytes)
    return Error(Errc::no_space, "write past disk capacity");
  Inode::Op op;
  op.offset = offset;
  op.data.assign(data.begin(), data.end());
  apply_op(f.current, op);
  f.unsynced.push_back(std::move(op));
  return {};
}

rt::Result<void> Disk::truncate(Inode& f, uint64_t size_bytes) {
  if (size_bytes > f.current.size() &&
      used_bytes() + (size_bytes - f.current.size()) > cfg_.capacity_bytes)
    return Error(Errc::no_space, "truncate past disk capacity");
  Inode::Op op;
  op.is_truncate = true;
  op.offset = size_bytes;
  apply_op(f.current, op);
  f.unsynced.push_back(std::move(op));
  return {};
}

size_t Disk::read(const Inode& f, uint64_t offset, rt::MutableBytes buf) const {
  if (offset >= f.current.size()) return 0;
  const size_t n = std::min<uint64_t>(buf.size(), f.current.size() - offset);
  std::memcpy(buf.data(), f.current.data() + offset, n);
  return n;
}

void Disk::sync(Inode& f) {
  for (const auto& op : f.unsynced) apply_op(f.durable, op);
  f.unsynced.clear();
  RMQ_ASSERT(f.durable.size() == f.current.size());
}

void Disk::power_loss(rt::Random& rng) {
  files_ = durable_files_;
  dirs_ = durable_dirs_;
  // A durable entry whose directory is gone is gone too: directories first,
  // top down (a parent sorts before its children), then the files, so that
  // no file outlives a lost ancestor (it came back with the directory once).
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    if (*it != "/" && !dirs_.count(parent(*it))) it = dirs_.erase(it);
    else ++it;
  }
  for (auto it = files_.begin(); it != files_.end();) {
    if (!dirs_.count(parent(it->first))) it = files_.erase(it);
    else ++it;
  }
  durable_files_ = files_;
  durable_dirs_ = dirs_;
  // Tear each surviving file; an inode may be linked twice: tear it once.
  std::set<uint64_t> torn;
  for (auto& [p, f] : files_) {
    if (!torn.insert(f->id).second) continue;
    const uint64_t kept = rng.below(f->unsynced.size() + 1);
    std::vector<std::byte> bytes = f->durable;
    for (uint64_t i = 0; i < kept; ++i) apply_op(bytes, f->unsynced[i]);
    if (kept < f->unsynced.size() && !f->unsynced[kept].is_truncate) {
      // The next write reaches the disk up to a random sector boundary
      // inside it (possibly none of it).
      const Inode::Op& w = f->unsynced[kept];
      const uint64_t sector = config().sector_bytes;
      const uint64_t end = w.offset + w.data.size();
      const uint64_t first = (w.offset / sector + 1) * sector;
      const uint64_t boundaries = first < end ? (end - 1 - first) / sector + 1 : 0;
      const uint64_t pick = rng.below(boundaries + 1);
      const uint64_t cut = pick == 0 ? w.offset : first + (pick - 1) * sector;
      if (cut > w.offset) {
        Inode::Op part;
        part.offset = w.offset;
        part.data.assign(w.data.begin(), w.data.begin() + static_cast<ptrdiff_t>(cut - w.offset));
        apply_op(bytes, part);
      }
    }
    f->durable = bytes;
    f->current = std::move(bytes);
    f->unsynced.clear();
  }
}

uint64_t Disk::digest() const {
  uint64_t h = 0x6469736b;
  for (const auto& [p, f] : files_) {
    for (char c : p) h = hash_fold(h, static_cast<uint8_t>(c));
    h = hash_fold(h, f->current.size());
    // Every 8 bytes as a big-endian word, then the last word with the tail
    // shifted in.
    const size_t size = f->current.size();
    const std::byte* data = f->current.data();
    uint64_t word = 0;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      uint64_t raw;
      std::memcpy(&raw, data + i, 8);
      word = __builtin_bswap64(raw);
      h = hash_fold(h, word);
    }
    for (; i < size; ++i) word = (word << 8) | static_cast<uint8_t>(data[i]);
    h = hash_fold(h, word);
  }
  return h;
}

}  // namespace rmq::sim
