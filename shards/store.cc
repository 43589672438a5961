#include "shards/store.h"

#include <algorithm>
#include <cassert>

#include "shards/node.h"
#include "shards/slot.h"
#include "shards/slot_table.h"

namespace ringside::shards {

using detail::HashKey;
using detail::Node;
using detail::SlotTable;

std::string_view TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kHash:
      return "hash";
    case ObjType::kSet:
      return "set";
    case ObjType::kList:
      return "list";
  }
  return "none";
}

struct Store::Db {
  Db(int index, size_t num_slots) : index(index), slots(num_slots) {}

  int index;
  std::vector<SlotTable> slots;  // indexed by slot - first_slot_
  size_t keys = 0;
  // Keys with a TTL, soonest first. Nodes never move, so a pointer identifies a key.
  std::set<std::pair<Millis, Node*>> expires;
  __int128 expire_sum = 0;  // sum of expire_at over `expires`, for AvgTtlMs
};

namespace {

// splitmix64: small, fast, and good enough to pick random keys.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

bool MatchesAll(std::string_view pattern) { return pattern == "*"; }

// LFU: the counter a new key starts with (so it is not evicted before it had a chance to be
// used again), the most candidates kept between evictions, and the attempts a random policy
// makes to find a key it may drop.
constexpr uint8_t kLfuInitial = 5;
constexpr size_t kEvictPoolSize = 16;
constexpr int kRandomEvictTries = 64;
// Databases with at most this many keys (with a TTL, for the volatile policies) are looked at
// whole by LRU and LFU eviction rather than sampled.
constexpr size_t kExactEvictionKeys = 1024;
constexpr uint32_t kMinuteMask = 0xFFFFFF;

}  // namespace

Store::Store(int shard_id, int num_shards, int num_dbs, const Clock* clock)
    : shard_id_(shard_id),
      num_shards_(num_shards),
      num_dbs_(num_dbs),
      clock_(clock),
      first_slot_(ShardFirstSlot(shard_id, num_shards)),
      end_slot_(ShardFirstSlot(shard_id + 1, num_shards)),
      dbs_(static_cast<size_t>(num_dbs)),
      rng_state_(0x5eed0000ull + static_cast<uint64_t>(shard_id)) {
  RefreshAccessClock();
}

Store::~Store() {
  for (int i = 0; i < num_dbs_; ++i) FlushDb(i);
}

Store::Db& Store::GetDb(int db) {
  assert(db >= 0 && db < num_dbs_);
  auto& slot = dbs_[static_cast<size_t>(db)];
  if (!slot) slot = std::make_unique<Db>(db, end_slot_ - first_slot_);
  return *slot;
}

Store::Db* Store::PeekDb(int db) const {
  assert(db >= 0 && db < num_dbs_);
  return dbs_[static_cast<size_t>(db)].get();
}

Store::Where Store::Locate(Db& d, std::string_view key) {
  const uint32_t slot = KeySlot(key);
  assert(slot >= first_slot_ && slot < end_slot_ && "key routed to the wrong shard");
  if (on_touch_) on_touch_(d.index, slot);
  return Where{&d, &d.slots[slot - first_slot_], HashKey(key)};
}

Node* Store::Lookup(const Where& w, std::string_view key) {
  Node* n = w.table->Find(key, w.hash);
  if (n != nullptr && n->expire_at != kNoExpiry && Expired(*n, NowMs())) {
    RemoveExpired(w, n);
    return nullptr;
  }
  if (n != nullptr) Touch(*n);
  return n;
}

void Store::RefreshAccessClock() {
  const Millis now = NowMs();
  access_ms_ = static_cast<uint32_t>(now);
  access_minute_ = static_cast<uint32_t>(now / 60000) & kMinuteMask;
}

void Store::Touch(Entry& e) {
  if (!lfu_) {
    e.access = access_ms_;
    return;
  }
  // The counter grows with probability 1 / ((counter - initial) * factor + 1), so it takes
  // about a million hits to fill it at the default factor.
  uint32_t counter = LfuDecayed(e.access);
  if (counter < 255) {
    const double r = static_cast<double>(NextRandom(&rng_state_) >> 11) * 0x1.0p-53;
    const double base = counter > kLfuInitial ? counter - kLfuInitial : 0;
    if (r < 1.0 / (base * eviction_.lfu_log_factor + 1)) ++counter;
  }
  e.access = (access_minute_ << 8) | counter;
}

void Store::InitAccess(Entry& e) {
  e.access = lfu_ ? (access_minute_ << 8) | kLfuInitial : access_ms_;
}

