#include "shards/rdb.h"

#include <array>
#include <cstring>
#include <optional>
#include <set>

#include "shards/number_text.h"

namespace ringside::shards {

namespace {

enum RdbType : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeHash = 4,
  kTypeSetIntset = 11,
  kTypeHashListpack = 16,
  kTypeListQuicklist2 = 18,
};

// A quicklist node's container in kTypeListQuicklist2: one element as it is, or a listpack.
constexpr uint64_t kNodePlain = 1;
constexpr uint64_t kNodePacked = 2;

// Length and string encodings: 00 6-bit length, 01 14-bit, 0x80 32-bit BE, 0x81 64-bit BE;
// 11 special: an integer of 8, 16 or 32 bits (LE), or an LZF-compressed string.
constexpr uint8_t kEnc32 = 0x80;
constexpr uint8_t kEnc64 = 0x81;
constexpr uint8_t kEncInt8 = 0xC0;
constexpr uint8_t kEncInt16 = 0xC1;
constexpr uint8_t kEncInt32 = 0xC2;
constexpr uint8_t kEncLzf = 0xC3;

const std::array<uint64_t, 256>& CrcTable() {
  static const std::array<uint64_t, 256> table = [] {
    std::array<uint64_t, 256> t{};
    constexpr uint64_t kReflectedPoly = 0x95AC9329AC4BC9B5ull;
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kReflectedPoly : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void PutLength(std::string* out, uint64_t n) {
  if (n < (1u << 6)) {
    out->push_back(static_cast<char>(n));
  } else if (n < (1u << 14)) {
    out->push_back(static_cast<char>(0x40 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xFF));
  } else if (n <= UINT32_MAX) {
    out->push_back(static_cast<char>(kEnc32));
    for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((n >> s) & 0xFF));
  } else {
    out->push_back(static_cast<char>(kEnc64));
    for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((n >> s) & 0xFF));
  }
}

void PutLittle(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A string as Redis writes one: short integers in their integer encoding, else length-prefixed.
void PutString(std::string* out, std::string_view s) {
  int64_t v = 0;
  if (s.size() <= 11 && StrictInt64(s, &v)) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>(kEncInt8));
      return PutLittle(out, static_cast<uint64_t>(v), 1);
    }
    if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(kEncInt16));
      return PutLittle(out, static_cast<uint64_t>(v), 2);
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(kEncInt32));
      return PutLittle(out, static_cast<uint64_t>(v), 4);
    }
  }
  PutLength(out, s.size());
  out->append(s);
}

