// SmallString: the private bytes of a string value, in 24 bytes. Up to kInlineMax bytes live
// inside the object; longer strings on the heap, with room to grow by doubling (APPEND,
// SETRANGE, SETBIT). Eight bytes smaller than std::string, which is what lets a stored key's
// node fit a smaller allocation class, and it keeps 23 bytes inline where std::string keeps 15.
//
// Layout (little-endian only): the last byte says which form the object has. Inline, it is the
// length and the bytes come first; on the heap it is kHeapTag, and the object holds the
// pointer, the size and the capacity, whose top byte is that last byte. The bytes are not
// NUL-terminated. Not thread-safe; owned by one shard.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ringside::shards {

class SmallString {
 public:
  static constexpr size_t kInlineMax = 23;

  SmallString() noexcept { Clear(); }
  SmallString(std::string_view s) { Init(s); }  // NOLINT(google-explicit-constructor)
  SmallString(const std::string& s) : SmallString(std::string_view(s)) {}  // NOLINT
  SmallString(const char* s) : SmallString(std::string_view(s)) {}         // NOLINT
  SmallString(const SmallString& o) : SmallString(o.view()) {}
  // A moved-from string is empty.
  SmallString(SmallString&& o) noexcept {
    std::memcpy(rep_, o.rep_, sizeof(rep_));
    o.Clear();
  }
  SmallString& operator=(const SmallString& o);
  SmallString& operator=(SmallString&& o) noexcept;
  ~SmallString() { Free(); }

  size_t size() const { return heap() ? Word(kSizeAt) : Tag(); }
  bool empty() const { return size() == 0; }
  // What the string can hold before it must reallocate.
  size_t capacity() const { return heap() ? Word(kCapAt) & kCapMask : kInlineMax; }
  const char* data() const { return heap() ? HeapPtr() : rep_; }
  char* data() { return heap() ? HeapPtr() : rep_; }
  std::string_view view() const { return {data(), size()}; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  char& operator[](size_t i) { return data()[i]; }
  char operator[](size_t i) const { return data()[i]; }

  // The bytes written by append and Overwrite must not lie inside this string.
  void append(std::string_view s);
  // Grows with `fill` bytes or cuts to `n` bytes.
  void resize(size_t n, char fill = '\0');
  // Writes `s` over the bytes from `pos`, growing the string (with NUL bytes between its end
  // and `pos`) when it ends past the end.
  void Overwrite(size_t pos, std::string_view s);

 private:
  static_assert(std::endian::native == std::endian::little,
                "the heap tag is the top byte of the capacity word");
  static constexpr size_t kPtrAt = 0, kSizeAt = 8, kCapAt = 16;
  static constexpr uint8_t kHeapTag = 0xFF;
  static constexpr uint64_t kCapMask = (uint64_t{1} << 56) - 1;

  uint8_t Tag() const { return static_cast<uint8_t>(rep_[kInlineMax]); }
  bool heap() const { return Tag() == kHeapTag; }
  uint64_t Word(size_t at) const {
    uint64_t w;
    std::memcpy(&w, rep_ + at, sizeof(w));
    return w;
  }
  void SetWord(size_t at, uint64_t w) { std::memcpy(rep_ + at, &w, sizeof(w)); }
  char* HeapPtr() const {
    char* p;
    std::memcpy(&p, rep_ + kPtrAt, sizeof(p));
    return p;
  }
  void SetSize(size_t n) {
    if (heap()) {
      SetWord(kSizeAt, n);
    } else {
      rep_[kInlineMax] = static_cast<char>(n);
    }
  }
  void Clear() { rep_[kInlineMax] = 0; }
  void Init(std::string_view s);
  void Free();
  // Makes room for `n` bytes, keeping the current ones; grows to at least twice the capacity.
  void Reserve(size_t n);

  alignas(8) char rep_[24];
};

static_assert(sizeof(SmallString) == 24);

}  // namespace ringside::shards
