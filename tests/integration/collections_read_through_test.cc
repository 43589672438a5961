// Hashes, sets and bitmaps with read-through: ringside (three shards) in front of a real
// redis-server that already holds them. A hash or set ringside does not hold is fetched with
// its TTL when the upstream's MEMORY USAGE of it is within upstream-read-through-max-size, and
// then served here; a bigger one stays upstream and its commands are passed there, their
// replies reshaped for RESP3 clients as redis-server shapes them (maps, sets, pairs). Every
// reply is compared byte for byte with a second redis-server seeded the same and sent the same
// commands, in RESP2 and RESP3, one at a time and pipelined, and the upstream ends up holding
// what the reference holds. Changes made upstream by another client reach ringside's copies.
// Every test starts its own redis-servers and ringside.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"
#include "tests/support/reference_support.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Hashes and sets of the seed are a few hundred bytes by MEMORY USAGE, the big ones over 10 kB.
const std::vector<std::string> kMaxSize = {"--upstream-read-through-max-size", "4kb"};
constexpr int kBigFields = 300;

// What the upstream and the reference both hold before ringside sees a command, each key
// named with `p` first so that every protocol's run has keys of its own.
std::vector<Argv> SeedCollections(const std::string& p) {
  std::vector<Argv> seed = {
      {"HSET", p + "h", "f", "v", "n", "10", "fl", "1.5", "e", ""},
      {"EXPIRE", p + "h", "100000"},
      {"HSET", p + "h2", "a", "1"},
      {"SADD", p + "s", "3", "1", "2", "10"},  // an intset: ordered the same by both
      {"PEXPIRE", p + "s", "50000000"},
      {"SADD", p + "sw", "apple", "pear"},
      {"SADD", p + "sp", "5", "4", "6"},
      {"RPUSH", p + "l", "a", "b"},
      {"SET", p + "bm", "abc"},
      {"SET", p + "str", "plain"},
  };
  Argv big_hash = {"HSET", p + "bigh"}, big_set = {"SADD", p + "bigs"};
  for (int i = 0; i < kBigFields; ++i) {
    big_hash.push_back("field:" + std::to_string(i));
    big_hash.push_back("a value long enough to count " + std::to_string(i));
    big_set.push_back("member:" + std::to_string(i));
  }
  seed.push_back(big_hash);
  seed.push_back(big_set);
  return seed;
}

