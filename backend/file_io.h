// Asynchronous regular-file I/O as one shard's thread sees it: requests are started on the
// thread and their completions run later on the same thread. The reactor provides it (io_uring
// ops on the shard's ring, or a helper thread under libevent); unit tests use a synchronous
// fake.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace ringside::backend {

class FileIo {
 public:
  virtual ~FileIo() = default;
  // Writes `data` at `offset` of `fd`; `done` receives the number of bytes written (possibly
  // fewer than asked) or -errno. `data` must stay valid until `done` runs.
  virtual void WriteFile(int fd, std::string_view data, uint64_t offset,
                         std::function<void(int64_t res)> done) = 0;
  // fdatasync(fd); `done` receives 0 or -errno.
  virtual void SyncFile(int fd, std::function<void(int res)> done) = 0;
};

}  // namespace ringside::backend
