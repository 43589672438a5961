// A FileIo for unit tests of the backend's files: it completes writes and fsyncs only when
// the test says so, in the order they were started.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backend/file_io.h"

namespace ringside::backend {

class FakeFileIo final : public FileIo {
 public:
  struct Op {
    bool sync = false;
    std::string data;
    uint64_t offset = 0;
    std::function<void(int64_t)> done;
  };
  void WriteFile(int, std::string_view data, uint64_t offset,
                 std::function<void(int64_t)> done) override {
    ops.push_back(Op{false, std::string(data), offset, std::move(done)});
  }
  void SyncFile(int, std::function<void(int)> done) override {
    ops.push_back(
        Op{true, "", 0, [done = std::move(done)](int64_t r) { done(static_cast<int>(r)); }});
  }
  // Completes the oldest op with `res` (for a write, all of it by default).
  Op Complete(std::optional<int64_t> res = std::nullopt) {
    Op op = std::move(ops.front());
    ops.pop_front();
    op.done(res ? *res : static_cast<int64_t>(op.data.size()));
    return op;
  }
  std::deque<Op> ops;
};

}  // namespace ringside::backend
