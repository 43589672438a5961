#include "shards/store.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "shards/slot.h"

namespace ringside::shards {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : store_(0, 1, 16, &clock_) {}

  std::set<std::string> FullScan(Store& s, int db, size_t count) {
    std::set<std::string> seen;
    uint32_t cursor = 0;
    do {
      std::vector<std::string> out;
      cursor = s.Scan(db, cursor, count, "*", std::nullopt, &out);
      seen.insert(out.begin(), out.end());
    } while (cursor != kNumSlots);
    return seen;
  }

  FakeClock clock_;
  Store store_;
};

TEST_F(StoreTest, SetFindDelete) {
  EXPECT_EQ(store_.Find(0, "k"), nullptr);
  Entry* e = store_.Set(0, "k", "v");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value(), "v");
  EXPECT_EQ(e->type(), ObjType::kString);
  EXPECT_EQ(store_.Find(0, "k"), e);
  EXPECT_EQ(store_.Find(1, "k"), nullptr);  // databases are separate
  EXPECT_EQ(store_.KeyCount(0), 1u);
  EXPECT_EQ(store_.Set(0, "k", "w"), e);  // overwrite keeps the node
  EXPECT_EQ(e->value(), "w");
  EXPECT_TRUE(store_.Delete(0, "k"));
  EXPECT_FALSE(store_.Delete(0, "k"));
  EXPECT_EQ(store_.KeyCount(0), 0u);
  EXPECT_FALSE(store_.Exists(0, "k"));
}

TEST_F(StoreTest, KeysOfAnyShapeAndLength) {
  const std::vector<std::string> keys = {"",
                                         std::string("a\0b", 3),
                                         std::string(254, 'x'),
                                         std::string(255, 'y'),
                                         std::string(70000, 'z'),
                                         "{tag}a",
                                         "{tag}b"};
  for (size_t i = 0; i < keys.size(); ++i) store_.Set(0, keys[i], std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i) {
    Entry* e = store_.Find(0, keys[i]);
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->value(), std::to_string(i));
  }
  EXPECT_EQ(store_.Find(0, std::string("a\0c", 3)), nullptr);
  std::vector<std::string> all;
  store_.Keys(0, "*", &all);
  std::sort(all.begin(), all.end());
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(all, expected);
}

