// Command arguments a task carries to another core: small ones copied into one allocation, big
// ones that arrived in their own buffers (BigBulk) moved in by reference, never copied.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/bigbulk.h"

namespace ringside::proxy {

class OwnedArgs {
 public:
  void Add(std::string_view a) {
    spans_.push_back(Span{blob_.size(), a.size(), -1});
    blob_.append(a);
  }
  // Adds a big argument by reference.
  void AddShared(shards::SharedBytes bytes) {
    spans_.push_back(Span{0, bytes.size, static_cast<int64_t>(shared_.size())});
    shared_.push_back(PromotedArg{static_cast<uint32_t>(spans_.size() - 1), std::move(bytes)});
  }
  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  // Bytes copied by Add.
  size_t copied_bytes() const { return blob_.size(); }
  // Views of every argument; valid while this object lives unchanged.
  std::vector<std::string_view> Views() const {
    std::vector<std::string_view> v;
    v.reserve(spans_.size());
    for (const Span& s : spans_) {
      if (s.shared >= 0) {
        v.push_back(shared_[static_cast<size_t>(s.shared)].bytes.view());
      } else {
        v.emplace_back(blob_.data() + s.offset, s.length);
      }
    }
    return v;
  }
  // The big arguments, indexed by their position among all arguments; a handler may move
  // their bytes out (the views stay valid: the bytes live on wherever they went).
  PromotedArgs* shared() { return &shared_; }

 private:
  struct Span {
    size_t offset;
    size_t length;
    int64_t shared;  // index into shared_, or -1 for bytes in blob_
  };
  std::string blob_;
  std::vector<Span> spans_;
  PromotedArgs shared_;
};

}  // namespace ringside::proxy
