// Whole-file reads and crash-safe replacement through the runtime's file
// system. replace_file() writes a temporary file, syncs it, renames it over
// the target and syncs the directory: after a crash (even a power loss) the
// target holds either the old or the new contents, never a mix. Suspends.
#pragma once

#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace rmq::common {

// Errc::not_found if missing; files larger than `max_bytes` are refused.
rt::Result<std::string> read_file(rt::FileSystem& fs, std::string_view path, uint64_t max_bytes = 64 << 20);

rt::Result<void> replace_file(rt::FileSystem& fs, std::string_view path, std::string_view contents);

// "a/b/c.json" -> "a/b"; "c.json" -> "."
std::string parent_dir(std::string_view path);

// Creates `dir` (and its missing ancestors) and makes it durable: each
// directory's entry is synced in its parent, up to the root, so a power
// loss right after cannot take the new directory (and all it holds) away.
rt::Result<void> create_durable_dir(rt::FileSystem& fs, const std::string& dir);

}  // namespace rmq::common