// Reads an RDB stream front to back; every read fails (and stays failed) past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

  uint8_t Byte() {
    if (in_.empty()) return Fail(), 0;
    const auto b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  std::string_view Bytes(uint64_t n) {
    if (n > in_.size()) return Fail(), std::string_view();
    const std::string_view out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }
  // A length; *special is set (and the low 6 bits returned) for an 11-prefixed encoding.
  uint64_t Length(bool* special = nullptr) {
    const uint8_t b = Byte();
    if (special != nullptr) *special = false;
    switch (b >> 6) {
      case 0:
        return b & 0x3F;
      case 1:
        return (static_cast<uint64_t>(b & 0x3F) << 8) | Byte();
      case 3:
        if (special == nullptr) return Fail(), 0;
        *special = true;
        return b & 0x3F;
      default:
        break;
    }
    const int bytes = b == kEnc32 ? 4 : b == kEnc64 ? 8 : 0;
    if (bytes == 0) return Fail(), 0;
    uint64_t n = 0;
    for (int i = 0; i < bytes; ++i) n = (n << 8) | Byte();
    return n;
  }
  std::optional<std::string> String() {
    bool special = false;
    const uint64_t n = Length(&special);
    if (!ok_) return std::nullopt;
    if (!special) {
      const std::string_view s = Bytes(n);
      return ok_ ? std::optional<std::string>(std::string(s)) : std::nullopt;
    }
    if (n <= 2) {
      const int bytes = 1 << n;  // int8, int16, int32
      uint64_t u = 0;
      for (int i = 0; i < bytes; ++i) u |= static_cast<uint64_t>(Byte()) << (8 * i);
      const int shift = 64 - 8 * bytes;
      const int64_t v = static_cast<int64_t>(u << shift) >> shift;
      return ok_ ? std::optional<std::string>(std::to_string(v)) : std::nullopt;
    }
    if (n == (kEncLzf & 0x3F)) {
      const uint64_t compressed = Length();
      const uint64_t length = Length();
      const std::string_view data = Bytes(compressed);
      if (!ok_) return std::nullopt;
      return LzfDecompress(data, length);
    }
    return Fail(), std::nullopt;
  }

 private:
  void Fail() { ok_ = false; }

  // LZF: a control byte below 32 starts a run of that many + 1 literal bytes; above, a
  // back-reference of (ctrl >> 5) + 2 bytes (7 means: plus the next byte) at distance
  // ((ctrl & 31) << 8) + next byte + 1.
  std::optional<std::string> LzfDecompress(std::string_view in, uint64_t length) {
    std::string out;
    out.reserve(length);
    size_t i = 0;
    while (i < in.size()) {
      const auto ctrl = static_cast<uint8_t>(in[i++]);
      if (ctrl < 32) {
        const size_t run = ctrl + 1u;
        if (i + run > in.size() || out.size() + run > length) return Fail(), std::nullopt;
        out.append(in.substr(i, run));
        i += run;
        continue;
      }
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (i >= in.size()) return Fail(), std::nullopt;
        len += static_cast<uint8_t>(in[i++]);
      }
      if (i >= in.size()) return Fail(), std::nullopt;
      const size_t back = ((ctrl & 0x1Fu) << 8) + static_cast<uint8_t>(in[i++]) + 1;
      len += 2;
      if (back > out.size() || out.size() + len > length) return Fail(), std::nullopt;
      const size_t from = out.size() - back;
      for (size_t k = 0; k < len; ++k) out.push_back(out[from + k]);  // may overlap itself
    }
    if (out.size() != length) return Fail(), std::nullopt;
    return out;
  }

  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view bytes) {
  const auto& t = CrcTable();
  for (char c : bytes) crc = t[(crc ^ static_cast<uint8_t>(c)) & 0xFF] ^ (crc >> 8);
  return crc;
}

std::string DumpPayload(const Entry& e) {
  std::string out;
  switch (e.type()) {
    case ObjType::kString:
      out.push_back(static_cast<char>(kTypeString));
      PutString(&out, e.value());
      break;
    case ObjType::kHash: {
      const HashValue& h = e.hash();
      if (h.encoding() == HashValue::Encoding::kListpack) {
        out.push_back(static_cast<char>(kTypeHashListpack));
        PutLength(&out, h.listpack().raw().size());
        out.append(h.listpack().raw());
      } else {
        out.push_back(static_cast<char>(kTypeHash));
        PutLength(&out, h.size());
        h.ForEach([&](std::string_view f, std::string_view v) {
          PutString(&out, f);
          PutString(&out, v);
        });
      }
      break;
    }
    case ObjType::kSet: {
      const SetValue& s = e.set();
      if (s.encoding() == SetValue::Encoding::kIntset) {
        out.push_back(static_cast<char>(kTypeSetIntset));
        PutLength(&out, s.intset().raw().size());
        out.append(s.intset().raw());
      } else {
        out.push_back(static_cast<char>(kTypeSet));
        PutLength(&out, s.size());
        s.ForEach([&](std::string_view m) { PutString(&out, m); });
      }
      break;
    }
    case ObjType::kList: {
      const ListValue& l = e.list();
      out.push_back(static_cast<char>(kTypeListQuicklist2));
      PutLength(&out, l.NodeCount());
      for (size_t k = 0; k < l.NodeCount(); ++k) {
        PutLength(&out, kNodePacked);
        PutLength(&out, l.Node(k).raw().size());
        out.append(l.Node(k).raw());
      }
      break;
    }
  }
  PutLittle(&out, kRdbVersion, 2);
  PutLittle(&out, Crc64(0, out), 8);
  return out;
}

