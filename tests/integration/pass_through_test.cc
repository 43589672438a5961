// Pass-through end to end: ringside (three shards, read-through on) in front of a real
// redis-server. Commands ringside does not serve itself (lists, sorted sets, multi-key set and
// bit commands, HyperLogLog, geo, scripts, PUBLISH, OBJECT, COPY, KEYS, DBSIZE, ...) go to the
// upstream and their replies come back byte for byte, without leaving ringside's copy of a string
// stale; the replies are compared with a second redis-server seeded the same and sent the same
// commands. A stalled upstream fails a passed-through command at upstream-timeout. Commands
// about the upstream connection itself are refused, in relay mode too. With
// upstream-read-through off none of this happens.
// Every test starts its own redis-servers and ringside.

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/pass_through_support.h"
#include "tests/support/raw_client.h"
#include "tests/support/reference_support.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The error ringside gives for a command about the upstream connection itself, up to where the
// documented text ends.
std::string RefusedPrefix(const std::string& lower_name) {
  return "-ERR '" + lower_name + "' is about the connection to the upstream itself";
}

using PassThroughTest = PassThroughFixture;

// Data the upstream and the reference hold before ringside starts.
std::vector<Argv> DifferentialSeed() {
  return {
      {"SET", "str", "hello world"},
      {"SET", OnShard("cnt", 2), "10"},
      {"HSET", "hs", "f1", "v1", "f2", "v2"},
      {"RPUSH", "lst", "a", "b", "c"},
      {"SADD", "st", "1", "2", "3", "4"},
      {"SADD", "st2", "3", "4", "5"},
      {"ZADD", "zs", "1", "a", "2", "b", "3", "c"},
      {"XADD", "strm", "1-1", "f", "v"},
      {"PFADD", "hll1", "a", "b", "c"},
      {"GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"}};
}

