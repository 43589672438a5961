// Commands about a key's value as a whole: DUMP and RESTORE (Redis 7.0's serialization,
// shards/rdb.h), COPY (to any key and database), MOVE (to another database), SWAPDB, OBJECT
// ENCODING|FREQ|IDLETIME|REFCOUNT|HELP and MEMORY USAGE|HELP, from ringside's own data. COPY's and
// MOVE's records are what the destination became (RecordEntry: SET, or DEL + HSET/SADD), so they
// replay the same whatever the upstream's database numbers; SWAPDB's is itself, on every shard.
#include <climits>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/gather.h"
#include "proxy/config.h"
#include "shards/rdb.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

using shards::Entry;

// A database number argument as Redis reads one: kErrNotInteger when it is not a number,
// "DB index is out of range" when the server has no such database. Empty when fine.
std::string_view ParseDb(std::string_view s, int databases, int* db) {
  int64_t v = 0;
  if (!ParseInt64(s, &v) || v < INT_MIN || v > INT_MAX) return kErrNotInteger;
  if (v < 0 || v >= databases) return "ERR DB index is out of range";
  *db = static_cast<int>(v);
  return {};
}

void Copy(CommandContext& ctx) {
  Worker& w = *ctx.worker;
  const int databases = w.config().databases;
  int dst_db = ctx.db;
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsNoCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsNoCase(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      if (std::string_view error = ParseDb(ctx.args[++i], databases, &dst_db); !error.empty()) {
        return CompleteWithError(ctx, error);
      }
    } else {
      return CompleteWithError(ctx, kErrSyntax);
    }
  }
  std::string src(ctx.args[1]), dst(ctx.args[2]);
  if (dst_db == ctx.db && src == dst) {
    return CompleteWithError(ctx, "ERR source and destination objects are the same");
  }
  const int db = ctx.db;
  const ReplyTo to = ReplyToOf(ctx);
  ctx.conn->BlockUntil(ctx.seq);
  // Copies only: names, databases, where the reply goes.
  OnOwner(w, src, [=](Worker& s) {
    const Entry* e = s.store().FindForRead(db, src);
    if (e == nullptr) return CompleteAfterDurable(s, to, IntReply(0), s.RecordMark());
    // The copy travels with the task to the destination's owner.
    auto copy = std::make_shared<Entry>(e->Clone());
    OnOwner(s, dst, [=](Worker& d) {
      const uint64_t from = d.RecordMark();
      if (!replace && d.store().Exists(dst_db, dst)) {
        return CompleteAfterDurable(d, to, IntReply(0), from);
      }
      const Entry* put = d.store().Add(dst_db, dst, std::move(*copy));
      RecordEntry(d.propagation(), dst_db, dst, *put, /*replace=*/true);
      CompleteAfterDurable(d, to, IntReply(1), from);
    });
  });
}

void Move(CommandContext& ctx) {
  int dst_db = 0;
  if (std::string_view error = ParseDb(ctx.args[2], ctx.store->num_dbs(), &dst_db);
      !error.empty()) {
    return ctx.out->Error(error);
  }
  if (dst_db == ctx.db) return ctx.out->Error("ERR source and destination objects are the same");
  const std::string_view key = ctx.args[1];
  if (ctx.store->Find(ctx.db, key) == nullptr || ctx.store->Exists(dst_db, key)) {
    return ctx.out->Integer(0);
  }
  std::optional<Entry> e = ctx.store->Take(ctx.db, key);
  ctx.Propagate({"DEL", key});
  const Entry* moved = ctx.store->Put(dst_db, key, std::move(*e));
  RecordEntry(ctx.propagation, dst_db, key, *moved, /*replace=*/true);
  ctx.out->Integer(1);
}

