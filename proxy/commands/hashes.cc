// Hash commands: arguments → shards/hash_ops.h and HashValue → one reply, and the record of
// what changed, as Redis propagates it (increments as the HSET of their result).
#include <cmath>
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "shards/hash_ops.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::HashValue;
using shards::ObjType;
using shards::OpStatus;

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

// Writes the error reply for a failed hash op; true when there was one.
bool Failed(CommandContext& ctx, OpStatus s) {
  switch (s) {
    case OpStatus::kOk:
      return false;
    case OpStatus::kWrongType:
      ctx.out->Error(kErrWrongType);
      break;
    case OpStatus::kNotInteger:
      ctx.out->Error("ERR hash value is not an integer");
      break;
    case OpStatus::kNotFloat:
      ctx.out->Error("ERR hash value is not a float");
      break;
    case OpStatus::kOverflow:
      ctx.out->Error(kErrOverflow);
      break;
    case OpStatus::kNanOrInf:
      ctx.out->Error(kErrNanOrInf);
      break;
    case OpStatus::kNoSuchKey:
    case OpStatus::kOutOfRange:
      ctx.out->Error(kErrSyntax);  // no hash operation fails so
      break;
  }
  return true;
}

// The hash a read command looks at: null when the key is absent, or when the key holds
// another type (the WRONGTYPE reply is then written and *failed set).
const HashValue* ReadHash(CommandContext& ctx, bool* failed) {
  auto r = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kHash, /*read=*/true);
  *failed = Failed(ctx, r.status);
  return r.ok() && r.value != nullptr ? &r.value->hash() : nullptr;
}

// HSET and HMSET take field/value pairs after the key.
bool PairsOk(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return true;
  ctx.out->Error(ArityError(LowerName(ctx.args[0])));
  return false;
}

void HSet(CommandContext& ctx) {
  if (!PairsOk(ctx)) return;
  auto r = shards::OpHSet(*ctx.store, ctx.db, Key(ctx), ctx.args.subspan(2));
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  ctx.PropagateAsSent();
}

void HMSet(CommandContext& ctx) {
  if (!PairsOk(ctx)) return;
  auto r = shards::OpHSet(*ctx.store, ctx.db, Key(ctx), ctx.args.subspan(2));
  if (Failed(ctx, r.status)) return;
  ctx.out->Ok();
  ctx.PropagateAsSent();
}

void HSetNx(CommandContext& ctx) {
  auto r = shards::OpHSetNx(*ctx.store, ctx.db, Key(ctx), ctx.args[2], ctx.args[3]);
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value ? 1 : 0);
  // What the key became: applied again, it leaves the same hash.
  if (r.value) ctx.Propagate({"HSET", Key(ctx), ctx.args[2], ctx.args[3]});
}

void HGet(CommandContext& ctx) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  std::string buf;
  std::string_view v;
  if (h != nullptr && h->Get(ctx.args[2], &buf, &v)) {
    ctx.out->Bulk(v);
  } else {
    ctx.out->NullBulk();
  }
}

void HMGet(CommandContext& ctx) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  ctx.out->ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  std::string buf;
  std::string_view v;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (h != nullptr && h->Get(ctx.args[i], &buf, &v)) {
      ctx.out->Bulk(v);
    } else {
      ctx.out->NullBulk();
    }
  }
}

void HDel(CommandContext& ctx) {
  auto r = shards::OpHDel(*ctx.store, ctx.db, Key(ctx), ctx.args.subspan(2));
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void HLen(CommandContext& ctx) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  ctx.out->Integer(h == nullptr ? 0 : static_cast<int64_t>(h->size()));
}

void HExists(CommandContext& ctx) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  ctx.out->Integer(h != nullptr && h->Contains(ctx.args[2]) ? 1 : 0);
}

void HStrLen(CommandContext& ctx) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  std::string buf;
  std::string_view v;
  const bool found = h != nullptr && h->Get(ctx.args[2], &buf, &v);
  ctx.out->Integer(found ? static_cast<int64_t>(v.size()) : 0);
}

enum class Part : uint8_t { kFields, kValues, kBoth };

// HGETALL (a map in RESP3), HKEYS and HVALS.
void ReplyAll(CommandContext& ctx, Part part) {
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  const auto n = static_cast<int64_t>(h == nullptr ? 0 : h->size());
  if (part == Part::kBoth) {
    ctx.out->MapHeader(n);
  } else {
    ctx.out->ArrayHeader(n);
  }
  if (h == nullptr) return;
  h->ForEach([&](std::string_view f, std::string_view v) {
    if (part != Part::kValues) ctx.out->Bulk(f);
    if (part != Part::kFields) ctx.out->Bulk(v);
  });
}