// Every kind of passed-through command, mixed with the string commands ringside serves on the
// same keys; the replies must be the reference's.
std::vector<Argv> DifferentialCommands(const std::string& sha) {
  const std::string ea = OnShard("ea", 0), eb = OnShard("eb", 1), cnt = OnShard("cnt", 2);
  std::vector<Argv> c = {
      // A string written through ringside, then changed by bitmap commands upstream: each
      // change is seen by ringside's own string commands at once.
      {"SET", "sb", "abc"},
      {"GET", "sb"},
      {"SETBIT", "sb", "0", "1"},
      {"GET", "sb"},
      {"GETRANGE", "sb", "0", "1"},
      {"GETBIT", "sb", "0"},
      {"APPEND", "sb", "!"},
      {"SETBIT", "sb", "40", "1"},
      {"STRLEN", "sb"},
      {"GET", "sb"},
      {"BITCOUNT", "sb"},
      {"BITPOS", "sb", "0"},
      {"SETRANGE", "sb", "1", "Z"},
      {"BITFIELD", "sb", "INCRBY", "u8", "8", "1"},
      {"GET", "sb"},
      {"GETRANGE", "sb", "1", "2"},
      // A string read through first, then changed by a bitmap command.
      {"GET", "str"},
      {"SETBIT", "str", "7", "1"},
      {"GET", "str"},
      {"STRLEN", "str"},
      // Hashes.
      {"HSET", "hs", "f3", "v3"},
      {"HGET", "hs", "f1"},
      {"HGETALL", "hs"},
      {"HDEL", "hs", "f2", "nope"},
      {"HINCRBY", "hs", "n", "5"},
      {"HLEN", "hs"},
      {"HEXISTS", "hs", "f2"},
      {"HMGET", "hs", "f1", "f2", "n"},
      {"HSET", "hnew", "a", "1"},
      {"HGETALL", "hnew"},
      {"TYPE", "hnew"},
      // Lists.
      {"LPUSH", "lst", "z"},
      {"RPUSH", "lst", "d", "e"},
      {"LRANGE", "lst", "0", "-1"},
      {"LPOP", "lst"},
      {"RPOP", "lst", "2"},
      {"LLEN", "lst"},
      {"LINDEX", "lst", "1"},
      {"RPOPLPUSH", "lst", "lst2"},
      {"LMOVE", "lst", "lst2", "LEFT", "RIGHT"},
      {"LRANGE", "lst2", "0", "-1"},
      // Sets.
      {"SADD", "st", "9"},
      {"SREM", "st", "1"},
      {"SMEMBERS", "st"},
      {"SISMEMBER", "st", "2"},
      {"SCARD", "st"},
      {"SINTERSTORE", "sdst", "st", "st2"},
      {"SMEMBERS", "sdst"},
      {"SUNION", "st", "st2"},
      {"SADD", "sw", "apple", "pear", "plum"},
      {"SMEMBERS", "sw"},
      {"SINTERSTORE", "sdst", "sw", "st"},
      {"EXISTS", "sdst"},
      // Sorted sets.
      {"ZADD", "zs", "5", "d"},
      {"ZINCRBY", "zs", "2.5", "a"},
      {"ZRANGE", "zs", "0", "-1", "WITHSCORES"},
      {"ZSCORE", "zs", "a"},
      {"ZRANK", "zs", "b"},
      {"ZPOPMIN", "zs"},
      {"ZRANGEBYSCORE", "zs", "2", "+inf"},
      {"ZUNIONSTORE", "zu", "2", "zs", "zs"},
      {"ZRANGE", "zu", "0", "-1", "WITHSCORES"},
      // Streams, with IDs of their own so that both servers hold the same.
      {"XADD", "strm", "2-1", "g", "w"},
      {"XADD", "strm", "3-0", "h", "x"},
      {"XLEN", "strm"},
      {"XRANGE", "strm", "-", "+"},
      {"XREVRANGE", "strm", "+", "-", "COUNT", "1"},
      {"XDEL", "strm", "1-1"},
      {"XRANGE", "strm", "-", "+"},
      {"XADD", "strm", "1-0", "too", "old"},
      // HyperLogLog, read back as a string through ringside.
      {"PFADD", "hll1", "d", "e"},
      {"PFADD", "hll2", "c", "x", "y"},
      {"PFCOUNT", "hll1"},
      {"PFCOUNT", "hll1", "hll2"},
      {"PFMERGE", "hllm", "hll1", "hll2"},
      {"PFCOUNT", "hllm"},
      {"GET", "hllm"},
      {"STRLEN", "hll1"},
      // Geo.
      {"GEOADD", "geo", "12.758489", "38.788135", "edge1"},
      {"GEODIST", "geo", "Palermo", "Catania", "km"},
      {"GEOPOS", "geo", "Palermo", "nowhere"},
      {"GEOHASH", "geo", "Palermo", "Catania"},
      {"GEOSEARCH", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST"},
      // BITOP into a key ringside found missing before, then GET through ringside.
      {"SET", "ba", "abc"},
      {"SET", "bb", "bcd"},
      {"GET", "bdst"},
      {"BITOP", "OR", "bdst", "ba", "bb"},
      {"GET", "bdst"},
      {"BITOP", "NOT", "bdst", "ba"},
      {"GET", "bdst"},
      {"STRLEN", "bdst"},
      // COPY from a key just written through ringside over one it holds.
      {"SET", "csrc", "copied"},
      {"SET", "cdst", "old"},
      {"GET", "cdst"},
      {"COPY", "csrc", "cdst"},
      {"COPY", "csrc", "cdst", "REPLACE"},
      {"GET", "cdst"},
      {"COPY", "hs", "hcopy"},
      {"HGETALL", "hcopy"},
      // OBJECT, on seeded keys and on keys written through ringside.
      {"OBJECT", "ENCODING", cnt},
      {"OBJECT", "ENCODING", "str"},
      {"OBJECT", "ENCODING", "hs"},
      {"OBJECT", "ENCODING", "st"},
      {"OBJECT", "ENCODING", "zs"},
      {"OBJECT", "ENCODING", "lst"},
      {"OBJECT", "ENCODING", "missing"},
      {"SET", "oenc", "12345"},
      {"OBJECT", "ENCODING", "oenc"},
      {"SET", "oemb", "short"},
      {"OBJECT", "ENCODING", "oemb"},
      // EVAL reading a string just written through ringside (not yet acknowledged, perhaps)
      // and writing two that ringside holds, on three shards; ringside's GETs see the writes.
      {"SET", ea, "fresh"},
      {"GET", eb},
      {"GET", cnt},
      {"EVAL",
       "local v = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[2], v .. '!') "
       "return {v, redis.call('INCR', KEYS[3]), redis.call('GET', KEYS[2])}",
       "3", ea, eb, cnt},
      {"GET", eb},
      {"GET", cnt},
      {"INCR", cnt},
      {"APPEND", eb, "?"},
      {"EVAL", "return redis.call('GET', KEYS[1])", "1", eb},
      // EVAL replies: nested arrays, nil, a status, an error, a nil bulk.
      {"EVAL", "return {1, {2, 'two', {}}, false, {false, 'x'}, redis.status_reply('fine')}", "0"},
      {"EVAL", "return redis.call('GET', KEYS[1])", "1", "missing"},
      {"EVAL", "return false", "0"},
      {"EVAL", "return redis.error_reply('my error')", "0"},
      {"EVAL", "return redis.call('HGET', KEYS[1], 'f1')", "1", "hs"},
      {"EVAL", "return redis.call('INCR', KEYS[1])", "1", "hs"},
      {"SCRIPT", "LOAD", "return ARGV[1]"},
      {"EVALSHA", sha, "0", "from a loaded script"},
      {"SCRIPT", "EXISTS", sha, "0000000000000000000000000000000000000000"},
      // Nobody listens.
      {"PUBLISH", "nobody", "msg"},
      // Errors: unknown to both, wrong arity, wrong type, bad arguments.
      {"NOSUCHCOMMAND", "a", "b"},
      {"NOSUCHCOMMAND"},
      {"HSET", "hs"},
      {"LPUSH"},
      {"XADD", "strm"},
      {"SINTERSTORE", "sdst"},
      {"HGET", "str", "f"},
      {"LPUSH", "sb", "x"},
      {"GET", "hs"},
      {"ZADD", "zs", "notanumber", "m"},
      {"SETBIT", "sb", "-1", "1"},
      {"GET", "sb"},
  };
  // Writes through ringside on every shard, then the commands that answer from the whole key
  // space; KEYS and SCAN sorted.
  for (int s = 0; s < kShards; ++s) c.push_back({"SET", OnShard("dk", s), "v"});
  for (int s = 0; s < kShards; ++s) c.push_back({"HSET", OnShard("dh", s), "f", "v"});
  c.push_back({"DBSIZE"});
  c.push_back({"KEYS", "*"});
  c.push_back({"KEYS", "d?*"});
  c.push_back({"SCAN", "0", "COUNT", "1000"});
  c.push_back({"DEL", OnShard("dk", 0), OnShard("dh", 1)});
  c.push_back({"DBSIZE"});
  c.push_back({"KEYS", "d?*"});
  c.push_back({"GET", "sb"});
  return c;
}

// The replies to every kind of passed-through command, sent one at a time, are the
// reference's byte for byte; ringside's strings never go stale behind them; and the upstream
// ends up holding what the reference holds.
TEST_F(PassThroughTest, RepliesMatchARedisServer) {
  ASSERT_NO_FATAL_FAILURE(StartAll(DifferentialSeed()));
  const Reply sha = Client(reference_port()).Cmd({"SCRIPT", "LOAD", "return ARGV[1]"});
  ASSERT_EQ(sha.type, Reply::Type::kBulk) << sha;
  const int64_t passed = UpNumber("upstream_passed_through");

  const std::vector<Argv> commands = DifferentialCommands(sha.str);
  EXPECT_TRUE(SameOneByOne(commands));
  // Of the commands, about 20 on hashes, sets and bitmaps are served here.
  EXPECT_GT(UpNumber("upstream_passed_through"), passed + 60) << UpstreamSection(proxy());
  ExpectUpstreamLikeReference();
}

// Commands about the upstream connection itself are refused with the documented error,
// pipelined or not, and never reach the upstream; the connection goes on. SWAPDB leaves both
// databases as they were.
TEST_F(PassThroughTest, ConnectionCommandsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"CONFIG", "RESETSTAT"}), kOk);
  const std::vector<Argv> refused = {{"READONLY"},
                                     {"READWRITE"},
                                     {"FAILOVER"},
                                     {"SWAPDB", "0", "1"},
                                     {"SwapDb", "0", "1"},
                                     {"MIGRATE", "127.0.0.1", "1", "k", "0", "1000"},
                                     {"CLUSTER", "INFO"},
                                     {"ASKING"},
                                     {"DEBUG", "SLEEP", "0"},
                                     {"SYNC"},
                                     {"PSYNC", "?", "-1"},
                                     {"REPLICAOF", "NO", "ONE"},
                                     {"SLAVEOF", "127.0.0.1", "1"}};
  RawClient c(ringside_port());
  ASSERT_EQ(c.Call({"SET", "k", "v"}), kRawOk);
  for (const Argv& cmd : refused) {
    const std::string reply = c.Call(cmd);
    const std::string prefix = RefusedPrefix(Lower(cmd[0]));
    EXPECT_EQ(reply.substr(0, prefix.size()), prefix) << ShowCommand(cmd) << " -> " << Show(reply);
    EXPECT_EQ(reply.substr(reply.size() < 2 ? 0 : reply.size() - 2), "\r\n");
    EXPECT_EQ(c.Call({"PING"}), "+PONG\r\n") << "after " << ShowCommand(cmd);
  }
  // Pipelined among other commands, in their places.
  c.SendRaw(Frame(
      {{"GET", "k"}, {"SWAPDB", "0", "1"}, {"HSET", "h", "f", "v"}, {"FAILOVER"}, {"GET", "k"}}));
  EXPECT_EQ(c.ReadReply(), RawBulk("v"));
  EXPECT_EQ(c.ReadReply().value_or("").substr(0, RefusedPrefix("swapdb").size()),
            RefusedPrefix("swapdb"));
  EXPECT_EQ(c.ReadReply(), ":1\r\n");
  EXPECT_EQ(c.ReadReply().value_or("").substr(0, RefusedPrefix("failover").size()),
            RefusedPrefix("failover"));
  EXPECT_EQ(c.ReadReply(), RawBulk("v"));

  // Nothing was swapped: db 0 keeps k, here and upstream, and db 1 is empty.
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(c.Call({"GET", "k"}), RawBulk("v"));
  EXPECT_EQ(u.Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(c.Call({"SELECT", "1"}), kRawOk);
  EXPECT_EQ(c.Call({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(c.Call({"DBSIZE"}), ":0\r\n");
  const std::string stats = u.Cmd({"INFO", "commandstats"}).str;
  for (const char* name : {"auth", "swapdb", "readonly", "readwrite", "failover", "migrate",
                           "cluster", "asking", "debug", "sync", "psync", "replicaof", "slaveof"}) {
    EXPECT_EQ(stats.find(std::string("cmdstat_") + name + ":"), std::string::npos)
        << name << " reached the upstream:\n"
        << stats;
  }
}

// The refusal holds in relay mode too: SWAPDB queued in a transaction (or sent while
// subscribed or watching) does not reach the upstream either, so the databases stay as they
// were and what ringside serves stays what the upstream holds.
TEST_F(PassThroughTest, ConnectionCommandsAreRefusedInRelayModeToo) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  RawClient c(ringside_port());
  ASSERT_EQ(c.Call({"SET", "k", "in db 0"}), kRawOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(c.Call({"MULTI"}), kRawOk);
  const std::string swap = c.Call({"SWAPDB", "0", "1"});
  EXPECT_EQ(swap.substr(0, RefusedPrefix("swapdb").size()), RefusedPrefix("swapdb")) << Show(swap);
  c.Call({"EXEC"});
  EXPECT_EQ(u.Cmd({"GET", "k"}), Bulk("in db 0")) << "the upstream's databases were swapped";
  EXPECT_EQ(c.Call({"GET", "k"}), RawBulk("in db 0"));
  EXPECT_EQ(u.Cmd({"INFO", "commandstats"}).str.find("cmdstat_swapdb:"), std::string::npos);
}

// A stalled upstream (its writes paused): a command passed through fails once it has waited
// upstream-timeout, local keys are still served, and the upstream runs the command given up
// on once it wakes up, before the next one.
TEST_F(PassThroughTest, StalledUpstreamFailsAPassedThroughCommandAtUpstreamTimeout) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-timeout", "200"}));
  Client c(ringside_port()), u(upstream_port_);
  ASSERT_EQ(c.Cmd({"RPUSH", "list", "before"}), Int(1));
  ASSERT_EQ(c.Cmd({"SET", "local", "v"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ASSERT_EQ(u.Cmd({"CLIENT", "PAUSE", "2000", "WRITE"}), kOk);
  EXPECT_EQ(c.Cmd({"RPUSH", "list", "during"}),
            Error("ERR the upstream did not answer in time (upstream-timeout)"));
  EXPECT_EQ(c.Cmd({"GET", "local"}), Bulk("v"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return u.Cmd({"LLEN", "list"}) == Int(2);
      },
      kDeadline))
      << "the write given up on never ran upstream";
  EXPECT_EQ(c.Cmd({"RPUSH", "list", "after"}), Int(3));
  EXPECT_EQ(c.Cmd({"LRANGE", "list", "0", "-1"}), BulkArray({"before", "during", "after"}));
}

// upstream-read-through no: nothing is passed on or relayed; commands ringside does not know
// get the error redis-server gives for a command it does not know, formatted the same.
TEST_F(PassThroughTest, ReadThroughOffKnowsNoPassThrough) {
  read_through_ = false;
  ASSERT_NO_FATAL_FAILURE(StartAll());
  RawClient c(ringside_port()), reference(reference_port());
  const auto unknown = [](const std::string& name, const std::string& args) {
    return "-ERR unknown command '" + name + "', with args beginning with: " + args + "\r\n";
  };
  EXPECT_EQ(c.Call({"ZADD", "z", "1", "m"}), unknown("ZADD", "'z' '1' 'm' "));
  // The same format as redis-server's for a name it does not know.
  const auto same_as_redis = [&](const Argv& cmd) {
    Argv renamed = cmd;
    renamed[0] = "NOSUCH" + cmd[0];
    std::string want = reference.Call(renamed);
    const std::string quoted = "'" + renamed[0] + "'";
    const size_t at = want.find(quoted);
    if (at != std::string::npos) want.replace(at, quoted.size(), "'" + cmd[0] + "'");
    EXPECT_EQ(c.Call(cmd), want) << ShowCommand(cmd);
  };
  same_as_redis({"ZADD", "z", "1", "m"});
  same_as_redis({"zscore", "z", "m"});
  same_as_redis({"XADD", "l", std::string(200, 'x')});
  same_as_redis({"MULTI"});
  same_as_redis({"EXEC"});
  same_as_redis({"BLPOP", "q", "1"});
  same_as_redis({"SUBSCRIBE", "ch"});
  same_as_redis({"EVAL", "return 1", "0"});
  EXPECT_EQ(c.Call({"SET", "k", "v"}), kRawOk);
  EXPECT_EQ(c.Call({"GET", "k"}), RawBulk("v"));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  Client u(upstream_port_);
  EXPECT_EQ(u.Cmd({"EXISTS", "h", "l", "q"}), Int(0));
  EXPECT_EQ(u.Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(InfoNumber(u, "clients", "connected_clients"), 1 + kShards)
      << "this client and the shards' write-through connections only, no relays";
  EXPECT_EQ(UpNumber("upstream_passed_through"), 0) << UpstreamSection(proxy());
}

// Without read-through ringside's store is the dataset: hashes and sets are served here, and
// their writes reach the upstream as records.
TEST_F(PassThroughTest, ReadThroughOffServesHashesAndSetsAndWritesThemThrough) {
  read_through_ = false;
  ASSERT_NO_FATAL_FAILURE(StartAll());
  Client c(ringside_port()), up(upstream_port_);
  EXPECT_EQ(c.Cmd({"HSET", "h", "f", "v", "g", "w"}), Int(2));
  EXPECT_EQ(c.Cmd({"HINCRBYFLOAT", "h", "n", "1.5"}), Bulk("1.5"));
  EXPECT_EQ(c.Cmd({"SADD", "s", "a", "b", "c"}), Int(3));
  EXPECT_EQ(c.Cmd({"SMOVE", "s", "t", "a"}), Int(1));
  EXPECT_EQ(c.Cmd({"HGET", "h", "f"}), Bulk("v"));
  // Each shard has its own link to the upstream: every key is waited for.
  EXPECT_TRUE(WaitUntil([&] { return up.Cmd({"SISMEMBER", "t", "a"}) == Int(1); }, kDeadline));
  EXPECT_TRUE(WaitUntil([&] { return up.Cmd({"HGET", "h", "n"}) == Bulk("1.5"); }, kDeadline));
  EXPECT_TRUE(WaitUntil([&] { return up.Cmd({"SCARD", "s"}) == Int(2); }, kDeadline));
  EXPECT_EQ(up.Cmd({"HGET", "h", "g"}), Bulk("w"));
}

}  // namespace
}  // namespace ringside::testing