void SwapDb(CommandContext& ctx) {
  Worker& w = *ctx.worker;
  if (!w.config().upstream.empty()) {
    // Swapped here, the upstream's databases would no longer hold what ringside's hold.
    return CompleteWithError(ctx, "ERR SWAPDB is not served in front of an upstream");
  }
  const int databases = w.config().databases;
  int a = 0, b = 0;
  int64_t v = 0;
  if (!ParseInt64(ctx.args[1], &v) || v < INT_MIN || v > INT_MAX) {
    return CompleteWithError(ctx, "ERR invalid first DB index");
  }
  a = static_cast<int>(v);
  if (!ParseInt64(ctx.args[2], &v) || v < INT_MIN || v > INT_MAX) {
    return CompleteWithError(ctx, "ERR invalid second DB index");
  }
  b = static_cast<int>(v);
  if (a < 0 || a >= databases || b < 0 || b >= databases) {
    return CompleteWithError(ctx, "ERR DB index is out of range");
  }
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  // `fn` captures copies only; `done` runs at home, where slot `seq` keeps `conn` alive.
  w.WriteOnEveryWorker(
      [a, b](Worker& at) {
        at.store().SwapDb(a, b);
        // Clients that cache keys of either database hear that everything may have changed.
        at.DeliverFlush();
        if (backend::PropagationSink* sink = at.propagation()) {
          const std::string sa = std::to_string(a), sb = std::to_string(b);
          const std::string_view argv[] = {"SWAPDB", sa, sb};
          sink->Record(a, argv);
        }
      },
      [conn, seq](const std::string& refused) {
        conn->Complete(seq, refused.empty() ? std::string("+OK\r\n") : ErrorReply(refused));
      });
}

// Redis shares the integers 0 to 9999 among all keys unless an LRU or LFU policy needs each
// value to have an access time of its own (with a memory limit); OBJECT REFCOUNT shows it.
bool SharedInteger(const Entry& e, const Worker& at, const shards::Store& store) {
  if (e.type() != shards::ObjType::kString || e.EncodingName() != "int") return false;
  int64_t v = 0;
  if (!ParseInt64(e.value(), &v) || v < 0 || v >= 10000) return false;
  using P = shards::EvictionPolicy;
  const P p = store.eviction().policy;
  const bool needs_own =
      p == P::kAllKeysLru || p == P::kVolatileLru || p == P::kAllKeysLfu || p == P::kVolatileLfu;
  return at.config().maxmemory == 0 || !needs_own;
}

bool Lfu(const shards::Store& store) {
  using P = shards::EvictionPolicy;
  return store.eviction().policy == P::kAllKeysLfu || store.eviction().policy == P::kVolatileLfu;
}

void Reply(CommandContext& ctx, std::string reply) {
  ctx.conn->Complete(ctx.seq, std::move(reply));
}

// A HELP reply: one simple string per line.
void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines) {
  std::string reply;
  resp::Writer out(&reply, ctx.proto);
  out.ArrayHeader(static_cast<int64_t>(lines.size()));
  for (std::string_view l : lines) out.SimpleString(l);
  Reply(ctx, std::move(reply));
}

// Runs `fn` on the owner of args[2] with its entry, looked at without counting as a use (as
// Redis looks keys up for OBJECT and MEMORY), and sends what it wrote home; a missing key is
// a null reply.
void InspectKey(CommandContext& ctx,
                std::function<void(Worker& at, const Entry& e, resp::Writer& out)> fn) {
  const int db = ctx.db;
  const ReplyTo to = ReplyToOf(ctx);
  std::string key(ctx.args[2]);
  OnOwner(*ctx.worker, key, [db, to, key, fn = std::move(fn)](Worker& at) {
    std::string r;
    resp::Writer out(&r, to.proto);
    const Entry* e = at.store().Peek(db, key);
    if (e == nullptr) {
      out.NullBulk();
    } else {
      fn(at, *e, out);
    }
    CompleteAfterDurable(at, to, std::move(r), at.RecordMark());
  });
}

