// Commands that span shards: RENAME and RENAMENX (the key moves between owners), MSETNX (check
// every owner, then write), and the whole-keyspace ones (KEYS, SCAN, RANDOMKEY, DBSIZE,
// FLUSHDB, FLUSHALL). Each runs as a chain of tasks; the reply completes the slot reserved for
// it on the client's connection.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <random>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/commands/gather.h"
#include "proxy/connection.h"
#include "proxy/worker.h"
#include "shards/slot.h"
#include "shards/store.h"

namespace ringside::proxy {

namespace {

// Records `key` as deleted on `at`'s shard.
void RecordDel(Worker& at, int db, std::string_view key) {
  if (backend::PropagationSink* sink = at.propagation()) {
    const std::string_view argv[] = {"DEL", key};
    sink->Record(db, argv);
  }
}

// Under upstream-write-policy sync, once the records with ids in (from, to] on `at` are
// durable: keeps in *first the upstream's error for one of them, unless it holds one already.
void NoteRefusal(Worker& at, uint64_t from, uint64_t to, std::string* first) {
  std::string error;
  if (at.SyncRefused(from, to, &error) && first->empty()) *first = std::move(error);
}

// RENAME and RENAMENX. The chain: (RENAMENX only) check the source, then the destination;
// take the entry from the source's owner; put it on the destination's owner; reply at home.
// RENAMENX decides for good on the destination's owner, in the same step that writes it: if
// another client created the destination meanwhile, the entry goes back to the source
// (unless that was recreated too) and the reply is 0. The connection holds later commands
// back until the chain is done, so none overtakes it. Under upstream-write-policy sync each
// step waits for the upstream's answer to what it recorded, and a refusal becomes the reply.
// The move goes on regardless, so both sides end up the same: with read-through the refused
// key is dropped here too (a refused SET of the new name has then lost the value on both).
void RenameGeneric(CommandContext& ctx, bool nx) {
  Worker& w = *ctx.worker;
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  const int home = w.index();
  const int db = ctx.db;
  std::string src(ctx.args[1]), dst(ctx.args[2]);
  const int src_shard = shards::KeyShard(src, w.num_workers());
  const int dst_shard = shards::KeyShard(dst, w.num_workers());
  conn->BlockUntil(seq);
  // The first error the upstream refused a record of the chain with. The chain runs on one
  // worker at a time, each handing it on with the task, so only the current one touches it.
  auto refused = std::make_shared<std::string>();

  // The reply leaves once what this shard recorded since mark `from` is durable.
  auto finish_after = [conn, seq, home, refused](Worker& at, std::string reply, uint64_t from) {
    const uint64_t to = at.RecordMark();
    at.AfterDurable(
        MakeTask([conn, seq, home, refused, from, to, reply = std::move(reply)](Worker& w) mutable {
          NoteRefusal(w, from, to, refused.get());
          if (!refused->empty()) reply = ErrorReply(*refused);
          // Owns the reply; `conn` is dereferenced only on `home`, kept alive by slot `seq`.
          w.Submit(home, MakeTask([conn, seq, reply = std::move(reply)](Worker&) mutable {
                     conn->Complete(seq, std::move(reply));
                   }));
        }));
  };
  auto finish = [finish_after](Worker& at, std::string reply) {
    finish_after(at, std::move(reply), at.RecordMark());
  };
  // Read-through: runs `fn` on `at` once `key` is known there. When it holds another type
  // upstream, `other` runs instead; when the upstream did not answer, the chain ends with
  // its error.
  using KeyCase = Worker::KeyCase;
  auto known = [=](Worker& at, const std::string& key, auto fn, auto other) {
    at.WhenKeyKnown(db, key, [=](Worker& w, KeyCase how, std::string_view error) {
      if (how == KeyCase::kFailed) return finish(w, ErrorReply(error));
      if (how == KeyCase::kForward) return other(w);
      fn(w);
    });
  };
  // A source of another type upstream is renamed there, by the upstream itself.
  auto rename_upstream = [=](Worker& at) {
    const std::string_view argv[] = {nx ? "RENAMENX" : "RENAME", src, dst};
    at.PassThrough(db, argv, /*resend=*/false, [=](Worker& s, std::string reply) {
      // The destination's owner hears of the change from the upstream, unless that is this
      // shard, whose own connection made it.
      if (dst_shard == s.index()) s.store().Delete(db, dst);
      finish(s, std::move(reply));
    });
  };
  // Moves the entry; `ok` is the reply on success. Runs on the source's owner. Propagates as
  // DEL of the source and SET (with PXAT) of the destination, each on its own shard's record
  // stream.
  auto move = [=](Worker& at, std::string ok) {
    std::optional<shards::Entry> e = at.store().Take(db, src);
    if (!e) return finish(at, ErrorReply("ERR no such key"));
    const uint64_t from = at.RecordMark();
    RecordDel(at, db, src);
    const uint64_t to = at.RecordMark();
    auto put = MakeTask([=, e = std::move(*e), ok = std::move(ok)](Worker& d) mutable {
      if (nx && d.store().Exists(db, dst)) {
        // The task owns the entry going back and copies the rest; `conn` (in `finish_after`) is
        // dereferenced only on `home`, and `refused` is touched by one worker at a time.
        d.Submit(src_shard, MakeTask([=, e = std::move(e)](Worker& s) mutable {
                   const uint64_t back = s.RecordMark();
                   if (!s.store().Exists(db, src)) {
                     RecordEntry(s.propagation(), db, src, e, /*replace=*/true);
                     s.store().Put(db, src, std::move(e));
                   }
                   finish_after(s, IntReply(0), back);
                 }));
        return;
      }
      const uint64_t put_from = d.RecordMark();
      RecordEntry(d.propagation(), db, dst, e, /*replace=*/true);
      d.store().Put(db, dst, std::move(e));
      finish_after(d, std::move(ok), put_from);
    });
    at.AfterDurable(
        MakeTask([dst_shard, refused, from, to, put = std::move(put)](Worker& w) mutable {
          NoteRefusal(w, from, to, refused.get());
          // `put` owns the taken entry; `refused` goes on with it, touched by one worker at a time.
          w.Submit(dst_shard, std::move(put));
        }));
  };

  if (src == dst) {
    // Captures copies only (names, db, shards, lambdas); `conn` is dereferenced only on `home`,
    // kept alive by slot `seq`, and `refused` is touched by one worker at a time.
    w.Submit(src_shard, MakeTask([=](Worker& at) {
               const auto exists = [=](Worker& s) {
                 finish(s, nx ? IntReply(0) : std::string("+OK\r\n"));
               };
               known(
                   at, src,
                   [=](Worker& s) {
                     if (!s.store().Exists(db, src))
                       return finish(s, ErrorReply("ERR no such key"));
                     exists(s);
                   },
                   exists);
             }));
    return;
  }
  if (!nx) {
    // Copies only, as above: `conn` only on `home`, `refused` by one worker at a time.
    w.Submit(src_shard, MakeTask([=](Worker& at) {
               known(
                   at, src, [=](Worker& s) { move(s, "+OK\r\n"); }, rename_upstream);
             }));
    return;
  }
  // Copies only, as above: `conn` only on `home`, `refused` by one worker at a time.
  w.Submit(src_shard, MakeTask([=](Worker& at) {
             known(
                 at, src,
                 [=](Worker& s) {
                   if (!s.store().Exists(db, src)) return finish(s, ErrorReply("ERR no such key"));
                   // Copies only; `refused` goes on with the chain, `conn` is only for `home`.
                   s.Submit(dst_shard, MakeTask([=](Worker& d) {
                              const auto taken = [=](Worker& t) { finish(t, IntReply(0)); };
                              known(
                                  d, dst,
                                  [=](Worker& t) {
                                    if (t.store().Exists(db, dst)) return taken(t);
                                    // Copies only; the source's owner moves the entry next.
                                    t.Submit(src_shard,
                                             MakeTask([=](Worker& s2) { move(s2, IntReply(1)); }));
                                  },
                                  taken);
                            }));
                 },
                 rename_upstream);
           }));
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// MSETNX claims its keys shard by shard, in increasing shard order, so two of them can never
// hold claims the other one waits for. On each owner: wait while another MSETNX claims one of
// the keys; fail (release what was claimed so far, reply 0) when one exists; else claim them
// and move on. Once every owner holds its claims, each one writes its keys and releases them,
// and the reply is 1. Concurrent MSETNX calls therefore behave as if run one after another. A
// plain write racing an MSETNX is not held back by the claims. Later commands of the
// connection wait for the whole exchange. Under upstream-write-policy sync, once the upstream
// refuses a shard's SETs (past its maxmemory, say) the shards after it write nothing, and the
// reply is the upstream's error.
struct MSetNxState {
  int db = 0;
  std::vector<std::pair<std::string, shards::Value>> pairs;
  std::vector<int> shards;  // owners of the keys, increasing
  int home = 0;
  Connection* conn = nullptr;  // dereferenced on `home` only
  uint64_t seq = 0;
  std::string refused;  // the upstream's first refusal of the writes
};
using MSetNxPtr = std::shared_ptr<MSetNxState>;

bool OwnedBy(const Worker& at, const std::string& key) {
  return shards::KeyShard(key, at.num_workers()) == at.index();
}

void MSetNxReply(Worker& at, const MSetNxPtr& st, int64_t result) {
  std::string reply = st->refused.empty() ? IntReply(result) : ErrorReply(st->refused);
  // The chain ends: `st` is touched only on `home`, where slot `st->seq` keeps `st->conn` alive.
  at.Submit(st->home, MakeTask([st, reply = std::move(reply)](Worker&) mutable {
              st->conn->Complete(st->seq, std::move(reply));
            }));
}

// Writes (when `commit`) and releases the keys of shards[i..], one shard after another; each
// key propagates as a SET, and the chain moves on once a shard's records are durable.
void MSetNxFinish(Worker& from, MSetNxPtr st, size_t i, size_t end, bool commit) {
  if (i == end) return MSetNxReply(from, st, commit ? 1 : 0);
  // `st` travels with the chain, touched by one worker at a time; `st->conn` only on `home`.
  from.Submit(st->shards[i], MakeTask([st, i, end, commit](Worker& at) {
                const uint64_t from = at.RecordMark();
                for (auto& [k, v] : st->pairs) {
                  if (!OwnedBy(at, k)) continue;
                  if (commit)
                    RecordEntry(at.propagation(), st->db, k,
                                *at.store().Set(st->db, k, std::move(v)), /*replace=*/true);
                  at.claims().Release(st->db, k);
                }
                at.claims().WakeWaiters(at);
                const uint64_t to = at.RecordMark();
                at.AfterDurable(MakeTask([st, i, end, commit, from, to](Worker& w) {
                  NoteRefusal(w, from, to, &st->refused);
                  MSetNxFinish(w, st, i + 1, end, commit && st->refused.empty());
                }));
              }));
}

void MSetNxClaim(Worker& at, MSetNxPtr st, size_t i, size_t checked = 0) {
  for (const auto& [k, v] : st->pairs) {
    if (OwnedBy(at, k) && at.claims().IsClaimed(st->db, k)) {
      // Another MSETNX holds this key: try again when it lets go.
      at.claims().WaitForClaims([st, i](Worker& w) { MSetNxClaim(w, st, i); });
      return;
    }
  }
  // Whether each key exists, one after the other, each once it is known (read-through); the
  // pairs before `checked` were found absent.
  for (size_t p = checked; p < st->pairs.size(); ++p) {
    const std::string& k = st->pairs[p].first;
    if (!OwnedBy(at, k)) continue;
    if (!at.KeyReady(st->db, k, /*overwrites=*/false)) {
      at.WhenKeyKnown(st->db, k, [st, i, p](Worker& w, Worker::KeyCase how, std::string_view) {
        // A key the upstream holds as another type, or did not tell about, counts as taken.
        if (how != Worker::KeyCase::kHere || w.store().Exists(st->db, st->pairs[p].first)) {
          return MSetNxFinish(w, st, 0, i, /*commit=*/false);
        }
        MSetNxClaim(w, st, i, p + 1);
      });
      return;
    }
    if (at.store().Exists(st->db, k)) return MSetNxFinish(at, st, 0, i, /*commit=*/false);
  }
  for (const auto& [k, v] : st->pairs) {
    if (OwnedBy(at, k)) at.claims().Claim(st->db, k);
  }
  if (i + 1 == st->shards.size()) return MSetNxFinish(at, st, 0, st->shards.size(), true);
  // Hands `st` on to the next owner; this shard keeps its claims, not the state.
  at.Submit(st->shards[i + 1], MakeTask([st, i](Worker& next) { MSetNxClaim(next, st, i + 1); }));
}

void MSetNx(CommandContext& ctx) {
  Worker& w = *ctx.worker;
  auto st = std::make_shared<MSetNxState>();
  st->db = ctx.db;
  st->home = w.index();
  st->conn = ctx.conn;
  st->seq = ctx.seq;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    st->pairs.emplace_back(std::string(ctx.args[i]), ctx.TakeValue(i + 1));
    st->shards.push_back(shards::KeyShard(ctx.args[i], w.num_workers()));
  }
  std::sort(st->shards.begin(), st->shards.end());
  st->shards.erase(std::unique(st->shards.begin(), st->shards.end()), st->shards.end());
  ctx.conn->BlockUntil(ctx.seq);
  // The state travels with the chain; exactly one worker touches it at a time.
  const int first = st->shards[0];
  w.Submit(first, MakeTask([st](Worker& at) { MSetNxClaim(at, st, 0); }));
}

void Keys(CommandContext& ctx) {
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  const int db = ctx.db;
  std::string pattern(ctx.args[1]);
  // `fn` captures copies (db, pattern), shared read-only by the shards; `done` runs on `home`,
  // where slot `seq` keeps `conn` alive until Complete().
  ctx.worker->ForEachWorker<std::vector<std::string>>(
      [db, pattern](Worker& at) {
        std::vector<std::string> keys;
        at.store().Keys(db, pattern, &keys);
        return keys;
      },
      [conn, seq](std::vector<std::vector<std::string>>& all) {
        size_t n = 0;
        for (const auto& v : all) n += v.size();
        std::string r;
        resp::Writer out(&r);
        out.ArrayHeader(static_cast<int64_t>(n));
        for (const auto& v : all) {
          for (const auto& k : v) out.Bulk(k);
        }
        conn->Complete(seq, std::move(r));
      });
}

struct ScanState {
  int db = 0;
  size_t count = 0;
  std::string pattern;
  std::optional<shards::ObjType> type;
  bool unknown_type = false;
  int home = 0;
  Connection* conn = nullptr;  // dereferenced on `home` only
  uint64_t seq = 0;
  std::vector<std::string> keys;
};

std::string ScanReply(uint64_t next, const std::vector<std::string>& keys) {
  std::string r;
  resp::Writer out(&r);
  out.ArrayHeader(2);
  out.Bulk(std::to_string(next));
  out.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const auto& k : keys) out.Bulk(k);
  return r;
}

// Runs one shard's part of a SCAN on the owner of `slot`, then hands the state on to the next
// shard or back home. The state travels with the task and is owned by whoever runs it.
void ScanStep(Worker& from, std::shared_ptr<ScanState> st, uint32_t slot) {
  const int owner = shards::SlotShard(slot, from.num_workers());
  // The task owns `st` (and hands it on); `st->conn` is dereferenced only on `home`.
  from.Submit(owner, MakeTask([st = std::move(st), slot](Worker& at) mutable {
                const size_t want = st->count > st->keys.size() ? st->count - st->keys.size() : 1;
                std::vector<std::string> found;
                uint32_t next = at.store().Scan(st->db, slot, want, st->pattern, st->type, &found);
                if (!st->unknown_type) {
                  for (auto& k : found) st->keys.push_back(std::move(k));
                }
                if (next < shards::kNumSlots && st->keys.size() < st->count) {
                  ScanStep(at, std::move(st), next);
                  return;
                }
                if (next >= shards::kNumSlots) next = 0;
                const int home = st->home;
                // Hands `st` home, where slot `st->seq` keeps `st->conn` alive until Complete().
                at.Submit(home, MakeTask([st = std::move(st), next](Worker&) {
                            st->conn->Complete(st->seq, ScanReply(next, st->keys));
                          }));
              }));
}

// SCAN's cursor is a slot number: each call walks whole slots of one shard, so a key present
// for the whole scan is always returned, whatever the store does in between.
void Scan(CommandContext& ctx) {
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[1], &cursor)) {
    conn->Complete(seq, ErrorReply("ERR invalid cursor"));
    return;
  }
  int64_t count = 10;
  std::string pattern = "*";
  std::optional<shards::ObjType> type;
  bool unknown_type = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string opt = LowerName(ctx.args[i]);
    const bool more = i + 1 < ctx.args.size();
    if (opt == "count" && more) {
      if (!ParseInt64(ctx.args[++i], &count)) {
        conn->Complete(seq, ErrorReply("ERR value is not an integer or out of range"));
        return;
      }
      if (count < 1) {
        conn->Complete(seq, ErrorReply("ERR syntax error"));
        return;
      }
    } else if (opt == "match" && more) {
      pattern = std::string(ctx.args[++i]);
    } else if (opt == "type" && more) {
      const std::string t = LowerName(ctx.args[++i]);
      if (t == "string") {
        type = shards::ObjType::kString;
      } else if (t == "hash") {
        type = shards::ObjType::kHash;
      } else if (t == "set") {
        type = shards::ObjType::kSet;
      } else if (t == "list") {
        type = shards::ObjType::kList;
      } else {
        unknown_type = true;  // Redis 7.0 answers an empty page for an unknown type
      }
    } else {
      conn->Complete(seq, ErrorReply("ERR syntax error"));
      return;
    }
  }
  if (cursor >= shards::kNumSlots) {
    conn->Complete(seq, ScanReply(0, {}));
    return;
  }
  // Walks shard after shard from the cursor's owner until COUNT keys are gathered or the key
  // space ends, so a small keyspace comes back in one call with cursor 0, as from Redis.
  auto state = std::make_shared<ScanState>();
  state->db = ctx.db;
  state->count = static_cast<size_t>(count);
  state->pattern = std::move(pattern);
  state->type = type;
  state->unknown_type = unknown_type;
  state->home = ctx.worker->index();
  state->conn = conn;
  state->seq = seq;
  // The walk visits shards one after another; later commands of the connection must not
  // change a shard before the walk has been there.
  conn->BlockUntil(seq);
  ScanStep(*ctx.worker, std::move(state), static_cast<uint32_t>(cursor));
}

