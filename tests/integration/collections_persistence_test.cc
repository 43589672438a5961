// Hashes, sets, lists and bitmaps through the append-only file with the real binary (four shards):
// the records their commands leave (increments as HSET, SPOP as SREM, results gathered across
// shards as DEL + SADD or SET, renames and copies as DEL + HSET, BITFIELD as SETRANGE,
// SWAPDB as itself, list writes as they were sent) bring every key back after a restart and after a
// rewrite, and redis-server loading a copy of the directory holds the same data.
#include <string>
#include <vector>

#include "tests/support/aof_support.h"
#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing::aof {
namespace {

using CollectionsPersistenceTest = AofTest;

// Every command must succeed; the values are deterministic except what SPOP and SRANDMEMBER
// pick, which the snapshot taken afterwards records.
void CollectionsWorkload(int port) {
  Client c(port);
  auto ok = [&](const std::vector<std::string>& argv) {
    const Reply r = c.Cmd(argv);
    ASSERT_FALSE(r.IsError()) << r << " for " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "");
  };
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    ok({"HSET", "h" + n, "name", "user" + n, "age", n, "score", std::to_string(i * 1.5)});
    ok({"HINCRBY", "h" + n, "age", "100"});
    ok({"HINCRBYFLOAT", "h" + n, "score", "0.1"});
    ok({"SADD", "ints" + n, n, std::to_string(i * 7), "-5"});
    ok({"SADD", "words" + n, "a" + n, "b", "c"});
  }
  std::vector<std::string> big = {"HSET", "bighash"};
  std::vector<std::string> bigset = {"SADD", "bigset"};
  for (int i = 0; i < 300; ++i) {
    big.push_back("field" + std::to_string(i));
    big.push_back(std::string(static_cast<size_t>(i % 90), 'v'));
    bigset.push_back(std::to_string(i * 3));
  }
  ok(big);
  ok(bigset);
  ok({"HSETNX", "h1", "fresh", "1"});
  ok({"HDEL", "h2", "name", "age", "score"});  // emptied: gone
  ok({"SREM", "ints3", "3", "21"});
  ok({"SPOP", "words4"});
  ok({"SPOP", "bigset", "10"});
  ok({"SPOP", "words5", "100"});            // all of it: gone
  ok({"SMOVE", "words6", "words7", "a6"});  // across shards
  ok({"SMOVE", "words8", "brand-new", "b"});
  ok({"SUNIONSTORE", "union", "ints1", "ints2", "words9"});
  ok({"SINTERSTORE", "inter", "ints1", "ints8"});
  ok({"SDIFFSTORE", "diff", "bigset", "ints3"});
  ok({"SINTERSTORE", "ints10", "missing", "ints11"});  // empty: deletes ints10
  ok({"RENAME", "h5", "renamed-hash"});
  ok({"RENAME", "ints12", "renamed-set"});
  ok({"EXPIRE", "h6", "3600"});
  ok({"PEXPIRE", "ints13", "7200000"});
  ok({"EXPIRE", "bighash", "5000"});
  ok({"HSET", "h6", "later", "x"});  // keeps the TTL
  ok({"SET", "plain", "string"});
  ok({"COPY", "h7", "h7-copy"});
  ok({"COPY", "ints14", "ints15", "REPLACE"});
  ok({"COPY", "h8", "h8", "DB", "2"});
  ok({"MOVE", "words10", "3"});
  ok({"SETBIT", "bits", "100", "1"});
  ok({"BITFIELD", "bits", "INCRBY", "u8", "0", "200", "INCRBY", "u8", "0", "100"});
  ok({"SET", "b1", "abc"});
  ok({"BITOP", "XOR", "bitop-result", "b1", "bits"});
  ok({"SELECT", "1"});
  ok({"HSET", "h0", "db", "one"});
  ok({"SADD", "s0", "db1"});
  ok({"SELECT", "4"});
  ok({"SET", "in-db4", "x"});
  ok({"SWAPDB", "4", "5"});
  ok({"SELECT", "0"});
  // Lists: every write replays as it was sent; a long one spans several nodes.
  for (int i = 0; i < 20; ++i) {
    const std::string n = std::to_string(i);
    ok({"RPUSH", "list" + n, "a" + n, "b", "12", "-7", "c"});
    ok({"LPUSH", "list" + n, "head" + n});
  }
  std::vector<std::string> longlist = {"RPUSH", "longlist"};
  for (int i = 0; i < 3000; ++i) longlist.push_back("element-" + std::to_string(i));
  ok(longlist);
  ok({"LINSERT", "longlist", "BEFORE", "element-1500", "inserted"});
  ok({"LSET", "longlist", "-1", "last"});
  ok({"LREM", "longlist", "0", "element-7"});
  ok({"LTRIM", "longlist", "1", "-2"});
  ok({"LPOP", "list1", "2"});
  ok({"RPOP", "list2"});
  ok({"LPUSHX", "list3", "x"});
  ok({"RPUSHX", "nolist", "x"});  // creates nothing
  ok({"LPOP", "list4", "100"});   // all of it: gone
  ok({"EXPIRE", "list5", "3600"});
  ok({"RENAME", "list6", "renamed-list"});
  ok({"COPY", "list7", "list7-copy"});
}

