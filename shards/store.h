// The per-core store: one Store per shard, touched only by the thread that owns the shard.
// Keys of each database are kept per slot, so SCAN can walk slots in order and return every
// key that was present for the whole scan, whatever resizing happens in between.
//
// Shard operations are plain functions on a Store: they return results, never wire replies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "shards/clock.h"
#include "shards/eviction.h"
#include "shards/types/hash_value.h"
#include "shards/types/list_value.h"
#include "shards/types/set_value.h"
#include "shards/types/small_string.h"

namespace ringside::shards {

namespace detail {
struct Node;
class SlotTable;
}  // namespace detail

inline constexpr Millis kNoExpiry = -1;

// The type of a key's value, as TYPE names it.
enum class ObjType : uint8_t { kString, kHash, kSet, kList };
std::string_view TypeName(ObjType t);

// The bytes of a big string value, shared and immutable: a stored entry and the replies being
// sent from it each hold a reference, and the last one to let go frees it, on whatever thread.
struct SharedBytes {
  std::shared_ptr<const char[]> data;
  size_t size = 0;
  std::string_view view() const { return {data.get(), size}; }
};

// A value on its way into the store: private bytes, or a shared buffer adopted as it is.
using Value = std::variant<SmallString, SharedBytes>;

// Values at least this long are stored as SharedBytes even when they came the ordinary way
// (copied once, as they would be into a string), so replies can send them by reference.
inline constexpr size_t kSharedValueMin = 16 * 1024;

// A copy of `bytes` to store: SharedBytes from kSharedValueMin on, else a SmallString.
Value CopyValue(std::string_view bytes);

// A stored value and its metadata. The value is one of:
//  - a string: a private SmallString (small values, and any value a command changes in place)
//    or SharedBytes (big values, sent by reference); which one is a detail behind value() and
//    MutableStr();
//  - a hash (hash()), a set (set()) or a list (list()), changed in place by the commands of
//    their type.
// The string accessors are for type() == kString only, hash(), set() and list() for their
// types. The
// members are ordered so the store can keep the key's length in the padding after `rep_`.
class Entry {
 public:
  Entry() : str_() {}
  explicit Entry(Value v, Millis expire = kNoExpiry);
  explicit Entry(HashValue h, Millis expire = kNoExpiry);
  explicit Entry(SetValue s, Millis expire = kNoExpiry);
  explicit Entry(ListValue l, Millis expire = kNoExpiry);
  // A moved-from entry holds an empty string.
  Entry(Entry&& o) noexcept;
  Entry& operator=(Entry&& o) noexcept;
  ~Entry();

  ObjType type() const {
    switch (rep_) {
      case Rep::kHash:
        return ObjType::kHash;
      case Rep::kSet:
        return ObjType::kSet;
      case Rep::kList:
        return ObjType::kList;
      default:
        return ObjType::kString;
    }
  }

  std::string_view value() const { return Shared() ? bytes_.view() : str_.view(); }
  size_t value_size() const { return Shared() ? bytes_.size : str_.size(); }
  bool value_shared() const { return Shared(); }
  // The shared buffer; only when value_shared().
  const SharedBytes& shared_value() const { return bytes_; }
  // The value's private string, for changing it in place: a shared value is copied out first.
  SmallString& MutableStr();
  // Makes the entry a string holding `v`, whatever it held before.
  void AssignString(Value v);
  // A string Redis would not have given its integer encoding, whatever it reads as (a result
  // INCRBYFLOAT computed): only EncodingName looks at it.
  void MarkText() {
    if (rep_ == Rep::kStr) rep_ = Rep::kStrText;
  }
  // A string Redis would keep raw whatever its length (a BITOP result, an APPEND of nothing),
  // as if changed in place; a shared value is copied out first, as MutableStr does.
  void MarkRaw() { MutableStr(); }

  HashValue& hash() { return hash_; }
  const HashValue& hash() const { return hash_; }
  SetValue& set() { return set_; }
  const SetValue& set() const { return set_; }
  ListValue& list() { return list_; }
  const ListValue& list() const { return list_; }

  // The bytes the value takes, as memory accounting counts them: a string's length, a
  // collection's heap bytes. O(1).
  size_t ValueBytes() const;

  // A copy of the value and its expiry (COPY); a shared string's bytes stay shared.
  Entry Clone() const;
  // OBJECT ENCODING's name for the value, as Redis 7.0 would report it: a string is "int"
  // (a 64-bit integer in its canonical text), "embstr" (up to 44 bytes) or "raw" (longer, or
  // changed in place); a hash "listpack" or "hashtable"; a set "intset" or "hashtable"; a
  // list "quicklist".
  std::string_view EncodingName() const;

 private:
  // Private strings come in three forms, as Redis would encode the same value written the
  // same way: kStr may be an integer (SET, INCR), kStrText never is (INCRBYFLOAT's result),
  // kStrRaw was changed in place (APPEND, SETRANGE, SETBIT, ...) and is raw whatever its
  // length.
  enum class Rep : uint8_t { kStr, kStrText, kStrRaw, kShared, kHash, kSet, kList };
  bool Shared() const { return rep_ == Rep::kShared; }
  void Destroy();
  // Takes over o's value (this holds none), leaving o an empty string.
  void MoveFrom(Entry& o);

