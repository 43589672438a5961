#include "shards/types/intset.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace ringside::shards {

namespace {

uint32_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t Load(const char* p, uint32_t width) {
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

}  // namespace

Intset::Intset() : buf_(static_cast<char*>(std::calloc(1, kHeaderSize))) {
  if (buf_ == nullptr) throw std::bad_alloc();
  SetWidth(2);
}

Intset::~Intset() { std::free(buf_); }

Intset::Intset(Intset&& o) noexcept : buf_(std::exchange(o.buf_, nullptr)) {}

Intset& Intset::operator=(Intset&& o) noexcept {
  std::swap(buf_, o.buf_);
  return *this;
}

void Intset::Resize(size_t total) {
  char* grown = static_cast<char*>(std::realloc(buf_, total));
  if (grown == nullptr) throw std::bad_alloc();
  buf_ = grown;
}

uint32_t Intset::width() const {
  uint32_t w;
  std::memcpy(&w, buf_, 4);
  return w;
}

void Intset::SetWidth(uint32_t w) { std::memcpy(buf_, &w, 4); }

size_t Intset::size() const {
  uint32_t n;
  std::memcpy(&n, buf_ + 4, 4);
  return n;
}

void Intset::SetSize(size_t n) {
  const uint32_t v = static_cast<uint32_t>(n);
  std::memcpy(buf_ + 4, &v, 4);
}

int64_t Intset::At(size_t i) const { return Load(buf_ + kHeaderSize + i * width(), width()); }

void Intset::Put(size_t i, int64_t v) {
  const uint32_t w = width();
  char* p = buf_ + kHeaderSize + i * w;
  if (w == 2) {
    const int16_t x = static_cast<int16_t>(v);
    std::memcpy(p, &x, 2);
  } else if (w == 4) {
    const int32_t x = static_cast<int32_t>(v);
    std::memcpy(p, &x, 4);
  } else {
    std::memcpy(p, &v, 8);
  }
}

bool Intset::Search(int64_t v, size_t* pos) const {
  size_t lo = 0, hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int64_t m = At(mid);
    if (m == v) {
      *pos = mid;
      return true;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

bool Intset::Contains(int64_t v) const {
  size_t pos;
  return WidthFor(v) <= width() && Search(v, &pos);
}

bool Intset::Add(int64_t v) {
  const size_t n = size();
  if (WidthFor(v) > width()) {
    // Wider than every value held, so it goes first (negative) or last; the others are
    // rewritten at the new width from the back, so none is overwritten before it is read.
    const uint32_t old_width = width();
    const uint32_t new_width = WidthFor(v);
    Resize(kHeaderSize + (n + 1) * new_width);
    SetWidth(new_width);
    const size_t shift = v < 0 ? 1 : 0;
    for (size_t i = n; i-- > 0;) {
      Put(i + shift, Load(buf_ + kHeaderSize + i * old_width, old_width));
    }
    Put(v < 0 ? 0 : n, v);
    SetSize(n + 1);
    return true;
  }
  size_t pos;
  if (Search(v, &pos)) return false;
  const uint32_t w = width();
  Resize(kHeaderSize + (n + 1) * w);
  char* at = buf_ + kHeaderSize + pos * w;
  std::memmove(at + w, at, (n - pos) * w);
  Put(pos, v);
  SetSize(n + 1);
  return true;
}

bool Intset::Remove(int64_t v) {
  size_t pos;
  if (WidthFor(v) > width() || !Search(v, &pos)) return false;
  const uint32_t w = width();
  const size_t n = size();
  char* at = buf_ + kHeaderSize + pos * w;
  std::memmove(at, at + w, (n - pos - 1) * w);
  SetSize(n - 1);
  Resize(kHeaderSize + (n - 1) * w);
  return true;
}

bool Intset::Assign(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) return false;
  uint32_t w, n;
  std::memcpy(&w, bytes.data(), 4);
  std::memcpy(&n, bytes.data() + 4, 4);
  if ((w != 2 && w != 4 && w != 8) || bytes.size() != kHeaderSize + uint64_t{n} * w) return false;
  for (uint32_t i = 1; i < n; ++i) {
    const char* p = bytes.data() + kHeaderSize + i * w;
    if (Load(p - w, w) >= Load(p, w)) return false;
  }
  Resize(bytes.size());
  std::memcpy(buf_, bytes.data(), bytes.size());
  return true;
}

}  // namespace ringside::shards
