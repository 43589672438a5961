// Blocking writes for the few places that must not go through a FileIo: a manifest, the first
// bytes of a new file, and what is left at shutdown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::backend {

// Writes all of `data` at `offset` of `fd`, retrying short writes and EINTR. Returns 0, or the
// errno of the failure (ENOSPC for a write that made no progress).
int PwriteAll(int fd, std::string_view data, uint64_t offset);

// "<what> <path>: <strerror(errno)>", for an error a file operation just set in errno.
std::string ErrnoText(const std::string& what, const std::string& path);

}  // namespace ringside::backend