void HGetAll(CommandContext& ctx) { ReplyAll(ctx, Part::kBoth); }
void HKeys(CommandContext& ctx) { ReplyAll(ctx, Part::kFields); }
void HVals(CommandContext& ctx) { ReplyAll(ctx, Part::kValues); }

void HIncrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseInt64(ctx.args[3], &delta)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  auto r = shards::OpHIncrBy(*ctx.store, ctx.db, Key(ctx), ctx.args[2], delta);
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  ctx.Propagate({"HSET", Key(ctx), ctx.args[2], std::to_string(r.value)});
}

void HIncrByFloat(CommandContext& ctx) {
  long double delta = 0;
  if (!ParseLongDouble(ctx.args[3], &delta)) {
    ctx.out->Error(kErrNotFloat);
    return;
  }
  if (std::isinf(delta)) {
    ctx.out->Error("ERR value is NaN or Infinity");
    return;
  }
  auto r = shards::OpHIncrByFloat(*ctx.store, ctx.db, Key(ctx), ctx.args[2], delta);
  if (Failed(ctx, r.status)) return;
  ctx.out->Bulk(r.value);
  // The result, not the increment: replaying a float increment may round differently.
  ctx.Propagate({"HSET", Key(ctx), ctx.args[2], r.value});
}

// Every (field, value) of a hash, copied out, in the hash's order.
std::vector<std::pair<std::string, std::string>> AllPairs(const HashValue& h) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(h.size());
  h.ForEach([&](std::string_view f, std::string_view v) { out.emplace_back(f, v); });
  return out;
}

void HRandField(CommandContext& ctx) {
  int64_t count = 0;
  const bool with_count = ctx.args.size() >= 3;
  if (with_count && !ParseInt64(ctx.args[2], &count)) {
    ctx.out->Error(kErrNotInteger);
    return;
  }
  bool with_values = false;
  if (ctx.args.size() == 4 && EqualsNoCase(ctx.args[3], "withvalues")) {
    with_values = true;
  } else if (ctx.args.size() >= 4) {
    ctx.out->Error(kErrSyntax);
    return;
  }
  if (with_count && count < -INT64_MAX) {
    ctx.out->Error(kErrCountRange);
    return;
  }
  // Redis's bound, so that the reply's length (doubled with values) fits; and ringside's, so
  // that a reply of repeated picks cannot take all memory (Redis has none, and dies).
  if (with_count && ((with_values && count < -INT64_MAX / 2) || count < -kMaxRandomPicks)) {
    ctx.out->Error("ERR value is out of range");
    return;
  }
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  if (!with_count) {
    if (h == nullptr) return ctx.out->NullBulk();
    // One field: walked to, not copied out with the others.
    size_t skip = ctx.store->Random() % h->size();
    h->ForEach([&](std::string_view f, std::string_view) {
      if (skip-- == 0) ctx.out->Bulk(f);
    });
    return;
  }
  if (h == nullptr || count == 0) return ctx.out->ArrayHeader(0);
  const auto pairs = AllPairs(*h);
  std::vector<size_t> picks;
  if (count < 0) {
    const uint64_t n = static_cast<uint64_t>(-(count + 1)) + 1;
    picks.reserve(n);
    for (uint64_t i = 0; i < n; ++i) picks.push_back(ctx.store->Random() % pairs.size());
  } else if (static_cast<uint64_t>(count) >= pairs.size()) {
    // The whole hash, in its own order, as Redis answers.
    for (size_t i = 0; i < pairs.size(); ++i) picks.push_back(i);
  } else {
    std::vector<size_t> pos(pairs.size());
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = i;
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
      std::swap(pos[i], pos[i + ctx.store->Random() % (pos.size() - i)]);
      picks.push_back(pos[i]);
    }
  }
  const auto n = static_cast<int64_t>(picks.size());
  if (with_values) {
    ctx.out->PairsHeader(n);
  } else {
    ctx.out->ArrayHeader(n);
  }
  for (size_t i : picks) {
    if (with_values) ctx.out->PairHeader();
    ctx.out->Bulk(pairs[i].first);
    if (with_values) ctx.out->Bulk(pairs[i].second);
  }
}

void HScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[2], &cursor)) {
    ctx.out->Error("ERR invalid cursor");
    return;
  }
  bool failed = false;
  const HashValue* h = ReadHash(ctx, &failed);
  if (failed) return;
  std::string_view pattern = "*";
  if (h != nullptr) {
    if (std::string_view error = ParseCollectionScanArgs(ctx.args, 3, &pattern); !error.empty()) {
      ctx.out->Error(error);
      return;
    }
  }
  // The whole hash in one reply, as Redis answers for a small one: every field present for
  // the whole scan is returned, whatever changes meanwhile.
  std::vector<std::pair<std::string, std::string>> found;
  if (h != nullptr) {
    const bool all = pattern == "*";
    h->ForEach([&](std::string_view f, std::string_view v) {
      if (all || shards::GlobMatch(pattern, f)) found.emplace_back(f, v);
    });
  }
  ctx.out->ArrayHeader(2);
  ctx.out->Bulk("0");
  ctx.out->ArrayHeader(static_cast<int64_t>(found.size() * 2));
  for (const auto& [f, v] : found) {
    ctx.out->Bulk(f);
    ctx.out->Bulk(v);
  }
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  constexpr uint32_t kR = kReadOnly;
  constexpr uint32_t kW = kWrite;
  constexpr uint32_t kF = kFast;
  constexpr uint32_t kOom = kDenyOom;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Merge kNo = Merge::kNone;
  const std::string_view g = "hash";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add({"hset", -4, kW | kOom | kF, 1, 1, 1, kOne, HSet, kNo, g,
             "Set the string value of a hash field", "key field value [field value ...]"});
  table.Add({"hmset", -4, kW | kOom | kF, 1, 1, 1, kOne, HMSet, kNo, g,
             "Set multiple hash fields to multiple values", "key field value [field value ...]"});
  table.Add({"hsetnx", 4, kW | kOom | kF, 1, 1, 1, kOne, HSetNx, kNo, g,
             "Set the value of a hash field, only if the field does not exist", "key field value"});
  table.Add({"hget", 3, kR | kF, 1, 1, 1, kOne, HGet, kNo, g, "Get the value of a hash field",
             "key field"});
  table.Add({"hmget", -3, kR | kF, 1, 1, 1, kOne, HMGet, kNo, g,
             "Get the values of all the given hash fields", "key field [field ...]"});
  table.Add({"hdel", -3, kW | kF, 1, 1, 1, kOne, HDel, kNo, g, "Delete one or more hash fields",
             "key field [field ...]"});
  table.Add({"hlen", 2, kR | kF, 1, 1, 1, kOne, HLen, kNo, g, "Get the number of fields in a hash",
             "key"});
  table.Add({"hexists", 3, kR | kF, 1, 1, 1, kOne, HExists, kNo, g,
             "Determine if a hash field exists", "key field"});
  table.Add({"hstrlen", 3, kR | kF, 1, 1, 1, kOne, HStrLen, kNo, g,
             "Get the length of the value of a hash field", "key field"});
  table.Add(
      WithResp3Shape({"hgetall", 2, kR, 1, 1, 1, kOne, HGetAll, kNo, g,
                      "Get all the fields and values in a hash", "key"},
                     [](std::span<const std::string_view>) { return resp::Resp3Shape::kMap; }));
  table.Add({"hkeys", 2, kR, 1, 1, 1, kOne, HKeys, kNo, g, "Get all the fields in a hash", "key"});
  table.Add({"hvals", 2, kR, 1, 1, 1, kOne, HVals, kNo, g, "Get all the values in a hash", "key"});
  table.Add({"hincrby", 4, kW | kOom | kF, 1, 1, 1, kOne, HIncrBy, kNo, g,
             "Increment the integer value of a hash field by the given number",
             "key field increment"});
  table.Add({"hincrbyfloat", 4, kW | kOom | kF, 1, 1, 1, kOne, HIncrByFloat, kNo, g,
             "Increment the float value of a hash field by the given amount",
             "key field increment:double"});
  // With WITHVALUES, pairs; otherwise a field or an array of them.
  table.Add(WithResp3Shape(
      {"hrandfield", -2, kR, 1, 1, 1, kOne, HRandField, kNo, g,
       "Get one or multiple random fields from a hash", "key options=[count:integer [WITHVALUES]]"},
      [](std::span<const std::string_view> argv) {
        return argv.size() == 4 ? resp::Resp3Shape::kPairs : resp::Resp3Shape::kNullsOnly;
      }));
  table.Add({"hscan", -3, kR, 1, 1, 1, kOne, HScan, kNo, g,
             "Incrementally iterate hash fields and associated values",
             "key cursor:integer [MATCH pattern] [COUNT count:integer]"});
}

}  // namespace ringside::proxy
