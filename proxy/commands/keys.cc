// Generic key commands that touch one key (TYPE, EXPIRE family, TTL family, PERSIST) and the
// per-key parts of DEL, UNLINK, EXISTS and TOUCH. Cross-shard keyspace commands (RENAME, KEYS,
// SCAN, ...) live elsewhere.
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::Entry;
using shards::kNoExpiry;
using shards::Millis;

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

// DEL and UNLINK: the number of keys removed. Works for one key or many.
void Del(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) n += ctx.store->Delete(ctx.db, ctx.args[i]);
  ctx.out->Integer(n);
  if (n > 0) ctx.PropagateAsSent();
}

// EXISTS and TOUCH: the number of keys present, counting repeats.
void Exists(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    n += ctx.store->FindForRead(ctx.db, ctx.args[i]) != nullptr;
  }
  ctx.out->Integer(n);
}

void Type(CommandContext& ctx) {
  const Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  ctx.out->SimpleString(e == nullptr ? "none" : shards::TypeName(e->type()));
}

enum ExpireFlag : uint8_t { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT. Options are checked first, then the time, then
// the key, matching the order of Redis's errors.
void ExpireGeneric(CommandContext& ctx, bool seconds, bool relative) {
  uint8_t flags = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view a = ctx.args[j];
    if (EqualsNoCase(a, "nx")) {
      flags |= kNx;
    } else if (EqualsNoCase(a, "xx")) {
      flags |= kXx;
    } else if (EqualsNoCase(a, "gt")) {
      flags |= kGt;
    } else if (EqualsNoCase(a, "lt")) {
      flags |= kLt;
    } else {
      ctx.out->Error("ERR Unsupported option " + std::string(a));
      return;
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
    ctx.out->Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if ((flags & kGt) && (flags & kLt)) {
    ctx.out->Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  int64_t when = 0;
  if (!ParseInt64(ctx.args[2], &when)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  const Millis now = ctx.store->NowMs();
  bool ok = !seconds || !__builtin_mul_overflow(when, 1000, &when);
  if (ok && relative) ok = !__builtin_add_overflow(when, now, &when);
  if (!ok) {
    ctx.out->Error(InvalidExpireError(LowerName(ctx.args[0])));
    return;
  }
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (e == nullptr) {
    ctx.out->Integer(0);
    return;
  }
  const Millis current = e->expire_at;
  const bool has_ttl = current != kNoExpiry;
  // A key without a TTL counts as living forever for GT and LT.
  if (((flags & kNx) && has_ttl) || ((flags & kXx) && !has_ttl) ||
      ((flags & kGt) && (!has_ttl || when <= current)) ||
      ((flags & kLt) && has_ttl && when >= current)) {
    ctx.out->Integer(0);
    return;
  }
  if (when <= now) {
    ctx.store->Delete(ctx.db, Key(ctx));
    ctx.Propagate({"DEL", Key(ctx)});
  } else {
    ctx.store->SetExpire(ctx.db, Key(ctx), e, when);
    // As PEXPIREAT with the absolute time and without NX/XX/GT/LT, which have done their
    // work: the record says what the expiry became, so applying it twice changes nothing.
    ctx.Propagate({"PEXPIREAT", Key(ctx), std::to_string(when)});
  }
  ctx.out->Integer(1);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, true, true); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, false, true); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, true, false); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, false); }

// TTL family: -2 for a missing key, -1 without a TTL. `absolute` reports the expiry time
// rather than the time left; seconds round to nearest for TTL and down for EXPIRETIME.
void TtlGeneric(CommandContext& ctx, bool seconds, bool absolute) {
  const Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (e == nullptr) {
    ctx.out->Integer(-2);
    return;
  }
  if (e->expire_at == kNoExpiry) {
    ctx.out->Integer(-1);
    return;
  }
  if (absolute) {
    ctx.out->Integer(seconds ? (e->expire_at + 500) / 1000 : e->expire_at);
    return;
  }
  int64_t left = e->expire_at - ctx.store->NowMs();
  if (left < 0) left = 0;
  ctx.out->Integer(seconds ? (left + 500) / 1000 : left);
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }

void Persist(CommandContext& ctx) {
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (e == nullptr || e->expire_at == kNoExpiry) {
    ctx.out->Integer(0);
    return;
  }
  ctx.store->SetExpire(ctx.db, Key(ctx), e, kNoExpiry);
  ctx.out->Integer(1);
  ctx.PropagateAsSent();
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  constexpr uint32_t kR = kReadOnly;
  constexpr uint32_t kW = kWrite;
  constexpr uint32_t kF = kFast;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Exec kMany = Exec::kMultiKey;
  const std::string_view g = "generic";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add({"del", -2, kW, 1, -1, 1, kMany, Del, Merge::kSum, g, "Delete a key", "key [key ...]"});
  table.Add({"unlink", -2, kW | kF, 1, -1, 1, kMany, Del, Merge::kSum, g,
             "Delete a key asynchronously in another thread", "key [key ...]"});
  table.Add({"exists", -2, kR | kF, 1, -1, 1, kMany, Exists, Merge::kSum, g,
             "Determine if a key exists", "key [key ...]"});
  table.Add({"touch", -2, kR | kF, 1, -1, 1, kMany, Exists, Merge::kSum, g,
             "Alters the last access time of a key(s)", "key [key ...]"});
  table.Add({"type", 2, kR | kF, 1, 1, 1, kOne, Type, Merge::kNone, g,
             "Determine the type stored at key", "key"});
  table.Add({"expire", -3, kW | kF, 1, 1, 1, kOne, Expire, Merge::kNone, g,
             "Set a key's time to live in seconds", "key seconds condition=[NX|XX|GT|LT]"});
  table.Add({"pexpire", -3, kW | kF, 1, 1, 1, kOne, PExpire, Merge::kNone, g,
             "Set a key's time to live in milliseconds",
             "key milliseconds condition=[NX|XX|GT|LT]"});
  table.Add({"expireat", -3, kW | kF, 1, 1, 1, kOne, ExpireAt, Merge::kNone, g,
             "Set the expiration for a key as a UNIX timestamp",
             "key unix-time-seconds condition=[NX|XX|GT|LT]"});
  table.Add({"pexpireat", -3, kW | kF, 1, 1, 1, kOne, PExpireAt, Merge::kNone, g,
             "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
             "key unix-time-milliseconds condition=[NX|XX|GT|LT]"});
  table.Add({"ttl", 2, kR | kF, 1, 1, 1, kOne, Ttl, Merge::kNone, g,
             "Get the time to live for a key", "key"});
  table.Add({"pttl", 2, kR | kF, 1, 1, 1, kOne, PTtl, Merge::kNone, g,
             "Get the time to live for a key in milliseconds", "key"});
  table.Add({"expiretime", 2, kR | kF, 1, 1, 1, kOne, ExpireTime, Merge::kNone, g,
             "Get the expiration Unix timestamp for a key", "key"});
  table.Add({"pexpiretime", 2, kR | kF, 1, 1, 1, kOne, PExpireTime, Merge::kNone, g,
             "Get the expiration Unix timestamp for a key in milliseconds", "key"});
  table.Add({"persist", 2, kW | kF, 1, 1, 1, kOne, Persist, Merge::kNone, g,
             "Remove the expiration from a key", "key"});
}

}  // namespace ringside::proxy
