#include "shards/slot.h"

#include <array>

namespace ringside::shards {

namespace {

// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection. Table built at compile time.
constexpr std::array<uint16_t, 256> MakeCrcTable() {
  std::array<uint16_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrcTable = MakeCrcTable();

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ c) & 0xff]);
  }
  return crc;
}

uint16_t KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<uint16_t>(Crc16(key) & (kNumSlots - 1));
}

uint32_t ShardFirstSlot(int shard, int num_shards) {
  if (shard >= num_shards) return kNumSlots;
  // Smallest slot s with s * num_shards / kNumSlots >= shard.
  const uint64_t n = static_cast<uint64_t>(num_shards);
  return static_cast<uint32_t>((static_cast<uint64_t>(shard) * kNumSlots + n - 1) / n);
}

}  // namespace ringside::shards