void Object(CommandContext& ctx) {
  const std::string sub = LowerName(ctx.args[1]);
  std::string reply;
  resp::Writer out(&reply, ctx.proto);
  if (sub == "help" && ctx.args.size() == 2) {
    const std::string_view lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help."};
    return ReplyHelp(ctx, lines);
  }
  const bool known = sub == "encoding" || sub == "freq" || sub == "idletime" || sub == "refcount";
  if (!known && sub != "help") {
    out.Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) +
              "'. Try OBJECT HELP.");
    return Reply(ctx, std::move(reply));
  }
  if (ctx.args.size() != (sub == "help" ? 2u : 3u)) {
    out.Error(ArityError("object|" + sub));
    return Reply(ctx, std::move(reply));
  }
  InspectKey(ctx, [sub](Worker& at, const Entry& e, resp::Writer& o) {
    if (sub == "encoding") {
      o.Bulk(e.EncodingName());
    } else if (sub == "refcount") {
      o.Integer(SharedInteger(e, at, at.store()) ? INT_MAX : 1);
    } else if (sub == "freq") {
      if (!Lfu(at.store())) {
        o.Error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust.");
      } else {
        o.Integer(at.store().Frequency(e));
      }
    } else if (Lfu(at.store())) {
      o.Error(
          "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
          "when switching between policies at runtime LRU and LFU data will take some time to "
          "adjust.");
    } else {
      o.Integer(at.store().IdleMs(e) / 1000);
    }
  });
}

void Memory(CommandContext& ctx) {
  const std::string sub = LowerName(ctx.args[1]);
  std::string reply;
  resp::Writer out(&reply, ctx.proto);
  if (sub == "help" && ctx.args.size() == 2) {
    const std::string_view lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help."};
    return ReplyHelp(ctx, lines);
  }
  if (sub != "usage") {
    out.Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) +
              "'. Try MEMORY HELP.");
    return Reply(ctx, std::move(reply));
  }
  if (ctx.args.size() < 3) {
    out.Error(ArityError("memory|usage"));
    return Reply(ctx, std::move(reply));
  }
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    int64_t samples = 0;
    if (EqualsNoCase(ctx.args[i], "samples") && i + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[++i], &samples)) {
        out.Error(kErrNotInteger);
        return Reply(ctx, std::move(reply));
      }
    } else {
      out.Error(kErrSyntax);
      return Reply(ctx, std::move(reply));
    }
  }
  const size_t key_size = ctx.args[2].size();
  InspectKey(ctx, [key_size](Worker&, const Entry& e, resp::Writer& o) {
    // What used_memory counts for the key: its name, its value's bytes and the fixed cost of
    // a key (exact, with no sampling: the collections keep their byte counts).
    o.Integer(static_cast<int64_t>(key_size + e.ValueBytes()) + shards::Store::kEntryOverhead);
  });
}

