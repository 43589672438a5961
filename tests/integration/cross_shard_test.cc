// Multi-key and cross-shard behaviour with four shards (`--threads 4` on two cores): multi-key
// commands over keys of every shard, RENAME/RENAMENX between shards, and SCAN's guarantee
// while keys come and go.

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

constexpr int kShards = 4;
const Reply kOk = Status("OK");

class CrossShardTest : public FourShardTest {
 protected:
  // `count` keys named prefix + n that live on `shard` when there are four shards.
  static std::vector<std::string> KeysOnShard(const std::string& prefix, int shard, int count) {
    std::vector<std::string> keys;
    for (int n = 0; static_cast<int>(keys.size()) < count; ++n) {
      std::string key = prefix + std::to_string(n);
      if (KeyShard(key, kShards) == shard) keys.push_back(std::move(key));
    }
    return keys;
  }
};

TEST(SlotFunction, MatchesRedisCluster) {
  // Reference values from the Redis Cluster specification and CLUSTER KEYSLOT.
  EXPECT_EQ(KeySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar")) << "an empty tag hashes the whole key";
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar")) << "only the first tag counts";
}

TEST_F(CrossShardTest, MSetMGetAcrossEveryShard) {
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) keys.push_back("mk:" + std::to_string(i));
  std::set<int> shards;
  for (const auto& k : keys) shards.insert(KeyShard(k, kShards));
  ASSERT_EQ(shards.size(), static_cast<size_t>(kShards));

  std::vector<std::string> mset = {"MSET"};
  for (const auto& k : keys) {
    mset.push_back(k);
    mset.push_back("value-of-" + k);
  }
  ASSERT_EQ(Cmd(mset), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(400));

  // MGET in a shuffled order with misses and repeats mixed in.
  std::vector<std::string> mget = {"MGET"};
  std::vector<Reply> expected;
  for (int i = 399; i >= 0; i -= 3) {
    mget.push_back(keys[i]);
    expected.push_back(Bulk("value-of-" + keys[i]));
    mget.push_back("missing:" + std::to_string(i));
    expected.push_back(Nil());
    mget.push_back(keys[(i * 7) % 400]);
    expected.push_back(Bulk("value-of-" + keys[(i * 7) % 400]));
  }
  EXPECT_EQ(Cmd(mget), Array(expected));

  std::vector<std::string> exists = {"EXISTS"};
  for (const auto& k : keys) exists.push_back(k);
  exists.push_back("missing");
  exists.push_back(keys[0]);
  EXPECT_EQ(Cmd(exists), Int(401));

  // DEL every other key (plus repeats and misses) in one command.
  std::vector<std::string> del = {"DEL"};
  for (size_t i = 0; i < keys.size(); i += 2) del.push_back(keys[i]);
  del.push_back(keys[0]);
  del.push_back("missing");
  EXPECT_EQ(Cmd(del), Int(200));
  EXPECT_EQ(Cmd(exists), Int(200));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(200));

  std::vector<std::string> touch = {"TOUCH"};
  for (size_t i = 0; i < 20; ++i) touch.push_back(keys[i]);
  EXPECT_EQ(Cmd(touch), Int(10));

  std::vector<std::string> unlink = {"UNLINK"};
  for (size_t i = 1; i < keys.size(); i += 2) unlink.push_back(keys[i]);
  EXPECT_EQ(Cmd(unlink), Int(200));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"KEYS", "*"}), Array({}));
}

