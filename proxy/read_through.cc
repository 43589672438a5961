// Read-through: with an upstream that already holds data, a command on a key this shard does
// not hold must first learn what the upstream holds for it, and not only for reads. INCR,
// APPEND, SET NX, DEL and EXPIRE all answer from the old value or existence, and a write
// applied here to a key the upstream has would otherwise be forwarded over its value.
//
// So a part of a command (a single-key command, or one key group of a multi-key one) whose key
// is neither here nor known to be absent starts a load: one EVAL on the shard's write-through
// connection, after every record the shard made before it, returning the key's type and, for
// a string, its value and PTTL. Every part on that key waits behind the load in arrival
// order, whatever connection or shard it came from; parts on other keys do not wait. When the
// load returns, a string is stored here with its TTL, and the waiting parts run in order on
// it; a key of another type is left upstream, and the parts on it are passed there and their
// replies relayed. A part that replaces its key without reading it (SET, MSET) needs no load.
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
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include "backend/aof_reader.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// The key's type and, for a string, its value and the milliseconds it has left (-1: none).
constexpr std::string_view kLoadScript =
    "local t = redis.call('TYPE', KEYS[1])['ok'] "
    "if t ~= 'string' then return {t} end "
    "return {t, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}";

// Keys of absent_ and foreign_ past this many are forgotten all at once.
constexpr size_t kMaxRemembered = 1u << 20;

std::string_view Text(const redisReply* r) {
  return r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

}  // namespace

bool Worker::PartsReady(const CommandRow& row, int db, std::span<const std::string_view> args,
                        std::span<const KeyPart> parts) {
  if (!read_through_) return true;
  bool ready = true;
  std::string_view argv[3];
  for (const KeyPart& p : parts) {
    std::span<const std::string_view> part = args.subspan(p.start, p.count);
    if (p.group) {
      argv[0] = args[0];
      for (uint32_t i = 0; i < p.count && i < 2; ++i) argv[1 + i] = args[p.start + i];
      part = std::span<const std::string_view>(argv, 1 + std::min<uint32_t>(p.count, 2));
    }
    // Every part is looked at, so that the loads of all its keys start together.
    if (!KeyReadySlow(db, args[p.key], Overwrites(row, part))) ready = false;
  }
  return ready;
}

bool Worker::KeyReadySlow(int db, std::string_view key, bool overwrites) {
  const DbKey k{db, key};
  if (!loads_.empty() && loads_.find(k) != loads_.end()) return false;
  if (store_->Find(db, key) != nullptr) return true;
  if (overwrites) {
    if (!foreign_.empty()) {
      if (auto it = foreign_.find(k); it != foreign_.end()) foreign_.erase(it);
    }
    return true;
  }
  if (!absent_.empty() && absent_.find(k) != absent_.end()) return true;
  if (!foreign_.empty() && foreign_.find(k) != foreign_.end()) return false;
  StartLoad(db, key);
  return false;
}

void Worker::StartLoad(int db, std::string_view key) {
  const uint64_t id = ++next_load_id_;
  auto [it, fresh] = loads_.try_emplace(DbKeyOwned{db, std::string(key)},
                                        Load{id, clock_.NowMs(), false, {}});
  if (!fresh) {
    it->second.id = id;
    it->second.stale = false;
  }
  const std::string_view argv[] = {"EVAL", kLoadScript, "1", key};
  const DbKeyOwned* k = &it->first;  // node-based: stays put until erased
  link_->Query(db, argv, /*resend=*/true,
               [this, owned = *k, id](const redisReply* reply, bool tracked) {
                 LoadDone(owned, id, reply, tracked);
               });
}

void Worker::WaitForKey(int db, std::string_view key, KeyWaiter fn) {
  const DbKey k{db, key};
  if (auto it = loads_.find(k); it != loads_.end()) {
    it->second.waiting.push_back(std::move(fn));
    return;
  }
  // Not loading, so KeyReady found it to be of another type upstream.
  fn(KeyCase::kForward, {});
}

