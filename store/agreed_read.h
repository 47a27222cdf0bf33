// Reads that are trusted only when a second read agrees.
//
// The stored formats checksum little: a CommitLog record only its body, an
// index entry and a ConsumeQueue unit nothing at all. A read that flips a bit
// (a bad cable, a flaky controller; the simulator's read corruption) while
// the disk keeps the bytes intact would otherwise be believed. Recovery and
// index lookups, whose results become state, read through here; reads whose
// result is checked against something else (a pulled record against its
// unit) do not need to.
#pragma once

#include <cstdint>

#include "runtime/runtime.h"

namespace rmq::store {

inline constexpr int kAgreedReadAttemptsMax = 5;
// Reads smaller than this need three agreeing reads, larger ones two.
inline constexpr size_t kAgreedReadSmallBytes = 512;

// Reads `buf.size()` bytes at `offset` two or three times, up to
// kAgreedReadAttemptsMax rounds, until every read of a round returns the
// same bytes; returns how many. Errc::io_error when no round agrees.
// Suspends.
rt::Result<size_t> read_agreed(rt::File& f, uint64_t offset, rt::MutableBytes buf);

}  // namespace rmq::store