TEST_F(CrossShardTest, MSetNxIsAllOrNothingAcrossShards) {
  std::vector<std::string> keys;
  for (int s = 0; s < kShards; ++s) {
    for (const auto& k : KeysOnShard("nx:", s, 3)) keys.push_back(k);
  }
  // One existing key, on the last shard, must stop the whole write.
  ASSERT_EQ(Cmd({"SET", keys.back(), "old"}), kOk);
  std::vector<std::string> msetnx = {"MSETNX"};
  for (const auto& k : keys) {
    msetnx.push_back(k);
    msetnx.push_back("new");
  }
  EXPECT_EQ(Cmd(msetnx), Int(0));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(1));
  EXPECT_EQ(Cmd({"GET", keys.back()}), Bulk("old"));

  ASSERT_EQ(Cmd({"DEL", keys.back()}), Int(1));
  EXPECT_EQ(Cmd(msetnx), Int(1));
  std::vector<std::string> mget = {"MGET"};
  mget.insert(mget.end(), keys.begin(), keys.end());
  EXPECT_EQ(Cmd(mget), BulkArray(std::vector<std::string>(keys.size(), "new")));
}

TEST_F(CrossShardTest, MSetRepeatedKeyLastValueWinsAcrossShards) {
  const std::string a = KeysOnShard("r:", 0, 1)[0];
  const std::string b = KeysOnShard("r:", 3, 1)[0];
  EXPECT_EQ(Cmd({"MSET", a, "1", b, "1", a, "2", b, "2", a, "3"}), kOk);
  EXPECT_EQ(Cmd({"MGET", a, b}), BulkArray({"3", "2"}));
}

TEST_F(CrossShardTest, RenameBetweenEveryPairOfShards) {
  for (int from = 0; from < kShards; ++from) {
    for (int to = 0; to < kShards; ++to) {
      const std::string tag = std::to_string(from) + "-" + std::to_string(to) + ":";
      const std::string src = KeysOnShard("src" + tag, from, 1)[0];
      const auto dsts = KeysOnShard("dst" + tag, to, 2);
      const std::string value = "value " + tag + std::string(100, 'v');

      // Into an empty destination, with the TTL travelling along.
      ASSERT_EQ(Cmd({"SET", src, value, "EX", "1000"}), kOk);
      EXPECT_EQ(Cmd({"RENAME", src, dsts[0]}), kOk) << src << " -> " << dsts[0];
      EXPECT_EQ(Cmd({"EXISTS", src}), Int(0));
      EXPECT_EQ(Cmd({"GET", dsts[0]}), Bulk(value));
      const Reply ttl = Cmd({"TTL", dsts[0]});
      EXPECT_TRUE(ttl.type == Reply::Type::kInteger && ttl.integer > 990) << ttl;

      // Over an existing destination that had its own TTL.
      ASSERT_EQ(Cmd({"SET", src, "second"}), kOk);
      ASSERT_EQ(Cmd({"SET", dsts[1], "old", "EX", "1000"}), kOk);
      EXPECT_EQ(Cmd({"RENAME", src, dsts[1]}), kOk);
      EXPECT_EQ(Cmd({"GET", dsts[1]}), Bulk("second"));
      EXPECT_EQ(Cmd({"TTL", dsts[1]}), Int(-1));

      // RENAMENX refuses an existing destination and moves to a free one.
      ASSERT_EQ(Cmd({"SET", src, "third"}), kOk);
      EXPECT_EQ(Cmd({"RENAMENX", src, dsts[1]}), Int(0));
      EXPECT_EQ(Cmd({"MGET", src, dsts[1]}), BulkArray({"third", "second"}));
      ASSERT_EQ(Cmd({"DEL", dsts[0]}), Int(1));
      EXPECT_EQ(Cmd({"RENAMENX", src, dsts[0]}), Int(1));
      EXPECT_EQ(Cmd({"MGET", src, dsts[0]}), Array({Nil(), Bulk("third")}));

      EXPECT_EQ(Cmd({"RENAME", src, dsts[0]}), Error("ERR no such key"));
      EXPECT_EQ(Cmd({"RENAMENX", src, dsts[0]}), Error("ERR no such key"));
      ASSERT_EQ(Cmd({"DEL", dsts[0], dsts[1]}), Int(2));
    }
  }
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
}