void RandomKey(CommandContext& ctx) {
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  const int db = ctx.db;
  struct Pick {
    std::optional<std::string> key;
    size_t count = 0;
  };
  // `fn` captures only `db`; `done` runs on `home`, where slot `seq` keeps `conn` alive.
  ctx.worker->ForEachWorker<Pick>(
      [db](Worker& at) {
        return Pick{at.store().RandomKey(db), at.store().KeyCount(db)};
      },
      [conn, seq, proto = ctx.proto](std::vector<Pick>& picks) {
        // Choose a shard in proportion to its key count, so every key is about equally likely.
        size_t total = 0;
        for (const auto& p : picks) total += p.key ? p.count : 0;
        std::string r;
        resp::Writer out(&r, proto);
        if (total == 0) {
          out.NullBulk();
        } else {
          static thread_local std::mt19937_64 gen{std::random_device{}()};
          size_t at = std::uniform_int_distribution<size_t>(0, total - 1)(gen);
          for (const auto& p : picks) {
            if (!p.key) continue;
            if (at < p.count) {
              out.Bulk(*p.key);
              break;
            }
            at -= p.count;
          }
        }
        conn->Complete(seq, std::move(r));
      });
}

void DbSize(CommandContext& ctx) {
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  const int db = ctx.db;
  // `fn` captures only `db`; `done` runs on `home`, where slot `seq` keeps `conn` alive.
  ctx.worker->ForEachWorker<int64_t>(
      [db](Worker& at) { return static_cast<int64_t>(at.store().KeyCount(db)); },
      [conn, seq](std::vector<int64_t>& counts) {
        int64_t n = 0;
        for (int64_t c : counts) n += c;
        conn->Complete(seq, IntReply(n));
      });
}