// Commands on the seeded keys, on missing ones, and of one type on another; every reply is
// deterministic, so it must be the reference's.
std::vector<Argv> CollectionCommands(const std::string& p) {
  return {
      // A hash fetched by its first command, then read and written here.
      {"HGET", p + "h", "f"},
      {"HGETALL", p + "h"},
      {"TTL", p + "h"},
      {"HMGET", p + "h", "f", "missing", "n"},
      {"HLEN", p + "h"},
      {"HSTRLEN", p + "h", "f"},
      {"HEXISTS", p + "h", "e"},
      {"HKEYS", p + "h"},
      {"HVALS", p + "h"},
      {"HINCRBY", p + "h", "n", "5"},
      {"HINCRBYFLOAT", p + "h", "fl", "0.25"},
      {"HSETNX", p + "h", "f", "no"},
      {"HSET", p + "h", "new", "x"},
      {"HDEL", p + "h", "e", "missing"},
      {"HRANDFIELD", p + "h", "100", "WITHVALUES"},
      {"HSCAN", p + "h", "0"},
      {"HGETALL", p + "h"},
      // A write as the first command on a key.
      {"HINCRBY", p + "h2", "a", "1"},
      {"HGETALL", p + "h2"},
      // Sets.
      {"SISMEMBER", p + "s", "2"},
      {"SMEMBERS", p + "s"},
      {"PTTL", p + "s"},
      {"SCARD", p + "s"},
      {"SMISMEMBER", p + "s", "1", "7"},
      {"SRANDMEMBER", p + "s", "100"},
      {"SADD", p + "s", "7"},
      {"SREM", p + "s", "1"},
      {"SSCAN", p + "s", "0"},
      {"SMEMBERS", p + "s"},
      {"SPOP", p + "sp", "10"},
      {"EXISTS", p + "sp"},
      {"SADD", p + "sw", "plum"},
      {"SMEMBERS", p + "sw"},
      // Bigger than upstream-read-through-max-size: passed through, reads and writes.
      {"HLEN", p + "bigh"},
      {"HGET", p + "bigh", "field:7"},
      {"HMGET", p + "bigh", "field:1", "nope"},
      {"HSET", p + "bigh", "field:new", "v"},
      {"HLEN", p + "bigh"},
      {"HEXISTS", p + "bigh", "field:new"},
      {"HINCRBY", p + "bigh", "count", "3"},
      {"SCARD", p + "bigs"},
      {"SISMEMBER", p + "bigs", "member:9"},
      {"SADD", p + "bigs", "member:new", "member:9"},
      {"SMEMBERS", p + "bigs"},
      {"SREM", p + "bigs", "member:0"},
      {"TYPE", p + "bigh"},
      {"TTL", p + "bigs"},
      // Missing everywhere.
      {"HGET", p + "none", "f"},
      {"HGETALL", p + "none"},
      {"HRANDFIELD", p + "none", "2", "WITHVALUES"},
      {"SMEMBERS", p + "none"},
      {"SPOP", p + "none", "2"},
      {"SPOP", p + "none"},
      {"HSET", p + "made", "f", "v"},
      {"SADD", p + "made-set", "m"},
      // Bitmaps on a fetched string and on a missing key.
      {"GETBIT", p + "bm", "1"},
      {"SETBIT", p + "bm", "7", "1"},
      {"BITCOUNT", p + "bm"},
      {"BITPOS", p + "bm", "1"},
      {"BITFIELD", p + "bm", "INCRBY", "u8", "0", "10", "GET", "i4", "8"},
      {"BITFIELD_RO", p + "bm", "GET", "u16", "0"},
      {"GET", p + "bm"},
      {"SETBIT", p + "bnew", "100", "1"},
      {"STRLEN", p + "bnew"},
      // Wrong types, fetched and left upstream.
      {"HGET", p + "s", "f"},
      {"SADD", p + "h", "x"},
      {"GET", p + "h"},
      {"HGET", p + "l", "f"},
      {"SMEMBERS", p + "l"},
      {"SISMEMBER", p + "bigh", "x"},
      {"HGET", p + "bigs", "x"},
      {"GETBIT", p + "h", "0"},
      {"HSET", p + "str", "f", "v"},
      // The key commands on every type.
      {"TYPE", p + "h"},
      {"TYPE", p + "s"},
      {"DEL", p + "h2", p + "sw", p + "bigs"},
      {"EXISTS", p + "h2", p + "sw", p + "bigs", p + "bigh"},
      {"EXPIRE", p + "made", "1000"},
      {"TTL", p + "made"},
  };
}

// The raw replies of `commands`, one at a time over one connection speaking `protocol`.
std::vector<std::string> Replies(int port, int protocol, const std::vector<Argv>& commands) {
  RawClient c(port);
  const std::string hello = c.Call({"HELLO", std::to_string(protocol)});
  EXPECT_EQ(hello.substr(0, 1), protocol == 3 ? "%" : "*") << hello;
  std::vector<std::string> out;
  for (const Argv& cmd : commands) out.push_back(c.Call(cmd));
  return out;
}

class CollectionsReadThroughTest : public ReferenceTest {
 protected:
  void StartSeeded(const std::vector<Argv>& seed) {
    ASSERT_NO_FATAL_FAILURE(StartUpstream());
    ASSERT_NO_FATAL_FAILURE(StartReference());
    ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, seed));
    ASSERT_NO_FATAL_FAILURE(Seed(reference_port(), seed));
    ASSERT_NO_FATAL_FAILURE(StartProxy(kMaxSize));
  }
};