TEST_F(CrossShardTest, RenameChainVisitsEveryShardAndKeepsTheValue) {
  std::vector<std::string> chain;
  for (int round = 0; round < 5; ++round) {
    for (int s = 0; s < kShards; ++s) {
      chain.push_back(KeysOnShard("chain" + std::to_string(round) + ":", s, 1)[0]);
    }
  }
  const std::string big(300 * 1000, 'b');
  ASSERT_EQ(Cmd({"SET", chain[0], big}), kOk);
  for (size_t i = 1; i < chain.size(); ++i) {
    ASSERT_EQ(Cmd({"RENAME", chain[i - 1], chain[i]}), kOk) << chain[i - 1] << " -> " << chain[i];
  }
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(1));
  const Reply got = Cmd({"GET", chain.back()});
  EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == big);
}

// RENAME and SCAN travel between shards hop by hop; a hop that arrives from another shard must
// still come after the writes sent before it on the same connection. Each connection sends its
// writes and the chained command in one go, so they are queued back to back.
TEST_F(CrossShardTest, ChainedCommandsComeAfterEarlierWritesOfTheConnection) {
  int wrong = 0;
  std::string first_wrong;
  for (int trial = 0; trial < 100; ++trial) {
    RawClient c(port());  // a connection per trial, so they land on every thread
    const std::string t = std::to_string(trial);
    // The source and destination on different shards, neither (usually) the connection's.
    const std::string src = KeysOnShard("src" + t + "-", trial % kShards, 1)[0];
    const std::string dst = KeysOnShard("dst" + t + "-", (trial + 1) % kShards, 1)[0];
    const std::string fresh = KeysOnShard("fresh" + t + "-", (trial + 2) % kShards, 1)[0];
    std::string frame;
    for (const std::vector<std::string>& argv :
         std::vector<std::vector<std::string>>{{"SET", dst, "old"},
                                               {"SET", src, "moved"},
                                               {"RENAME", src, dst},
                                               {"GET", dst},
                                               {"SET", fresh, "x"},
                                               {"SCAN", "0", "MATCH", fresh, "COUNT", "100000"}}) {
      frame += EncodeCommand(argv);
    }
    c.SendRaw(frame);
    std::string got;
    for (int i = 0; i < 6; ++i) got += c.ReadReply().value_or("<none>");
    const std::string expected =
        "+OK\r\n+OK\r\n+OK\r\n$5\r\nmoved\r\n+OK\r\n*2\r\n$1\r\n0\r\n*1\r\n$" +
        std::to_string(fresh.size()) + "\r\n" + fresh + "\r\n";
    if (got != expected && ++wrong == 1) first_wrong = got;
  }
  EXPECT_EQ(wrong, 0) << "of 100 connections; the first got " << first_wrong;
}

TEST_F(CrossShardTest, HashTagsKeepKeysTogether) {
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 50; ++i) {
    mset.push_back("{user42}:field" + std::to_string(i));
    mset.push_back(std::to_string(i));
  }
  ASSERT_EQ(Cmd(mset), kOk);
  EXPECT_EQ(Cmd({"RENAME", "{user42}:field0", "{user42}:renamed"}), kOk);
  EXPECT_EQ(Cmd({"GET", "{user42}:renamed"}), Bulk("0"));
  EXPECT_EQ(Cmd({"MGET", "{user42}:field49", "{user42}:field1"}), BulkArray({"49", "1"}));
  EXPECT_EQ(Cmd({"KEYS", "{user42}:*"}).elements.size(), 50u);
}

