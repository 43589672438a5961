// Pass-through: with an upstream and read-through, a command the local store does not serve
// (other data types, scripts, pub/sub publishing, server queries) goes to the upstream and its
// reply comes back byte for byte, in its place among the connection's other replies. So do
// the commands that answer from the whole key space (KEYS, SCAN, DBSIZE, RANDOMKEY), since the
// local store holds only part of it.
//
// Where it goes: a command whose keys are all at args[1] (HSET, LPUSH, SETBIT, ...) goes on the
// write-through connection of the shard owning that key, right after the records the shard
// made before it, and the shard first forgets what it held of the key, so that nothing stale
// is read here afterwards and a later load of the key comes after the command. Any other
// command (several keys, keys elsewhere in its arguments, or none) first waits until every
// shard's records are acknowledged, each shard forgetting the arguments it owns, and then
// goes on the connection's own shard; later commands of the connection wait for its reply, as
// for the commands that hop between shards. Keys the command changes that another shard owns
// are reported to that shard by the upstream's tracking.
//
// Commands that hold state on their connection or block it (MULTI, WATCH, SUBSCRIBE, BLPOP,
// ...) would need an upstream connection of their own; they are refused with an error. A
// command passed through while the upstream is unreachable fails at once, as it would for a
// client connected to the upstream directly, and so does one whose connection is lost before
// the reply (it may or may not have run).
#include <algorithm>
#include <array>

#include "proxy/connection.h"
#include "proxy/commands/args.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Commands that would need an upstream connection pinned to the client's.
constexpr std::array kNeedOwnConnection = {
    "multi",      "exec",       "discard",     "watch",      "unwatch",   "subscribe",
    "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "blpop",
    "brpop",      "brpoplpush", "blmove",      "blmpop",     "bzpopmin",  "bzpopmax",
    "bzmpop",     "wait",       "waitaof",     "monitor",    "sync",      "psync",
    "replicaof",  "slaveof",    "auth",        "reset",      "readonly",  "readwrite",
    "failover",   "swapdb",     "migrate",     "cluster",    "asking",    "debug"};

// Commands that name keys other than args[1], or none that ringside can find without a key
// table of the upstream's: they wait for every shard's writes to arrive first.
constexpr std::array kAnyKeys = {
    "rpoplpush", "lmove",     "smove",      "sinterstore", "sunionstore", "sdiffstore",
    "sinter",    "sunion",    "sdiff",      "sintercard",  "zunionstore", "zinterstore",
    "zdiffstore", "zrangestore", "zunion",  "zinter",      "zdiff",       "zintercard",
    "lmpop",     "zmpop",     "bitop",      "pfmerge",     "pfcount",     "georadius",
    "georadiusbymember", "geosearchstore", "sort", "sort_ro", "xread",     "xreadgroup",
    "eval",      "evalsha",   "eval_ro",    "evalsha_ro",  "fcall",       "fcall_ro",
    "object",    "memory",    "xinfo",      "xgroup",      "copy",        "lcs",
    "script",    "function"};

template <size_t N>
bool In(const std::array<const char*, N>& names, std::string_view lower) {
  return std::any_of(names.begin(), names.end(),
                     [&](const char* n) { return lower == std::string_view(n); });
}

}  // namespace

bool Connection::PassThroughRefused(std::string_view lower_name, std::string* error) {
  if (!In(kNeedOwnConnection, lower_name)) return false;
  *error = "ERR '" + std::string(lower_name) +
           "' keeps state on its connection or blocks it, and ringside does not pass such "
           "commands to the upstream";
  return true;
}

void Connection::ExecutePassThrough(std::span<std::string_view> args, bool any_keys) {
  const std::string name = LowerName(args[0]);
  std::string refused;
  if (PassThroughRefused(name, &refused)) {
    resp::Writer(SyncReplyTarget()).Error(refused);
    return;
  }
  any_keys = any_keys || args.size() < 2 || In(kAnyKeys, name);
  auto owned = std::make_shared<OwnedArgs>();
  for (size_t i = 0; i < args.size(); ++i) AddArg(args, i, owned.get());
  const uint64_t seq = ReserveSlot();
  const int db = db_;
  const bool reads = false;  // unknown: a lost connection fails it rather than run it twice
  // Sends the command on `w`'s connection and completes the slot with the reply, back home.
  const int home = worker_->index();
  auto send = [owned, db, reads, seq, home, self = this](Worker& w) {
    const std::vector<std::string_view> views = owned->Views();
    auto reply_home = [seq, home, self](Worker& at, std::string reply) {
      at.Submit(home, MakeTask([seq, self, reply = std::move(reply)](Worker&) mutable {
                  self->Complete(seq, std::move(reply));
                }));
    };
    if (!w.UpstreamReady()) {
      return reply_home(w, "-ERR the upstream is unreachable, so this command cannot be passed to it\r\n");
    }
    w.PassThrough(db, views, reads, reply_home);
  };
  if (!any_keys) {
    const int target = shards::KeyShard(args[1], worker_->num_workers());
    const std::string key(args[1]);
    if (!batched_targets_.empty()) SubmitBatches();
    worker_->Submit(target, MakeTask([send, key](Worker& w) {
                      w.ForgetKey(key);
                      send(w);
                    }));
    return;
  }
  // Every shard's records first, then the command on this shard's connection; nothing later
  // on this connection overtakes it.
  BlockUntil(seq);
  struct Barrier {
    int remaining;
  };
  auto barrier = std::make_shared<Barrier>(Barrier{worker_->num_workers()});
  for (int s = 0; s < worker_->num_workers(); ++s) {
    worker_->Submit(s, MakeTask([owned, barrier, send, home](Worker& w) {
                      for (std::string_view a : owned->Views()) {
                        if (shards::KeyShard(a, w.num_workers()) == w.index()) w.ForgetKey(a);
                      }
                      w.AfterUpstreamAcked(MakeTask([barrier, send, home](Worker& at) {
                        at.Submit(home, MakeTask([barrier, send](Worker& h) {
                                    if (--barrier->remaining == 0) send(h);
                                  }));
                      }));
                    }));
  }
}

}  // namespace ringside::proxy