uint8_t Store::LfuDecayed(uint32_t access) const {
  const uint32_t counter = access & 0xFF;
  if (eviction_.lfu_decay_time <= 0) return static_cast<uint8_t>(counter);
  const uint32_t idle_minutes = (access_minute_ - (access >> 8)) & kMinuteMask;
  const uint32_t periods = idle_minutes / static_cast<uint32_t>(eviction_.lfu_decay_time);
  return static_cast<uint8_t>(periods >= counter ? 0 : counter - periods);
}

int64_t Store::IdleMs(const Entry& e) const { return static_cast<uint32_t>(access_ms_ - e.access); }

int Store::Frequency(const Entry& e) const { return LfuDecayed(e.access); }

void Store::SetEviction(const EvictionSettings& settings) {
  const bool lfu = settings.policy == EvictionPolicy::kAllKeysLfu ||
                   settings.policy == EvictionPolicy::kVolatileLfu;
  // The candidates' scores were taken the other way.
  if (lfu != lfu_ || settings.policy != eviction_.policy) evict_pool_.clear();
  eviction_ = settings;
  eviction_.samples = std::max(1, eviction_.samples);
  lfu_ = lfu;
}

bool Store::EvictOne(const MayEvict& may_evict) {
  switch (eviction_.policy) {
    case EvictionPolicy::kNoEviction:
      return false;
    case EvictionPolicy::kAllKeysRandom:
      return EvictRandom(may_evict, /*with_ttl=*/false);
    case EvictionPolicy::kVolatileRandom:
      return EvictRandom(may_evict, /*with_ttl=*/true);
    case EvictionPolicy::kVolatileTtl:
      return EvictSoonestExpiring(may_evict);
    case EvictionPolicy::kAllKeysLru:
    case EvictionPolicy::kAllKeysLfu:
      return EvictFromPool(may_evict, /*with_ttl=*/false);
    case EvictionPolicy::kVolatileLru:
    case EvictionPolicy::kVolatileLfu:
      return EvictFromPool(may_evict, /*with_ttl=*/true);
  }
  return false;
}

Node* Store::SampleNode(Db& d, bool with_ttl) {
  if (d.keys == 0 || (with_ttl && d.expires.empty())) return nullptr;
  const uint32_t num_slots = end_slot_ - first_slot_;
  auto any_key = [&] {
    // A random slot, the next non-empty one from there, a random cell, the next key from there.
    const uint64_t r = NextRandom(&rng_state_);
    uint32_t s = static_cast<uint32_t>(r % num_slots);
    while (d.slots[s].size() == 0) s = s + 1 == num_slots ? 0 : s + 1;
    SlotTable& t = d.slots[s];
    size_t i = static_cast<size_t>((r >> 32) % t.capacity());
    while (t.At(i) == nullptr) i = i + 1 == t.capacity() ? 0 : i + 1;
    return t.At(i);
  };
  if (!with_ttl) return any_key();
  // Not too few keys with a TTL: pick among all keys until one has one. Otherwise a random time
  // between the soonest and the latest expiry, and a few steps on from the first key there
  // (many keys may share one time).
  if (d.expires.size() * 16 >= d.keys) {
    for (int i = 0; i < 8; ++i) {
      Node* n = any_key();
      if (n->expire_at != kNoExpiry) return n;
    }
  }
  const Millis lo = d.expires.begin()->first;
  const Millis hi = d.expires.rbegin()->first;
  const uint64_t r = NextRandom(&rng_state_);
  const Millis t = lo + static_cast<Millis>(r % static_cast<uint64_t>(hi - lo + 1));
  auto it = d.expires.lower_bound({t, nullptr});
  for (uint64_t steps = (r >> 59); steps > 0 && it != d.expires.end(); --steps) ++it;
  if (it == d.expires.end()) it = d.expires.begin();
  return it->second;
}

void Store::RemoveEvicted(const Where& w, Node* n) {
  if (on_evicted_) on_evicted_(w.db->index, n->key());
  Remove(w, n);
  ++stats_.evicted_keys;
}

bool Store::EvictRandom(const MayEvict& may_evict, bool with_ttl) {
  for (int attempt = 0; attempt < kRandomEvictTries; ++attempt) {
    // Each attempt goes to the next database that has keys to pick from.
    Db* d = nullptr;
    for (int i = 0; i < num_dbs_ && d == nullptr; ++i) {
      Db* c = dbs_[evict_db_cursor_].get();
      evict_db_cursor_ = (evict_db_cursor_ + 1) % static_cast<size_t>(num_dbs_);
      if (c != nullptr && c->keys > 0 && (!with_ttl || !c->expires.empty())) d = c;
    }
    if (d == nullptr) return false;
    Node* n = SampleNode(*d, with_ttl);
    if (!may_evict(d->index, n->key())) continue;
    RemoveEvicted(Locate(*d, n->key()), n);
    return true;
  }
  return false;
}