void Dump(CommandContext& ctx) {
  const Entry* e = ctx.store->FindForRead(ctx.db, ctx.args[1]);
  if (e == nullptr) return ctx.out->NullBulk();
  ctx.out->Bulk(shards::DumpPayload(*e));
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency], with Redis's
// checks in its order. IDLETIME and FREQ are checked and otherwise not applied: the key starts
// as if just written.
void Restore(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool replace = false, absttl = false, idle = false, freq = false;
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    const bool more = i + 1 < ctx.args.size();
    int64_t v = 0;
    if (EqualsNoCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsNoCase(ctx.args[i], "absttl")) {
      absttl = true;
    } else if (EqualsNoCase(ctx.args[i], "idletime") && more && !freq) {
      if (!ParseInt64(ctx.args[++i], &v)) return ctx.out->Error(kErrNotInteger);
      if (v < 0) return ctx.out->Error("ERR Invalid IDLETIME value, must be >= 0");
      idle = true;
    } else if (EqualsNoCase(ctx.args[i], "freq") && more && !idle) {
      if (!ParseInt64(ctx.args[++i], &v)) return ctx.out->Error(kErrNotInteger);
      if (v < 0 || v > 255) {
        return ctx.out->Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      freq = true;
    } else {
      return ctx.out->Error(kErrSyntax);
    }
  }
  if (!replace && ctx.store->Find(ctx.db, key) != nullptr) {
    return ctx.out->Error("BUSYKEY Target key name already exists.");
  }
  int64_t ttl = 0;
  if (!ParseInt64(ctx.args[2], &ttl)) return ctx.out->Error(kErrNotInteger);
  if (ttl < 0) return ctx.out->Error("ERR Invalid TTL value, must be >= 0");
  Entry restored;
  switch (shards::ParsePayload(ctx.args[3], ctx.store->limits(), &restored)) {
    case shards::RestoreError::kVersionOrChecksum:
      return ctx.out->Error("ERR DUMP payload version or checksum are wrong");
    case shards::RestoreError::kBadFormat:
      return ctx.out->Error("ERR Bad data format");
    case shards::RestoreError::kNone:
      break;
  }
  const bool deleted = replace && ctx.store->Delete(ctx.db, key);
  if (ttl > 0 && !absttl && __builtin_add_overflow(ttl, ctx.store->NowMs(), &ttl)) {
    return ctx.out->Error("ERR Invalid TTL value, must be >= 0");
  }
  if (ttl > 0 && ttl <= ctx.store->NowMs()) {
    // Already expired: the key is gone, as Redis leaves it.
    if (deleted) ctx.Propagate({"DEL", key});
    return ctx.out->Ok();
  }
  restored.expire_at = ttl > 0 ? ttl : shards::kNoExpiry;
  const Entry* e = ctx.store->Add(ctx.db, key, std::move(restored));
  RecordEntry(ctx.propagation, ctx.db, key, *e, /*replace=*/true);
  ctx.out->Ok();
}

}  // namespace

void RegisterObjectCommands(CommandTable& t) {
  const std::string_view g = "generic";
  // With read-through these are the upstream's: they take keys of any type and size (RESTORE
  // reads payloads of types not held here, OBJECT and MEMORY describe the upstream's copy) or
  // in another database (MOVE, COPY ... DB).
  constexpr uint32_t kRt = kNoReadThrough;
  CommandRow copy{"copy",
                  -3,
                  kWrite | kDenyOom | kChain | kAnyKeys | kRt,
                  1,
                  2,
                  1,
                  Exec::kAsync,
                  Copy,
                  Merge::kNone,
                  g,
                  "Copy a key",
                  "source:key destination:key [DB destination-db:integer] [REPLACE]"};
  copy.db_arg = DbArg::kOptionDb;
  t.Add(copy);
  CommandRow move{"move",
                  3,
                  kWrite | kFast | kRt,
                  1,
                  1,
                  1,
                  Exec::kSingleKey,
                  Move,
                  Merge::kNone,
                  g,
                  "Move a key to another database",
                  "key db:integer"};
  move.db_arg = DbArg::kLast;
  t.Add(move);
  t.Add({"dump", 2, kReadOnly | kRt, 1, 1, 1, Exec::kSingleKey, Dump, Merge::kNone, g,
         "Return a serialized version of the value stored at the specified key", "key"});
  t.Add({"restore", -4, kWrite | kDenyOom | kRt, 1, 1, 1, Exec::kSingleKey, Restore, Merge::kNone,
         g, "Create a key using the provided serialized value, previously obtained using DUMP",
         "key ttl:integer serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds:integer] [FREQ "
         "frequency:integer]"});
  t.Add({"swapdb", 3, kWrite | kUpstreamRefused | kRt, 0, 0, 0, Exec::kAsync, SwapDb, Merge::kNone,
         "server", "Swaps two Redis databases", "index1:integer index2:integer"});
  t.Add({"object", -2, kReadOnly | kContainer | kNoKeys | kAnyKeys | kRt, 0, 0, 0, Exec::kAsync,
         Object, Merge::kNone, g, "A container for object introspection commands",
         "subcommand [argument [argument ...]]"});
  t.Add({"memory", -2, kReadOnly | kContainer | kNoKeys | kAnyKeys | kRt, 0, 0, 0, Exec::kAsync,
         Memory, Merge::kNone, "server", "A container for memory diagnostics commands",
         "subcommand [argument [argument ...]]"});
}

}  // namespace ringside::proxy
