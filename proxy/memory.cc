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
    return MayEvict(db, key);
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

bool Worker::MayEvict(int db, std::string_view key) const {
  if (!link_) return true;
  // Records made before the keys were tracked: any key may have one.
  if (link_->acked() < unacked_from_) return false;
  return unacked_.find(DbKey{db, key}) == unacked_.end();
}

void Worker::ApplyEviction() {
  shards::EvictionSettings s;
  s.policy = config_.maxmemory_policy;
  s.samples = config_.maxmemory_samples;
  s.lfu_log_factor = config_.lfu_log_factor;
  s.lfu_decay_time = config_.lfu_decay_time;
  store_->SetEviction(s);
  const bool track = link_ != nullptr && config_.maxmemory > 0;
  if (track == track_unacked_) return;
  track_unacked_ = track;
  unacked_order_.clear();
  unacked_.clear();
  if (track) unacked_from_ = link_->recorded();
}

void Worker::TrackUnacked(int db, std::span<const std::string_view> argv) {
  if (!track_unacked_ || argv.empty()) return;
  const uint64_t id = link_->recorded();
  const CommandRow* row = CommandTable::Get().Find(argv[0]);
  if (row == nullptr) {
    // A record whose keys are not known here: nothing is evictable until it is acknowledged.
    unacked_from_ = id;
    return;
  }
  for (size_t i : KeyPositions(*row, argv.size())) {
    auto it = unacked_.find(DbKey{db, argv[i]});
    if (it == unacked_.end()) {
      it = unacked_.emplace(DbKeyOwned{db, std::string(argv[i])}, id).first;
    } else if (it->second == id) {
      continue;  // the same key twice in one record
    } else {
      it->second = id;
    }
    // Element addresses survive rehashing, so the order can point at the map's keys.
    unacked_order_.emplace_back(id, &it->first);
  }
}

void Worker::ReleaseUnacked(uint64_t acked) {
  while (!unacked_order_.empty() && unacked_order_.front().first <= acked) {
    const auto [id, key] = unacked_order_.front();
    unacked_order_.pop_front();
    // Only the key's last record lets it go; the key view dies with the erased entry.
    if (auto it = unacked_.find(*key); it != unacked_.end() && it->second == id) {
      unacked_.erase(it);
    }
  }
}

}  // namespace ringside::proxy
