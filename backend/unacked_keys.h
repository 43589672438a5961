// The keys a shard wrote whose records its upstream has not acknowledged yet, for eviction
// under maxmemory with an upstream: such a key may not be evicted, since a read-through would
// then fetch what the upstream held before the write.
//
// A PropagationSink placed after the shard's UpstreamLink in the record fan-out, so that each
// record it sees is the link's latest (`link.recorded()`). Owned by the shard's ShardBackend and
// used on its thread only; the link outlives it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/db_key.h"
#include "backend/propagation.h"
#include "backend/upstream_link.h"

namespace ringside::backend {

class UnackedKeys final : public PropagationSink {
 public:
  // The positions of a record's key arguments in *positions; false when the record's keys are
  // not known (then nothing is evictable until that record is acknowledged).
  using KeysOf =
      std::function<bool(std::span<const std::string_view> argv, std::vector<size_t>* positions)>;
  UnackedKeys(const UpstreamLink* link, KeysOf keys_of);

  // Starts or stops keeping track (maxmemory set or not). Records made before it starts are
  // not known: until the upstream has acknowledged them, no key may be evicted.
  void SetTracking(bool on);
  bool tracking() const { return tracking_; }

  // PropagationSink: the record the link took last.
  void Record(int db, std::span<const std::string_view> argv) override;
  // The upstream acknowledged every record up to `acked`: keys whose last record that was may
  // be evicted again.
  void Release(uint64_t acked);
  // Whether `key` of `db` may be evicted now.
  bool MayEvict(int db, std::string_view key) const;
  size_t size() const { return keys_.size(); }

 private:
  const UpstreamLink* link_;
  KeysOf keys_of_;
  bool tracking_ = false;
  // Records before this id were made while no key was tracked.
  uint64_t from_ = 0;
  // Each key with its last record's id, and the records' keys in id order (pointing at the
  // map's keys, whose addresses survive rehashing), to release them as acknowledgements come.
  std::unordered_map<DbKeyOwned, uint64_t, DbKeyHash, DbKeyEq> keys_;
  std::deque<std::pair<uint64_t, const DbKeyOwned*>> order_;
  std::vector<size_t> positions_;  // scratch
};

}  // namespace ringside::backend
