#include "shards/types/listpack.h"

#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "shards/number_text.h"

namespace ringside::shards {

namespace {

// Encoding bytes (the first byte of an entry), as Redis 7.0's listpack.c defines them.
constexpr uint8_t k7BitUint = 0x00;  // 0xxxxxxx
constexpr uint8_t k6BitStr = 0x80;   // 10xxxxxx, then the bytes
constexpr uint8_t k13BitInt = 0xC0;  // 110xxxxx yyyyyyyy
constexpr uint8_t k12BitStr = 0xE0;  // 1110xxxx yyyyyyyy, then the bytes
constexpr uint8_t k16BitInt = 0xF1;
constexpr uint8_t k24BitInt = 0xF2;
constexpr uint8_t k32BitInt = 0xF3;
constexpr uint8_t k64BitInt = 0xF4;
constexpr uint8_t k32BitStr = 0xF0;  // then a u32 LE length and the bytes
constexpr uint16_t kUnknownCount = 65535;

uint8_t Byte(const char* p) { return static_cast<uint8_t>(*p); }

// The encoding and data of `s` (no backlen) into `out` (room for 9 bytes when it is an
// integer); returns their length. For a string, only the header is written: the bytes follow.
size_t EncodeHeader(std::string_view s, int64_t* as_int, bool* is_int, uint8_t* out) {
  *is_int = s.size() <= 20 && StrictInt64(s, as_int);
  if (*is_int) {
    const int64_t v = *as_int;
    const uint64_t u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      out[0] = static_cast<uint8_t>(k7BitUint | v);
      return 1;
    }
    if (v >= -4096 && v <= 4095) {
      const uint64_t t = v < 0 ? (1u << 13) + v : u;
      out[0] = static_cast<uint8_t>(k13BitInt | (t >> 8));
      out[1] = static_cast<uint8_t>(t & 0xFF);
      return 2;
    }
    int width;
    if (v >= INT16_MIN && v <= INT16_MAX) {
      out[0] = k16BitInt;
      width = 2;
    } else if (v >= -(1 << 23) && v <= (1 << 23) - 1) {
      out[0] = k24BitInt;
      width = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out[0] = k32BitInt;
      width = 4;
    } else {
      out[0] = k64BitInt;
      width = 8;
    }
    for (int i = 0; i < width; ++i) out[1 + i] = static_cast<uint8_t>(u >> (8 * i));
    return 1 + static_cast<size_t>(width);
  }
  const size_t n = s.size();
  if (n < 64) {
    out[0] = static_cast<uint8_t>(k6BitStr | n);
    return 1;
  }
  if (n < 4096) {
    out[0] = static_cast<uint8_t>(k12BitStr | (n >> 8));
    out[1] = static_cast<uint8_t>(n & 0xFF);
    return 2;
  }
  out[0] = k32BitStr;
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<uint8_t>(n >> (8 * i));
  return 5;
}

// The backlen of an entry whose encoding and data take `l` bytes: 7 bits per byte, the most
// significant group first, every byte but the first with its high bit set, so that reading
// backwards from the entry's end finds the first byte (high bit clear) last.
size_t EncodeBacklen(uint64_t l, uint8_t* out) {
  // Redis's bounds, one short of each power of 2^7 from two bytes on.
  const size_t n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t group = static_cast<uint8_t>((l >> (7 * (n - 1 - i))) & 127);
    out[i] = i == 0 ? group : static_cast<uint8_t>(group | 128);
  }
  return n;
}

size_t BacklenSize(uint64_t l) {
  uint8_t buf[5];
  return EncodeBacklen(l, buf);
}

