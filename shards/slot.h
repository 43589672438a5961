// Key -> slot -> shard routing. The slot function is Redis Cluster's, so hash tags keep
// related keys on one shard here and on a cluster upstream alike.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringside::shards {

inline constexpr uint32_t kNumSlots = 16384;

uint16_t Crc16(std::string_view data);
// CRC16 of the key, or of its first non-empty {hash tag}, modulo 16384.
uint16_t KeySlot(std::string_view key);
// Slots are split into contiguous ranges, one per shard.
inline int SlotShard(uint32_t slot, int num_shards) {
  return static_cast<int>(slot * static_cast<uint32_t>(num_shards) / kNumSlots);
}
inline int KeyShard(std::string_view key, int num_shards) {
  return SlotShard(KeySlot(key), num_shards);
}
// First slot owned by `shard` (kNumSlots for shard == num_shards).
uint32_t ShardFirstSlot(int shard, int num_shards);

}  // namespace ringside::shards