void FlushGeneric(CommandContext& ctx, bool all) {
  Connection* conn = ctx.conn;
  const uint64_t seq = ctx.seq;
  if (ctx.args.size() > 2) {
    conn->Complete(seq, ErrorReply("ERR syntax error"));
    return;
  }
  if (ctx.args.size() == 2) {
    const std::string mode = LowerName(ctx.args[1]);
    if (mode != "async" && mode != "sync") {
      conn->Complete(seq, ErrorReply("ERR syntax error"));
      return;
    }
  }
  const int db = ctx.db;
  // `fn` captures copies only (db, all); `done` runs on `home` once every shard's flush is
  // durable, with `conn` kept alive by slot `seq` until Complete().
  ctx.worker->WriteOnEveryWorker(
      [db, all](Worker& at) {
        if (all) {
          at.store().FlushAll();
        } else {
          at.store().FlushDb(db);
        }
        if (at.read_through() != nullptr) at.read_through()->Flushed(all ? -1 : db);
        // Tracking clients of every worker hear of it once; each shard's table is cleared by
        // the record.
        at.DeliverFlush();
        if (backend::PropagationSink* sink = at.propagation()) {
          const std::string_view argv[] = {all ? "FLUSHALL" : "FLUSHDB"};
          sink->Record(db, argv);
          // Replayed shard after shard, a flush in one shard's file would also wipe the keys
          // of the shards replayed before it; a rewrite soon takes it out of the files.
          if (at.rewriter() != nullptr) at.rewriter()->Request();
        }
      },
      [conn, seq](const std::string& refused) {
        conn->Complete(seq, refused.empty() ? std::string("+OK\r\n") : ErrorReply(refused));
      });
}

