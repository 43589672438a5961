// Read-through: with an upstream that already holds data, a command on a key this shard does
// not hold must first learn what the upstream holds for it, and not only for reads. INCR,
// APPEND, SET NX, DEL and EXPIRE all answer from the old value or existence, and a write
// applied here to a key the upstream has would otherwise be forwarded over its value.
//
// So a part of a command (a single-key command, or one key group of a multi-key one) whose key
// is neither here nor known to be absent starts a load: one EVAL on the shard's write-through
// connection, after every record the shard made before it, returning the key's type and, for
// a string, its value and PTTL; for a hash or set no bigger than upstream-read-through-max-size
// (by the upstream's MEMORY USAGE), its contents and PTTL. Every part on that key waits behind
// the load in arrival order, whatever connection or shard it came from; parts on other keys do
// not wait. When the load returns, what it brought is stored here with its TTL, and the
// waiting parts run in order on it; a bigger hash or set, or a key of another type, is left
// upstream, and the parts on it are passed there and their replies relayed. A part that
// replaces its key without reading it (SET, MSET) needs no load.
//
// What is kept stays true because the write-through connection registers CLIENT TRACKING in
// BCAST mode with NOLOOP, redirected to the shard's invalidation connection: the upstream
// reports every key anyone but this connection changes. The shard drops those keys (in every
// database: the reports carry no database), and a load in flight for one of them is asked
// again, since its answer may predate the change. A key another shard owns is that shard's
// to track; its reports here are ignored. Whenever the reports cannot be relied on (either
// connection dropped, or the registration was refused) the shard drops everything except
// the keys of records the upstream has not acknowledged, whose value here is the newest
// there is, and what loads bring is answered but not kept until tracking is back.
//
// Owned by the shard's ShardBackend, used on its thread only; the store, the link and the dialer
// outlive it. Running the parts (the command handlers) is the proxy's: this class says when a
// key is known, and how it turned out.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/db_key.h"
#include "backend/dialer.h"
#include "backend/invalidation_link.h"
#include "backend/upstream_link.h"
#include "shards/store.h"

namespace ringside::backend {

// How a key turned out, for a part that waited for it: here (or absent upstream too), of
// another type upstream, or unknown (the upstream did not answer; `error` says why).
enum class KeyCase : uint8_t { kHere, kForward, kFailed };

struct ReadThroughStats {
  uint64_t loads = 0;            // keys fetched from the upstream
  uint64_t load_misses = 0;      // of those, absent there
  uint64_t invalidations = 0;    // keys dropped here because they changed upstream
  uint64_t passed_through = 0;   // command parts the upstream ran instead
  uint64_t tracking_losses = 0;  // times everything not vouched for was dropped
};

class ReadThrough {
 public:
  struct Options {
    int shard = 0;
    int shards = 1;
    int databases = 16;
    int64_t timeout_ms = 0;  // upstream-timeout (0: none)
    // upstream-read-through-max-size: the largest hash or set fetched (0: none is).
    int64_t max_size = 0;
    std::string user, password;
  };
  ReadThrough(Options options, shards::Store* store, UpstreamLink* link,
              std::function<int64_t()> now_ms);
  ~ReadThrough();

  // Opens the invalidation connection through `dialer` and ties tracking to the link. What the
  // store holds (loaded from files) may have changed upstream meanwhile: only the records the
  // link sends again are vouched for.
  void Open(Dialer* dialer);
  // From the tick: drives the invalidation connection, and fails loads and passed-through
  // commands waiting past upstream-timeout.
  void Tick(int64_t now_ms);
  // upstream-timeout, which CONFIG SET may change.
  void set_timeout_ms(int64_t ms) { timeout_ms_ = ms; }
  // upstream-read-through-max-size, likewise; keys already found too big stay upstream until
  // they change.
  void set_max_size(int64_t bytes) { max_size_ = bytes; }