// The length of the encoding and data of the entry at `p`; 0 when it is malformed or would
// run past `limit`.
size_t EntryDataLen(const char* p, const char* limit) {
  if (p >= limit) return 0;
  const uint8_t b = Byte(p);
  size_t len;
  if ((b & 0x80) == k7BitUint) {
    len = 1;
  } else if ((b & 0xC0) == k6BitStr) {
    len = 1 + (b & 0x3F);
  } else if ((b & 0xE0) == k13BitInt) {
    len = 2;
  } else if ((b & 0xF0) == k12BitStr) {
    if (limit - p < 2) return 0;
    len = 2 + ((static_cast<size_t>(b & 0x0F) << 8) | Byte(p + 1));
  } else if (b == k16BitInt) {
    len = 3;
  } else if (b == k24BitInt) {
    len = 4;
  } else if (b == k32BitInt) {
    len = 5;
  } else if (b == k64BitInt) {
    len = 9;
  } else if (b == k32BitStr) {
    if (limit - p < 5) return 0;
    uint32_t n;
    std::memcpy(&n, p + 1, 4);
    len = 5 + static_cast<size_t>(n);
  } else {
    return 0;
  }
  return static_cast<size_t>(limit - p) >= len ? len : 0;
}

}  // namespace

std::string_view Listpack::Element::View(std::string* buf) const {
  if (!is_int) return str;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  buf->assign(digits, end);
  return *buf;
}

bool Listpack::Element::Equals(std::string_view s) const {
  if (!is_int) return str == s;
  int64_t v;
  return s.size() <= 20 && StrictInt64(s, &v) && v == value;
}

Listpack::Listpack() : buf_(static_cast<char*>(std::malloc(kHeaderSize + 1))) {
  if (buf_ == nullptr) throw std::bad_alloc();
  SetTotal(kHeaderSize + 1);
  SetCount(0);
  buf_[kHeaderSize] = static_cast<char>(kEnd);
}

Listpack::~Listpack() { std::free(buf_); }

Listpack::Listpack(Listpack&& o) noexcept : buf_(o.buf_), count_(o.count_) {
  o.buf_ = nullptr;
  o.count_ = 0;
}

Listpack& Listpack::operator=(Listpack&& o) noexcept {
  std::swap(buf_, o.buf_);
  std::swap(count_, o.count_);
  return *this;
}

uint32_t Listpack::Total() const {
  uint32_t t;
  std::memcpy(&t, buf_, 4);
  return t;
}

void Listpack::SetTotal(uint32_t total) { std::memcpy(buf_, &total, 4); }

void Listpack::SetCount(size_t count) {
  count_ = count;
  const uint16_t c = count < kUnknownCount ? static_cast<uint16_t>(count) : kUnknownCount;
  std::memcpy(buf_ + 4, &c, 2);
}

bool Listpack::Assign(std::string_view bytes) {
  if (bytes.size() < kHeaderSize + 1 || bytes.size() > UINT32_MAX) return false;
  uint32_t total;
  uint16_t header_count;
  std::memcpy(&total, bytes.data(), 4);
  std::memcpy(&header_count, bytes.data() + 4, 2);
  if (total != bytes.size() || Byte(bytes.data() + bytes.size() - 1) != kEnd) return false;
  const char* p = bytes.data() + kHeaderSize;
  const char* limit = bytes.data() + bytes.size() - 1;
  size_t count = 0;
  while (p < limit) {
    const size_t len = EntryDataLen(p, limit);
    if (len == 0) return false;
    uint8_t backlen[5];
    const size_t bl = EncodeBacklen(len, backlen);
    if (static_cast<size_t>(limit - p) < len + bl || std::memcmp(p + len, backlen, bl) != 0) {
      return false;
    }
    p += len + bl;
    ++count;
  }
  if (header_count != kUnknownCount && header_count != count) return false;
  char* copy = static_cast<char*>(std::malloc(bytes.size()));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, bytes.data(), bytes.size());
  std::free(buf_);
  buf_ = copy;
  SetCount(count);
  return true;
}

Listpack::Pos Listpack::Next(Pos p) const {
  const size_t len = EntryDataLen(buf_ + p, buf_ + End());
  return static_cast<Pos>(p + len + BacklenSize(len));
}

