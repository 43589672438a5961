// Bit and string-comparison commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS,
// BITFIELD, BITFIELD_RO, BITOP and LCS, with redis-server 7.0's argument checks, ranges and
// overflow rules. BITOP and LCS read keys that may live on other shards: they gather copies
// of the values (gather.h). Records are what the key became: SETBIT as sent (it is
// idempotent), BITFIELD as the SETRANGE of the bytes it changed, BITOP as the SET (or DEL) of
// its result.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/gather.h"
#include "shards/ops.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::Entry;
using shards::ObjType;

constexpr std::string_view kErrBitOffset = "ERR bit offset is not an integer or out of range";

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

// The string at args[1] for a read: null when absent; false (with WRONGTYPE written) when the
// key holds another type.
bool ReadString(CommandContext& ctx, const Entry** e) {
  auto r = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kString, /*read=*/true);
  if (!r.ok()) {
    ctx.out->Error(kErrWrongType);
    return false;
  }
  *e = r.value;
  return true;
}

// A bit offset as Redis takes it: a non-negative integer whose byte is within
// proto-max-bulk-len; with `hash`, "#N" is N times `bits`.
bool ParseBitOffset(std::string_view s, bool hash, int64_t bits, int64_t max_bulk, int64_t* out) {
  bool multiply = false;
  if (hash && !s.empty() && s[0] == '#') {
    multiply = true;
    s.remove_prefix(1);
  }
  int64_t v = 0;
  if (!ParseInt64(s, &v)) return false;
  if (multiply && __builtin_mul_overflow(v, bits, &v)) return false;
  if (v < 0 || (v >> 3) >= max_bulk) return false;
  *out = v;
  return true;
}

int Bit(std::string_view s, uint64_t offset) {
  const uint64_t byte = offset >> 3;
  if (byte >= s.size()) return 0;
  return (static_cast<unsigned char>(s[byte]) >> (7 - (offset & 7))) & 1;
}

// The string of `key` for a write that needs `bytes` bytes: created or zero-padded to that
// length. False (with the error written) for another type or a length past the limit.
shards::SmallString* GrowString(CommandContext& ctx, uint64_t bytes) {
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (e != nullptr && e->type() != ObjType::kString) {
    ctx.out->Error(kErrWrongType);
    return nullptr;
  }
  if (static_cast<int64_t>(bytes) > ctx.proto_max_bulk_len) {
    ctx.out->Error(kErrStringTooLong);
    return nullptr;
  }
  if (e == nullptr) e = ctx.store->Set(ctx.db, Key(ctx), std::string());
  shards::SmallString& s = e->MutableStr();
  if (s.size() < bytes) {
    ctx.store->AdjustUsed(static_cast<int64_t>(bytes - s.size()));
    s.resize(bytes, '\0');
  }
  return &s;
}

void SetBit(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseBitOffset(ctx.args[2], false, 1, ctx.proto_max_bulk_len, &offset)) {
    return ctx.out->Error(kErrBitOffset);
  }
  const std::string_view v = ctx.args[3];
  if (v != "0" && v != "1") return ctx.out->Error("ERR bit is not an integer or out of range");
  shards::SmallString* s = GrowString(ctx, static_cast<uint64_t>(offset >> 3) + 1);
  if (s == nullptr) return;
  auto& byte = reinterpret_cast<unsigned char&>((*s)[static_cast<size_t>(offset >> 3)]);
  const int shift = 7 - static_cast<int>(offset & 7);
  const int old = (byte >> shift) & 1;
  byte = static_cast<unsigned char>((byte & ~(1 << shift)) | ((v[0] - '0') << shift));
  ctx.out->Integer(old);
  ctx.PropagateAsSent();
}

void GetBit(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseBitOffset(ctx.args[2], false, 1, ctx.proto_max_bulk_len, &offset)) {
    return ctx.out->Error(kErrBitOffset);
  }
  const Entry* e = nullptr;
  if (!ReadString(ctx, &e)) return;
  ctx.out->Integer(e == nullptr ? 0 : Bit(e->value(), static_cast<uint64_t>(offset)));
}