void FlushDb(CommandContext& ctx) { FlushGeneric(ctx, false); }
void FlushAll(CommandContext& ctx) { FlushGeneric(ctx, true); }

}  // namespace

void RegisterKeyspaceCommands(CommandTable& t) {
  t.Add({"rename", 3, kWrite | kChain, 1, 2, 1, Exec::kAsync, Rename, Merge::kNone, "generic",
         "Rename a key", "key newkey"});
  t.Add({"renamenx", 3, kWrite | kChain | kFast, 1, 2, 1, Exec::kAsync, RenameNx, Merge::kNone,
         "generic", "Rename a key, only if the new key does not exist", "key newkey"});
  t.Add({"msetnx", -3, kWrite | kDenyOom | kChain, 1, -1, 2, Exec::kAsync, MSetNx, Merge::kNone,
         "string", "Set multiple keys to multiple values, only if none of the keys exist",
         "key value [key value ...]"});
  t.Add({"keys", 2, kReadOnly | kKeyspace, 0, 0, 0, Exec::kAsync, Keys, Merge::kNone, "generic",
         "Find all keys matching the given pattern", "pattern"});
  t.Add({"scan", -2, kReadOnly | kChain | kKeyspace, 0, 0, 0, Exec::kAsync, Scan, Merge::kNone,
         "generic", "Incrementally iterate the keys space",
         "cursor [MATCH pattern] [COUNT count] [TYPE type]"});
  t.Add({"randomkey", 1, kReadOnly | kKeyspace, 0, 0, 0, Exec::kAsync, RandomKey, Merge::kNone,
         "generic", "Return a random key from the keyspace", ""});
  t.Add({"dbsize", 1, kReadOnly | kFast | kKeyspace, 0, 0, 0, Exec::kAsync, DbSize, Merge::kNone,
         "server", "Return the number of keys in the selected database", ""});
  t.Add({"flushdb", -1, kWrite, 0, 0, 0, Exec::kAsync, FlushDb, Merge::kNone, "server",
         "Remove all keys from the current database", "async=[ASYNC|SYNC]"});
  t.Add({"flushall", -1, kWrite, 0, 0, 0, Exec::kAsync, FlushAll, Merge::kNone, "server",
         "Remove all keys from all databases", "async=[ASYNC|SYNC]"});
}

}  // namespace ringside::proxy
