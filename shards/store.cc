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

}  // namespace

Store::Store(int shard_id, int num_shards, int num_dbs, const Clock* clock)
    : shard_id_(shard_id),
      num_shards_(num_shards),
      num_dbs_(num_dbs),
      clock_(clock),
      first_slot_(ShardFirstSlot(shard_id, num_shards)),
      end_slot_(ShardFirstSlot(shard_id + 1, num_shards)),
      dbs_(static_cast<size_t>(num_dbs)),
      rng_state_(0x5eed0000ull + static_cast<uint64_t>(shard_id)) {}

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
  return n;
}

void Store::RemoveExpired(const Where& w, Node* n) {
  // Told before the node (and with it the key's bytes) goes away.
  if (on_expired_) on_expired_(w.db->index, n->key());
  Remove(w, n);
  ++stats_.expired_keys;
}

Node* Store::Insert(const Where& w, std::string_view key, Entry&& e) {
  const Millis expire_at = e.expire_at;
  used_bytes_ += static_cast<int64_t>(key.size() + e.value_size()) + kEntryOverhead;
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
  used_bytes_ -= static_cast<int64_t>(key.size() + n->value_size()) + kEntryOverhead;
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

Entry* Store::FindForRead(int db, std::string_view key) {
  Entry* e = Find(db, key);
  ++(e != nullptr ? stats_.keyspace_hits : stats_.keyspace_misses);
  return e;
}

Entry* Store::Set(int db, std::string_view key, Value value, Millis expire_at) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  Node* n = Lookup(w, key);
  if (n == nullptr) return Insert(w, key, Entry(ObjType::kString, std::move(value), expire_at));
  const int64_t old_size = static_cast<int64_t>(n->value_size());
  n->type = ObjType::kString;
  n->SetValue(std::move(value));
  used_bytes_ += static_cast<int64_t>(n->value_size()) - old_size;
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
  if (n == nullptr) n = Insert(w, key, Entry(ObjType::kString));
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
  const Millis expire_at = n->expire_at;
  const size_t value_size = n->value_size();
  Entry out(n->type, n->TakeValue(), expire_at);
  used_bytes_ -= static_cast<int64_t>(value_size);  // Remove accounts for the emptied value
  Remove(w, n);
  return out;
}

void Store::Put(int db, std::string_view key, Entry e) {
  Db& d = GetDb(db);
  const Where w = Locate(d, key);
  if (Node* old = Lookup(w, key)) Remove(w, old);
  Insert(w, key, std::move(e));
}

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
      used_bytes_ -= static_cast<int64_t>(n->key().size() + n->value_size()) + kEntryOverhead;
      Node::Destroy(n);
    });
    t.Reset();
  }
  dbs_[static_cast<size_t>(db)].reset();
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
      if (type && n->type != *type) return;
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
  const uint32_t num_slots = end_slot_ - first_slot_;
  // Each try costs one random slot plus a walk to the next non-empty one. Expired keys met
  // on the way are deleted, as Redis does, so a store full of them still makes progress.
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (int tries = 0; tries < 100 && d->keys > 0; ++tries) {
      const uint64_t r = NextRandom(&rng_state_);
      uint32_t s = static_cast<uint32_t>(r % num_slots);
      while (d->slots[s].size() == 0) s = s + 1 == num_slots ? 0 : s + 1;
      SlotTable& t = d->slots[s];
      size_t i = static_cast<size_t>((r >> 32) % t.capacity());
      while (t.At(i) == nullptr) i = i + 1 == t.capacity() ? 0 : i + 1;
      Node* n = t.At(i);
      if (!Expired(*n, NowMs())) return std::string(n->key());
      RemoveExpired(Where{d, &t, HashKey(n->key())}, n);
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
