// The per-core store: one Store per shard, touched only by the thread that owns the shard.
// Keys of each database are kept per slot, so SCAN can walk slots in order and return every
// key that was present for the whole scan, whatever resizing happens in between.
//
// Shard operations are plain functions on a Store: they return results, never wire replies.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shards/clock.h"

namespace ringside::shards {

inline constexpr Millis kNoExpiry = -1;

enum class ObjType : uint8_t { kString };
std::string_view TypeName(ObjType t);

struct Entry {
  ObjType type = ObjType::kString;
  std::string str;
  Millis expire_at = kNoExpiry;  // absolute Unix ms, or kNoExpiry
};

struct StoreStats {
  uint64_t expired_keys = 0;
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

  // Inserts or overwrites; returns the stored entry.
  Entry* Set(int db, std::string_view key, std::string value, Millis expire_at = kNoExpiry);
  // Creates an empty string entry when absent.
  Entry* FindOrCreate(int db, std::string_view key, bool* created);
  bool Delete(int db, std::string_view key);
  // Changes a key's expiry (kNoExpiry removes it). The key must exist.
  void SetExpire(int db, std::string_view key, Entry* e, Millis expire_at);
  // Call after changing e->str in place, so memory accounting stays right.
  void AdjustUsed(int64_t delta) { used_bytes_ += delta; }

  // Removes and returns an entry (for RENAME across shards); Put inserts one as it is.
  std::optional<Entry> Take(int db, std::string_view key);
  void Put(int db, std::string_view key, Entry e);

  size_t KeyCount(int db) const;
  size_t ExpiresCount(int db) const;
  int64_t AvgTtlMs(int db) const;  // 0 when no key has a TTL
  void FlushDb(int db);
  void FlushAll();

  // Keys matching a glob pattern, Redis's stringmatch rules.
  void Keys(int db, std::string_view pattern, std::vector<std::string>* out);
  // Walks this shard's slots from `slot_cursor`, whole slots at a time, until about `count`
  // keys were examined or the shard's slots end. Returns the next slot to visit
  // (kNumSlots when the whole key space is done). `pattern` empty means all; `type` filters.
  uint32_t Scan(int db, uint32_t slot_cursor, size_t count, std::string_view pattern,
                std::optional<ObjType> type, std::vector<std::string>* out);
  std::optional<std::string> RandomKey(int db);

  // Deletes expired keys, at most `max_keys` of them; returns how many were deleted.
  size_t ActiveExpire(size_t max_keys);

  const StoreStats& stats() const { return stats_; }
  void ResetStats() { stats_ = StoreStats{}; }
  // The store's own accounting of keys, values and per-entry overhead.
  size_t UsedBytes() const { return static_cast<size_t>(used_bytes_); }

 private:
  struct Db;
  Db& GetDb(int db);

  int shard_id_;
  int num_shards_;
  int num_dbs_;
  const Clock* clock_;
  std::vector<std::unique_ptr<Db>> dbs_;
  StoreStats stats_;
  int64_t used_bytes_ = 0;
};

// Redis's glob matching (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace ringside::shards
