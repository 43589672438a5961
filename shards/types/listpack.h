// A listpack: Redis's compact sequence of strings and integers in one allocation, byte for
// byte as Redis 7.0 lays it out, so that small hashes, list nodes (and later sorted sets) take
// what they take in redis-server and DUMP / RESTORE can hand the bytes over as they are.
//
//   <total bytes: u32 LE> <elements: u16 LE, 65535 = count them> <entry>... <0xFF>
//   entry = <encoding and data> <backlen: the entry's length, 1-5 bytes, read backwards>
//
// A string that reads as a 64-bit integer the strict way (no sign but '-', no leading zero,
// not "-0") is stored as that integer, in the smallest of Redis's integer encodings; anything
// else as a string with a 6-, 12- or 32-bit length. Positions are byte offsets of entries,
// valid until the next change.
//
// A moved-from Listpack may only be assigned to or destroyed. Not thread-safe; owned by one
// shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringside::shards {

class Listpack {
 public:
  static constexpr size_t kHeaderSize = 6;
  static constexpr uint8_t kEnd = 0xFF;
  // The position after the last entry (where the end byte is) stands for "no entry".
  using Pos = uint32_t;

  // One entry's content: an integer, or string bytes (pointing into the listpack).
  struct Element {
    bool is_int = false;
    int64_t value = 0;
    std::string_view str;
    // The content as a string: `str`, or the integer written into *buf.
    std::string_view View(std::string* buf) const;
    bool Equals(std::string_view s) const;
  };

  Listpack();
  ~Listpack();
  Listpack(Listpack&& o) noexcept;
  Listpack& operator=(Listpack&& o) noexcept;
  Listpack(const Listpack&) = delete;
  Listpack& operator=(const Listpack&) = delete;

  // Bytes in Redis's format (from RESTORE or an RDB payload): adopted when every entry is
  // well-formed and the header agrees, else false with *this unchanged.
  bool Assign(std::string_view bytes);

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bytes() const { return Total(); }
  std::string_view raw() const { return {buf_, Total()}; }

  Pos First() const { return kHeaderSize; }
  Pos End() const { return static_cast<Pos>(Total() - 1); }
  Pos Next(Pos p) const;
  // The entry before `p` (which may be End()); `p` must not be First().
  Pos Prev(Pos p) const;
  Element Get(Pos p) const;

  // The first entry equal to `s` from `from` on, looking at every `step`-th entry (2: the
  // fields of a field/value sequence); End() when none is.
  Pos Find(std::string_view s, Pos from, size_t step) const;

  void Append(std::string_view s);
  // Inserts `s` before the entry at `p` (at the end when `p` is End()); returns the position of
  // the entry that was at `p`.
  Pos Insert(Pos p, std::string_view s);
  // Replaces the entry at `p` with `s`; returns the position of the entry after it.
  Pos Replace(Pos p, std::string_view s);
  // Removes `n` entries from `p` on.
  void Erase(Pos p, size_t n);

 private:
  uint32_t Total() const;
  void SetTotal(uint32_t total);
  void SetCount(size_t count);
  // Writes `s` at `p`, over the entry there when `replace`, else before it.
  Pos Write(Pos p, std::string_view s, bool replace);
  // Makes room: `remove` bytes at `at` become `insert` bytes (contents unset).
  void Splice(Pos at, size_t remove, size_t insert);

  char* buf_;
  size_t count_ = 0;
};

}  // namespace ringside::shards