void Worker::LoadDone(const DbKeyOwned& k, uint64_t id, const redisReply* reply, bool tracked) {
  auto it = loads_.find(k);
  if (it == loads_.end() || it->second.id != id) return;  // timed out, and maybe asked again
  if (it->second.stale) {
    StartLoad(k.db, k.key);
    return;
  }
  std::vector<KeyWaiter> waiting = std::move(it->second.waiting);
  loads_.erase(it);
  ++read_through_stats_.loads;
  if (store_->Find(k.db, k.key) != nullptr) {
    // Written here while the load was out (a step of RENAME or MSETNX, which do not wait):
    // that write's record goes upstream after the load, so it is the newer value.
    for (KeyWaiter& w : waiting) w(KeyCase::kHere, {});
    return;
  }
  if (reply == nullptr) {
    for (KeyWaiter& w : waiting) w(KeyCase::kFailed, "ERR the upstream connection was lost");
    return;
  }
  std::string_view type;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
      reply->element[0]->type == REDIS_REPLY_STRING) {
    type = Text(reply->element[0]);
  }
  if (type == "string" && reply->elements == 3 && reply->element[1]->type == REDIS_REPLY_STRING &&
      reply->element[2]->type == REDIS_REPLY_INTEGER) {
    const long long pttl = reply->element[2]->integer;
    const shards::Millis expire_at = pttl >= 0 ? clock_.NowMs() + pttl : shards::kNoExpiry;
    const std::string_view value = Text(reply->element[1]);
    // A big value is stored shared, so replies send it in place.
    store_->Set(k.db, k.key, CopyValue(value), expire_at);
    for (KeyWaiter& w : waiting) w(KeyCase::kHere, {});
    // Untracked, it may change upstream unseen: used for these parts only.
    if (!tracked) store_->Delete(k.db, k.key);
    return;
  }
  if (type == "none") {
    ++read_through_stats_.load_misses;
    if (tracked) {
      if (absent_.size() >= kMaxRemembered) absent_.clear();
      absent_.insert(k);
    }
    for (KeyWaiter& w : waiting) w(KeyCase::kHere, {});
    return;
  }
  if (type.empty()) {
    // The upstream would not run the script (scripting disabled, ACLs, ...): the parts go to
    // it as they are, and it answers them itself.
    spdlog::warn("shard {}: a read-through load got {}; passing commands through instead",
                 index_, reply->type == REDIS_REPLY_ERROR ? Text(reply) : "an unexpected reply");
  } else if (tracked) {
    if (foreign_.size() >= kMaxRemembered) foreign_.clear();
    foreign_.insert(k);
  }
  for (KeyWaiter& w : waiting) w(KeyCase::kForward, {});
}

