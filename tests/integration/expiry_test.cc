// Expiry end to end with four shards: keys that are never touched again still go away (active
// expiry on every shard and in every database), and INFO counts them.

#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

const Reply kOk = Status("OK");
constexpr auto kExpiryDeadline = std::chrono::seconds(15);

using ExpiryTest = FourShardTest;

TEST_F(ExpiryTest, UntouchedKeysDisappearAndAreCounted) {
  ASSERT_EQ(Cmd({"CONFIG", "RESETSTAT"}), kOk);
  // 150 short-lived keys in db 0 and 50 in db 5, spread over every shard.
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(Cmd({"SET", "short:" + std::to_string(i), "v", "PX", "100"}), kOk);
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Cmd({"SET", "persistent:" + std::to_string(i), "v"}), kOk);
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Cmd({"SET", "long:" + std::to_string(i), "v", "EX", "1000"}), kOk);
  }
  // A short TTL that a later plain SET removed, and one that moved with a RENAME.
  ASSERT_EQ(Cmd({"SET", "rescued", "v", "PX", "100"}), kOk);
  ASSERT_EQ(Cmd({"SET", "rescued", "w"}), kOk);
  ASSERT_EQ(Cmd({"SET", "moving", "v", "PX", "150"}), kOk);
  ASSERT_EQ(Cmd({"RENAME", "moving", "moved"}), kOk);
  ASSERT_EQ(Cmd({"SELECT", "5"}), kOk);
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(Cmd({"PSETEX", "db5short:" + std::to_string(i), "100", "v"}), kOk);
  }
  ASSERT_EQ(Cmd({"SET", "db5keeper", "v"}), kOk);
  ASSERT_EQ(Cmd({"DBSIZE"}), Int(51));

  // Nothing touches the expiring keys from here on; only DBSIZE and INFO are polled.
  EXPECT_TRUE(WaitUntil([&] { return Cmd({"DBSIZE"}) == Int(1); }, kExpiryDeadline,
                        std::chrono::milliseconds(50)))
      << "db 5 still has " << Cmd({"DBSIZE"}) << " keys";
  ASSERT_EQ(Cmd({"SELECT", "0"}), kOk);
  EXPECT_TRUE(WaitUntil([&] { return Cmd({"DBSIZE"}) == Int(71); }, kExpiryDeadline,
                        std::chrono::milliseconds(50)))
      << "db 0 still has " << Cmd({"DBSIZE"}) << " keys";

  const std::string db0 = Info("keyspace", "db0");
  EXPECT_EQ(db0.rfind("keys=71,expires=20,", 0), 0u) << db0;
  const std::string db5 = Info("keyspace", "db5");
  EXPECT_EQ(db5.rfind("keys=1,expires=0,", 0), 0u) << db5;
  EXPECT_EQ(InfoInt("stats", "expired_keys"), 150 + 50 + 1);
  EXPECT_EQ(Cmd({"GET", "rescued"}), Bulk("w"));
  EXPECT_EQ(Cmd({"EXISTS", "moving", "moved"}), Int(0));
}

TEST_F(ExpiryTest, LazyExpiryOnAccessIsCounted) {
  ASSERT_EQ(Cmd({"CONFIG", "RESETSTAT"}), kOk);
  ASSERT_EQ(Cmd({"SET", "k", "v", "PX", "50"}), kOk);
  EXPECT_TRUE(WaitUntil([&] { return Cmd({"GET", "k"}) == Nil(); }, kExpiryDeadline));
  EXPECT_EQ(InfoInt("stats", "expired_keys"), 1);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Info("keyspace", "db0"), "");
}

TEST_F(ExpiryTest, ExpiredKeysVanishFromKeysScanAndRandomKey) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Cmd({"SET", "gone:" + std::to_string(i), "v", "PX", "50"}), kOk);
  }
  ASSERT_EQ(Cmd({"SET", "stays", "v"}), kOk);
  // The TTL of every key has passed once PTTL of the last one says so.
  EXPECT_TRUE(WaitUntil([&] { return Cmd({"PTTL", "gone:39"}) == Int(-2); }, kExpiryDeadline));
  EXPECT_EQ(Cmd({"KEYS", "*"}), BulkArray({"stays"}));
  std::vector<std::string> seen;
  std::string cursor = "0";
  do {
    const Reply r = Cmd({"SCAN", cursor, "COUNT", "5"});
    ASSERT_EQ(r.elements.size(), 2u) << r;
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].Strings()) seen.push_back(k);
  } while (cursor != "0");
  EXPECT_EQ(seen, std::vector<std::string>{"stays"});
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Cmd({"RANDOMKEY"}), Bulk("stays"));
}

TEST_F(ExpiryTest, ManyExpiringKeysWithDifferentDeadlines) {
  ASSERT_EQ(Cmd({"CONFIG", "RESETSTAT"}), kOk);
  // 2,000 keys expiring over 0.1 s .. 1 s, written in one pipeline.
  for (int i = 0; i < 2000; ++i) {
    client().Append({"SET", "wave:" + std::to_string(i), "v", "PX", std::to_string(100 + i % 900)});
  }
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(client().GetReply(), kOk) << i;
  EXPECT_TRUE(WaitUntil([&] { return Cmd({"DBSIZE"}) == Int(0); }, kExpiryDeadline,
                        std::chrono::milliseconds(50)))
      << Cmd({"DBSIZE"}) << " keys left";
  EXPECT_EQ(InfoInt("stats", "expired_keys"), 2000);
}

}  // namespace
}  // namespace ringside::testing
