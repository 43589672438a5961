// String commands. Each handler parses ctx.args, runs plain store operations on ctx.store and
// writes exactly one reply; none does I/O.
#include <cmath>
#include <string>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::Entry;
using shards::kNoExpiry;
using shards::Millis;
using shards::ObjType;

// The flags SET and GETEX share, as parsed from the trailing arguments.
struct ExpireOptions {
  enum Kind : uint8_t { kNone, kEx, kPx, kExAt, kPxAt };
  Kind kind = kNone;
  std::string_view value;  // the EX/PX/EXAT/PXAT argument, validated later
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool persist = false;
};

// Parses args[from..]. `is_set` allows NX/XX/GET/KEEPTTL; otherwise PERSIST (GETEX). Repeating
// a flag is allowed; combining conflicting ones is a syntax error, as in Redis.
bool ParseExpireOptions(std::span<const std::string_view> args, size_t from, bool is_set,
                        ExpireOptions* o) {
  for (size_t j = from; j < args.size(); ++j) {
    const std::string_view a = args[j];
    const bool has_next = j + 1 < args.size();
    auto timed = [&](ExpireOptions::Kind kind) {
      const bool conflict =
          o->keep_ttl || o->persist || (o->kind != ExpireOptions::kNone && o->kind != kind);
      if (conflict || !has_next) return false;
      o->kind = kind;
      o->value = args[++j];
      return true;
    };
    if (is_set && EqualsNoCase(a, "nx") && !o->xx) {
      o->nx = true;
    } else if (is_set && EqualsNoCase(a, "xx") && !o->nx) {
      o->xx = true;
    } else if (is_set && EqualsNoCase(a, "get")) {
      o->get = true;
    } else if (is_set && EqualsNoCase(a, "keepttl") && o->kind == ExpireOptions::kNone) {
      o->keep_ttl = true;
    } else if (!is_set && EqualsNoCase(a, "persist") && o->kind == ExpireOptions::kNone) {
      o->persist = true;
    } else if (EqualsNoCase(a, "ex")) {
      if (!timed(ExpireOptions::kEx)) return false;
    } else if (EqualsNoCase(a, "px")) {
      if (!timed(ExpireOptions::kPx)) return false;
    } else if (EqualsNoCase(a, "exat")) {
      if (!timed(ExpireOptions::kExAt)) return false;
    } else if (EqualsNoCase(a, "pxat")) {
      if (!timed(ExpireOptions::kPxAt)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Turns an EX/PX/EXAT/PXAT argument into an absolute time, writing the error reply on failure.
// The value must be positive and the absolute time must not overflow.
bool ExpireAt(CommandContext& ctx, ExpireOptions::Kind kind, std::string_view value, Millis* out) {
  int64_t v = 0;
  if (!ParseInt64(value, &v)) {
    ctx.out->Error(kErrNotInteger);
    return false;
  }
  const bool seconds = kind == ExpireOptions::kEx || kind == ExpireOptions::kExAt;
  const bool relative = kind == ExpireOptions::kEx || kind == ExpireOptions::kPx;
  bool ok = v > 0;
  if (ok && seconds) ok = !__builtin_mul_overflow(v, 1000, &v);
  if (ok && relative) ok = !__builtin_add_overflow(v, ctx.store->NowMs(), &v);
  if (!ok) {
    ctx.out->Error(InvalidExpireError(LowerName(ctx.args[0])));
    return false;
  }
  *out = v;
  return true;
}

bool WrongType(CommandContext& ctx, const Entry* e) {
  if (e == nullptr || e->type() == ObjType::kString) return false;
  ctx.out->Error(kErrWrongType);
  return true;
}

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

// A stored string as a bulk reply: a shared value is sent by reference (the reply holds it
// until sent, whatever happens to the key meanwhile), a private one is copied.
void ReplyStored(CommandContext& ctx, const Entry& e) {
  if (e.value_shared()) {
    const shards::SharedBytes& b = e.shared_value();
    ctx.out->ExternalBulk(
        resp::ExternalBytes{std::shared_ptr<const void>(b.data, b.data.get()), b.view()});
  } else {
    ctx.out->Bulk(e.value());
  }
}

// The value as a bulk reply, or a null bulk for a missing key.
void ReplyValue(CommandContext& ctx, const Entry* e) {
  if (e == nullptr) {
    ctx.out->NullBulk();
  } else {
    ReplyStored(ctx, *e);
  }
}

void Get(CommandContext& ctx) {
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  ReplyValue(ctx, e);
}

// SET, SETEX and PSETEX share this once the options are known; the value is args[value_arg].
// Writes the reply.
void SetWithOptions(CommandContext& ctx, size_t value_arg, const ExpireOptions& o) {
  Millis expire_at = kNoExpiry;
  if (o.kind != ExpireOptions::kNone && !ExpireAt(ctx, o.kind, o.value, &expire_at)) return;
  Entry* e = o.get ? ctx.store->FindForRead(ctx.db, Key(ctx)) : ctx.store->Find(ctx.db, Key(ctx));
  if (o.get && WrongType(ctx, e)) return;
  if (o.get) ReplyValue(ctx, e);
  if ((o.nx && e != nullptr) || (o.xx && e == nullptr)) {
    if (!o.get) ctx.out->NullBulk();
    return;
  }
  if (o.keep_ttl && e != nullptr) expire_at = e->expire_at;
  ctx.store->Set(ctx.db, Key(ctx), ctx.TakeValue(value_arg), expire_at);
  if (!o.get) ctx.out->Ok();
  // As a plain SET, with an absolute PXAT for any expiry: NX, XX, GET and KEEPTTL have done
  // their work, and a record that does not depend on what the key held can be applied twice
  // (an upstream may see it again after a reconnect).
  if (expire_at != kNoExpiry) {
    ctx.Propagate({"SET", Key(ctx), ctx.args[value_arg], "PXAT", std::to_string(expire_at)});
  } else {
    ctx.Propagate({"SET", Key(ctx), ctx.args[value_arg]});
  }
}

void Set(CommandContext& ctx) {
  ExpireOptions o;
  if (!ParseExpireOptions(ctx.args, 3, /*is_set=*/true, &o)) {
    ctx.out->Error(kErrSyntax);
    return;
  }
  SetWithOptions(ctx, 2, o);
}

void SetNx(CommandContext& ctx) {
  if (ctx.store->Find(ctx.db, Key(ctx)) != nullptr) {
    ctx.out->Integer(0);
    return;
  }
  ctx.store->Set(ctx.db, Key(ctx), ctx.TakeValue(2));
  ctx.out->Integer(1);
  ctx.Propagate({"SET", Key(ctx), ctx.args[2]});
}

void SetEx(CommandContext& ctx) {
  ExpireOptions o;
  o.kind = EqualsNoCase(ctx.args[0], "psetex") ? ExpireOptions::kPx : ExpireOptions::kEx;
  o.value = ctx.args[2];
  SetWithOptions(ctx, 3, o);
}

void GetSet(CommandContext& ctx) {
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  ReplyValue(ctx, e);
  ctx.store->Set(ctx.db, Key(ctx), ctx.TakeValue(2));
  ctx.Propagate({"SET", Key(ctx), ctx.args[2]});
}

void GetDel(CommandContext& ctx) {
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  if (e == nullptr) {
    ctx.out->NullBulk();
    return;
  }
  ReplyStored(ctx, *e);
  ctx.store->Delete(ctx.db, Key(ctx));
  ctx.Propagate({"DEL", Key(ctx)});
}

void GetEx(CommandContext& ctx) {
  ExpireOptions o;
  if (!ParseExpireOptions(ctx.args, 2, /*is_set=*/false, &o)) {
    ctx.out->Error(kErrSyntax);
    return;
  }
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (e == nullptr) {
    ctx.out->NullBulk();
    return;
  }
  if (WrongType(ctx, e)) return;
  Millis expire_at = kNoExpiry;
  if (o.kind != ExpireOptions::kNone && !ExpireAt(ctx, o.kind, o.value, &expire_at)) return;
  ReplyStored(ctx, *e);
  if (o.kind != ExpireOptions::kNone) {
    if (expire_at <= ctx.store->NowMs()) {
      ctx.store->Delete(ctx.db, Key(ctx));  // a time already reached deletes the key now
      ctx.Propagate({"DEL", Key(ctx)});
    } else {
      ctx.store->SetExpire(ctx.db, Key(ctx), e, expire_at);
      ctx.Propagate({"PEXPIREAT", Key(ctx), std::to_string(expire_at)});
    }
  } else if (o.persist && e->expire_at != kNoExpiry) {
    ctx.store->SetExpire(ctx.db, Key(ctx), e, kNoExpiry);
    ctx.Propagate({"PERSIST", Key(ctx)});
  }
}

void Append(CommandContext& ctx) {
  const std::string_view add = ctx.args[2];
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  if (e != nullptr && static_cast<int64_t>(e->value_size() + add.size()) > ctx.proto_max_bulk_len) {
    ctx.out->Error(kErrStringTooLong);
    return;
  }
  // Propagated as the bytes written at the offset they went to (SETRANGE), which, unlike
  // APPEND, leaves the same value however many times it is applied.
  if (e == nullptr) {
    // A new key takes the argument as it is (a BigBulk buffer without a copy).
    e = ctx.store->Set(ctx.db, Key(ctx), ctx.TakeValue(2));
    ctx.Propagate({"SET", Key(ctx), add});
  } else if (!add.empty()) {
    const std::string offset = std::to_string(e->value_size());
    e->MutableStr().append(add);
    ctx.store->AdjustUsed(static_cast<int64_t>(add.size()));
    ctx.Propagate({"SETRANGE", Key(ctx), offset, add});
  } else {
    e->MarkRaw();  // unchanged, but a raw string, as Redis's APPEND leaves it
  }
  ctx.out->Integer(static_cast<int64_t>(e->value_size()));
}

void StrLen(CommandContext& ctx) {
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  ctx.out->Integer(e == nullptr ? 0 : static_cast<int64_t>(e->value_size()));
}

void GetRange(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  Entry* e = ctx.store->FindForRead(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  const int64_t len = e == nullptr ? 0 : static_cast<int64_t>(e->value_size());
  // Redis's clamping: both negative and reversed is empty; otherwise negatives count from the
  // end and clamp to 0, so a range wholly before the start still yields the first byte.
  if (len == 0 || (start < 0 && end < 0 && start > end)) {
    ctx.out->Bulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end) {
    ctx.out->Bulk("");
    return;
  }
  ctx.out->Bulk(
      e->value().substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void SetRange(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseInt64(ctx.args[2], &offset)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.out->Error("ERR offset is out of range");
    return;
  }
  const std::string_view value = ctx.args[3];
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  if (value.empty()) {
    ctx.out->Integer(e == nullptr ? 0 : static_cast<int64_t>(e->value_size()));
    return;
  }
  if (offset > ctx.proto_max_bulk_len - static_cast<int64_t>(value.size())) {
    ctx.out->Error(kErrStringTooLong);
    return;
  }
  bool created = false;
  if (e == nullptr) e = ctx.store->FindOrCreate(ctx.db, Key(ctx), &created);
  shards::SmallString& str = e->MutableStr();
  const size_t old_size = str.size();
  str.Overwrite(static_cast<size_t>(offset), value);
  ctx.store->AdjustUsed(static_cast<int64_t>(str.size()) - static_cast<int64_t>(old_size));
  ctx.out->Integer(static_cast<int64_t>(str.size()));
  ctx.PropagateAsSent();
}

// INCR, DECR, INCRBY and DECRBY once the delta is known.
void IncrBy(CommandContext& ctx, int64_t delta) {
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  int64_t value = 0;
  if (e != nullptr && !ParseInt64(e->value(), &value)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  if (__builtin_add_overflow(value, delta, &value)) {
    ctx.out->Error(kErrOverflow);
    return;
  }
  std::string text = std::to_string(value);
  if (e != nullptr) {
    ctx.store->AdjustUsed(static_cast<int64_t>(text.size()) -
                          static_cast<int64_t>(e->value_size()));
  }
  ctx.out->Integer(value);
  // The result, not the step: applied twice it still leaves the same number.
  ctx.Propagate({"SET", Key(ctx), text, "KEEPTTL"});
  if (e == nullptr) {
    ctx.store->Set(ctx.db, Key(ctx), std::move(text));
  } else {
    e->AssignString(std::move(text));  // keeps the TTL, as Redis does
  }
}

void Incr(CommandContext& ctx) { IncrBy(ctx, 1); }
void Decr(CommandContext& ctx) { IncrBy(ctx, -1); }

void IncrByCmd(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseInt64(ctx.args[2], &delta)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  IncrBy(ctx, delta);
}

void DecrByCmd(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseInt64(ctx.args[2], &delta)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  if (delta == INT64_MIN) {
    ctx.out->Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, -delta);
}

void IncrByFloat(CommandContext& ctx) {
  Entry* e = ctx.store->Find(ctx.db, Key(ctx));
  if (WrongType(ctx, e)) return;
  long double value = 0, incr = 0;
  if ((e != nullptr && !ParseLongDouble(e->value(), &value)) ||
      !ParseLongDouble(ctx.args[2], &incr)) {
    ctx.out->Error(kErrNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.out->Error(kErrNanOrInf);
    return;
  }
  std::string text = FormatLongDouble(value);
  ctx.out->Bulk(text);
  // The result, not the increment: replaying an increment of a float may round differently.
  ctx.Propagate({"SET", Key(ctx), text, "KEEPTTL"});
  if (e == nullptr) {
    e = ctx.store->Set(ctx.db, Key(ctx), std::move(text));
  } else {
    ctx.store->AdjustUsed(static_cast<int64_t>(text.size()) -
                          static_cast<int64_t>(e->value_size()));
    e->AssignString(std::move(text));
  }
  e->MarkText();  // Redis keeps a float's text as text, even one that reads as an integer
}

// MGET part: one bulk (or null) per key, with no array header; the dispatcher calls it per
// key and MergeParts adds the header.
void MGet(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    const Entry* e = ctx.store->FindForRead(ctx.db, ctx.args[i]);
    if (e == nullptr || e->type() != ObjType::kString) {
      ctx.out->NullBulk();
    } else {
      ReplyStored(ctx, *e);
    }
  }
}

void MSet(CommandContext& ctx) {
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    ctx.store->Set(ctx.db, ctx.args[i], ctx.TakeValue(i + 1));
  }
  ctx.out->Ok();
  ctx.PropagateAsSent();
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  constexpr uint32_t kR = kReadOnly;
  constexpr uint32_t kW = kWrite;
  constexpr uint32_t kF = kFast;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Exec kMany = Exec::kMultiKey;
  const std::string_view s = "string";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add(
      {"get", 2, kR | kF, 1, 1, 1, kOne, Get, Merge::kNone, s, "Get the value of a key", "key"});
  table.Add({"set", -3, kW | kDenyOom | kOverwrite | kOverwriteUnlessReads, 1, 1, 1, kOne, Set,
             Merge::kNone, s, "Set the string value of a key",
             "key value condition=[NX|XX] [GET] expiration=[EX seconds|PX milliseconds|EXAT "
             "unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"});
  table.Add({"setnx", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, SetNx, Merge::kNone, s,
             "Set the value of a key, only if the key does not exist", "key value"});
  table.Add({"setex", 4, kW | kDenyOom | kOverwrite, 1, 1, 1, kOne, SetEx, Merge::kNone, s,
             "Set the value and expiration of a key", "key seconds value"});
  table.Add({"psetex", 4, kW | kDenyOom | kOverwrite, 1, 1, 1, kOne, SetEx, Merge::kNone, s,
             "Set the value and expiration in milliseconds of a key", "key milliseconds value"});
  table.Add({"getset", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, GetSet, Merge::kNone, s,
             "Set the string value of a key and return its old value", "key value"});
  table.Add({"getdel", 2, kW | kF, 1, 1, 1, kOne, GetDel, Merge::kNone, s,
             "Get the value of a key and delete the key", "key"});
  table.Add({"getex", -2, kW | kF, 1, 1, 1, kOne, GetEx, Merge::kNone, s,
             "Get the value of a key and optionally set its expiration",
             "key expiration=[EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
             "unix-time-milliseconds|PERSIST]"});
  table.Add({"append", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, Append, Merge::kNone, s,
             "Append a value to a key", "key value"});
  table.Add({"strlen", 2, kR | kF, 1, 1, 1, kOne, StrLen, Merge::kNone, s,
             "Get the length of the value stored in a key", "key"});
  table.Add({"getrange", 4, kR, 1, 1, 1, kOne, GetRange, Merge::kNone, s,
             "Get a substring of the string stored at a key", "key start end"});
  table.Add({"substr", 4, kR, 1, 1, 1, kOne, GetRange, Merge::kNone, s,
             "Get a substring of the string stored at a key", "key start end"});
  table.Add({"setrange", 4, kW | kDenyOom, 1, 1, 1, kOne, SetRange, Merge::kNone, s,
             "Overwrite part of a string at key starting at the specified offset",
             "key offset value"});
  table.Add({"incr", 2, kW | kDenyOom | kF, 1, 1, 1, kOne, Incr, Merge::kNone, s,
             "Increment the integer value of a key by one", "key"});
  table.Add({"decr", 2, kW | kDenyOom | kF, 1, 1, 1, kOne, Decr, Merge::kNone, s,
             "Decrement the integer value of a key by one", "key"});
  table.Add({"incrby", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, IncrByCmd, Merge::kNone, s,
             "Increment the integer value of a key by the given amount", "key increment"});
  table.Add({"decrby", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, DecrByCmd, Merge::kNone, s,
             "Decrement the integer value of a key by the given number", "key decrement"});
  table.Add({"incrbyfloat", 3, kW | kDenyOom | kF, 1, 1, 1, kOne, IncrByFloat, Merge::kNone, s,
             "Increment the float value of a key by the given amount", "key increment:double"});
  table.Add({"mget", -2, kR | kF, 1, -1, 1, kMany, MGet, Merge::kArray, s,
             "Get the values of all the given keys", "key [key ...]"});
  table.Add({"mset", -3, kW | kDenyOom | kOverwrite, 1, -1, 2, kMany, MSet, Merge::kOk, s,
             "Set multiple keys to multiple values", "key value [key value ...]"});
}

}  // namespace ringside::proxy