  // Whether a part on `key` may run now: the key is here, it is known to be absent upstream,
  // or the part does not depend on what the key held (`overwrites`) and no load of it is under
  // way. Otherwise a load of the key is started unless one is, and the part must wait
  // (WaitForKey).
  bool KeyReady(int db, std::string_view key, bool overwrites);
  using KeyWaiter = std::function<void(KeyCase how, std::string_view error)>;
  // Calls `fn` once the key (KeyReady false for it) is known: at once for a key of another
  // type upstream, else when its load ends.
  void WaitForKey(int db, std::string_view key, KeyWaiter fn);
  // Runs `fn` once no load of the key is in flight (after the parts waiting for it), at once
  // when there is none.
  void AfterLoadOf(int db, std::string_view key, std::function<void()> fn);
  // Sends a command to the upstream on the write-through connection, after the records made
  // so far, and gives its reply (RESP, as the upstream sent it) to `done`, or an error once it
  // waited past upstream-timeout. `resend`: it may run twice (a read), so a connection lost
  // meanwhile does not fail it.
  void PassThrough(int db, std::span<const std::string_view> argv, bool resend,
                   std::function<void(std::string reply)> done);
  // Drops `key` here, in every database, with what is known about it upstream; a load of it
  // in flight is asked again. For keys changed upstream by others, or by a command passed
  // there.
  void ForgetKey(std::string_view key);
  // A FLUSHDB (db) or FLUSHALL (-1) was applied here: loads in flight are asked again.
  void Flushed(int db);
  // Called with the keys of this shard dropped because they changed upstream (or `all`, when
  // everything not vouched for was dropped), after they went.
  using InvalidatedFn = std::function<void(std::span<const std::string_view> keys, bool all)>;
  void set_on_invalidated(InvalidatedFn fn) { on_invalidated_ = std::move(fn); }
  // A command part relayed (relay mode) instead of run here.
  void CountRelayed() { ++stats_.passed_through; }

  const ReadThroughStats& stats() const { return stats_; }
  // The invalidation connection's state ("up", "connecting", "down").
  std::string_view invalidation_state() const;

 private:
  struct Load {
    uint64_t id;
    int64_t started_ms;
    bool stale = false;  // the key may have changed since it was asked for: ask again
    std::vector<KeyWaiter> waiting;
  };
  // A command passed through, until answered or given up on at upstream-timeout, whichever
  // comes first; `done` is emptied by whichever that is.
  struct PassedThrough {
    int64_t started_ms;
    std::function<void(std::string)> done;
  };
  void StartLoad(int db, std::string_view key);
  void LoadDone(const DbKeyOwned& k, uint64_t id, const redisReply* reply, bool tracked);
  // Changes by others upstream (keys, or everything).
  void Invalidate(std::span<const std::string_view> keys, bool all);
  // Tracking was lost: everything here that the upstream may have changed since is dropped
  // (what this shard wrote and the upstream has not acknowledged stays).
  void DropUnvouched();

  const Options options_;
  int64_t timeout_ms_;
  int64_t max_size_;
  shards::Store* store_;
  UpstreamLink* link_;
  std::function<int64_t()> now_ms_;
  InvalidatedFn on_invalidated_;
  std::unique_ptr<InvalidationLink> invalidation_;
  std::unique_ptr<UpstreamConnection> invalidation_conn_;
  // Loads in flight (with the parts waiting for them, in order), and what tracked loads found
  // that is not kept in the store: keys absent upstream, and keys of another type there.
  std::unordered_map<DbKeyOwned, Load, DbKeyHash, DbKeyEq> loads_;
  std::unordered_set<DbKeyOwned, DbKeyHash, DbKeyEq> absent_;
  std::unordered_set<DbKeyOwned, DbKeyHash, DbKeyEq> foreign_;
  // Oldest first; with upstream-timeout 0, none are added.
  std::deque<std::shared_ptr<PassedThrough>> passed_through_;
  uint64_t next_load_id_ = 0;
  ReadThroughStats stats_;
};

}  // namespace ringside::backend
