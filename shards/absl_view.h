// What the Abseil-backed containers of shards/ share: Debian's Abseil has a string_view type
// of its own (it was built without std::string_view), which its hashes and lookups take, and
// the containers account for the heap bytes of the std::strings they hold.
#pragma once

#include <absl/strings/string_view.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ringside::shards {

inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// What a std::string holds on the heap beyond itself (none within its inline buffer).
inline size_t StringHeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

}  // namespace ringside::shards
