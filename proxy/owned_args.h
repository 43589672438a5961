// Command arguments copied into one allocation, so a task can carry them to another core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringside::proxy {

class OwnedArgs {
 public:
  void Add(std::string_view a) {
    spans_.emplace_back(blob_.size(), a.size());
    blob_.append(a);
  }
  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  // Views of every argument; valid while this object lives unchanged.
  std::vector<std::string_view> Views() const {
    std::vector<std::string_view> v;
    v.reserve(spans_.size());
    for (const auto& [offset, length] : spans_) v.emplace_back(blob_.data() + offset, length);
    return v;
  }

 private:
  std::string blob_;
  std::vector<std::pair<size_t, size_t>> spans_;
};

}  // namespace ringside::proxy
