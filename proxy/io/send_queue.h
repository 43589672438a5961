// The bytes a stream still has to send, shared by both reactors: owned text, or views of bytes
// kept alive by an owner (stored values sent without a copy). Reactor-thread only.
#pragma once

#include <sys/uio.h>

#include <cassert>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace ringside::proxy {

class SendQueue {
 public:
  void Push(std::string text) {
    if (text.empty()) return;
    bytes_ += text.size();
    chunks_.push_back(Chunk{std::move(text), nullptr, {}});
  }
  // `bytes` stay valid while `owner` lives; the queue holds `owner` until they are sent.
  void PushExternal(std::string_view bytes, std::shared_ptr<const void> owner) {
    if (bytes.empty()) return;
    // A chunk is told apart from owned text by its owner.
    assert(owner != nullptr && "external bytes need an owner");
    bytes_ += bytes.size();
    chunks_.push_back(Chunk{{}, std::move(owner), bytes});
  }

  // Points up to `max` iovecs at the unsent bytes, in order; returns how many it filled. The
  // iovecs stay valid until the next Push*, Consume or Clear.
  size_t Gather(iovec* iov, size_t max) const {
    size_t n = 0;
    for (auto it = chunks_.begin(); it != chunks_.end() && n < max; ++it, ++n) {
      const size_t skip = n == 0 ? offset_ : 0;
      const std::string_view b = it->bytes();
      iov[n].iov_base = const_cast<char*>(b.data()) + skip;
      iov[n].iov_len = b.size() - skip;
    }
    return n;
  }

  // Drops the first `sent` bytes (at most bytes()), releasing chunks sent in full.
  void Consume(size_t sent) {
    bytes_ -= sent;
    while (sent > 0 && !chunks_.empty()) {
      const size_t left = chunks_.front().bytes().size() - offset_;
      if (sent < left) {
        offset_ += sent;
        return;
      }
      sent -= left;
      chunks_.pop_front();
      offset_ = 0;
    }
  }

  void Clear() {
    chunks_.clear();
    offset_ = 0;
    bytes_ = 0;
  }

  size_t bytes() const { return bytes_; }
  bool empty() const { return chunks_.empty(); }

 private:
  struct Chunk {
    std::string text;
    std::shared_ptr<const void> owner;
    std::string_view external;
    std::string_view bytes() const { return owner ? external : std::string_view(text); }
  };
  std::deque<Chunk> chunks_;
  size_t offset_ = 0;  // bytes of chunks_.front() already sent
  size_t bytes_ = 0;   // unsent bytes in chunks_
};

}  // namespace ringside::proxy
