// List commands on one key: arguments → shards/list_ops.h and ListValue → one reply, and the
// record of what changed (every list write replays to the same list, so each is propagated as
// it was sent).
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "shards/list_ops.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::ListEnd;
using shards::ListValue;
using shards::ObjType;
using shards::OpStatus;

constexpr std::string_view kErrPositive = "ERR value is out of range, must be positive";

std::string_view Key(const CommandContext& ctx) { return ctx.args[1]; }

// Writes the error reply for a failed list op; true when there was one.
bool Failed(CommandContext& ctx, OpStatus s) {
  switch (s) {
    case OpStatus::kOk:
      return false;
    case OpStatus::kNoSuchKey:
      ctx.out->Error("ERR no such key");
      break;
    case OpStatus::kOutOfRange:
      ctx.out->Error("ERR index out of range");
      break;
    default:
      ctx.out->Error(kErrWrongType);
      break;
  }
  return true;
}

// The list a read command looks at: null when the key is absent, or when the key holds
// another type (the WRONGTYPE reply is then written and *failed set).
const ListValue* ReadList(CommandContext& ctx, bool* failed) {
  auto r = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kList, /*read=*/true);
  *failed = Failed(ctx, r.status);
  return r.ok() && r.value != nullptr ? &r.value->list() : nullptr;
}

// A non-negative count as Redis's getPositiveLong reads one: `error` for text that is not an
// integer and for a negative one.
bool ParseCount(std::string_view s, std::string_view error, CommandContext& ctx, int64_t* out) {
  if (!ParseInt64(s, out) || *out < 0) {
    ctx.out->Error(error);
    return false;
  }
  return true;
}

void Push(CommandContext& ctx, ListEnd end, bool only_existing) {
  auto r = shards::OpPush(*ctx.store, ctx.db, Key(ctx), end, ctx.args.subspan(2), only_existing);
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void LPush(CommandContext& ctx) { Push(ctx, ListEnd::kHead, false); }
void RPush(CommandContext& ctx) { Push(ctx, ListEnd::kTail, false); }
void LPushX(CommandContext& ctx) { Push(ctx, ListEnd::kHead, true); }
void RPushX(CommandContext& ctx) { Push(ctx, ListEnd::kTail, true); }

void Pop(CommandContext& ctx, ListEnd end) {
  if (ctx.args.size() > 3) return ctx.out->Error(ArityError(LowerName(ctx.args[0])));
  const bool with_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (with_count && !ParseCount(ctx.args[2], kErrPositive, ctx, &count)) return;
  if (count == 0) {
    // Nothing is popped: only whether the key exists decides the reply.
    auto found = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kList, false);
    if (Failed(ctx, found.status)) return;
    return found.value == nullptr ? ctx.out->NullArray() : ctx.out->ArrayHeader(0);
  }
  auto r = shards::OpPop(*ctx.store, ctx.db, Key(ctx), end, static_cast<size_t>(count));
  if (Failed(ctx, r.status)) return;
  // A stored list is never empty, so nothing popped means no key.
  if (r.value.empty()) return with_count ? ctx.out->NullArray() : ctx.out->NullBulk();
  if (with_count) {
    ctx.out->ArrayHeader(static_cast<int64_t>(r.value.size()));
    for (const std::string& v : r.value) ctx.out->Bulk(v);
  } else {
    ctx.out->Bulk(r.value.front());
  }
  ctx.PropagateAsSent();
}

void LPop(CommandContext& ctx) { Pop(ctx, ListEnd::kHead); }
void RPop(CommandContext& ctx) { Pop(ctx, ListEnd::kTail); }

void LLen(CommandContext& ctx) {
  bool failed = false;
  const ListValue* l = ReadList(ctx, &failed);
  if (failed) return;
  ctx.out->Integer(l == nullptr ? 0 : static_cast<int64_t>(l->size()));
}

