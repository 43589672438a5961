// Command arguments copied into one allocation, so a task can carry them to another core.
#pragma once

#include <algorithm>
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
  // Views of arguments [first, first + count); valid while this object lives unchanged.
  std::vector<std::string_view> Views(size_t first = 0, size_t count = SIZE_MAX) const {
    std::vector<std::string_view> v;
    const size_t end = count == SIZE_MAX ? spans_.size() : std::min(spans_.size(), first + count);
    v.reserve(end - first);
    for (size_t i = first; i < end; ++i) {
      v.emplace_back(blob_.data() + spans_[i].first, spans_[i].second);
    }
    return v;
  }

 private:
  std::string blob_;
  std::vector<std::pair<size_t, size_t>> spans_;
};

}  // namespace ringside::proxy