bool Store::EvictSoonestExpiring(const MayEvict& may_evict) {
  // Exact rather than sampled: each database's keys are ordered by expiry already.
  Db* best_db = nullptr;
  Node* best = nullptr;
  for (auto& d : dbs_) {
    if (d == nullptr) continue;
    int looked = 0;
    for (auto it = d->expires.begin(); it != d->expires.end() && looked < kRandomEvictTries;
         ++it, ++looked) {
      if (best != nullptr && it->first >= best->expire_at) break;
      if (may_evict(d->index, it->second->key())) {
        best = it->second;
        best_db = d.get();
        break;
      }
    }
  }
  if (best == nullptr) return false;
  RemoveEvicted(Locate(*best_db, best->key()), best);
  return true;
}

bool Store::EvictFromPool(const MayEvict& may_evict, bool with_ttl) {
  auto score = [&](const Node& n) -> uint64_t {
    if (lfu_) return 255 - LfuDecayed(n.access);
    return static_cast<uint32_t>(access_ms_ - n.access);
  };
  auto add = [&](uint64_t s, int db, std::string_view key) {
    if (evict_pool_.size() == kEvictPoolSize && s <= evict_pool_.front().score) return;
    for (const Candidate& c : evict_pool_) {
      if (c.db == db && c.key == key) return;
    }
    auto at = std::upper_bound(evict_pool_.begin(), evict_pool_.end(), s,
                               [](uint64_t v, const Candidate& c) { return v < c.score; });
    evict_pool_.insert(at, Candidate{s, db, std::string(key)});
    if (evict_pool_.size() > kEvictPoolSize) evict_pool_.erase(evict_pool_.begin());
  };
  auto consider = [&](Db& d, Node* n) {
    if (may_evict(d.index, n->key())) add(score(*n), d.index, n->key());
  };
  // Rounds of sampling every database into the pool, then the best candidate that is still
  // there and may go. A database with few keys is looked at whole instead: its keys are
  // spread thinly over the slots, and a random slot would mostly find the keys after the
  // widest gaps.
  for (int round = 0; round < 4; ++round) {
    for (auto& d : dbs_) {
      if (d == nullptr) continue;
      const size_t population = with_ttl ? d->expires.size() : d->keys;
      if (population == 0) continue;
      if (population <= kExactEvictionKeys) {
        if (with_ttl) {
          for (const auto& [when, n] : d->expires) consider(*d, n);
        } else {
          for (SlotTable& t : d->slots) {
            if (t.size() > 0) t.ForEach([&](Node* n) { consider(*d, n); });
          }
        }
        continue;
      }
      for (int i = 0; i < eviction_.samples; ++i) consider(*d, SampleNode(*d, with_ttl));
    }
    while (!evict_pool_.empty()) {
      Candidate c = std::move(evict_pool_.back());
      evict_pool_.pop_back();
      Db* d = PeekDb(c.db);
      if (d == nullptr) continue;
      const Where w = Locate(*d, c.key);
      Node* n = w.table->Find(c.key, w.hash);
      if (n == nullptr || (with_ttl && n->expire_at == kNoExpiry) || !may_evict(c.db, c.key)) {
        continue;
      }
      RemoveEvicted(w, n);
      return true;
    }
  }
  return false;
}

void Store::RemoveExpired(const Where& w, Node* n) {
  // Told before the node (and with it the key's bytes) goes away.
  if (on_expired_) on_expired_(w.db->index, n->key());
  Remove(w, n);
  ++stats_.expired_keys;
}

Node* Store::Insert(const Where& w, std::string_view key, Entry&& e) {
  const Millis expire_at = e.expire_at;
  used_bytes_ += static_cast<int64_t>(key.size() + e.ValueBytes()) + kEntryOverhead;
  e.expire_at = kNoExpiry;
  Node* n = Node::Create(key, std::move(e));
  w.table->Insert(n, w.hash);
  ++w.db->keys;
  if (expire_at != kNoExpiry) IndexExpire(*w.db, n, expire_at);
  return n;
}

void Store::Remove(const Where& w, Node* n) {
  if (n->expire_at != kNoExpiry) UnindexExpire(*w.db, n);
  const std::string_view key = n->key();
  used_bytes_ -= static_cast<int64_t>(key.size() + n->ValueBytes()) + kEntryOverhead;
  w.table->Erase(n, w.hash);
  --w.db->keys;
  Node::Destroy(n);
}