void LIndex(CommandContext& ctx) {
  bool failed = false;
  const ListValue* l = ReadList(ctx, &failed);
  if (failed) return;
  if (l == nullptr) return ctx.out->NullBulk();
  int64_t index = 0;
  if (!ParseInt64(ctx.args[2], &index)) return ctx.out->Error(kErrNotInteger);
  const auto size = static_cast<int64_t>(l->size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return ctx.out->NullBulk();
  std::string buf;
  ctx.out->Bulk(l->At(static_cast<size_t>(index), &buf));
}

void LSet(CommandContext& ctx) {
  int64_t index = 0;
  if (!ParseInt64(ctx.args[2], &index)) {
    // Redis looks the key up before it reads the index.
    auto found = shards::OpFind(*ctx.store, ctx.db, Key(ctx), ObjType::kList, false);
    if (Failed(ctx, found.status)) return;
    return ctx.out->Error(found.value == nullptr ? "ERR no such key" : kErrNotInteger);
  }
  auto r = shards::OpLSet(*ctx.store, ctx.db, Key(ctx), index, ctx.args[3]);
  if (Failed(ctx, r.status)) return;
  ctx.out->Ok();
  ctx.PropagateAsSent();
}

// LRANGE's and LTRIM's two indices; false (with the error written) when either is not one.
bool ParseRange(CommandContext& ctx, int64_t* start, int64_t* stop) {
  if (ParseInt64(ctx.args[2], start) && ParseInt64(ctx.args[3], stop)) return true;
  ctx.out->Error(kErrNotInteger);
  return false;
}

void LRange(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!ParseRange(ctx, &start, &stop)) return;
  bool failed = false;
  const ListValue* l = ReadList(ctx, &failed);
  if (failed) return;
  if (l == nullptr || !shards::ClampRange(static_cast<int64_t>(l->size()), &start, &stop)) {
    return ctx.out->ArrayHeader(0);
  }
  ctx.out->ArrayHeader(stop - start + 1);
  ListValue::Cursor c = l->Locate(static_cast<size_t>(start));
  std::string buf;
  for (int64_t i = start; i <= stop; ++i) {
    ctx.out->Bulk(l->Get(c).View(&buf));
    l->Next(&c);
  }
}

void LTrim(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!ParseRange(ctx, &start, &stop)) return;
  auto r = shards::OpLTrim(*ctx.store, ctx.db, Key(ctx), start, stop);
  if (Failed(ctx, r.status)) return;
  ctx.out->Ok();
  if (r.value) ctx.PropagateAsSent();
}

void LRem(CommandContext& ctx) {
  int64_t count = 0;
  if (!ParseInt64(ctx.args[2], &count)) return ctx.out->Error(kErrNotInteger);
  auto r = shards::OpLRem(*ctx.store, ctx.db, Key(ctx), count, ctx.args[3]);
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void LInsert(CommandContext& ctx) {
  bool after = false;
  if (EqualsNoCase(ctx.args[2], "after")) {
    after = true;
  } else if (!EqualsNoCase(ctx.args[2], "before")) {
    return ctx.out->Error(kErrSyntax);
  }
  auto r = shards::OpLInsert(*ctx.store, ctx.db, Key(ctx), after, ctx.args[3], ctx.args[4]);
  if (Failed(ctx, r.status)) return;
  ctx.out->Integer(r.value);
  if (r.value > 0) ctx.PropagateAsSent();
}

void LPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT given
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string_view opt = ctx.args[i];
    const bool more = i + 1 < ctx.args.size();
    if (EqualsNoCase(opt, "rank") && more) {
      if (!ParseInt64(ctx.args[++i], &rank)) return ctx.out->Error(kErrNotInteger);
      // Redis negates a negative rank in a long: the most negative one stays negative, and
      // so matches from the first match on, as -1 does.
      if (rank == INT64_MIN) rank = -1;
      if (rank == 0) {
        return ctx.out->Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
    } else if (EqualsNoCase(opt, "count") && more) {
      if (!ParseCount(ctx.args[++i], "ERR COUNT can't be negative", ctx, &count)) return;
    } else if (EqualsNoCase(opt, "maxlen") && more) {
      if (!ParseCount(ctx.args[++i], "ERR MAXLEN can't be negative", ctx, &maxlen)) return;
    } else {
      return ctx.out->Error(kErrSyntax);
    }
  }
  bool failed = false;
  const ListValue* l = ReadList(ctx, &failed);
  if (failed) return;
  const bool with_count = count >= 0;
  std::vector<int64_t> found;
  if (l != nullptr && !l->empty()) {
    const bool reverse = rank < 0;
    int64_t skip = (reverse ? -rank : rank) - 1;
    const auto size = static_cast<int64_t>(l->size());
    const size_t want = with_count && count > 0 ? static_cast<size_t>(count)
                        : with_count            ? SIZE_MAX
                                                : 1;
    ListValue::Cursor c = reverse ? l->Last() : l->Locate(0);
    int64_t index = reverse ? size - 1 : 0;
    for (int64_t looked = 0; maxlen == 0 || looked < maxlen; ++looked) {
      if (l->Get(c).Equals(ctx.args[2])) {
        if (skip > 0) {
          --skip;
        } else {
          found.push_back(index);
          if (found.size() >= want) break;
        }
      }
      if (!(reverse ? l->Prev(&c) : l->Next(&c))) break;
      index += reverse ? -1 : 1;
    }
  }
  if (!with_count) {
    return found.empty() ? ctx.out->NullBulk() : ctx.out->Integer(found.front());
  }
  ctx.out->ArrayHeader(static_cast<int64_t>(found.size()));
  for (int64_t i : found) ctx.out->Integer(i);
}

}  // namespace