TEST_F(CrossShardTest, KeyspaceCommandsSeeEveryShard) {
  std::set<std::string> keys;
  for (int s = 0; s < kShards; ++s) {
    for (const auto& k : KeysOnShard("ks:", s, 25)) {
      keys.insert(k);
      ASSERT_EQ(Cmd({"SET", k, "v"}), kOk);
    }
  }
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(100));
  const auto all = Cmd({"KEYS", "*"}).Strings();
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), keys);
  EXPECT_EQ(Info("keyspace", "db0").rfind("keys=100,", 0), 0u) << Info("keyspace", "db0");

  // RANDOMKEY reaches every shard.
  std::set<int> shards_seen;
  for (int i = 0; i < 400 && shards_seen.size() < kShards; ++i) {
    const Reply r = Cmd({"RANDOMKEY"});
    ASSERT_EQ(r.type, Reply::Type::kBulk) << r;
    ASSERT_TRUE(keys.count(r.str)) << r.str;
    shards_seen.insert(KeyShard(r.str, kShards));
  }
  EXPECT_EQ(shards_seen.size(), static_cast<size_t>(kShards));

  // Per database, on every shard.
  ASSERT_EQ(Cmd({"SELECT", "1"}), kOk);
  for (int s = 0; s < kShards; ++s) ASSERT_EQ(Cmd({"SET", KeysOnShard("db1:", s, 1)[0], "v"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(4));
  EXPECT_EQ(Cmd({"FLUSHDB"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  ASSERT_EQ(Cmd({"SELECT", "0"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(100));
  EXPECT_EQ(Cmd({"FLUSHALL"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"RANDOMKEY"}), Nil());
}

TEST_F(CrossShardTest, ScanReturnsEveryKeyPresentThroughoutWhileOthersComeAndGo) {
  constexpr int kStable = 2000;
  std::set<std::string> stable;
  for (int i = 0; i < kStable; i += 100) {
    std::vector<std::string> mset = {"MSET"};
    for (int j = i; j < i + 100; ++j) {
      stable.insert("stable:" + std::to_string(j));
      mset.push_back("stable:" + std::to_string(j));
      mset.push_back("v");
    }
    ASSERT_EQ(Cmd(mset), kOk);
  }
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(Cmd({"SET", "churn:" + std::to_string(i), "v"}), kOk);
  }

  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  int next_new = 0;
  int next_deleted = 0;
  do {
    const Reply r = Cmd({"SCAN", cursor, "COUNT", "25"});
    ASSERT_EQ(r.type, Reply::Type::kArray) << r;
    ASSERT_EQ(r.elements.size(), 2u) << r;
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].Strings()) seen.insert(k);
    // Between calls: new keys appear and some of the churn keys go away.
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < 15; ++i) {
      mset.push_back("new:" + std::to_string(next_new++));
      mset.push_back("v");
    }
    ASSERT_EQ(Cmd(mset), kOk);
    if (next_deleted < 500) {
      std::vector<std::string> del = {"DEL"};
      for (int i = 0; i < 5 && next_deleted < 500; ++i) {
        del.push_back("churn:" + std::to_string(next_deleted++));
      }
      ASSERT_EQ(Cmd(del).type, Reply::Type::kInteger);
    }
    ASSERT_LT(++calls, 100000) << "SCAN does not terminate";
  } while (cursor != "0");

  std::vector<std::string> missing;
  for (const auto& k : stable) {
    if (!seen.count(k)) missing.push_back(k);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " keys present for the whole scan were not "
                               << "returned, e.g. " << missing.front();
  for (const auto& k : seen) {
    EXPECT_TRUE(k.rfind("stable:", 0) == 0 || k.rfind("churn:", 0) == 0 || k.rfind("new:", 0) == 0)
        << "SCAN returned a key that never existed: " << k;
  }
}

TEST_F(CrossShardTest, ScanMatchAndTypeAcrossShards) {
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(Cmd({"SET", (i % 4 == 0 ? "a:" : "b:") + std::to_string(i), "v"}), kOk);
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    const Reply r = Cmd({"SCAN", cursor, "MATCH", "a:*", "COUNT", "10", "TYPE", "string"});
    ASSERT_EQ(r.elements.size(), 2u) << r;
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].Strings()) {
      EXPECT_EQ(k.rfind("a:", 0), 0u) << k;
      seen.insert(k);
    }
    ASSERT_LT(++calls, 100000);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace ringside::testing