// A BITCOUNT / BITPOS range resolved against a string: whole bytes [start, end] with the bits
// outside the range masked off the first and last byte (BIT ranges). Empty when start > end.
struct ByteRange {
  int64_t start = 0, end = -1;
  uint8_t first_mask = 0;  // bits of the first byte that are outside the range
  uint8_t last_mask = 0;   // bits of the last byte that are outside the range
};

// Redis's clamping of a [start, end] range over `len` bytes (or bits, with `bit`).
ByteRange Resolve(int64_t start, int64_t end, int64_t len, bool bit) {
  ByteRange r;
  const int64_t total = bit ? len * 8 : len;
  if (start < 0) start += total;
  if (end < 0) end += total;
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  end = std::min(end, total - 1);
  if (bit && start <= end) {
    r.first_mask = static_cast<uint8_t>(~((1u << (8 - (start & 7))) - 1) & 0xFF);
    r.last_mask = static_cast<uint8_t>((1u << (7 - (end & 7))) - 1);
    start >>= 3;
    end >>= 3;
  }
  r.start = start;
  r.end = end;
  return r;
}

// BYTE or BIT as the unit of a range; false for anything else.
bool ParseUnit(std::string_view s, bool* bit) {
  if (EqualsNoCase(s, "byte")) {
    *bit = false;
  } else if (EqualsNoCase(s, "bit")) {
    *bit = true;
  } else {
    return false;
  }
  return true;
}

void BitCount(CommandContext& ctx) {
  const Entry* e = nullptr;
  if (!ReadString(ctx, &e)) return;
  if (e == nullptr) return ctx.out->Integer(0);
  const std::string_view s = e->value();
  const auto len = static_cast<int64_t>(s.size());
  ByteRange r{0, len - 1};
  const size_t argc = ctx.args.size();
  if (argc == 4 || argc == 5) {
    int64_t start = 0, end = 0;
    if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
      return ctx.out->Error(kErrNotInteger);
    }
    bool bit = false;
    if (argc == 5 && !ParseUnit(ctx.args[4], &bit)) return ctx.out->Error(kErrSyntax);
    if (start < 0 && end < 0 && start > end) return ctx.out->Integer(0);
    r = Resolve(start, end, len, bit);
  } else if (argc != 2) {
    return ctx.out->Error(kErrSyntax);
  }
  if (r.start > r.end) return ctx.out->Integer(0);
  int64_t count = 0;
  for (int64_t i = r.start; i <= r.end; ++i) {
    count += __builtin_popcount(static_cast<unsigned char>(s[static_cast<size_t>(i)]));
  }
  if (r.first_mask != 0) {
    count -= __builtin_popcount(static_cast<unsigned char>(s[static_cast<size_t>(r.start)]) &
                                r.first_mask);
  }
  if (r.last_mask != 0) {
    count -=
        __builtin_popcount(static_cast<unsigned char>(s[static_cast<size_t>(r.end)]) & r.last_mask);
  }
  ctx.out->Integer(count);
}

// The first bit equal to `bit` in bytes [p, p + n), as a bit position from p; when there is
// none, n * 8 for a clear bit (the bits past the end count as clear) and -1 for a set one.
int64_t FirstBit(const unsigned char* p, int64_t n, int bit) {
  const unsigned char skip = bit ? 0x00 : 0xFF;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] == skip) continue;
    for (int b = 7; b >= 0; --b) {
      if (((p[i] >> b) & 1) == bit) return i * 8 + (7 - b);
    }
  }
  return bit ? -1 : n * 8;
}