Listpack::Element Listpack::Get(Pos p) const {
  const char* e = buf_ + p;
  const uint8_t b = Byte(e);
  Element out;
  auto little = [&](int width) {
    uint64_t u = 0;
    for (int i = 0; i < width; ++i) u |= static_cast<uint64_t>(Byte(e + 1 + i)) << (8 * i);
    // Sign-extends from `width` bytes.
    const int shift = 64 - 8 * width;
    out.is_int = true;
    out.value = static_cast<int64_t>(u << shift) >> shift;
  };
  if ((b & 0x80) == k7BitUint) {
    out.is_int = true;
    out.value = b & 0x7F;
  } else if ((b & 0xC0) == k6BitStr) {
    out.str = {e + 1, static_cast<size_t>(b & 0x3F)};
  } else if ((b & 0xE0) == k13BitInt) {
    const uint64_t u = (static_cast<uint64_t>(b & 0x1F) << 8) | Byte(e + 1);
    out.is_int = true;
    out.value = u >= (1u << 12) ? static_cast<int64_t>(u) - (1 << 13) : static_cast<int64_t>(u);
  } else if ((b & 0xF0) == k12BitStr) {
    out.str = {e + 2, (static_cast<size_t>(b & 0x0F) << 8) | Byte(e + 1)};
  } else if (b == k16BitInt) {
    little(2);
  } else if (b == k24BitInt) {
    little(3);
  } else if (b == k32BitInt) {
    little(4);
  } else if (b == k64BitInt) {
    little(8);
  } else {
    uint32_t n;
    std::memcpy(&n, e + 1, 4);
    out.str = {e + 5, n};
  }
  return out;
}

Listpack::Pos Listpack::Find(std::string_view s, Pos from, size_t step) const {
  const Pos end = End();
  Pos p = from;
  while (p < end) {
    if (Get(p).Equals(s)) return p;
    for (size_t i = 0; i < step && p < end; ++i) p = Next(p);
  }
  return end;
}

void Listpack::Splice(Pos at, size_t remove, size_t insert) {
  const size_t total = Total();
  const size_t new_total = total - remove + insert;
  if (insert > remove) {
    char* grown = static_cast<char*>(std::realloc(buf_, new_total));
    if (grown == nullptr) throw std::bad_alloc();
    buf_ = grown;
  }
  std::memmove(buf_ + at + insert, buf_ + at + remove, total - at - remove);
  if (insert < remove) {
    if (char* shrunk = static_cast<char*>(std::realloc(buf_, new_total))) buf_ = shrunk;
  }
  SetTotal(static_cast<uint32_t>(new_total));
}

void Listpack::Append(std::string_view s) { Write(End(), s, false); }

Listpack::Pos Listpack::Insert(Pos p, std::string_view s) { return Write(p, s, false); }

Listpack::Pos Listpack::Replace(Pos p, std::string_view s) { return Write(p, s, p != End()); }

Listpack::Pos Listpack::Write(Pos p, std::string_view s, bool replace) {
  size_t old_len = 0;
  if (replace) {
    const size_t data = EntryDataLen(buf_ + p, buf_ + End());
    old_len = data + BacklenSize(data);
  }
  uint8_t header[9];
  int64_t as_int = 0;
  bool is_int = false;
  const size_t head = EncodeHeader(s, &as_int, &is_int, header);
  const size_t data = head + (is_int ? 0 : s.size());
  uint8_t backlen[5];
  const size_t bl = EncodeBacklen(data, backlen);
  Splice(p, old_len, data + bl);
  char* out = buf_ + p;
  std::memcpy(out, header, head);
  if (!is_int) std::memcpy(out + head, s.data(), s.size());
  std::memcpy(out + data, backlen, bl);
  if (!replace) SetCount(count_ + 1);
  return static_cast<Pos>(p + data + bl);
}

Listpack::Pos Listpack::Prev(Pos p) const {
  // The backlen ends just before `p`: read backwards, its last byte holds the lowest 7 bits
  // and every byte but its first has the high bit set.
  const char* q = buf_ + p - 1;
  uint64_t len = 0;
  int shift = 0;
  uint8_t b;
  do {
    b = Byte(q--);
    len |= static_cast<uint64_t>(b & 127) << shift;
    shift += 7;
  } while ((b & 128) != 0);
  return static_cast<Pos>(p - BacklenSize(len) - len);
}

void Listpack::Erase(Pos p, size_t n) {
  Pos q = p;
  size_t removed = 0;
  while (removed < n && q < End()) {
    q = Next(q);
    ++removed;
  }
  Splice(p, q - p, 0);
  SetCount(count_ - removed);
}

}  // namespace ringside::shards