// Every reply, RESP2 and RESP3, is the reference's; small collections were fetched and the
// big ones' commands passed through; the upstream ends up holding what the reference holds.
TEST_F(CollectionsReadThroughTest, RepliesMatchARedisServerHoldingTheSameData) {
  std::vector<Argv> seed = SeedCollections("r2:");
  for (Argv& cmd : SeedCollections("r3:")) seed.push_back(std::move(cmd));
  ASSERT_NO_FATAL_FAILURE(StartSeeded(seed));
  for (int protocol : {2, 3}) {
    SCOPED_TRACE("RESP" + std::to_string(protocol));
    const std::vector<Argv> commands = CollectionCommands("r" + std::to_string(protocol) + ":");
    const int64_t loads = UpNumber("upstream_loads");
    const int64_t passed = UpNumber("upstream_passed_through");
    EXPECT_TRUE(SameRawReplies(commands, Replies(reference_port(), protocol, commands),
                               Replies(ringside_->port(), protocol, commands)));
    // h, h2, s, sp, sw, bm, bnew, made, made-set, none, l, str, bigh and bigs (asked again
    // after each write passed through).
    EXPECT_GE(UpNumber("upstream_loads") - loads, 14) << UpstreamSection(proxy());
    // The 14 commands on the big keys and the wrong types of them and of the list.
    EXPECT_GE(UpNumber("upstream_passed_through") - passed, 17) << UpstreamSection(proxy());
  }
  ExpectUpstreamLikeReference();
}

// The replies of the commands passed through for a big hash or set are the upstream's own, in
// the shape a RESP3 client gets from it: ringside and the upstream answer the same bytes (the
// reference's hash tables may order them otherwise).
TEST_F(CollectionsReadThroughTest, PassedThroughRepliesHaveTheUpstreamsResp3Shape) {
  ASSERT_NO_FATAL_FAILURE(StartSeeded(SeedCollections("")));
  const std::vector<Argv> commands = {{"HGETALL", "bigh"},    {"HKEYS", "bigh"},
                                      {"SMEMBERS", "bigs"},   {"HSCAN", "bigh", "0"},
                                      {"SSCAN", "bigs", "0"}, {"HMGET", "bigh", "field:1", "none"}};
  const std::vector<std::string> upstream = Replies(upstream_port_, 3, commands);
  const std::vector<std::string> ringside = Replies(ringside_->port(), 3, commands);
  for (size_t i = 0; i < commands.size(); ++i) {
    EXPECT_EQ(ringside[i], upstream[i]) << ShowCommand(commands[i]);
  }
  EXPECT_EQ(upstream[0].substr(0, 6), "%" + std::to_string(kBigFields) + "\r\n");
  EXPECT_EQ(upstream[2].substr(0, 6), "~" + std::to_string(kBigFields) + "\r\n");
  // Random picks: the shape, and pairs of the hash's own fields and values.
  RawClient c(ringside_->port());
  c.Call({"HELLO", "3"});
  const std::string pairs = c.Call({"HRANDFIELD", "bigh", "2", "WITHVALUES"});
  EXPECT_EQ(pairs.substr(0, 9), "*2\r\n*2\r\n$") << pairs;
  EXPECT_EQ(RawElements(pairs).size(), 2u) << pairs;
  EXPECT_NE(pairs.find("a value long enough to count"), std::string::npos) << pairs;
  const std::string popped = c.Call({"SPOP", "bigs", "2"});
  EXPECT_EQ(popped.substr(0, 4), "~2\r\n") << popped;
  EXPECT_EQ(Client(upstream_port_).Cmd({"SCARD", "bigs"}), Int(kBigFields - 2));
  EXPECT_GE(UpNumber("upstream_passed_through"), 8) << UpstreamSection(proxy());
}