void BitPos(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseInt64(ctx.args[2], &bit)) return ctx.out->Error(kErrNotInteger);
  if (bit != 0 && bit != 1) return ctx.out->Error("ERR The bit argument must be 1 or 0.");
  const Entry* e = nullptr;
  if (!ReadString(ctx, &e)) return;
  if (e == nullptr) return ctx.out->Integer(bit ? -1 : 0);
  const std::string_view s = e->value();
  const auto len = static_cast<int64_t>(s.size());
  const size_t argc = ctx.args.size();
  ByteRange r{0, len - 1};
  bool end_given = false;
  if (argc >= 4 && argc <= 6) {
    int64_t start = 0, end = 0;
    if (!ParseInt64(ctx.args[3], &start)) return ctx.out->Error(kErrNotInteger);
    bool unit_bit = false;
    if (argc == 6 && !ParseUnit(ctx.args[5], &unit_bit)) return ctx.out->Error(kErrSyntax);
    if (argc >= 5) {
      if (!ParseInt64(ctx.args[4], &end)) return ctx.out->Error(kErrNotInteger);
      end_given = true;
    } else {
      end = len - 1;
    }
    r = Resolve(start, end, len, unit_bit);
  } else if (argc != 3) {
    return ctx.out->Error(kErrSyntax);
  }
  if (r.start > r.end) return ctx.out->Integer(-1);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  // Bits outside a BIT range read as the opposite of what is looked for.
  auto masked = [&](int64_t i) {
    unsigned char c = p[i];
    uint8_t outside = 0;
    if (i == r.start) outside |= r.first_mask;
    if (i == r.end) outside |= r.last_mask;
    return static_cast<unsigned char>(bit ? (c & ~outside) : (c | outside));
  };
  int64_t pos = -1;
  int64_t i = r.start;
  for (; i <= r.end; ++i) {
    const unsigned char c = (i == r.start || i == r.end) ? masked(i) : p[i];
    const int64_t at = FirstBit(&c, 1, static_cast<int>(bit));
    if (at != -1 && at != 8) {
      pos = i * 8 + at;
      break;
    }
  }
  if (pos == -1 && bit == 0) {
    // No clear bit in the range: past an explicit end there is none; without one the bits
    // after the string count as clear, as in Redis.
    if (end_given) return ctx.out->Integer(-1);
    pos = (r.end + 1) * 8;
  }
  ctx.out->Integer(pos);
}

// ---- BITFIELD ----

enum class Overflow : uint8_t { kWrap, kSat, kFail };

struct FieldOp {
  enum Kind : uint8_t { kGet, kSet, kIncrBy } kind = kGet;
  bool sign = false;
  int bits = 0;
  uint64_t offset = 0;
  int64_t value = 0;  // SET's value, INCRBY's increment
  Overflow overflow = Overflow::kWrap;
};

bool ParseFieldType(std::string_view t, bool* sign, int* bits) {
  if (t.size() < 2 || (t[0] != 'i' && t[0] != 'I' && t[0] != 'u' && t[0] != 'U')) return false;
  *sign = t[0] == 'i' || t[0] == 'I';
  int64_t n = 0;
  if (!ParseInt64(t.substr(1), &n)) return false;
  if (n < 1 || (*sign && n > 64) || (!*sign && n > 63)) return false;
  *bits = static_cast<int>(n);
  return true;
}

uint64_t ReadUnsigned(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; ++j) v = (v << 1) | static_cast<uint64_t>(Bit(s, offset + j));
  return v;
}

int64_t ReadField(std::string_view s, const FieldOp& op) {
  uint64_t v = ReadUnsigned(s, op.offset, op.bits);
  if (op.sign && op.bits < 64 && (v & (uint64_t{1} << (op.bits - 1)))) v |= ~uint64_t{0} << op.bits;
  return static_cast<int64_t>(v);
}

void WriteField(shards::SmallString& s, const FieldOp& op, uint64_t v) {
  for (int j = 0; j < op.bits; ++j) {
    const uint64_t at = op.offset + static_cast<uint64_t>(j);
    auto& byte = reinterpret_cast<unsigned char&>(s[at >> 3]);
    const int shift = 7 - static_cast<int>(at & 7);
    const int b = static_cast<int>((v >> (op.bits - 1 - j)) & 1);
    byte = static_cast<unsigned char>((byte & ~(1 << shift)) | (b << shift));
  }
}

