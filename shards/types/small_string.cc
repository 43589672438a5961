// SmallString's allocation and growth.
#include "shards/types/small_string.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace ringside::shards {

void SmallString::Init(std::string_view s) {
  if (s.size() <= kInlineMax) {
    if (!s.empty()) std::memcpy(rep_, s.data(), s.size());
    rep_[kInlineMax] = static_cast<char>(s.size());
    return;
  }
  char* p = static_cast<char*>(std::malloc(s.size()));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  std::memcpy(rep_ + kPtrAt, &p, sizeof(p));
  SetWord(kSizeAt, s.size());
  SetWord(kCapAt, s.size() | (uint64_t{kHeapTag} << 56));
}

void SmallString::Free() {
  if (heap()) std::free(HeapPtr());
}

SmallString& SmallString::operator=(const SmallString& o) {
  if (this != &o) {
    SmallString copy(o);
    *this = std::move(copy);
  }
  return *this;
}

SmallString& SmallString::operator=(SmallString&& o) noexcept {
  if (this != &o) {
    Free();
    std::memcpy(rep_, o.rep_, sizeof(rep_));
    o.Clear();
  }
  return *this;
}

void SmallString::Reserve(size_t n) {
  const size_t cap = capacity();
  if (n <= cap) return;
  const size_t new_cap = std::max(n, cap * 2);
  const size_t len = size();
  char* p;
  if (heap()) {
    p = static_cast<char*>(std::realloc(HeapPtr(), new_cap));
    if (p == nullptr) throw std::bad_alloc();
  } else {
    p = static_cast<char*>(std::malloc(new_cap));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, rep_, len);
  }
  std::memcpy(rep_ + kPtrAt, &p, sizeof(p));
  SetWord(kSizeAt, len);
  SetWord(kCapAt, new_cap | (uint64_t{kHeapTag} << 56));
}

void SmallString::append(std::string_view s) {
  if (s.empty()) return;
  const size_t len = size();
  Reserve(len + s.size());
  std::memcpy(data() + len, s.data(), s.size());
  SetSize(len + s.size());
}

void SmallString::resize(size_t n, char fill) {
  const size_t len = size();
  if (n > len) {
    Reserve(n);
    std::memset(data() + len, fill, n - len);
  }
  SetSize(n);
}

void SmallString::Overwrite(size_t pos, std::string_view s) {
  if (s.empty()) return;
  if (pos + s.size() > size()) resize(pos + s.size(), '\0');
  std::memcpy(data() + pos, s.data(), s.size());
}

}  // namespace ringside::shards