RestoreError ParsePayload(std::string_view payload, const TypeLimits& limits, Entry* out) {
  if (payload.size() < 10) return RestoreError::kVersionOrChecksum;
  const std::string_view footer = payload.substr(payload.size() - 10);
  const uint16_t version = static_cast<uint16_t>(static_cast<uint8_t>(footer[0]) |
                                                 (static_cast<uint8_t>(footer[1]) << 8));
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i)
    crc |= static_cast<uint64_t>(static_cast<uint8_t>(footer[2 + i])) << (8 * i);
  if (version > kRdbVersion || Crc64(0, payload.substr(0, payload.size() - 8)) != crc) {
    return RestoreError::kVersionOrChecksum;
  }
  Reader r(payload.substr(0, payload.size() - 10));
  const uint8_t type = r.Byte();
  switch (type) {
    case kTypeString: {
      std::optional<std::string> s = r.String();
      if (!s) return RestoreError::kBadFormat;
      *out = Entry(CopyValue(*s));
      break;
    }
    case kTypeHashListpack: {
      std::optional<std::string> blob = r.String();
      HashValue h;
      if (!blob || !h.AssignListpack(*blob, limits.hash) || h.empty()) {
        return RestoreError::kBadFormat;
      }
      *out = Entry(std::move(h));
      break;
    }
    case kTypeSetIntset: {
      std::optional<std::string> blob = r.String();
      SetValue s;
      if (!blob || !s.AssignIntset(*blob, limits.set) || s.empty()) return RestoreError::kBadFormat;
      *out = Entry(std::move(s));
      break;
    }
    case kTypeHash: {
      const uint64_t n = r.Length();
      if (!r.ok() || n == 0) return RestoreError::kBadFormat;
      HashValue h;
      for (uint64_t i = 0; i < n; ++i) {
        std::optional<std::string> f = r.String();
        std::optional<std::string> v = r.String();
        // A field twice is a corrupt payload, as Redis finds it.
        if (!f || !v || !h.Set(*f, *v, limits.hash)) return RestoreError::kBadFormat;
      }
      *out = Entry(std::move(h));
      break;
    }
    case kTypeListQuicklist2: {
      const uint64_t nodes = r.Length();
      if (!r.ok()) return RestoreError::kBadFormat;
      ListValue l;
      for (uint64_t k = 0; k < nodes; ++k) {
        const uint64_t container = r.Length();
        std::optional<std::string> blob = r.String();
        if (!blob) return RestoreError::kBadFormat;
        if (container == kNodePlain) {
          l.PushBack(*blob, limits.list);
        } else if (container != kNodePacked || !l.AppendNode(*blob)) {
          return RestoreError::kBadFormat;
        }
      }
      if (l.empty()) return RestoreError::kBadFormat;
      *out = Entry(std::move(l));
      break;
    }
    case kTypeList: {
      const uint64_t n = r.Length();
      if (!r.ok() || n == 0) return RestoreError::kBadFormat;
      ListValue l;
      for (uint64_t i = 0; i < n; ++i) {
        std::optional<std::string> v = r.String();
        if (!v) return RestoreError::kBadFormat;
        l.PushBack(*v, limits.list);
      }
      *out = Entry(std::move(l));
      break;
    }
    case kTypeSet: {
      const uint64_t n = r.Length();
      if (!r.ok() || n == 0) return RestoreError::kBadFormat;
      SetValue s;
      for (uint64_t i = 0; i < n; ++i) {
        std::optional<std::string> m = r.String();
        if (!m || !s.Add(*m, limits.set)) return RestoreError::kBadFormat;
      }
      *out = Entry(std::move(s));
      break;
    }
    default:
      return RestoreError::kBadFormat;
  }
  if (!r.ok() || !r.done()) return RestoreError::kBadFormat;
  return RestoreError::kNone;
}

}  // namespace ringside::shards