void Store::IndexExpire(Db& d, Node* n, Millis expire_at) {
  n->expire_at = expire_at;
  d.expires.emplace(expire_at, n);
  d.expire_sum += expire_at;
}

void Store::UnindexExpire(Db& d, Node* n) {
  d.expires.erase({n->expire_at, n});
  d.expire_sum -= n->expire_at;
  n->expire_at = kNoExpiry;
}

Entry* Store::Find(int db, std::string_view key) {
  Db* d = PeekDb(db);
  if (d == nullptr) return nullptr;
  return Lookup(Locate(*d, key), key);
}

const Entry* Store::Peek(int db, std::string_view key) {
  Db* d = PeekDb(db);
  if (d == nullptr) return nullptr;
  const Where w = Locate(*d, key);
  Node* n = w.table->Find(key, w.hash);
  if (n != nullptr && n->expire_at != kNoExpiry && Expired(*n, NowMs())) {
    RemoveExpired(w, n);
    return nullptr;
  }
  return n;
}

Entry* Store::FindForRead(int db, std::string_view key) {
  Entry* e = Find(db, key);
  ++(e != nullptr ? stats_.keyspace_hits : stats_.keyspace_misses);
  return e;
}

Entry* Store::Set(int db, std::string_view key, Value value, Millis expire_at) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  Node* n = Lookup(w, key);
  if (n == nullptr) {
    n = Insert(w, key, Entry(std::move(value), expire_at));
    InitAccess(*n);
    return n;
  }
  const size_t old_size = n->ValueBytes();
  n->AssignString(std::move(value));
  Changed(*n, old_size);
  if (n->expire_at != expire_at) {
    if (n->expire_at != kNoExpiry) UnindexExpire(d, n);
    if (expire_at != kNoExpiry) IndexExpire(d, n, expire_at);
  }
  return n;
}

Entry* Store::FindOrCreate(int db, std::string_view key, bool* created) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  Node* n = Lookup(w, key);
  *created = n == nullptr;
  if (n == nullptr) {
    n = Insert(w, key, Entry(Value(std::string())));
    InitAccess(*n);
  }
  return n;
}

bool Store::Delete(int db, std::string_view key) {
  Db* d = PeekDb(db);
  if (d == nullptr) return false;
  const Where w = Locate(*d, key);
  Node* n = Lookup(w, key);
  if (n == nullptr) return false;
  Remove(w, n);
  return true;
}

void Store::SetExpire(int db, std::string_view key, Entry* e, Millis expire_at) {
  Db& d = GetDb(db);
  Node* n = static_cast<Node*>(e);
  assert(n->key() == key);
  if (n->expire_at == expire_at) return;
  if (n->expire_at != kNoExpiry) UnindexExpire(d, n);
  if (expire_at != kNoExpiry) IndexExpire(d, n, expire_at);
}

std::optional<Entry> Store::Take(int db, std::string_view key) {
  Db* d = PeekDb(db);
  if (d == nullptr) return std::nullopt;
  const Where w = Locate(*d, key);
  Node* n = Lookup(w, key);
  if (n == nullptr) return std::nullopt;
  Entry out(std::move(*n));
  used_bytes_ -= static_cast<int64_t>(out.ValueBytes());  // Remove accounts for the emptied value
  Remove(w, n);
  return out;
}

Entry* Store::Put(int db, std::string_view key, Entry e) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  if (Node* old = Lookup(w, key)) Remove(w, old);
  return Insert(w, key, std::move(e));
}

Entry* Store::Add(int db, std::string_view key, Entry e) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  if (Node* old = Lookup(w, key)) Remove(w, old);
  Node* n = Insert(w, key, std::move(e));
  InitAccess(*n);
  return n;
}

uint64_t Store::Random() { return NextRandom(&rng_state_); }

size_t Store::KeyCount(int db) const {
  const Db* d = PeekDb(db);
  return d == nullptr ? 0 : d->keys;
}

size_t Store::ExpiresCount(int db) const {
  const Db* d = PeekDb(db);
  return d == nullptr ? 0 : d->expires.size();
}

int64_t Store::AvgTtlMs(int db) const {
  const Db* d = PeekDb(db);
  if (d == nullptr || d->expires.empty()) return 0;
  const auto avg = static_cast<int64_t>(d->expire_sum / static_cast<__int128>(d->expires.size()));
  return std::max<int64_t>(0, avg - NowMs());
}