// 1,000 pipelined hash and set commands over every shard, on keys fetched, kept, passed
// through, missing and made here, in the order sent: every reply is the reference's, and the
// upstream ends up holding the dataset the reference holds.
TEST_F(CollectionsReadThroughTest, APipelinedMixedWorkloadLeavesTheUpstreamLikeTheReference) {
  constexpr int kKeys = 60, kCommands = 1000;
  std::vector<Argv> seed = SeedCollections("");
  for (int i = 0; i < kKeys; i += 2) {
    seed.push_back({"HSET", "mh:" + std::to_string(i), "f", "v", "n", std::to_string(i)});
    seed.push_back({"SADD", "ms:" + std::to_string(i), "1", std::to_string(i)});
  }
  ASSERT_NO_FATAL_FAILURE(StartSeeded(seed));
  std::mt19937 rng(20261207);
  const auto pick = [&](const std::string& prefix) {
    return prefix + std::to_string(rng() % kKeys);
  };
  std::vector<Argv> commands;
  while (commands.size() < kCommands) {
    const std::string h = pick("mh:"), s = pick("ms:"), n = std::to_string(rng() % 20);
    switch (rng() % 14) {
      case 0:
        commands.push_back({"HGET", h, "f"});
        break;
      case 1:
        commands.push_back({"HSET", h, "f" + n, n});
        break;
      case 2:
        commands.push_back({"HINCRBY", h, "n", n});
        break;
      case 3:
        commands.push_back({"HDEL", h, "f", "f" + n});
        break;
      case 4:
        commands.push_back({"HLEN", h});
        break;
      case 5:
        commands.push_back({"SADD", s, n});
        break;
      case 6:
        commands.push_back({"SREM", s, n, "1"});
        break;
      case 7:
        commands.push_back({"SCARD", s});
        break;
      case 8:
        commands.push_back({"SISMEMBER", s, n});
        break;
      case 9:
        commands.push_back({"SMEMBERS", s});
        break;
      case 10:
        commands.push_back({"HSET", "bigh", "field:" + n, n});
        break;
      case 11:
        commands.push_back({"SADD", "bigs", "member:x" + n});
        break;
      case 12:
        commands.push_back({"DEL", rng() % 2 ? h : s});
        break;
      case 13:
        commands.push_back({"EXPIRE", h, "1000"});
        break;
    }
  }
  commands.resize(kCommands);
  PacedClient reference(reference_port()), ringside(ringside_->port());
  const std::string frame = Frame(commands);
  const std::vector<std::string> want = reference.Send(frame, {}, commands.size());
  const std::vector<std::string> got = ringside.Send(frame, {}, commands.size());
  EXPECT_TRUE(SameRawReplies(commands, want, got));
  EXPECT_GT(UpNumber("upstream_loads"), 50) << UpstreamSection(proxy());
  ExpectUpstreamLikeReference();
}