// `value` + `incr` in the field's type under its overflow rule: false when it overflows under
// FAIL, else the result in *out (wrapped, or saturated).
bool FitField(const FieldOp& op, int64_t value, int64_t incr, int64_t* out) {
  const int bits = op.bits;
  if (!op.sign) {
    const uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    const auto uvalue = static_cast<uint64_t>(value);
    const auto maxincr = static_cast<int64_t>(max - uvalue);
    const int64_t minincr = -static_cast<int64_t>(uvalue);
    int dir = 0;
    if (uvalue > max || (incr > 0 && incr > maxincr)) {
      dir = 1;
    } else if (incr < 0 && incr < minincr) {
      dir = -1;
    }
    if (dir == 0) {
      *out = static_cast<int64_t>(uvalue + static_cast<uint64_t>(incr));
      return true;
    }
    if (op.overflow == Overflow::kFail) return false;
    if (op.overflow == Overflow::kSat) {
      *out = dir > 0 ? static_cast<int64_t>(max) : 0;
    } else {
      *out = static_cast<int64_t>((uvalue + static_cast<uint64_t>(incr)) & max);
    }
    return true;
  }
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // As signed differences; Redis computes them the same way (wrapping for 64 bits).
  const auto maxincr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto minincr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  int dir = 0;
  if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
    dir = 1;
  } else if (value < min || (bits != 64 && incr < minincr) ||
             (value < 0 && incr < 0 && incr < minincr)) {
    dir = -1;
  }
  const uint64_t sum = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
  if (dir == 0) {
    *out = static_cast<int64_t>(sum);
    return true;
  }
  if (op.overflow == Overflow::kFail) return false;
  if (op.overflow == Overflow::kSat) {
    *out = dir > 0 ? max : min;
    return true;
  }
  uint64_t c = sum;
  if (bits < 64) {
    const uint64_t mask = ~uint64_t{0} << bits;
    c = (c & (uint64_t{1} << (bits - 1))) ? (c | mask) : (c & ~mask);
  }
  *out = static_cast<int64_t>(c);
  return true;
}

