// maxmemory against the real binary: writes that add data are refused with Redis's OOM error
// exactly when redis-server refuses them; the eviction policies keep used_memory within the
// limit without refusing anything; evictions reach the append-only file; and in front of a
// real upstream, keys whose writes the upstream has not acknowledged are never evicted, while
// acknowledged ones are, and read through again.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

const Reply kOom = Error("OOM command not allowed when used memory > 'maxmemory'.");

std::string Value(int i, size_t size) {
  std::string v = "value:" + std::to_string(i) + ":";
  v.resize(size, 'x');
  return v;
}

// Whether every shard's used_memory (INFO shards) is at most `share`.
bool AllShardsWithin(Client& c, int64_t share) {
  for (const auto& [field, value] : ParseInfo(c.Cmd({"INFO", "shards"}).str)) {
    const size_t at = value.find("used_memory=");
    if (!field.starts_with("shard") || at == std::string::npos) continue;
    if (std::stoll(value.substr(at + 12)) > share) return false;
  }
  return true;
}

// Sends `count` SETs of `prefix`N to `value_size`-byte values, pipelined; returns how many
// were answered +OK (every other reply must be the OOM error).
int PipelinedSets(Client& c, const std::string& prefix, int from, int count, size_t value_size) {
  for (int i = from; i < from + count; ++i) {
    c.Append({"SET", prefix + std::to_string(i), Value(i, value_size)});
  }
  int ok = 0;
  for (int i = 0; i < count; ++i) {
    const Reply r = c.GetReply();
    if (r == kOk) {
      ++ok;
    } else {
      EXPECT_EQ(r, kOom) << "reply " << i;
    }
  }
  return ok;
}

// With the limit reached and noeviction, every command of the script gets the same reply
// from ringside (four shards) as from redis-server: the ones that may add data are refused,
// reads, deletes and expiry changes run.
TEST(MaxmemoryTest, RefusesWhatRedisRefusesByteForByte) {
  auto ours = ServerProcess::StartRingside({"--threads", "4"});
  auto ref = ServerProcess::StartRedis();
  ASSERT_NE(ours, nullptr);
  ASSERT_NE(ref, nullptr);
  const std::vector<std::vector<std::string>> seed = {
      {"SET", "s", "hello"}, {"SET", "n", "10"}, {"SET", "f", "1.5"},
      {"SET", "t", "ttl", "EX", "1000"}, {"SET", "d1", "x"}, {"SET", "d2", "y"}};
  const std::vector<std::vector<std::string>> script = {
      {"SET", "new", "v"},          {"SET", "s", "overwrite"},   {"SETNX", "new", "v"},
      {"SETEX", "new", "10", "v"},  {"PSETEX", "new", "10", "v"}, {"GETSET", "s", "v"},
      {"APPEND", "s", "more"},       {"SETRANGE", "s", "1", "x"}, {"INCR", "n"},
      {"DECR", "n"},                {"INCRBY", "n", "5"},        {"DECRBY", "n", "5"},
      {"INCRBYFLOAT", "f", "1"},    {"MSET", "a", "1", "b", "2"}, {"MSETNX", "a", "1", "b", "2"},
      {"GET", "s"},                 {"MGET", "s", "n", "f", "nosuch"}, {"STRLEN", "s"},
      {"GETRANGE", "s", "0", "2"},  {"EXISTS", "s", "n"},        {"TTL", "t"},
      {"EXPIRE", "s", "100"},       {"PERSIST", "s"},            {"GETEX", "n", "PERSIST"},
      {"RENAME", "d1", "d3"},       {"GETDEL", "d2"},            {"DEL", "d3", "nosuch"},
      {"SET", "s"},                 {"INCR", "n", "extra"},      {"NOSUCHCOMMAND", "x"},
      {"DBSIZE"},                   {"TYPE", "n"}};
  for (ServerProcess* server : {ours.get(), ref.get()}) {
    Client c(server->port());
    for (const auto& cmd : seed) ASSERT_EQ(c.Cmd(cmd), kOk);
    // redis-server's own memory is always past one byte; so are ringside's six keys.
    ASSERT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), kOk);
    ASSERT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory", "1"}), kOk);
  }
  RawClient a(ours->port()), b(ref->port());
  int refused = 0;
  for (const auto& cmd : script) {
    SCOPED_TRACE(cmd[0]);
    const std::string reply = b.Call(cmd);
    EXPECT_EQ(a.Call(cmd), reply);
    refused += reply.starts_with("-OOM") ? 1 : 0;
  }
  EXPECT_EQ(refused, 15);  // the test must reach the limit on the reference too
  // Under the limit again, the same writes are taken.
  for (ServerProcess* server : {ours.get(), ref.get()}) {
    Client c(server->port());
    ASSERT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory", "0"}), kOk);
    EXPECT_EQ(c.Cmd({"SET", "new", "v"}), kOk);
  }
  Client c(ours->port());
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "maxmemory*"}),
            BulkArray({"maxmemory", "0", "maxmemory-policy", "noeviction",
                       "maxmemory-samples", "5"}));
  EXPECT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory-policy", "lru"}),
            Error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
                  "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
                  "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
                  "noeviction"));
}