void RegisterListCommands(CommandTable& table) {
  // With read-through, lists are the upstream's: their commands pass through to it.
  constexpr uint32_t kR = kReadOnly | kNoReadThrough;
  constexpr uint32_t kW = kWrite | kNoReadThrough;
  constexpr uint32_t kF = kFast;
  constexpr uint32_t kOom = kDenyOom;
  constexpr Exec kOne = Exec::kSingleKey;
  constexpr Merge kNo = Merge::kNone;
  const std::string_view g = "list";
  // name, arity, flags, first, last, step, exec, handler, merge, group, summary, syntax
  table.Add({"lpush", -3, kW | kOom | kF, 1, 1, 1, kOne, LPush, kNo, g,
             "Prepend one or multiple elements to a list", "key element [element ...]"});
  table.Add({"rpush", -3, kW | kOom | kF, 1, 1, 1, kOne, RPush, kNo, g,
             "Append one or multiple elements to a list", "key element [element ...]"});
  table.Add({"lpushx", -3, kW | kOom | kF, 1, 1, 1, kOne, LPushX, kNo, g,
             "Prepend an element to a list, only if the list exists", "key element [element ...]"});
  table.Add({"rpushx", -3, kW | kOom | kF, 1, 1, 1, kOne, RPushX, kNo, g,
             "Append an element to a list, only if the list exists", "key element [element ...]"});
  table.Add({"lpop", -2, kW | kF, 1, 1, 1, kOne, LPop, kNo, g,
             "Remove and get the first elements in a list", "key [count:integer]"});
  table.Add({"rpop", -2, kW | kF, 1, 1, 1, kOne, RPop, kNo, g,
             "Remove and get the last elements in a list", "key [count:integer]"});
  table.Add({"llen", 2, kR | kF, 1, 1, 1, kOne, LLen, kNo, g, "Get the length of a list", "key"});
  table.Add({"lindex", 3, kR, 1, 1, 1, kOne, LIndex, kNo, g,
             "Get an element from a list by its index", "key index:integer"});
  table.Add({"lset", 4, kW | kOom, 1, 1, 1, kOne, LSet, kNo, g,
             "Set the value of an element in a list by its index", "key index:integer element"});
  table.Add({"lrange", 4, kR, 1, 1, 1, kOne, LRange, kNo, g, "Get a range of elements from a list",
             "key start:integer stop:integer"});
  table.Add({"ltrim", 4, kW, 1, 1, 1, kOne, LTrim, kNo, g, "Trim a list to the specified range",
             "key start:integer stop:integer"});
  table.Add({"lrem", 4, kW, 1, 1, 1, kOne, LRem, kNo, g, "Remove elements from a list",
             "key count:integer element"});
  table.Add({"linsert", 5, kW | kOom, 1, 1, 1, kOne, LInsert, kNo, g,
             "Insert an element before or after another element in a list",
             "key where=(BEFORE|AFTER) pivot element"});
  table.Add({"lpos", -3, kR, 1, 1, 1, kOne, LPos, kNo, g,
             "Return the index of matching elements on a list",
             "key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]"});
}

}  // namespace ringside::proxy