TEST_F(StoreTest, ManyKeysGrowAndShrink) {
  constexpr int kN = 50000;
  for (int i = 0; i < kN; ++i) store_.Set(0, "key:" + std::to_string(i), std::to_string(i));
  // Everything in one slot too, to grow one table far.
  for (int i = 0; i < kN; ++i) store_.Set(1, "{one}" + std::to_string(i), "v");
  EXPECT_EQ(store_.KeyCount(0), static_cast<size_t>(kN));
  EXPECT_EQ(store_.KeyCount(1), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) {
    Entry* e = store_.Find(0, "key:" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    ASSERT_EQ(e->value(), std::to_string(i));
  }
  for (int i = 0; i < kN; i += 2) {
    ASSERT_TRUE(store_.Delete(0, "key:" + std::to_string(i)));
    ASSERT_TRUE(store_.Delete(1, "{one}" + std::to_string(i)));
  }
  for (int i = 0; i < kN; ++i) {
    const bool present = i % 2 == 1;
    ASSERT_EQ(store_.Find(0, "key:" + std::to_string(i)) != nullptr, present) << i;
    ASSERT_EQ(store_.Find(1, "{one}" + std::to_string(i)) != nullptr, present) << i;
  }
  for (int i = 1; i < kN; i += 2) {
    ASSERT_TRUE(store_.Delete(0, "key:" + std::to_string(i)));
    ASSERT_TRUE(store_.Delete(1, "{one}" + std::to_string(i)));
  }
  EXPECT_EQ(store_.KeyCount(0), 0u);
  EXPECT_EQ(store_.KeyCount(1), 0u);
  EXPECT_EQ(store_.UsedBytes(), 0u);
}

TEST_F(StoreTest, RandomizedAgainstReferenceMap) {
  std::mt19937 rng(42);
  std::map<std::string, std::string> ref;
  for (int step = 0; step < 200000; ++step) {
    const std::string key = "{" + std::to_string(rng() % 8) + "}" + std::to_string(rng() % 3000);
    switch (rng() % 3) {
      case 0:
        store_.Set(0, key, std::to_string(step));
        ref[key] = std::to_string(step);
        break;
      case 1:
        ASSERT_EQ(store_.Delete(0, key), ref.erase(key) == 1);
        break;
      default: {
        Entry* e = store_.Find(0, key);
        auto it = ref.find(key);
        ASSERT_EQ(e != nullptr, it != ref.end());
        if (e != nullptr) {
          ASSERT_EQ(e->value(), it->second);
        }
      }
    }
  }
  EXPECT_EQ(store_.KeyCount(0), ref.size());
}

TEST_F(StoreTest, LazyExpiry) {
  const Millis now = clock_.NowMs();
  store_.Set(0, "k", "v", now + 100);
  EXPECT_EQ(store_.ExpiresCount(0), 1u);
  clock_.Advance(100);  // due at exactly now: still alive, as in Redis
  EXPECT_NE(store_.Find(0, "k"), nullptr);
  clock_.Advance(1);
  EXPECT_EQ(store_.Find(0, "k"), nullptr);
  EXPECT_EQ(store_.stats().expired_keys, 1u);
  EXPECT_EQ(store_.KeyCount(0), 0u);
  EXPECT_EQ(store_.ExpiresCount(0), 0u);
  EXPECT_EQ(store_.UsedBytes(), 0u);
}

TEST_F(StoreTest, SetExpireAndPersist) {
  Entry* e = store_.Set(0, "k", "v");
  store_.SetExpire(0, "k", e, clock_.NowMs() + 10);
  EXPECT_EQ(e->expire_at, clock_.NowMs() + 10);
  EXPECT_EQ(store_.ExpiresCount(0), 1u);
  store_.SetExpire(0, "k", e, kNoExpiry);
  EXPECT_EQ(store_.ExpiresCount(0), 0u);
  clock_.Advance(1000);
  EXPECT_NE(store_.Find(0, "k"), nullptr);
  // Overwriting with Set replaces the TTL.
  store_.Set(0, "k", "v", clock_.NowMs() + 5);
  store_.Set(0, "k", "w");
  EXPECT_EQ(store_.ExpiresCount(0), 0u);
}

TEST_F(StoreTest, ActiveExpireDeletesOnlyDueKeysInOrder) {
  const Millis now = clock_.NowMs();
  for (int i = 0; i < 100; ++i) store_.Set(i % 3, "k" + std::to_string(i), "v", now + i + 1);
  store_.Set(0, "forever", "v");
  clock_.Advance(50);  // keys with expire_at < now+50 are due: i + 1 < 50 -> 49 keys
  EXPECT_EQ(store_.ActiveExpire(10), 10u);
  EXPECT_EQ(store_.ActiveExpire(1000), 39u);
  EXPECT_EQ(store_.ActiveExpire(1000), 0u);
  EXPECT_EQ(store_.stats().expired_keys, 49u);
  EXPECT_EQ(store_.KeyCount(0) + store_.KeyCount(1) + store_.KeyCount(2), 52u);
  clock_.Advance(1000);
  EXPECT_EQ(store_.ActiveExpire(1000), 51u);
  EXPECT_EQ(store_.KeyCount(0), 1u);
  EXPECT_NE(store_.Find(0, "forever"), nullptr);
}

TEST_F(StoreTest, AvgTtl) {
  EXPECT_EQ(store_.AvgTtlMs(0), 0);
  const Millis now = clock_.NowMs();
  store_.Set(0, "a", "v", now + 1000);
  store_.Set(0, "b", "v", now + 3000);
  store_.Set(0, "c", "v");
  EXPECT_EQ(store_.AvgTtlMs(0), 2000);
  clock_.Advance(500);
  EXPECT_EQ(store_.AvgTtlMs(0), 1500);
  store_.Delete(0, "b");
  EXPECT_EQ(store_.AvgTtlMs(0), 500);
}

TEST_F(StoreTest, HitsAndMisses) {
  store_.Set(0, "k", "v");
  store_.FindForRead(0, "k");
  store_.FindForRead(0, "k");
  store_.FindForRead(0, "nope");
  store_.Find(0, "nope");  // plain Find does not count
  EXPECT_EQ(store_.stats().keyspace_hits, 2u);
  EXPECT_EQ(store_.stats().keyspace_misses, 1u);
  store_.ResetStats();
  EXPECT_EQ(store_.stats().keyspace_hits, 0u);
}

TEST_F(StoreTest, MemoryAccountingIsExact) {
  EXPECT_EQ(store_.UsedBytes(), 0u);
  store_.Set(0, "key", "value");
  EXPECT_EQ(store_.UsedBytes(), 3 + 5 + Store::kEntryOverhead);
  store_.Set(0, "key", "longer value");
  EXPECT_EQ(store_.UsedBytes(), 3 + 12 + Store::kEntryOverhead);
  bool created = false;
  Entry* e = store_.FindOrCreate(0, "other", &created);
  EXPECT_TRUE(created);
  e->MutableStr().append("abc");
  store_.AdjustUsed(3);
  store_.Set(2, "x", "y", clock_.NowMs() + 10);
  auto taken = store_.Take(0, "other");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->value(), "abc");
  store_.Put(3, "moved", std::move(*taken));
  clock_.Advance(100);
  store_.ActiveExpire(100);
  store_.Delete(0, "key");
  store_.FlushDb(3);
  EXPECT_EQ(store_.UsedBytes(), 0u);
  for (int i = 0; i < 1000; ++i) store_.Set(i % 16, std::to_string(i), std::string(i, 'v'));
  store_.FlushAll();
  EXPECT_EQ(store_.UsedBytes(), 0u);
  EXPECT_EQ(store_.KeyCount(0), 0u);
}

