#include "shards/slot.h"

#include <gtest/gtest.h>

#include <string>

namespace ringside::shards {
namespace {

TEST(Crc16, XmodemCheckValue) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(Crc16(""), 0);
}

TEST(KeySlot, MatchesRedisCluster) {
  // Values from redis-cli CLUSTER KEYSLOT.
  EXPECT_EQ(KeySlot("123456789"), 0x31C3 % kNumSlots);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlot, HashTags) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("{user1000}.following"));
  EXPECT_EQ(KeySlot("foo{bar}baz"), KeySlot("bar"));
  // Only the first '{' counts, with the first '}' after it.
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
  // An empty tag or a missing '}' hashes the whole key.
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16("foo{}{bar}") % kNumSlots);
  EXPECT_EQ(KeySlot("foo{bar"), Crc16("foo{bar") % kNumSlots);
  EXPECT_EQ(KeySlot("}foo{"), Crc16("}foo{") % kNumSlots);
  EXPECT_EQ(KeySlot("{}"), Crc16("{}") % kNumSlots);
}

TEST(KeySlot, BinarySafe) {
  const std::string key("a\0b", 3);
  EXPECT_NE(KeySlot(key), KeySlot("a"));
  EXPECT_LT(KeySlot(key), kNumSlots);
}

TEST(ShardRouting, FirstSlotAgreesWithSlotShard) {
  for (int n : {1, 2, 3, 5, 7, 8, 16, 24, 64, 100}) {
    EXPECT_EQ(ShardFirstSlot(0, n), 0u);
    EXPECT_EQ(ShardFirstSlot(n, n), kNumSlots);
    for (int shard = 0; shard < n; ++shard) {
      const uint32_t first = ShardFirstSlot(shard, n);
      const uint32_t end = ShardFirstSlot(shard + 1, n);
      ASSERT_LT(first, end) << "n=" << n << " shard=" << shard;
      EXPECT_EQ(SlotShard(first, n), shard);
      EXPECT_EQ(SlotShard(end - 1, n), shard);
      if (first > 0) {
        EXPECT_EQ(SlotShard(first - 1, n), shard - 1);
      }
    }
  }
}

TEST(ShardRouting, KeyShardInRange) {
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const int shard = KeyShard(key, 7);
    EXPECT_GE(shard, 0);
    EXPECT_LT(shard, 7);
    EXPECT_EQ(shard, SlotShard(KeySlot(key), 7));
  }
}

}  // namespace
}  // namespace ringside::shards
