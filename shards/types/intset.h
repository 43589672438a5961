// An intset: Redis's sorted array of distinct integers for small sets of integers, byte for
// byte as Redis 7.0 lays it out (so DUMP / RESTORE hand the bytes over as they are):
//
//   <encoding: u32 LE, 2, 4 or 8 bytes per value> <length: u32 LE> <values, ascending, LE>
//
// Every value takes the width of the widest one; adding a wider value widens them all.
// Lookups are binary searches. A moved-from Intset may only be assigned to or destroyed.
// Not thread-safe; owned by one shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::shards {

class Intset {
 public:
  static constexpr size_t kHeaderSize = 8;

  Intset();
  ~Intset();
  Intset(Intset&& o) noexcept;
  Intset& operator=(Intset&& o) noexcept;
  Intset(const Intset&) = delete;
  Intset& operator=(const Intset&) = delete;

  // Bytes in Redis's format: adopted when the encoding is one of the three, the length
  // matches the size and the values ascend strictly; else false with *this unchanged.
  bool Assign(std::string_view bytes);

  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t bytes() const { return kHeaderSize + size() * width(); }
  std::string_view raw() const { return {buf_, bytes()}; }
  // The i-th value in ascending order.
  int64_t At(size_t i) const;
  bool Contains(int64_t v) const;
  // False when `v` was already there.
  bool Add(int64_t v);
  // False when `v` was not there.
  bool Remove(int64_t v);

 private:
  uint32_t width() const;
  void SetWidth(uint32_t w);
  void SetSize(size_t n);
  // Where `v` is, or where it would go: true when found.
  bool Search(int64_t v, size_t* pos) const;
  void Put(size_t i, int64_t v);
  // Reallocates the buffer to `total` bytes, keeping what fits.
  void Resize(size_t total);

  // One allocation holding exactly the intset, as Redis's does: small sets are most sets.
  char* buf_;
};

}  // namespace ringside::shards