TEST_F(StoreTest, TakeAndPutKeepTtl) {
  const Millis at = clock_.NowMs() + 5000;
  store_.Set(0, "src", "payload", at);
  std::optional<Entry> e = store_.Take(0, "src");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->expire_at, at);
  EXPECT_EQ(store_.Find(0, "src"), nullptr);
  EXPECT_EQ(store_.ExpiresCount(0), 0u);
  store_.Set(0, "dst", "old");
  store_.Put(0, "dst", std::move(*e));
  Entry* d = store_.Find(0, "dst");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->value(), "payload");
  EXPECT_EQ(d->expire_at, at);
  EXPECT_EQ(store_.ExpiresCount(0), 1u);
  EXPECT_FALSE(store_.Take(0, "missing").has_value());
}

TEST_F(StoreTest, FlushDbAndFlushAll) {
  store_.Set(0, "a", "1");
  store_.Set(1, "b", "2", clock_.NowMs() + 10);
  store_.FlushDb(0);
  EXPECT_EQ(store_.KeyCount(0), 0u);
  EXPECT_EQ(store_.KeyCount(1), 1u);
  store_.FlushAll();
  EXPECT_EQ(store_.KeyCount(1), 0u);
  EXPECT_EQ(store_.ExpiresCount(1), 0u);
  store_.Set(1, "b", "again");  // a flushed db comes back on demand
  EXPECT_EQ(store_.KeyCount(1), 1u);
}

TEST_F(StoreTest, KeysWithPatternSkipsExpired) {
  store_.Set(0, "user:1", "a");
  store_.Set(0, "user:2", "b");
  store_.Set(0, "item:1", "c");
  store_.Set(0, "user:3", "d", clock_.NowMs() + 1);
  clock_.Advance(2);
  std::vector<std::string> out;
  store_.Keys(0, "user:*", &out);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"user:1", "user:2"}));
  out.clear();
  store_.Keys(5, "*", &out);
  EXPECT_TRUE(out.empty());
}