void Store::FlushDb(int db) {
  Db* d = PeekDb(db);
  if (d == nullptr) return;
  for (SlotTable& t : d->slots) {
    t.ForEach([&](Node* n) {
      used_bytes_ -= static_cast<int64_t>(n->key().size() + n->ValueBytes()) + kEntryOverhead;
      Node::Destroy(n);
    });
    t.Reset();
  }
  dbs_[static_cast<size_t>(db)].reset();
}

void Store::SwapDb(int a, int b) {
  auto& x = dbs_[static_cast<size_t>(a)];
  auto& y = dbs_[static_cast<size_t>(b)];
  std::swap(x, y);
  if (x) x->index = a;
  if (y) y->index = b;
}

void Store::FlushAll() {
  for (int i = 0; i < num_dbs_; ++i) FlushDb(i);
}

void Store::Keys(int db, std::string_view pattern, std::vector<std::string>* out) {
  Db* d = PeekDb(db);
  if (d == nullptr || d->keys == 0) return;
  const Millis now = NowMs();
  const bool all = MatchesAll(pattern);
  for (const SlotTable& t : d->slots) {
    if (t.size() == 0) continue;
    t.ForEach([&](const Node* n) {
      if (Expired(*n, now)) return;
      const std::string_view key = n->key();
      if (all || GlobMatch(pattern, key)) out->emplace_back(key);
    });
  }
}

uint32_t Store::Scan(int db, uint32_t slot_cursor, size_t count, std::string_view pattern,
                     std::optional<ObjType> type, std::vector<std::string>* out) {
  const uint32_t done = end_slot_ >= kNumSlots ? kNumSlots : end_slot_;
  if (slot_cursor >= end_slot_) return done;
  uint32_t slot = std::max(slot_cursor, first_slot_);
  Db* d = PeekDb(db);
  if (d == nullptr || d->keys == 0) return done;
  const Millis now = NowMs();
  const bool all = MatchesAll(pattern);
  size_t examined = 0;
  // Whole slots only: a key present for the whole scan is in some visited slot, whatever
  // was added or removed between calls.
  while (slot < end_slot_ && examined < std::max<size_t>(count, 1)) {
    const SlotTable& t = d->slots[slot - first_slot_];
    examined += t.size();
    t.ForEach([&](const Node* n) {
      if (Expired(*n, now)) return;
      if (type && n->type() != *type) return;
      const std::string_view key = n->key();
      if (all || GlobMatch(pattern, key)) out->emplace_back(key);
    });
    ++slot;
  }
  return slot >= end_slot_ ? done : slot;
}

std::optional<std::string> Store::RandomKey(int db) {
  Db* d = PeekDb(db);
  if (d == nullptr) return std::nullopt;
  // Each try costs one random slot plus a walk to the next non-empty one. Expired keys met
  // on the way are deleted, as Redis does, so a store full of them still makes progress.
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (int tries = 0; tries < 100 && d->keys > 0; ++tries) {
      Node* n = SampleNode(*d, /*with_ttl=*/false);
      const std::string_view key = n->key();
      if (!Expired(*n, NowMs())) return std::string(key);
      RemoveExpired(Where{d, &d->slots[KeySlot(key) - first_slot_], HashKey(key)}, n);
    }
    if (d->keys == 0) return std::nullopt;
    // Mostly expired keys: purge every due key of this db, then try once more.
    const Millis now = NowMs();
    while (!d->expires.empty() && d->expires.begin()->first < now) {
      Node* n = d->expires.begin()->second;
      const std::string_view key = n->key();
      RemoveExpired(Where{d, &d->slots[KeySlot(key) - first_slot_], HashKey(key)}, n);
    }
  }
  return std::nullopt;
}

size_t Store::ActiveExpire(size_t max_keys) {
  const Millis now = NowMs();
  size_t deleted = 0;
  for (int visited = 0; visited < num_dbs_ && deleted < max_keys; ++visited) {
    Db* d = dbs_[expire_db_cursor_].get();
    if (d != nullptr) {
      while (deleted < max_keys && !d->expires.empty() && d->expires.begin()->first < now) {
        Node* n = d->expires.begin()->second;
        const std::string_view key = n->key();
        RemoveExpired(Where{d, &d->slots[KeySlot(key) - first_slot_], HashKey(key)}, n);
        ++deleted;
      }
      if (deleted >= max_keys) break;  // resume with this db next time
    }
    expire_db_cursor_ = (expire_db_cursor_ + 1) % static_cast<size_t>(num_dbs_);
  }
  return deleted;
}

}  // namespace ringside::shards
