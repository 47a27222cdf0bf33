// OS error numbers as rt::Error values. Internal to runtime/real/.
#pragma once

#include <string_view>

#include "runtime/runtime.h"

namespace rmq::real {

// ENOENT not_found, EEXIST already_exists, ENOSPC/EDQUOT no_space,
// ENOTEMPTY not_empty, everything else io_error.
rt::Errc errc_from_errno(int err);

// Error(errc_from_errno(err), "<what> <path>: <strerror>"), for example
// "open /x/y: No such file or directory".
rt::Error os_error(int err, std::string_view what, std::string_view path);

}  // namespace rmq::real
