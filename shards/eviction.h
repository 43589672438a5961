// Eviction settings, shared by the store that applies them and the configuration that names
// them.
#pragma once

#include <cstdint>

namespace ringside::shards {

// What a store over its memory limit drops: Redis's maxmemory policies.
enum class EvictionPolicy : uint8_t {
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kNoEviction,
};

struct EvictionSettings {
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
  int samples = 5;          // keys looked at per database for each eviction (LRU, LFU)
  int lfu_log_factor = 10;  // how slowly the access counter grows
  int lfu_decay_time = 1;   // minutes per step the counter loses while the key is idle
};

}  // namespace ringside::shards
