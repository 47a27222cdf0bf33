#include "runtime/real/errors.h"

#include <cerrno>
#include <string>
#include <system_error>

namespace rmq::real {

using rt::Errc;
using rt::Error;

Errc errc_from_errno(int err) {
  switch (err) {
    case ENOENT: return Errc::not_found;
    case EEXIST: return Errc::already_exists;
    case ENOSPC:
    case EDQUOT: return Errc::no_space;
    case ENOTEMPTY: return Errc::not_empty;
    default: return Errc::io_error;
  }
}

Error os_error(int err, std::string_view what, std::string_view path) {
  std::string detail(what);
  detail += ' ';
  detail += path;
  detail += ": ";
  detail += std::system_category().message(err);  // strerror, but thread-safe
  return Error(errc_from_errno(err), std::move(detail));
}

}  // namespace rmq::real
