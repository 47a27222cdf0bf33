#include "scenarios/real/disk.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>

#include "scenarios/real/net.h"

namespace rmq::chaos {

namespace {

std::string ballast_of(const std::string& dir) { return dir + "/.rmq-chaos-ballast"; }

}  // namespace

bool ChaosDisks::mount(const std::string& node, const std::string& dir, uint64_t size_bytes, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (run_command({"mount", "-t", "tmpfs", "-o", "size=" + std::to_string(size_bytes), "tmpfs", dir}) != 0) {
    error = "cannot mount a tmpfs on " + dir;
    return false;
  }
  dirs_[node] = dir;
  return true;
}

void ChaosDisks::fill(const std::string& node) {
  auto it = dirs_.find(node);
  if (it == dirs_.end()) return;
  struct statvfs st {};
  if (statvfs(it->second.c_str(), &st) != 0) return;
  const int fd = open(ballast_of(it->second).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  // Whatever is free now, and again for what the store frees meanwhile.
  for (int i = 0; i < 3; ++i) {
    off_t size = lseek(fd, 0, SEEK_END);
    if (statvfs(it->second.c_str(), &st) != 0 || st.f_bavail == 0) break;
    (void)posix_fallocate(fd, size, static_cast<off_t>(st.f_bavail * st.f_frsize));
  }
  close(fd);
}

void ChaosDisks::free(const std::string& node) {
  auto it = dirs_.find(node);
  if (it != dirs_.end()) unlink(ballast_of(it->second).c_str());
}

void ChaosDisks::unmount_all() {
  for (const auto& [node, dir] : dirs_) run_command({"umount", "-l", dir});
  dirs_.clear();
}

}  // namespace rmq::chaos