TEST_F(CollectionsPersistenceTest, RestartRewriteAndRedisServerBringEveryKeyBack) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(CollectionsWorkload(server->port()));
  const Snapshot held = TakeSnapshot(server->port());
  EXPECT_EQ(held.dbs[0].count("h2"), 0u);
  EXPECT_EQ(held.dbs[0].count("words5"), 0u);
  EXPECT_EQ(held.dbs[0].count("ints10"), 0u);
  EXPECT_EQ(held.dbs[0].count("renamed-hash"), 1u);
  ASSERT_EQ(held.dbs[0].count("bighash"), 1u);
  EXPECT_TRUE(held.dbs[0].at("bighash").value.starts_with("<hash> ")) << "not read as a hash";
  EXPECT_TRUE(held.dbs[0].at("union").value.starts_with("<set> ")) << "not read as a set";
  EXPECT_GT(held.dbs[0].at("bighash").pttl, 0);
  EXPECT_EQ(held.dbs[2].count("h8"), 1u);
  EXPECT_EQ(held.dbs[3].count("words10"), 1u);
  EXPECT_EQ(held.dbs[5].count("in-db4"), 1u);  // swapped
  EXPECT_EQ(held.dbs[4].count("in-db4"), 0u);
  ASSERT_EQ(held.dbs[0].count("longlist"), 1u);
  EXPECT_TRUE(held.dbs[0].at("longlist").value.starts_with("<list> ")) << "not read as a list";
  EXPECT_EQ(held.dbs[0].count("list4"), 0u);
  EXPECT_EQ(held.dbs[0].count("nolist"), 0u);
  EXPECT_GT(held.dbs[0].at("list5").pttl, 0);
  StopCleanly(server);

  server = Start();
  ASSERT_NE(server, nullptr);
  ExpectSameData(held, TakeSnapshot(server->port()), "after a restart");

  {
    Client c(server->port());
    ASSERT_FALSE(c.Cmd({"BGREWRITEAOF"}).IsError());
    ASSERT_TRUE(
        WaitUntil([&] { return InfoField(c, "persistence", "aof_rewrite_in_progress") == "0"; },
                  std::chrono::seconds(60)));
    EXPECT_EQ(InfoField(c, "persistence", "aof_last_bgrewrite_status"), "ok");
  }
  StopCleanly(server);
  TempDir copy;
  copy.CopyFrom(dir_.path());
  server = Start();
  ASSERT_NE(server, nullptr);
  ExpectSameData(held, TakeSnapshot(server->port()), "after a rewrite and a restart");

  auto redis = ServerProcess::StartRedis({"--dir", copy.path(), "--appendonly", "yes"});
  ASSERT_NE(redis, nullptr);
  ExpectSameData(held, TakeSnapshot(redis->port()), "redis-server on a copy of the directory");
}

}  // namespace
}  // namespace ringside::testing::aof