  union {
    SmallString str_;
    SharedBytes bytes_;
    HashValue hash_;
    SetValue set_;
    ListValue list_;
  };

 public:
  Millis expire_at = kNoExpiry;  // absolute Unix ms, or kNoExpiry
  // When the key was last used, for eviction: under an LFU policy the minute of the last
  // decrement (high 24 bits) and a logarithmic access counter (low 8); otherwise the store's
  // millisecond clock, truncated (it wraps every 49 days, which only makes an older key look
  // newer).
  uint32_t access = 0;

 private:
  Rep rep_ = Rep::kStr;
};

// When a collection leaves its compact encoding, and how big a list's nodes grow (the
// *-max-* directives).
struct TypeLimits {
  HashLimits hash;
  SetLimits set;
  ListLimits list;
};

struct StoreStats {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
};

class Store {
 public:
  Store(int shard_id, int num_shards, int num_dbs, const Clock* clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int shard_id() const { return shard_id_; }
  int num_dbs() const { return num_dbs_; }
  const Clock& clock() const { return *clock_; }
  Millis NowMs() const { return clock_->NowMs(); }

  // Lookup with lazy expiry: an expired key is deleted (and counted) and reported absent.
  // The pointer is valid until the next mutation of this store.
  Entry* Find(int db, std::string_view key);
  // Like Find, and counts a keyspace hit or miss (for read commands).
  Entry* FindForRead(int db, std::string_view key);
  bool Exists(int db, std::string_view key) { return Find(db, key) != nullptr; }
  // Like Find, but not a use of the key: its access time and counter stay as they are
  // (OBJECT, MEMORY USAGE).
  const Entry* Peek(int db, std::string_view key);

  // Inserts or overwrites; returns the stored entry. A SharedBytes value is adopted without
  // copying its bytes.
  Entry* Set(int db, std::string_view key, Value value, Millis expire_at = kNoExpiry);
  // Creates an empty string entry when absent.
  Entry* FindOrCreate(int db, std::string_view key, bool* created);
  bool Delete(int db, std::string_view key);
  // Changes a key's expiry (kNoExpiry removes it). The key must exist and `e` must be the
  // pointer Find returned for it.
  void SetExpire(int db, std::string_view key, Entry* e, Millis expire_at);
  // Call after changing e->MutableStr() in place (new size minus old size), so memory accounting
  // stays right.
  void AdjustUsed(int64_t delta) { used_bytes_ += delta; }
  // Call after changing a stored value in place, with the ValueBytes() it had until then.
  void Changed(const Entry& e, size_t bytes_before) {
    used_bytes_ += static_cast<int64_t>(e.ValueBytes()) - static_cast<int64_t>(bytes_before);
  }

  // Removes and returns an entry (for RENAME across shards); Put inserts one as it is (with
  // its expiry), replacing whatever the key held, and returns the stored entry.
  std::optional<Entry> Take(int db, std::string_view key);
  Entry* Put(int db, std::string_view key, Entry e);
  // Put for a new value (a collection a command creates): its access time starts now.
  Entry* Add(int db, std::string_view key, Entry e);
  // A uniformly distributed 64-bit number (SPOP, SRANDMEMBER, HRANDFIELD); not for secrets.
  uint64_t Random();

  size_t KeyCount(int db) const;
  size_t ExpiresCount(int db) const;
  int64_t AvgTtlMs(int db) const;  // 0 when no key has a TTL
  void FlushDb(int db);
  void FlushAll();
  // SWAPDB: the keys of databases a and b trade places.
  void SwapDb(int a, int b);

  // Keys matching a glob pattern, Redis's stringmatch rules.
  void Keys(int db, std::string_view pattern, std::vector<std::string>* out);
  // Walks this shard's slots from `slot_cursor`, whole slots at a time, until about `count`
  // keys were examined or the shard's slots end. Returns the next slot to visit
  // (kNumSlots when the whole key space is done). `pattern` "*" matches every key; `type` filters.
  uint32_t Scan(int db, uint32_t slot_cursor, size_t count, std::string_view pattern,
                std::optional<ObjType> type, std::vector<std::string>* out);
  std::optional<std::string> RandomKey(int db);

  // Deletes expired keys, at most `max_keys` of them, due ones first; returns how many were
  // deleted. Cost is proportional to the keys deleted, never to the keys stored.
  size_t ActiveExpire(size_t max_keys);
  // Called with (db, key) for every key removed because its TTL passed (lazily or actively),
  // just before it goes; the key view is valid during the call only. The hook must not touch
  // this store.
  void SetExpiredHook(std::function<void(int db, std::string_view key)> hook) {
    on_expired_ = std::move(hook);
  }

  // Called with (db, slot) before any operation on a key of that slot looks the key up (reads
  // and writes alike; active expiry and flushes excepted). The hook may read this store, but
  // not hold on to entries. Empty by default: the call then costs one test.
  void SetTouchHook(std::function<void(int db, uint32_t slot)> hook) {
    on_touch_ = std::move(hook);
  }

  void SetTypeLimits(const TypeLimits& limits) { limits_ = limits; }
  const TypeLimits& limits() const { return limits_; }

  // Eviction (see EvictionSettings). The policy also says what a key's `access` holds.
  void SetEviction(const EvictionSettings& settings);
  const EvictionSettings& eviction() const { return eviction_; }
  // Drops one key the policy picks among those `may_evict` allows (it may be asked about keys
  // that are not dropped in the end, and must not touch this store). Tells the evicted hook
  // and counts it. False when no such key was found: noeviction, no keys (with a TTL, for the
  // volatile policies), or none of those looked at was allowed.
  using MayEvict = std::function<bool(int db, std::string_view key)>;
  bool EvictOne(const MayEvict& may_evict);
  // Called with (db, key) for every key EvictOne drops, just before it goes; as the expired
  // hook.
  void SetEvictedHook(std::function<void(int db, std::string_view key)> hook) {
    on_evicted_ = std::move(hook);
  }
  // Reads the clock for the access times lookups give keys: the owner calls it once per loop
  // iteration, so a lookup costs no clock read.
  void RefreshAccessClock();
  // How long since the key was used, in ms (OBJECT IDLETIME), and its LFU access counter,
  // decayed to now (OBJECT FREQ); each is meaningful under the policies that keep it.
  int64_t IdleMs(const Entry& e) const;
  int Frequency(const Entry& e) const;

  const StoreStats& stats() const { return stats_; }
  void ResetStats() { stats_ = StoreStats{}; }
  // The store's own accounting: key bytes + value bytes + kEntryOverhead per key.
  size_t UsedBytes() const { return static_cast<size_t>(used_bytes_); }
  // Estimated fixed cost of one key: its node header, its hash table cell and allocator
  // overhead.
  static constexpr int64_t kEntryOverhead = 64;

  // Slots [first_slot(), end_slot()) belong to this shard.
  uint32_t first_slot() const { return first_slot_; }
  uint32_t end_slot() const { return end_slot_; }

 private:
  struct Db;
  // Where a key lives: its db, its slot's table and its hash, computed once per operation.
  struct Where {
    Db* db;
    detail::SlotTable* table;
    uint64_t hash;
  };

  Db& GetDb(int db);
  Db* PeekDb(int db) const;
  Where Locate(Db& d, std::string_view key);
  // Lookup with lazy expiry.
  detail::Node* Lookup(const Where& w, std::string_view key);
  detail::Node* Insert(const Where& w, std::string_view key, Entry&& e);
  void Remove(const Where& w, detail::Node* n);
  // Remove for a key whose TTL passed: tells on_expired_ and counts it.
  void RemoveExpired(const Where& w, detail::Node* n);
  void IndexExpire(Db& d, detail::Node* n, Millis expire_at);
  void UnindexExpire(Db& d, detail::Node* n);
  // A key was used: its access time or counter moves.
  void Touch(Entry& e);
  // A new key's access time or counter.
  void InitAccess(Entry& e);
  uint8_t LfuDecayed(uint32_t access) const;
  // A random key of the db (one with a TTL, when `with_ttl`); null when there is none.
  detail::Node* SampleNode(Db& d, bool with_ttl);
  bool EvictRandom(const MayEvict& may_evict, bool with_ttl);
  bool EvictSoonestExpiring(const MayEvict& may_evict);
  bool EvictFromPool(const MayEvict& may_evict, bool with_ttl);
  // Drops a key for eviction.
  void RemoveEvicted(const Where& w, detail::Node* n);
  bool Expired(const Entry& e, Millis now) const {
    return e.expire_at != kNoExpiry && e.expire_at < now;
  }

  int shard_id_;
  int num_shards_;
  int num_dbs_;
  const Clock* clock_;
  uint32_t first_slot_;
  uint32_t end_slot_;
  std::vector<std::unique_ptr<Db>> dbs_;
  StoreStats stats_;
  int64_t used_bytes_ = 0;
  uint64_t rng_state_;
  size_t expire_db_cursor_ = 0;  // ActiveExpire starts here, so every db gets its turn
  std::function<void(int, std::string_view)> on_expired_;
  std::function<void(int, std::string_view)> on_evicted_;
  std::function<void(int, uint32_t)> on_touch_;
  EvictionSettings eviction_;
  TypeLimits limits_;
  bool lfu_ = false;
  uint32_t access_ms_ = 0;      // the clock, truncated, at the last RefreshAccessClock
  uint32_t access_minute_ = 0;  // the same in minutes, 24 bits
  // The best eviction candidates seen so far, best (most idle, least used) last; re-checked
  // when they are picked, since they may have changed or gone meanwhile.
  struct Candidate {
    uint64_t score;
    int db;
    std::string key;
  };
  std::vector<Candidate> evict_pool_;
  size_t evict_db_cursor_ = 0;  // EvictRandom starts here
};

// Redis's glob matching (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace ringside::shards