void Worker::RunParts(const CommandRow& row, int db, std::shared_ptr<OwnedArgs> args,
                      std::vector<KeyPart> parts, PartsDone done) {
  // Owned by this worker until the last part has run; only touched here.
  struct Job {
    const CommandRow* row;
    int db;
    std::shared_ptr<OwnedArgs> args;
    std::vector<std::string_view> views;
    std::vector<KeyPart> parts;
    std::vector<resp::Output> replies;
    size_t remaining;
    PartsDone done;
    // The part's arguments; `storage` holds a group's.
    std::span<const std::string_view> Argv(size_t i, std::string_view* storage) const {
      const KeyPart& p = parts[i];
      if (!p.group) return std::span<const std::string_view>(views).subspan(p.start, p.count);
      storage[0] = views[0];
      for (uint32_t j = 0; j < p.count && j < 2; ++j) storage[1 + j] = views[p.start + j];
      return {storage, 1 + std::min<uint32_t>(p.count, 2)};
    }
    // The records each part made, for a sync upstream's refusals.
    std::vector<std::pair<uint64_t, uint64_t>> records;
    void PartDone(Worker& w, const std::shared_ptr<Job>& self) {
      if (--remaining > 0) return;
      // Once what the parts recorded is durable; a part whose record the upstream refused
      // answers the refusal.
      w.AfterDurable(MakeTask([self](Worker& at) {
        std::string refused;
        for (size_t i = 0; i < self->records.size(); ++i) {
          const auto [from, to] = self->records[i];
          if (at.SyncRefused(from, to, &refused)) {
            self->replies[i] = resp::Output{"-" + refused + "\r\n", {}};
          }
        }
        self->done(at, self->replies);
      }));
    }
  };
  auto job = std::make_shared<Job>();
  job->row = &row;
  job->db = db;
  job->views = args->Views();
  job->args = std::move(args);
  job->parts = std::move(parts);
  job->replies.resize(job->parts.size());
  job->records.resize(job->parts.size());
  job->remaining = job->parts.size() + 1;  // and one for this call
  job->done = std::move(done);

  const auto run_here = [](Worker& w, Job& j, size_t i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = j.Argv(i, storage);
    resp::Writer out(&j.replies[i]);
    CommandContext ctx{argv, j.db, &w.store(), &out, w.config().proto_max_bulk_len};
    ctx.promoted = j.args->shared();
    ctx.promoted_base = j.parts[i].group ? j.parts[i].start - 1 : j.parts[i].start;
    ctx.bulk = &w.stats().bulk;
    ctx.propagation = w.propagation();
    j.records[i].first = w.RecordMark();
    j.row->handler(ctx);
    j.records[i].second = w.RecordMark();
  };
  const auto forward = [](Worker& w, const std::shared_ptr<Job>& j, size_t i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = j->Argv(i, storage);
    const bool reads = (j->row->flags & kReadOnly) != 0;
    const bool unwrap = j->parts[i].group && j->row->merge == Merge::kArray;
    w.PassThrough(j->db, argv, /*resend=*/reads,
                  [j, i, unwrap](Worker& at, std::string reply) {
                    // A key group's reply is one value of the command's array (MGET).
                    if (unwrap && reply.size() > 4 && reply[0] == '*' && reply[1] == '1' &&
                        reply[2] == '\r') {
                      reply.erase(0, 4);  // "*1\r\n"
                    }
                    j->replies[i] = resp::Output{std::move(reply), {}};
                    j->PartDone(at, j);
                  });
  };
  for (size_t i = 0; i < job->parts.size(); ++i) {
    std::string_view storage[3];
    const std::span<const std::string_view> argv = job->Argv(i, storage);
    const std::string_view key = job->views[job->parts[i].key];
    if (KeyReady(db, key, Overwrites(row, argv))) {
      run_here(*this, *job, i);
      job->PartDone(*this, job);
      continue;
    }
    WaitForKey(db, key, [this, job, i, run_here, forward](KeyCase how, std::string_view error) {
      std::string_view storage[3];
      if (how == KeyCase::kForward && !Overwrites(*job->row, job->Argv(i, storage))) {
        forward(*this, job, i);
        return;
      }
      if (how == KeyCase::kFailed) {
        job->replies[i] = resp::Output{"-" + std::string(error) + "\r\n", {}};
      } else {
        run_here(*this, *job, i);
      }
      job->PartDone(*this, job);
    });
  }
  job->PartDone(*this, job);
}

void Worker::PassThrough(int db, std::span<const std::string_view> argv, bool resend,
                         std::function<void(Worker& w, std::string reply)> done) {
  ++read_through_stats_.passed_through;
  DbKeyOwned key{db, argv.size() > 1 ? std::string(argv[1]) : std::string()};
  auto pending = std::make_shared<PassedThrough>(PassedThrough{clock_.NowMs(), std::move(done)});
  if (config_.upstream_timeout > 0) passed_through_.push_back(pending);
  link_->Query(
      db, argv, resend,
      [this, reads = resend, key = std::move(key), pending](const redisReply* reply, bool) {
        std::string text;
        if (reply == nullptr) {
          text = "-ERR the upstream connection was lost before the reply\r\n";
        } else {
          backend::AppendReply(&text, reply);
        }
        // A write there may have changed what the key is: asked again next time.
        if (!reads) {
          foreign_.erase(key);
          absent_.erase(key);
        }
        if (!pending->done) return;  // failed at upstream-timeout already
        auto done = std::move(pending->done);
        pending->done = nullptr;
        done(*this, std::move(text));
      });
}

void Worker::WhenKeyKnown(int db, std::string_view key, KeyKnownFn fn) {
  if (KeyReady(db, key, /*overwrites=*/false)) return fn(*this, KeyCase::kHere, {});
  WaitForKey(db, key, [this, fn = std::move(fn)](KeyCase how, std::string_view error) {
    fn(*this, how, error);
  });
}

