// What the commands over keys on several shards share (set algebra, BITOP, LCS, ...): where
// the reply goes, replying once the records are durable, and gathering a value from each
// key's owner. A gathering visits the owners one after another in increasing shard order,
// carrying its state with it; the connection holds its later commands back until the reply
// (Connection::BlockUntil), so none overtakes it on a shard.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/command.h"
#include "proxy/connection.h"
#include "proxy/task.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

// Where a reply goes once the work is done: slot `seq` of `conn`, on worker `home`.
struct ReplyTo {
  int home = 0;
  Connection* conn = nullptr;  // dereferenced on `home` only, kept alive by slot `seq`
  uint64_t seq = 0;
  resp::Protocol proto = resp::Protocol::kResp2;
};

inline ReplyTo ReplyToOf(const CommandContext& ctx) {
  return ReplyTo{ctx.worker->index(), ctx.conn, ctx.seq, ctx.proto};
}

// One error / integer reply, encoded (the same in RESP2 and RESP3).
std::string ErrorReply(std::string_view msg);
std::string IntReply(int64_t v);

// Sends `reply` home once what `at` recorded since mark `from` is durable; under
// upstream-write-policy sync an upstream's refusal of those records becomes the reply.
void CompleteAfterDurable(Worker& at, const ReplyTo& to, std::string reply, uint64_t from);

// The error reply of a kAsync handler that fails before any work, straight into its slot.
void CompleteWithError(CommandContext& ctx, std::string_view error);

// Reads each of `keys` (of database `db`) on its owner with `read`, then runs `done` with the
// results in the order of `keys`, on the last owner visited. When `from` owns every key, all
// of it runs at once, on `from`. `read` must not keep pointers into the store: T is a copy.
template <class T>
void GatherKeys(Worker& from, int db, std::vector<std::string> keys,
                std::function<T(shards::Store& store, int db, std::string_view key)> read,
                std::function<void(Worker& at, std::vector<T>& values)> done) {
  struct State {
    int db;
    std::vector<std::string> keys;
    std::vector<T> values;
    std::vector<int> owners;  // increasing, each once
    std::function<T(shards::Store&, int, std::string_view)> read;
    std::function<void(Worker&, std::vector<T>&)> done;
  };
  auto st = std::make_shared<State>();
  st->db = db;
  st->keys = std::move(keys);
  st->values.resize(st->keys.size());
  for (const std::string& k : st->keys)
    st->owners.push_back(shards::KeyShard(k, from.num_workers()));
  std::sort(st->owners.begin(), st->owners.end());
  st->owners.erase(std::unique(st->owners.begin(), st->owners.end()), st->owners.end());
  st->read = std::move(read);
  st->done = std::move(done);
  // Reads what shard owners[i] owns, then moves on. The state travels with the tasks,
  // touched by one worker at a time.
  struct Step {
    static void Run(Worker& at, std::shared_ptr<State> st, size_t i) {
      for (size_t k = 0; k < st->keys.size(); ++k) {
        if (shards::KeyShard(st->keys[k], at.num_workers()) == at.index()) {
          st->values[k] = st->read(at.store(), st->db, st->keys[k]);
        }
      }
      if (i + 1 == st->owners.size()) return st->done(at, st->values);
      at.Submit(st->owners[i + 1],
                MakeTask([st, i](Worker& next) mutable { Run(next, std::move(st), i + 1); }));
    }
  };
  if (st->owners.empty() || st->owners[0] == from.index()) {
    if (st->owners.empty()) return st->done(from, st->values);
    return Step::Run(from, std::move(st), 0);
  }
  const int first = st->owners[0];
  from.Submit(first, MakeTask([st](Worker& at) mutable { Step::Run(at, std::move(st), 0); }));
}

// Runs `fn` on the owner of `key`: at once when that is `from`, else as a task there.
inline void OnOwner(Worker& from, std::string_view key, std::function<void(Worker&)> fn) {
  const int owner = shards::KeyShard(key, from.num_workers());
  if (owner == from.index()) return fn(from);
  from.Submit(owner, MakeTask([fn = std::move(fn)](Worker& at) { fn(at); }));
}

}  // namespace ringside::proxy
