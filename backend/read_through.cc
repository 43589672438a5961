#include "backend/read_through.h"

#include <spdlog/spdlog.h>

#include "backend/aof_reader.h"
#include "shards/hash_ops.h"
#include "shards/set_ops.h"
#include "shards/slot.h"

namespace ringside::backend {

namespace {

// The key's type and, for a string, its value and the milliseconds it has left (-1: none);
// for a hash or set no bigger than ARGV[1] bytes by the upstream's MEMORY USAGE (0: none is
// fetched), its fields and values or members, and its PTTL. A bigger one, or one of any
// other type, comes back as its type alone.
constexpr std::string_view kLoadScript =
    "local k = KEYS[1] "
    "local t = redis.call('TYPE', k)['ok'] "
    "if t == 'string' then return {t, redis.call('GET', k), redis.call('PTTL', k)} end "
    "if t ~= 'hash' and t ~= 'set' then return {t} end "
    "local limit = tonumber(ARGV[1]) "
    "local size = redis.pcall('MEMORY', 'USAGE', k) "
    "if type(size) ~= 'number' or size > limit then return {t} end "
    "local body = t == 'hash' and redis.call('HGETALL', k) or redis.call('SMEMBERS', k) "
    "return {t, body, redis.call('PTTL', k)}";

// Keys of absent_ and foreign_ past this many are forgotten all at once.
constexpr size_t kMaxRemembered = 1u << 20;

std::string_view Text(const redisReply* r) {
  return r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

}  // namespace

ReadThrough::ReadThrough(Options options, shards::Store* store, UpstreamLink* link,
                         std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      timeout_ms_(options_.timeout_ms),
      max_size_(options_.max_size),
      store_(store),
      link_(link),
      now_ms_(std::move(now_ms)) {}

ReadThrough::~ReadThrough() = default;

void ReadThrough::Open(Dialer* dialer) {
  invalidation_ = std::make_unique<InvalidationLink>(options_.user, options_.password);
  invalidation_conn_ = dialer->Dial("upstream invalidation connection", invalidation_.get());
  invalidation_->set_on_subscribed([this](int64_t id) { link_->set_tracking_redirect(id); });
  invalidation_->set_on_invalidate(
      [this](std::span<const std::string_view> keys, bool all) { Invalidate(keys, all); });
  link_->set_on_tracking_lost([this] {
    ++stats_.tracking_losses;
    DropUnvouched();
  });
  // What the files held may have changed upstream while ringside was down: only the records
  // the journal sends again are newer here.
  DropUnvouched();
  invalidation_conn_->Tick(now_ms_());
}

std::string_view ReadThrough::invalidation_state() const {
  return invalidation_conn_ ? invalidation_conn_->state() : std::string_view();
}

bool ReadThrough::KeyReady(int db, std::string_view key, bool overwrites) {
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

void ReadThrough::StartLoad(int db, std::string_view key) {
  const uint64_t id = ++next_load_id_;
  auto [it, fresh] =
      loads_.try_emplace(DbKeyOwned{db, std::string(key)}, Load{id, now_ms_(), false, {}});
  if (!fresh) {
    it->second.id = id;
    it->second.stale = false;
  }
  const std::string limit = std::to_string(max_size_);
  const std::string_view argv[] = {"EVAL", kLoadScript, "1", key, limit};
  const DbKeyOwned* k = &it->first;  // node-based: stays put until erased
  link_->Query(db, argv, /*resend=*/true,
               [this, owned = *k, id](const redisReply* reply, bool tracked) {
                 LoadDone(owned, id, reply, tracked);
               });
}

void ReadThrough::WaitForKey(int db, std::string_view key, KeyWaiter fn) {
  const DbKey k{db, key};
  if (auto it = loads_.find(k); it != loads_.end()) {
    it->second.waiting.push_back(std::move(fn));
    return;
  }
  // Not loading, so KeyReady found it to be of another type upstream.
  fn(KeyCase::kForward, {});
}

void ReadThrough::LoadDone(const DbKeyOwned& k, uint64_t id, const redisReply* reply,
                           bool tracked) {
  auto it = loads_.find(k);
  if (it == loads_.end() || it->second.id != id) return;  // timed out, and maybe asked again
  if (it->second.stale) {
    StartLoad(k.db, k.key);
    return;
  }
  std::vector<KeyWaiter> waiting = std::move(it->second.waiting);
  loads_.erase(it);
  ++stats_.loads;
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
    const shards::Millis expire_at = pttl >= 0 ? now_ms_() + pttl : shards::kNoExpiry;
    const std::string_view value = Text(reply->element[1]);
    // A big value is stored shared, so replies send it in place.
    store_->Set(k.db, k.key, shards::CopyValue(value), expire_at);
    for (KeyWaiter& w : waiting) w(KeyCase::kHere, {});
    // Untracked, it may change upstream unseen: used for these parts only.
    if (!tracked) store_->Delete(k.db, k.key);
    return;
  }
  if ((type == "hash" || type == "set") && reply->elements == 3 &&
      reply->element[1]->type == REDIS_REPLY_ARRAY &&
      reply->element[2]->type == REDIS_REPLY_INTEGER) {
    const redisReply* body = reply->element[1];
    std::vector<std::string_view> items;
    items.reserve(body->elements);
    for (size_t i = 0; i < body->elements; ++i) items.push_back(Text(body->element[i]));
    const bool hash = type == "hash";
    if (!items.empty() && (!hash || items.size() % 2 == 0)) {
      if (hash) {
        shards::OpHSet(*store_, k.db, k.key, items);
      } else {
        shards::OpSAdd(*store_, k.db, k.key, items);
      }
      const long long pttl = reply->element[2]->integer;
      if (shards::Entry* e = store_->Find(k.db, k.key); e != nullptr && pttl >= 0) {
        store_->SetExpire(k.db, k.key, e, now_ms_() + pttl);
      }
      for (KeyWaiter& w : waiting) w(KeyCase::kHere, {});
      if (!tracked) store_->Delete(k.db, k.key);
      return;
    }
    // Emptied between TYPE and the read cannot happen inside one script; anything else
    // unexpected leaves the key upstream.
  }
  if (type == "none") {
    ++stats_.load_misses;
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
                 options_.shard,
                 reply->type == REDIS_REPLY_ERROR ? Text(reply) : "an unexpected reply");
  } else if (tracked) {
    if (foreign_.size() >= kMaxRemembered) foreign_.clear();
    foreign_.insert(k);
  }
  for (KeyWaiter& w : waiting) w(KeyCase::kForward, {});
}

void ReadThrough::PassThrough(int db, std::span<const std::string_view> argv, bool resend,
                              std::function<void(std::string reply)> done) {
  ++stats_.passed_through;
  DbKeyOwned key{db, argv.size() > 1 ? std::string(argv[1]) : std::string()};
  auto pending = std::make_shared<PassedThrough>(PassedThrough{now_ms_(), std::move(done)});
  if (timeout_ms_ > 0) passed_through_.push_back(pending);
  link_->Query(
      db, argv, resend,
      [this, reads = resend, key = std::move(key), pending](const redisReply* reply, bool) {
        std::string text;
        if (reply == nullptr) {
          text = "-ERR the upstream connection was lost before the reply\r\n";
        } else {
          AppendReply(&text, reply);
        }
        // A write there may have changed what the key is: asked again next time.
        if (!reads) {
          foreign_.erase(key);
          absent_.erase(key);
        }
        if (!pending->done) return;  // failed at upstream-timeout already
        auto done = std::move(pending->done);
        pending->done = nullptr;
        done(std::move(text));
      });
}

void ReadThrough::AfterLoadOf(int db, std::string_view key, std::function<void()> fn) {
  if (auto it = loads_.find(DbKey{db, key}); it != loads_.end()) {
    it->second.waiting.push_back([fn = std::move(fn)](KeyCase, std::string_view) { fn(); });
    return;
  }
  fn();
}

void ReadThrough::Flushed(int db) {
  for (auto& [k, load] : loads_) {
    if (db < 0 || k.db == db) load.stale = true;
  }
  const auto in_db = [db](const DbKeyOwned& k) { return db < 0 || k.db == db; };
  std::erase_if(absent_, in_db);
  std::erase_if(foreign_, in_db);
}

void ReadThrough::Invalidate(std::span<const std::string_view> keys, bool all) {
  if (all) {
    ++stats_.invalidations;
    DropUnvouched();
    return;
  }
  std::vector<std::string_view> mine;
  for (std::string_view key : keys) {
    if (shards::KeyShard(key, options_.shards) != options_.shard) continue;  // its owner tracks it
    ++stats_.invalidations;
    ForgetKey(key);
    mine.push_back(key);
  }
  if (on_invalidated_ && !mine.empty()) on_invalidated_(mine, false);
}

void ReadThrough::ForgetKey(std::string_view key) {
  for (int db = 0; db < options_.databases; ++db) {
    const DbKey k{db, key};
    store_->Delete(db, key);
    if (auto it = loads_.find(k); it != loads_.end()) it->second.stale = true;
    if (auto it = absent_.find(k); it != absent_.end()) absent_.erase(it);
    if (auto it = foreign_.find(k); it != foreign_.end()) foreign_.erase(it);
  }
}

void ReadThrough::DropUnvouched() {
  absent_.clear();
  foreign_.clear();
  for (auto& [k, load] : loads_) load.stale = true;
  // What the upstream has not acknowledged is newer here than there; everything else goes.
  // Records the link keeps only in the journal are not looked at: with any of those, all
  // goes (a read then loads the key after them, so it still sees this shard's writes).
  std::vector<std::pair<DbKeyOwned, shards::Entry>> kept;
  if (link_->spilled() == 0) {
    link_->ForEachHeld(0, link_->recorded(), [&](int db, std::string_view command) {
      ScanAof(command, [&](std::span<const std::string_view> argv) -> std::string {
        if (argv.size() < 2 || IsFlushRecord(argv[0])) return "";
        if (std::optional<shards::Entry> e = store_->Take(db, argv[1])) {
          kept.emplace_back(DbKeyOwned{db, std::string(argv[1])}, std::move(*e));
        }
        return "";
      });
    });
  }
  store_->FlushAll();
  for (auto& [k, e] : kept) store_->Put(k.db, k.key, std::move(e));
  if (on_invalidated_) on_invalidated_({}, true);
}

void ReadThrough::Tick(int64_t now_ms) {
  if (invalidation_conn_) invalidation_conn_->Tick(now_ms);
  const int64_t limit = timeout_ms_;
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
    done("-ERR the upstream did not answer in time (upstream-timeout)\r\n");
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

}  // namespace ringside::backend