void Worker::AfterLoadOf(int db, std::string_view key, std::function<void()> fn) {
  if (auto it = loads_.find(DbKey{db, key}); it != loads_.end()) {
    it->second.waiting.push_back([fn = std::move(fn)](KeyCase, std::string_view) { fn(); });
    return;
  }
  fn();
}

void Worker::ReadThroughFlushed(int db) {
  if (!read_through_) return;
  for (auto& [k, load] : loads_) {
    if (db < 0 || k.db == db) load.stale = true;
  }
  const auto in_db = [db](const DbKeyOwned& k) { return db < 0 || k.db == db; };
  std::erase_if(absent_, in_db);
  std::erase_if(foreign_, in_db);
}

void Worker::Invalidate(std::span<const std::string_view> keys, bool all) {
  if (all) {
    ++read_through_stats_.invalidations;
    DropUnvouched();
    return;
  }
  for (std::string_view key : keys) {
    if (shards::KeyShard(key, num_workers_) != index_) continue;  // its owner tracks it
    ++read_through_stats_.invalidations;
    ForgetKey(key);
  }
}

void Worker::ForgetKey(std::string_view key) {
  for (int db = 0; db < config_.databases; ++db) {
    const DbKey k{db, key};
    store_->Delete(db, key);
    if (auto it = loads_.find(k); it != loads_.end()) it->second.stale = true;
    if (auto it = absent_.find(k); it != absent_.end()) absent_.erase(it);
    if (auto it = foreign_.find(k); it != foreign_.end()) foreign_.erase(it);
  }
}

void Worker::AfterUpstreamAcked(TaskPtr task) {
  durability_.AfterAcked([this, task = std::move(task)] { task->Run(*this); });
}

void Worker::DropUnvouched() {
  absent_.clear();
  foreign_.clear();
  for (auto& [k, load] : loads_) load.stale = true;
  // What the upstream has not acknowledged is newer here than there; everything else goes.
  // Records the link keeps only in the journal are not looked at: with any of those, all
  // goes (a read then loads the key after them, so it still sees this shard's writes).
  std::vector<std::pair<DbKeyOwned, shards::Entry>> kept;
  if (link_->spilled() == 0) {
    link_->ForEachHeld(0, link_->recorded(), [&](int db, std::string_view command) {
      backend::ScanAof(command, [&](std::span<const std::string_view> argv) -> std::string {
        if (argv.size() < 2 || backend::IsFlushRecord(argv[0])) return "";
        if (std::optional<shards::Entry> e = store_->Take(db, argv[1])) {
          kept.emplace_back(DbKeyOwned{db, std::string(argv[1])}, std::move(*e));
        }
        return "";
      });
    });
  }
  store_->FlushAll();
  for (auto& [k, e] : kept) store_->Put(k.db, k.key, std::move(e));
}

void Worker::ExpireLoads(int64_t now_ms) {
  const int64_t limit = config_.upstream_timeout;
  // The reply may still come, and the command may still run upstream: the client is told it
  // did not answer, as a client of its own with that timeout would be.
  while (!passed_through_.empty()) {
    PassedThrough& p = *passed_through_.front();
    const bool late = limit > 0 && now_ms - p.started_ms > limit;
    if (p.done && !late) break;
    std::shared_ptr<PassedThrough> given_up = std::move(passed_through_.front());
    passed_through_.pop_front();
    if (!given_up->done) continue;
    auto done = std::move(given_up->done);
    given_up->done = nullptr;
    done(*this, "-ERR the upstream did not answer in time (upstream-timeout)\r\n");
  }
  if (loads_.empty()) return;
  std::vector<std::pair<DbKeyOwned, Load>> expired;
  for (auto it = loads_.begin(); it != loads_.end();) {
    if (limit > 0 && now_ms - it->second.started_ms > limit) {
      expired.emplace_back(it->first, std::move(it->second));
      it = loads_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [k, load] : expired) {
    const std::string why = "ERR the upstream did not answer in time (upstream-timeout)";
    for (KeyWaiter& w : load.waiting) w(KeyCase::kFailed, why);
  }
}

std::string_view Worker::invalidation_state() const {
  return invalidation_conn_ ? invalidation_conn_->state() : std::string_view();
}

}  // namespace ringside::proxy