TEST_F(StoreTest, ScanWalksWholeSlotsInOrder) {
  for (int i = 0; i < 1000; ++i) store_.Set(0, "k" + std::to_string(i), "v");
  std::vector<std::string> out;
  uint32_t cursor = store_.Scan(0, 0, 10, "*", std::nullopt, &out);
  EXPECT_GE(out.size(), 10u);
  EXPECT_LT(cursor, kNumSlots);
  for (const auto& k : out) EXPECT_LT(KeySlot(k), cursor);
  EXPECT_EQ(FullScan(store_, 0, 10).size(), 1000u);
  EXPECT_EQ(FullScan(store_, 0, 1).size(), 1000u);
  EXPECT_EQ(FullScan(store_, 0, 100000).size(), 1000u);
  // An empty or missing database finishes at once.
  out.clear();
  EXPECT_EQ(store_.Scan(7, 0, 10, "*", std::nullopt, &out), kNumSlots);
  EXPECT_TRUE(out.empty());
}

TEST_F(StoreTest, ScanPatternAndType) {
  store_.Set(0, "a1", "v");
  store_.Set(0, "a2", "v");
  store_.Set(0, "b1", "v");
  std::vector<std::string> out;
  uint32_t cursor = 0;
  do {
    cursor = store_.Scan(0, cursor, 1000, "a*", ObjType::kString, &out);
  } while (cursor != kNumSlots);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"a1", "a2"}));
}

TEST_F(StoreTest, ScanGuaranteeUnderInsertsAndDeletes) {
  // Keys present for the whole scan must be returned, whatever happens between calls.
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) store_.Set(0, "stable:" + std::to_string(i), "v");
  for (int i = 0; i < 5000; ++i) store_.Set(0, "churn:" + std::to_string(i), "v");
  std::set<std::string> seen;
  uint32_t cursor = 0;
  int next_new = 0;
  do {
    std::vector<std::string> out;
    cursor = store_.Scan(0, cursor, 50, "*", std::nullopt, &out);
    seen.insert(out.begin(), out.end());
    // Heavy churn between calls: the tables grow and shrink under the cursor.
    for (int j = 0; j < 200; ++j) {
      store_.Set(0, "new:" + std::to_string(next_new++), "v");
      store_.Delete(0, "churn:" + std::to_string(rng() % 5000));
    }
  } while (cursor != kNumSlots);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(seen.count("stable:" + std::to_string(i))) << i;
  }
}

TEST(StoreShards, ScanStaysInTheShardsSlotsAndHandsOver) {
  FakeClock clock;
  constexpr int kShards = 3;
  std::vector<std::unique_ptr<Store>> stores;
  for (int s = 0; s < kShards; ++s)
    stores.push_back(std::make_unique<Store>(s, kShards, 1, &clock));
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "k" + std::to_string(i);
    stores[KeyShard(key, kShards)]->Set(0, key, "v");
  }
  // Walk the key space the way a cross-shard SCAN would: the cursor's slot names the shard.
  std::set<std::string> seen;
  uint32_t cursor = 0;
  int calls = 0;
  do {
    Store& s = *stores[SlotShard(cursor, kShards)];
    std::vector<std::string> out;
    const uint32_t next = s.Scan(0, cursor, 100, "*", std::nullopt, &out);
    for (const auto& k : out) {
      EXPECT_EQ(KeyShard(k, kShards), s.shard_id());
      EXPECT_GE(KeySlot(k), cursor);
      EXPECT_LT(KeySlot(k), next);
    }
    seen.insert(out.begin(), out.end());
    EXPECT_GT(next, cursor);
    EXPECT_LE(next, ShardFirstSlot(s.shard_id() + 1, kShards));
    cursor = next;
    ++calls;
  } while (cursor != kNumSlots);
  EXPECT_EQ(seen.size(), 3000u);
  EXPECT_GT(calls, 3);
  EXPECT_EQ(stores[1]->first_slot(), ShardFirstSlot(1, kShards));
  EXPECT_EQ(stores[1]->end_slot(), ShardFirstSlot(2, kShards));
}

SharedBytes MakeShared(std::string_view text) {
  std::shared_ptr<char[]> buf = std::make_shared_for_overwrite<char[]>(text.size());
  std::memcpy(buf.get(), text.data(), text.size());
  return SharedBytes{std::move(buf), text.size()};
}