void BitFieldGeneric(CommandContext& ctx, bool read_only) {
  std::vector<FieldOp> ops;
  Overflow overflow = Overflow::kWrap;
  bool writes = false;
  uint64_t write_end = 0;  // one past the highest bit a write touches
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string_view sub = ctx.args[i];
    const size_t left = ctx.args.size() - i - 1;
    FieldOp op;
    if (EqualsNoCase(sub, "get") && left >= 2) {
      op.kind = FieldOp::kGet;
    } else if (EqualsNoCase(sub, "set") && left >= 3) {
      op.kind = FieldOp::kSet;
    } else if (EqualsNoCase(sub, "incrby") && left >= 3) {
      op.kind = FieldOp::kIncrBy;
    } else if (EqualsNoCase(sub, "overflow") && left >= 1) {
      const std::string_view how = ctx.args[++i];
      if (EqualsNoCase(how, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsNoCase(how, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsNoCase(how, "fail")) {
        overflow = Overflow::kFail;
      } else {
        return ctx.out->Error("ERR Invalid OVERFLOW type specified");
      }
      continue;
    } else {
      return ctx.out->Error(kErrSyntax);
    }
    if (!ParseFieldType(ctx.args[i + 1], &op.sign, &op.bits)) {
      return ctx.out->Error(
          "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
          "supported but i64 is.");
    }
    int64_t offset = 0;
    if (!ParseBitOffset(ctx.args[i + 2], true, op.bits, ctx.proto_max_bulk_len, &offset)) {
      return ctx.out->Error(kErrBitOffset);
    }
    op.offset = static_cast<uint64_t>(offset);
    if (op.kind != FieldOp::kGet) {
      if (!ParseInt64(ctx.args[i + 3], &op.value)) return ctx.out->Error(kErrNotInteger);
      writes = true;
      write_end = std::max(write_end, op.offset + static_cast<uint64_t>(op.bits));
    }
    op.overflow = overflow;
    ops.push_back(op);
    i += op.kind == FieldOp::kGet ? 2 : 3;
  }
  if (read_only && writes) {
    return ctx.out->Error("ERR BITFIELD_RO only supports the GET subcommand");
  }
  shards::SmallString* str = nullptr;
  const Entry* e = nullptr;
  if (writes) {
    str = GrowString(ctx, (write_end + 7) / 8);
    if (str == nullptr) return;
  } else if (!ReadString(ctx, &e)) {
    return;
  }
  ctx.out->ArrayHeader(static_cast<int64_t>(ops.size()));
  uint64_t changed_from = UINT64_MAX, changed_to = 0;  // bytes [from, to) were written
  for (const FieldOp& op : ops) {
    const std::string_view s =
        str != nullptr ? std::string_view(*str) : (e != nullptr ? e->value() : std::string_view());
    const int64_t old = ReadField(s, op);
    if (op.kind == FieldOp::kGet) {
      ctx.out->Integer(old);
      continue;
    }
    int64_t result = 0;
    const bool fits = op.kind == FieldOp::kSet ? FitField(op, op.value, 0, &result)
                                               : FitField(op, old, op.value, &result);
    if (!fits) {
      ctx.out->NullBulk();
      continue;
    }
    WriteField(*str, op, static_cast<uint64_t>(result));
    changed_from = std::min(changed_from, op.offset >> 3);
    changed_to = std::max(changed_to, (op.offset + static_cast<uint64_t>(op.bits) + 7) / 8);
    ctx.out->Integer(op.kind == FieldOp::kSet ? old : ReadField(*str, op));
  }
  if (changed_from < changed_to) {
    // The bytes as they now are: replayed any number of times, they leave the same string.
    ctx.Propagate({"SETRANGE", Key(ctx), std::to_string(changed_from),
                   std::string_view(*str).substr(changed_from, changed_to - changed_from)});
  }
}

void BitField(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
void BitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

// ---- BITOP and LCS: keys anywhere ----

// A string as gathered from its owner: a copy of its bytes, or what made it not a string.
struct GatheredString {
  bool wrong_type = false;
  std::optional<std::string> bytes;  // empty for an absent key
};

GatheredString ReadForGather(shards::Store& store, int db, std::string_view key) {
  GatheredString g;
  auto r = shards::OpFind(store, db, key, ObjType::kString, /*read=*/true);
  g.wrong_type = !r.ok();
  if (r.ok() && r.value != nullptr) g.bytes = std::string(r.value->value());
  return g;
}

enum class BitOpKind : uint8_t { kAnd, kOr, kXor, kNot };

std::string BitOpResult(BitOpKind kind, const std::vector<GatheredString>& srcs) {
  size_t len = 0;
  for (const auto& g : srcs) len = std::max(len, g.bytes ? g.bytes->size() : 0);
  std::string out(len, '\0');
  auto byte = [](const GatheredString& g, size_t i) -> unsigned char {
    return g.bytes && i < g.bytes->size() ? static_cast<unsigned char>((*g.bytes)[i]) : 0;
  };
  for (size_t i = 0; i < len; ++i) {
    unsigned char v = byte(srcs[0], i);
    for (size_t k = 1; k < srcs.size(); ++k) {
      const unsigned char b = byte(srcs[k], i);
      if (kind == BitOpKind::kAnd) v &= b;
      if (kind == BitOpKind::kOr) v |= b;
      if (kind == BitOpKind::kXor) v ^= b;
    }
    if (kind == BitOpKind::kNot) v = static_cast<unsigned char>(~v);
    out[i] = static_cast<char>(v);
  }
  return out;
}

void BitOp(CommandContext& ctx) {
  const std::string_view op = ctx.args[1];
  BitOpKind kind;
  if (EqualsNoCase(op, "and")) {
    kind = BitOpKind::kAnd;
  } else if (EqualsNoCase(op, "or")) {
    kind = BitOpKind::kOr;
  } else if (EqualsNoCase(op, "xor")) {
    kind = BitOpKind::kXor;
  } else if (EqualsNoCase(op, "not")) {
    kind = BitOpKind::kNot;
  } else {
    return CompleteWithError(ctx, kErrSyntax);
  }
  if (kind == BitOpKind::kNot && ctx.args.size() != 4) {
    return CompleteWithError(ctx, "ERR BITOP NOT must be called with a single source key.");
  }
  const int db = ctx.db;
  const ReplyTo to = ReplyToOf(ctx);
  std::string dst(ctx.args[2]);
  std::vector<std::string> keys(ctx.args.begin() + 3, ctx.args.end());
  ctx.conn->BlockUntil(ctx.seq);
  GatherKeys<GatheredString>(
      *ctx.worker, db, std::move(keys), ReadForGather,
      [db, to, kind, dst](Worker& at, std::vector<GatheredString>& srcs) {
        const bool wrong = std::any_of(srcs.begin(), srcs.end(),
                                       [](const GatheredString& g) { return g.wrong_type; });
        std::string reply;
        if (wrong) {
          resp::Writer(&reply).Error(kErrWrongType);
          return CompleteAfterDurable(at, to, std::move(reply), at.RecordMark());
        }
        // The result travels with the task to the destination's owner.
        auto result = std::make_shared<std::string>(BitOpResult(kind, srcs));
        OnOwner(at, dst, [db, to, dst, result](Worker& d) {
          const uint64_t from = d.RecordMark();
          backend::PropagationSink* sink = d.propagation();
          std::string r;
          resp::Writer(&r).Integer(static_cast<int64_t>(result->size()));
          if (result->empty()) {
            if (d.store().Delete(db, dst) && sink != nullptr) {
              const std::string_view del[] = {"DEL", dst};
              sink->Record(db, del);
            }
          } else {
            const std::string_view set[] = {"SET", dst, *result};
            if (sink != nullptr) sink->Record(db, set);
            // Redis stores a BITOP result as a raw string, whatever its length.
            d.store().Set(db, dst, std::move(*result))->MarkRaw();
          }
          CompleteAfterDurable(d, to, std::move(r), from);
        });
      });
}

struct LcsOptions {
  bool len = false, idx = false, with_match_len = false;
  int64_t min_match_len = 0;
};

// LCS of `a` and `b` as Redis answers it, into a reply in protocol `proto`.
std::string LcsReply(std::string_view a, std::string_view b, const LcsOptions& o,
                     resp::Protocol proto, int64_t max_bulk) {
  std::string reply;
  resp::Writer out(&reply, proto);
  const uint64_t cells = (static_cast<uint64_t>(a.size()) + 1) * (b.size() + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(max_bulk)) {
    out.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return reply;
  }
  const size_t alen = a.size(), blen = b.size();
  // dp[i][j]: the LCS length of a[0, i) and b[0, j).
  std::vector<uint32_t> dp(cells, 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return dp[i * (blen + 1) + j]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t total = at(alen, blen);
  std::string lcs(total, '\0');
  // The matched ranges, walked back from the ends as Redis walks them, so that the ranges and
  // their order are Redis's.
  struct Match {
    size_t a_start, a_end, b_start, b_end;
  };
  std::vector<Match> matches;
  size_t i = alen, j = blen, k = total;
  bool open = false;
  Match m{};
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      lcs[k - 1] = a[i - 1];
      if (!open) {
        m = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      } else if (m.a_start == i && m.b_start == j) {
        --m.a_start;
        --m.b_start;
      } else {
        emit = true;
      }
      if (m.a_start == 0 || m.b_start == 0) emit = true;
      --k;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (open) emit = true;
    }
    if (emit && open) {
      const size_t len = m.a_end - m.a_start + 1;
      if (o.min_match_len == 0 || len >= static_cast<uint64_t>(o.min_match_len)) {
        matches.push_back(m);
      }
      open = false;
    }
  }
  if (o.len) {
    out.Integer(total);
  } else if (!o.idx) {
    out.Bulk(lcs);
  } else {
    out.MapHeader(2);
    out.Bulk("matches");
    out.ArrayHeader(static_cast<int64_t>(matches.size()));
    for (const Match& x : matches) {
      out.ArrayHeader(o.with_match_len ? 3 : 2);
      out.ArrayHeader(2);
      out.Integer(static_cast<int64_t>(x.a_start));
      out.Integer(static_cast<int64_t>(x.a_end));
      out.ArrayHeader(2);
      out.Integer(static_cast<int64_t>(x.b_start));
      out.Integer(static_cast<int64_t>(x.b_end));
      if (o.with_match_len) out.Integer(static_cast<int64_t>(x.a_end - x.a_start + 1));
    }
    out.Bulk("len");
    out.Integer(total);
  }
  return reply;
}

void Lcs(CommandContext& ctx) {
  std::vector<std::string> args(ctx.args.begin(), ctx.args.end());
  const ReplyTo to = ReplyToOf(ctx);
  const int64_t max_bulk = ctx.proto_max_bulk_len;
  std::vector<std::string> keys = {args[1], args[2]};
  ctx.conn->BlockUntil(ctx.seq);
  GatherKeys<GatheredString>(
      *ctx.worker, ctx.db, std::move(keys), ReadForGather,
      [args, to, max_bulk](Worker& at, std::vector<GatheredString>& v) {
        std::string reply;
        resp::Writer out(&reply, to.proto);
        LcsOptions o;
        std::string_view error;
        if (v[0].wrong_type || v[1].wrong_type) {
          error = "ERR The specified keys must contain string values";
        }
        for (size_t i = 3; i < args.size() && error.empty(); ++i) {
          if (EqualsNoCase(args[i], "idx")) {
            o.idx = true;
          } else if (EqualsNoCase(args[i], "len")) {
            o.len = true;
          } else if (EqualsNoCase(args[i], "withmatchlen")) {
            o.with_match_len = true;
          } else if (EqualsNoCase(args[i], "minmatchlen") && i + 1 < args.size()) {
            if (!ParseInt64(args[++i], &o.min_match_len)) error = kErrNotInteger;
            o.min_match_len = std::max<int64_t>(o.min_match_len, 0);
          } else {
            error = kErrSyntax;
          }
        }
        if (error.empty() && o.len && o.idx) {
          error = "ERR If you want both the length and indexes, please just use IDX.";
        }
        if (!error.empty()) {
          out.Error(error);
        } else {
          reply = LcsReply(v[0].bytes.value_or(""), v[1].bytes.value_or(""), o, to.proto, max_bulk);
        }
        CompleteAfterDurable(at, to, std::move(reply), at.RecordMark());
      });
}

}  // namespace