// allkeys-lru over four shards: 6 MB of writes into a 1 MB limit are all taken, used_memory
// ends within the limit, the most recent writes are all there, and INFO counts the evictions.
TEST(MaxmemoryTest, AllKeysLruStaysWithinTheLimitAndRefusesNothing) {
  auto server = ServerProcess::StartRingside(
      {"--threads", "4", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  constexpr int kWrites = 6000;
  constexpr size_t kSize = 1000;
  for (int from = 0; from < kWrites; from += 500) {
    ASSERT_EQ(PipelinedSets(c, "k:", from, 500, kSize), 500);
  }
  // Within every shard's share, so no eviction is still to come.
  ASSERT_TRUE(WaitUntil([&] { return AllShardsWithin(c, 1024 * 1024 / 4); }))
      << c.Cmd({"INFO", "shards"}).str;
  EXPECT_LE(InfoNumber(c, "memory", "used_memory"), 1024 * 1024);
  const int64_t evicted = InfoNumber(c, "stats", "evicted_keys");
  const int64_t keys = c.Cmd({"DBSIZE"}).integer;
  EXPECT_EQ(evicted + keys, kWrites);
  EXPECT_GT(keys, 500);  // the limit holds about 950 of these keys
  EXPECT_LT(keys, 1100);
  for (int i = kWrites - 200; i < kWrites; ++i) {
    EXPECT_EQ(c.Cmd({"GET", "k:" + std::to_string(i)}), Bulk(Value(i, kSize))) << i;
  }
  EXPECT_EQ(ParseInfo(c.Cmd({"INFO", "memory"}).str)["maxmemory_policy"], "allkeys-lru");
  EXPECT_EQ(InfoNumber(c, "memory", "maxmemory"), 1024 * 1024);
}

// Lowering maxmemory at run time evicts at once, without another write.
TEST(MaxmemoryTest, LoweringTheLimitEvictsWithoutAWrite) {
  auto server = ServerProcess::StartRingside({"--threads", "3"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_EQ(PipelinedSets(c, "k:", 0, 2000, 500), 2000);
  ASSERT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory-policy", "allkeys-random"}), kOk);
  ASSERT_EQ(c.Cmd({"CONFIG", "SET", "maxmemory", "300kb"}), kOk);
  ASSERT_TRUE(WaitUntil([&] { return AllShardsWithin(c, 300 * 1024 / 3); }))
      << c.Cmd({"INFO", "shards"}).str;
  EXPECT_LE(InfoNumber(c, "memory", "used_memory"), 300 * 1024);
  EXPECT_EQ(InfoNumber(c, "stats", "evicted_keys") + c.Cmd({"DBSIZE"}).integer, 2000);
}

// volatile-lru evicts keys with a TTL only; once only keys without one are left, writes that
// add data are refused and those keys are all still there.
TEST(MaxmemoryTest, VolatileLruNeverTakesKeysWithoutATtl) {
  // One shard: with several, a shard out of keys with a TTL refuses while another may still
  // hold some it evicts only once it sees the total past the limit.
  auto server = ServerProcess::StartRingside(
      {"--threads", "1", "--maxmemory", "200kb", "--maxmemory-policy", "volatile-lru"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  constexpr int kPlain = 300;
  ASSERT_EQ(PipelinedSets(c, "plain:", 0, kPlain, 200), kPlain);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(c.Cmd({"SETEX", "ttl:" + std::to_string(i), "1000", Value(i, 200)}), kOk) << i;
  }
  EXPECT_GT(InfoNumber(c, "stats", "evicted_keys"), 0);
  // More keys without a TTL, until there is no room left for them.
  const int taken = PipelinedSets(c, "more:", 0, 1000, 200);
  EXPECT_LT(taken, 1000);
  EXPECT_EQ(c.Cmd({"SET", "one-more", "x"}), kOom);
  EXPECT_EQ(c.Cmd({"GET", "plain:0"}), Bulk(Value(0, 200)));  // reads still run
  for (int i = 0; i < kPlain; ++i) {
    EXPECT_EQ(c.Cmd({"GET", "plain:" + std::to_string(i)}), Bulk(Value(i, 200))) << i;
  }
  EXPECT_EQ(c.Cmd({"EXISTS", "ttl:999"}), Int(0)) << "keys with a TTL go before the refusal";
}

// An eviction is written to the append-only file as a DEL: after a restart the keys are
// exactly those that were there before it.
TEST(MaxmemoryTest, EvictionsReachTheAppendOnlyFile) {
  TempDir dir;
  const std::vector<std::string> args = {"--threads", "3", "--appendonly", "yes", "--dir",
                                         dir.path(), "--maxmemory", "200kb",
                                         "--maxmemory-policy", "allkeys-lru"};
  auto server = ServerProcess::StartRingside(args);
  ASSERT_NE(server, nullptr);
  std::vector<std::string> before;
  {
    Client c(server->port());
    ASSERT_EQ(PipelinedSets(c, "k:", 0, 3000, 300), 3000);
    ASSERT_GT(InfoNumber(c, "stats", "evicted_keys"), 0);
    // A shard past its share after the last writes evicts at its next loop; once every shard
    // is within its share, nothing more goes.
    ASSERT_TRUE(WaitUntil([&] { return AllShardsWithin(c, 200 * 1024 / 3); }));
    before = c.Cmd({"KEYS", "*"}).Strings();
  }
  ASSERT_EQ(server->Stop(), 0) << server->Output();
  server = ServerProcess::StartRingside(args);
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  std::vector<std::string> after = c.Cmd({"KEYS", "*"}).Strings();
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before);
  EXPECT_EQ(InfoNumber(c, "stats", "evicted_keys"), 0) << "replaying the file evicted keys";
  ASSERT_EQ(server->Stop(), 0) << server->Output();
}

// In front of an upstream, with read-through: while the upstream holds ringside's writes back
// (CLIENT PAUSE WRITE), only keys it acknowledged earlier are evicted; once those are gone,
// writes are refused, and every key written meanwhile is still served here at once (fetching
// one from the paused upstream would time out). Once the upstream is back, writes are taken
// again, the upstream holds every acknowledged write, and evicted keys read through.
class UpstreamEvictionTest : public UpstreamTest {};

TEST_F(UpstreamEvictionTest, UnacknowledgedKeysAreNeverEvicted) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--maxmemory", "300kb", "--maxmemory-policy",
                                      "allkeys-lru", "--upstream-timeout", "2000"}));
  constexpr size_t kSize = 200;
  // Acknowledged writes, three times what fits. Each batch (half a shard's share) is
  // acknowledged before the next, so that the next can evict what came before it.
  constexpr int kAcked = 3000;
  for (int from = 0; from < kAcked; from += 500) {
    ASSERT_EQ(PipelinedSets(proxy(), "acked:", from, 500, kSize), 500);
    ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  }
  const int64_t evicted_before = InfoNumber(proxy(), "stats", "evicted_keys");
  EXPECT_GT(evicted_before, 0);

  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"CLIENT", "PAUSE", "60000", "WRITE"}), kOk);
  std::vector<int> taken;
  for (int i = 0; i < 3000; ++i) {
    const Reply r = proxy().Cmd({"SET", "held:" + std::to_string(i), Value(i, kSize)});
    if (r == kOom) break;
    ASSERT_EQ(r, kOk) << i;
    taken.push_back(i);
  }
  EXPECT_LT(taken.size(), 3000u) << "the limit was never reached";
  EXPECT_GT(taken.size(), 100u);
  EXPECT_GT(InfoNumber(proxy(), "stats", "evicted_keys"), evicted_before)
      << "acknowledged keys made room";
  for (int i : taken) {
    ASSERT_EQ(proxy().Cmd({"GET", "held:" + std::to_string(i)}), Bulk(Value(i, kSize))) << i;
  }

  ASSERT_EQ(u.Cmd({"CLIENT", "UNPAUSE"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ASSERT_TRUE(WaitUntil([&] { return proxy().Cmd({"SET", "after", "x"}) == kOk; }));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(u.Cmd({"DBSIZE"}).integer, kAcked + static_cast<int64_t>(taken.size()) + 1);
  // Every key reads back right through ringside, held here or fetched again.
  for (int i = 0; i < kAcked; i += 7) {
    ASSERT_EQ(proxy().Cmd({"GET", "acked:" + std::to_string(i)}), Bulk(Value(i, kSize))) << i;
  }
  for (int i : taken) {
    ASSERT_EQ(u.Cmd({"GET", "held:" + std::to_string(i)}), Bulk(Value(i, kSize))) << i;
  }
  EXPECT_TRUE(WaitUntil(
      [&] { return InfoNumber(proxy(), "memory", "used_memory") <= 300 * 1024; }));
}

}  // namespace
}  // namespace ringside::testing