TEST_F(StoreTest, SharedValuesAreAdoptedNotCopied) {
  SharedBytes bytes = MakeShared("big value");
  const char* where = bytes.data.get();
  Entry* e = store_.Set(0, "k", std::move(bytes), clock_.NowMs() + 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->value_shared());
  EXPECT_EQ(e->value(), "big value");
  EXPECT_EQ(e->value().data(), where) << "the store must keep the very buffer it was given";
  EXPECT_EQ(store_.UsedBytes(), 1 + 9 + Store::kEntryOverhead);

  // Take / Put (RENAME) move the buffer along with the TTL.
  auto taken = store_.Take(0, "k");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->value().data(), where);
  store_.Put(1, "moved", std::move(*taken));
  Entry* moved = store_.Find(1, "moved");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->value().data(), where);
  EXPECT_NE(moved->expire_at, kNoExpiry);
}

TEST_F(StoreTest, ChangingASharedValueCopiesItFirst) {
  SharedBytes bytes = MakeShared("abc");
  const SharedBytes reader = bytes;  // a reply still being sent holds this reference
  Entry* e = store_.Set(0, "k", std::move(bytes));
  e->MutableStr().append("def");
  store_.AdjustUsed(3);
  EXPECT_FALSE(e->value_shared());
  EXPECT_EQ(e->value(), "abcdef");
  EXPECT_EQ(reader.view(), "abc") << "a reference held elsewhere must not change";
  // Overwriting with a plain string and back again keeps the accounting exact.
  store_.Set(0, "k", std::string("xy"));
  store_.Set(0, "k", MakeShared("12345"));
  EXPECT_EQ(store_.UsedBytes(), 1 + 5 + Store::kEntryOverhead);
  store_.Delete(0, "k");
  EXPECT_EQ(store_.UsedBytes(), 0u);
}

TEST_F(StoreTest, RandomKey) {
  EXPECT_FALSE(store_.RandomKey(0).has_value());
  std::set<std::string> keys;
  for (int i = 0; i < 20; ++i) {
    keys.insert("k" + std::to_string(i));
    store_.Set(0, "k" + std::to_string(i), "v");
  }
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto k = store_.RandomKey(0);
    ASSERT_TRUE(k.has_value());
    ASSERT_TRUE(keys.count(*k));
    seen.insert(*k);
  }
  EXPECT_EQ(seen.size(), keys.size());  // every key comes up
}

TEST_F(StoreTest, RandomKeyWhenEverythingExpired) {
  for (int i = 0; i < 10000; ++i) {
    store_.Set(0, "k" + std::to_string(i), "v", clock_.NowMs() + 1);
  }
  store_.Set(0, "survivor", "v");
  clock_.Advance(10);
  EXPECT_EQ(store_.RandomKey(0), "survivor");
  store_.Delete(0, "survivor");
  for (int i = 0; i < 10000; ++i) {
    store_.Set(0, "k" + std::to_string(i), "v", clock_.NowMs() + 1);
  }
  clock_.Advance(10);
  EXPECT_FALSE(store_.RandomKey(0).has_value());
  EXPECT_EQ(store_.KeyCount(0), 0u);
}

// Heap bytes per key for 32-byte values, as a guard against layout regressions. The full
// 1M-key figure is in the report; 200k keys keep the test quick.
TEST(StoreMemory, BytesPerKeyFor32ByteValues) {
  FakeClock clock;
  constexpr int kN = 200000;
  const size_t before = mallinfo2().uordblks;
  {
    auto store = std::make_unique<Store>(0, 1, 16, &clock);
    for (int i = 0; i < kN; ++i) {
      store->Set(0, "key:" + std::to_string(i), std::string(32, 'v'));
    }
    const double per_key = double(mallinfo2().uordblks - before) / kN;
    std::printf("heap bytes per key (200k keys, 32 B values): %.1f\n", per_key);
    EXPECT_LT(per_key, 150.0);
  }
}

}  // namespace
}  // namespace ringside::shards
