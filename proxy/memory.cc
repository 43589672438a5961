// maxmemory: each shard keeps its store within its share of the limit by evicting keys as
// maxmemory-policy says; with an upstream, a key is only evicted once the upstream has
// acknowledged every write to it, so that a read-through fetches what this shard held.
#include <spdlog/spdlog.h>

#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

// Keys one call evicts at most; the loop hook goes on with the rest, and writes are not
// refused meanwhile.
constexpr int kMaxEvictionsPerCall = 1024;

}  // namespace

Worker::MemoryState Worker::ReclaimMemorySlow() {
  int64_t others = 0;
  for (int i = 0; i < num_workers_; ++i) {
    if (i != index_) others += server_->worker(i).published_used();
  }
  const int64_t limit = config_.maxmemory;
  const int64_t share = limit / num_workers_;
  const shards::Store::MayEvict may_evict = [this](int db, std::string_view key) {
    return backend_->MayEvict(db, key);
  };
  MemoryState state = MemoryState::kEvicting;
  for (int evicted = 0; evicted < kMaxEvictionsPerCall; ++evicted) {
    const auto used = static_cast<int64_t>(store_->UsedBytes());
    const bool over_all = used + others > limit;
    if (used <= share && !over_all) {
      state = MemoryState::kUnder;
      break;
    }
    if (!store_->EvictOne(may_evict)) {
      state = over_all ? MemoryState::kFull : MemoryState::kUnder;
      break;
    }
  }
  published_used_.store(static_cast<int64_t>(store_->UsedBytes()), std::memory_order_relaxed);
  return state;
}

void Worker::ApplyTypeLimits() {
  shards::TypeLimits limits;
  limits.hash.max_listpack_entries = static_cast<size_t>(config_.hash_max_listpack_entries);
  limits.hash.max_listpack_value = static_cast<size_t>(config_.hash_max_listpack_value);
  limits.set.max_intset_entries = static_cast<size_t>(config_.set_max_intset_entries);
  limits.list.fill = config_.list_max_listpack_size;
  store_->SetTypeLimits(limits);
}

void Worker::ApplyStoreSettings() {
  shards::EvictionSettings s;
  s.policy = config_.maxmemory_policy;
  s.samples = config_.maxmemory_samples;
  s.lfu_log_factor = config_.lfu_log_factor;
  s.lfu_decay_time = config_.lfu_decay_time;
  store_->SetEviction(s);
  ApplyTypeLimits();
  backend_->SetTrackUnacked(config_.maxmemory > 0);
}

}  // namespace ringside::proxy