void RegisterBitCommands(CommandTable& table) {
  constexpr uint32_t kR = kReadOnly;
  constexpr uint32_t kW = kWrite;
  // With read-through, BITOP and LCS are the upstream's, like the other commands on several
  // keys whose values they read whole.
  constexpr uint32_t kRt = kNoReadThrough;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Merge kNo = Merge::kNone;
  const std::string_view g = "bitmap";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add({"setbit", 4, kW | kDenyOom, 1, 1, 1, kOne, SetBit, kNo, g,
             "Sets or clears the bit at offset in the string value stored at key",
             "key offset value:integer"});
  table.Add({"getbit", 3, kR | kFast, 1, 1, 1, kOne, GetBit, kNo, g,
             "Returns the bit value at offset in the string value stored at key", "key offset"});
  table.Add({"bitcount", -2, kR, 1, 1, 1, kOne, BitCount, kNo, g, "Count set bits in a string",
             "key index=[start:integer end:integer index_unit=[BYTE|BIT]]"});
  table.Add(
      {"bitpos", -3, kR, 1, 1, 1, kOne, BitPos, kNo, g, "Find first bit set or clear in a string",
       "key bit:integer index=[start:integer end_index=[end:integer index_unit=[BYTE|BIT]]]"});
  table.Add({"bitfield", -2, kW | kDenyOom, 1, 1, 1, kOne, BitField, kNo, g,
             "Perform arbitrary bitfield integer operations on strings",
             "key operation=[GET encoding offset|write=([OVERFLOW WRAP|SAT|FAIL] "
             "write_operation=(SET encoding offset value:integer|INCRBY encoding offset "
             "increment)) ...]"});
  table.Add({"bitfield_ro", -2, kR | kFast, 1, 1, 1, kOne, BitFieldRo, kNo, g,
             "Perform arbitrary bitfield integer operations on strings. Read-only variant of "
             "BITFIELD",
             "key [GET encoding offset ...]"});
  table.Add({"bitop", -4, kW | kDenyOom | kChain | kAnyKeys | kRt, 2, -1, 1, Exec::kAsync, BitOp,
             kNo, g, "Perform bitwise operations between strings",
             "operation destkey:key key [key ...]"});
  table.Add({"lcs", -3, kR | kChain | kAnyKeys | kRt, 1, 2, 1, Exec::kAsync, Lcs, kNo, "string",
             "Find longest common substring",
             "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"});
}

}  // namespace ringside::proxy