// A hash or set ringside holds follows what another client does to it on the upstream: a
// field or member changed, the key deleted, grown past upstream-read-through-max-size (then
// passed through), and replaced by a string.
TEST_F(CollectionsReadThroughTest, ChangesMadeOnTheUpstreamShowThroughRingside) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy(kMaxSize));
  Client u(upstream_port_);
  for (int shard = 0; shard < kShards; ++shard) {
    const std::string h = KeyOnShard("ch", shard, kShards), s = KeyOnShard("cs", shard, kShards);
    SCOPED_TRACE("hash " + h + ", set " + s + " on shard " + std::to_string(shard));
    ASSERT_EQ(u.Cmd({"HSET", h, "f", "v0"}), Int(1));
    ASSERT_EQ(u.Cmd({"SADD", s, "a"}), Int(1));
    ASSERT_EQ(proxy().Cmd({"HGET", h, "f"}), Bulk("v0"));
    ASSERT_EQ(proxy().Cmd({"SISMEMBER", s, "a"}), Int(1));
    const int64_t loads = UpNumber("upstream_loads");
    ASSERT_EQ(proxy().Cmd({"HGET", h, "f"}), Bulk("v0"));
    ASSERT_EQ(proxy().Cmd({"SCARD", s}), Int(1));
    EXPECT_EQ(UpNumber("upstream_loads"), loads) << "held: nothing fetched again";

    ASSERT_EQ(u.Cmd({"HSET", h, "f", "v1"}), Int(0));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return proxy().Cmd({"HGET", h, "f"}) == Bulk("v1");
        },
        seconds(10), milliseconds(10)));
    ASSERT_EQ(u.Cmd({"SADD", s, "b"}), Int(1));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return proxy().Cmd({"SCARD", s}) == Int(2);
        },
        seconds(10), milliseconds(10)));
    ASSERT_EQ(u.Cmd({"DEL", h}), Int(1));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return proxy().Cmd({"HLEN", h}) == Int(0);
        },
        seconds(10), milliseconds(10)));
    // Grown upstream past the size fetched: the next commands are the upstream's.
    Argv grow = {"SADD", s};
    for (int i = 0; i < kBigFields; ++i) grow.push_back("grown member " + std::to_string(i));
    ASSERT_EQ(u.Cmd(grow), Int(kBigFields));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return proxy().Cmd({"SCARD", s}) == Int(kBigFields + 2);
        },
        seconds(10), milliseconds(10)));
    const int64_t passed = UpNumber("upstream_passed_through");
    EXPECT_EQ(proxy().Cmd({"SADD", s, "c"}), Int(1));
    EXPECT_EQ(proxy().Cmd({"SISMEMBER", s, "c"}), Int(1));
    EXPECT_GE(UpNumber("upstream_passed_through"), passed + 2) << UpstreamSection(proxy());
    EXPECT_EQ(u.Cmd({"SISMEMBER", s, "c"}), Int(1));
    // Replaced by a string upstream.
    ASSERT_EQ(u.Cmd({"SET", s, "now a string"}), kOk);
    EXPECT_TRUE(WaitUntil(
        [&] {
          return proxy().Cmd({"GET", s}) == Bulk("now a string");
        },
        seconds(10), milliseconds(10)));
  }
  EXPECT_EQ(UpNumber("upstream_tracking_losses"), 0) << UpstreamSection(proxy());
}

// With upstream-read-through-max-size 0 no hash or set is fetched, and CONFIG SET changes
// the size for the keys fetched after it.
TEST_F(CollectionsReadThroughTest, MaxSizeZeroFetchesNoCollectionAndConfigSetChangesIt) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-read-through-max-size", "0"}));
  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"HSET", "zh", "f", "v"}), Int(1));
  ASSERT_EQ(u.Cmd({"HSET", "zh2", "f", "v"}), Int(1));
  ASSERT_EQ(u.Cmd({"SET", "zs", "a string is fetched"}), kOk);
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-read-through-max-size"}),
            Array({Bulk("upstream-read-through-max-size"), Bulk("0")}));
  const int64_t passed = UpNumber("upstream_passed_through");
  EXPECT_EQ(proxy().Cmd({"HGET", "zh", "f"}), Bulk("v"));
  EXPECT_EQ(proxy().Cmd({"HGET", "zh", "f"}), Bulk("v"));
  EXPECT_EQ(UpNumber("upstream_passed_through"), passed + 2) << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"GET", "zs"}), Bulk("a string is fetched"));
  EXPECT_EQ(UpNumber("upstream_passed_through"), passed + 2) << UpstreamSection(proxy());

  EXPECT_EQ(proxy().Cmd({"CONFIG", "SET", "upstream-read-through-max-size", "1mb"}), kOk);
  EXPECT_EQ(proxy().Cmd({"HGET", "zh2", "f"}), Bulk("v"));
  EXPECT_EQ(proxy().Cmd({"HGET", "zh2", "f"}), Bulk("v"));
  EXPECT_EQ(UpNumber("upstream_passed_through"), passed + 2) << "zh2 fetched and served here";
}

}  // namespace
}  // namespace ringside::testing
