// Pass-through and relay mode end to end: ringside (three shards, read-through on) in front of a
// real redis-server. Commands ringside does not serve itself (other data types, bitmaps,
// HyperLogLog, geo, scripts, PUBLISH, OBJECT, COPY, KEYS, DBSIZE, ...) go to the upstream and
// their replies come back byte for byte, in their place among the connection's other replies,
// without leaving ringside's copy of a string stale; the replies are compared with a second
// redis-server seeded the same and sent the same commands. Commands that keep state on their
// connection or block it (MULTI/EXEC, WATCH, BLPOP, SUBSCRIBE) get an upstream connection of the
// client's own until that state is over, without holding up other clients, and keys they wrote
// are read afresh afterwards; a lost relay connection closes its client. Commands about the
// upstream connection itself are refused. With upstream-read-through off none of this happens.
// Every test starts its own redis-servers and ringside.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"
#include "tests/support/reference_support.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// How long ringside may take to show a change, reconnect, or get a command to block upstream.
constexpr auto kDeadline = seconds(15);

std::string OnShard(const std::string& prefix, int shard) {
  return KeyOnShard(prefix, shard, kShards);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Raw RESP2 replies the tests expect literally.
std::string RawBulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
std::string RawArray(const std::vector<std::string>& raw_elements) {
  std::string out = "*" + std::to_string(raw_elements.size()) + "\r\n";
  for (const std::string& e : raw_elements) out += e;
  return out;
}
const std::string kRawOk = "+OK\r\n";
const std::string kRawQueued = "+QUEUED\r\n";
const std::string kRawNilArray = "*-1\r\n";

// The error ringside gives for a command about the upstream connection itself, up to where the
// documented text ends.
std::string RefusedPrefix(const std::string& lower_name) {
  return "-ERR '" + lower_name + "' is about the connection to the upstream itself";
}

class PassThroughTest : public ReferenceTest {
 protected:
  // The upstream and the reference, both seeded with `seed`, then ringside.
  void StartAll(const std::vector<Argv>& seed = {}) {
    ASSERT_NO_FATAL_FAILURE(StartUpstream());
    ASSERT_NO_FATAL_FAILURE(StartReference());
    ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, seed));
    ASSERT_NO_FATAL_FAILURE(Seed(reference_->port(), seed));
    ASSERT_NO_FATAL_FAILURE(StartProxy());
  }
  int ringside_port() const { return ringside_->port(); }
  // The same with `commands` pipelined, as one frame, on one connection to each.
  bool SamePipelined(const std::vector<Argv>& commands) {
    PacedClient reference(reference_port()), ringside(ringside_port());
    const std::string frame = Frame(commands);
    const std::vector<std::string> want = reference.Send(frame, {}, commands.size());
    const std::vector<std::string> got = ringside.Send(frame, {}, commands.size());
    return SameRawReplies(commands, want, got);
  }
  // Waits until the upstream has `n` clients blocked (BLPOP and the like).
  ::testing::AssertionResult BlockedUpstream(Client& u, int64_t n) {
    int64_t last = -1;
    if (WaitUntil(
            [&] {
              last = InfoNumber(u, "clients", "blocked_clients");
              return last == n;
            },
            kDeadline, milliseconds(5))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "the upstream has " << last << " blocked clients, not " << n;
  }
};

// Data the upstream and the reference hold before ringside starts.
std::vector<Argv> DifferentialSeed() {
  return {{"SET", "str", "hello world"},
          {"SET", OnShard("cnt", 2), "10"},
          {"HSET", "hs", "f1", "v1", "f2", "v2"},
          {"RPUSH", "lst", "a", "b", "c"},
          {"SADD", "st", "1", "2", "3", "4"},
          {"SADD", "st2", "3", "4", "5"},
          {"ZADD", "zs", "1", "a", "2", "b", "3", "c"},
          {"XADD", "strm", "1-1", "f", "v"},
          {"PFADD", "hll1", "a", "b", "c"},
          {"GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
           "Catania"}};
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
  EXPECT_GT(UpNumber("upstream_passed_through"), passed + 80) << UpstreamSection(proxy());
  ExpectUpstreamLikeReference();
}

// MULTI ... EXEC through ringside, pipelined, on keys ringside holds: the replies are the
// reference's, and the GETs right after EXEC see what the transaction wrote.
TEST_F(PassThroughTest, MultiExecPipelined) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string k = OnShard("k", 0), n = OnShard("n", 1), h = OnShard("h", 2);
  RawClient ringside(ringside_port()), reference(reference_port());
  // k and n written and read through ringside: held there.
  for (const Argv& cmd : std::vector<Argv>{{"SET", k, "v1"}, {"SET", n, "5"}, {"GET", k}, {"GET", n}}) {
    ASSERT_EQ(ringside.Call(cmd), reference.Call(cmd)) << ShowCommand(cmd);
  }
  const std::vector<Argv> pipeline = {{"MULTI"},     {"SET", k, "v2"}, {"INCR", n},
                                      {"HSET", h, "f", "v"}, {"GET", k}, {"EXEC"},
                                      {"GET", k},    {"GET", n}};
  ringside.SendRaw(Frame(pipeline));
  reference.SendRaw(Frame(pipeline));
  std::vector<std::string> want, got;
  for (size_t i = 0; i < pipeline.size(); ++i) {
    want.push_back(reference.ReadReply().value_or(""));
    got.push_back(ringside.ReadReply().value_or(""));
  }
  EXPECT_TRUE(SameRawReplies(pipeline, want, got));
  const std::vector<std::string> expected = {
      kRawOk,      kRawQueued, kRawQueued, kRawQueued, kRawQueued,
      RawArray({kRawOk, ":6\r\n", ":1\r\n", RawBulk("v2")}),
      RawBulk("v2"), RawBulk("6")};
  EXPECT_EQ(got, expected);
  ExpectUpstreamLikeReference();
}

// MULTI/EXEC, DISCARD and EXECABORT one command at a time (each transaction's relay ends
// between commands), through the typed client and raw: replies are the reference's, and a
// key ringside held reads as the transaction left it.
TEST_F(PassThroughTest, MultiExecDiscardAndExecAbort) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string k = OnShard("k", 1), n = OnShard("n", 2), l = OnShard("l", 0);

  // Typed, as a client library would drive it, on the reference and on ringside alike.
  for (const bool on_ringside : {false, true}) {
    SCOPED_TRACE(on_ringside ? "ringside" : "redis-server");
    Client c(on_ringside ? ringside_port() : reference_port());
    ASSERT_EQ(c.Cmd({"SET", k, "v1"}), kOk);
    ASSERT_EQ(c.Cmd({"SET", n, "10"}), kOk);
    ASSERT_EQ(c.Cmd({"GET", k}), Bulk("v1"));
    ASSERT_EQ(c.Cmd({"GET", n}), Bulk("10"));
    if (on_ringside) {
      const int64_t loads = UpNumber("upstream_loads");
      ASSERT_EQ(c.Cmd({"GET", k}), Bulk("v1"));
      ASSERT_EQ(UpNumber("upstream_loads"), loads) << "k is held";
    }
    EXPECT_EQ(c.Cmd({"MULTI"}), kOk);
    EXPECT_EQ(c.Cmd({"SET", k, "v3"}), Status("QUEUED"));
    EXPECT_EQ(c.Cmd({"INCR", n}), Status("QUEUED"));
    EXPECT_EQ(c.Cmd({"RPUSH", l, "a", "b"}), Status("QUEUED"));
    EXPECT_EQ(c.Cmd({"EXEC"}), Array({kOk, Int(11), Int(2)}));
    EXPECT_EQ(c.Cmd({"GET", k}), Bulk("v3"));
    EXPECT_EQ(c.Cmd({"GET", n}), Bulk("11"));
    EXPECT_EQ(c.Cmd({"INCR", n}), Int(12));
    EXPECT_EQ(c.Cmd({"LRANGE", l, "0", "-1"}), BulkArray({"a", "b"}));
    EXPECT_EQ(c.Cmd({"MULTI"}), kOk);
    EXPECT_EQ(c.Cmd({"SET", k, "never"}), Status("QUEUED"));
    EXPECT_EQ(c.Cmd({"DISCARD"}), kOk);
    EXPECT_EQ(c.Cmd({"GET", k}), Bulk("v3"));
    EXPECT_EQ(c.Cmd({"PING"}), Status("PONG"));
  }

  // The same paths raw, against the reference: DISCARD, EXEC and DISCARD without MULTI,
  // EXECABORT after a queued command of the wrong arity and an unknown one, a transaction in
  // another database.
  const std::string d = OnShard("d", 0), e = OnShard("e", 1), f = OnShard("f", 2);
  EXPECT_TRUE(SameOneByOne({
      {"SET", d, "before"},
      {"GET", d},
      {"MULTI"},
      {"SET", d, "discarded"},
      {"HSET", e, "f", "v"},
      {"DISCARD"},
      {"GET", d},
      {"HGETALL", e},
      {"EXEC"},
      {"DISCARD"},
      {"GET", d},
      {"MULTI"},
      {"SET", d},
      {"SET", d, "aborted"},
      {"NOSUCHCOMMAND", "x"},
      {"EXEC"},
      {"GET", d},
      {"PING"},
      {"MULTI"},
      {"MULTI"},
      {"INCR", d},
      {"EXEC"},
      {"GET", d},
      {"SELECT", "1"},
      {"SET", f, "in db 1"},
      {"GET", f},
      {"MULTI"},
      {"GET", f},
      {"APPEND", f, "+"},
      {"SET", d, "db 1 too"},
      {"EXEC"},
      {"GET", f},
      {"GET", d},
      {"SELECT", "0"},
      {"GET", f},
      {"GET", d},
  }));
  ExpectUpstreamLikeReference();
}

// redis-server runs a SELECT queued in a transaction at EXEC, so the connection is in that
// database afterwards; ringside, which keeps its own idea of the connection's database, must
// serve that one once the relay ends.
TEST_F(PassThroughTest, SelectQueuedInMultiChangesTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string k = OnShard("k", 0);
  EXPECT_TRUE(SameOneByOne({{"SET", k, "db0"},
                            {"GET", k},
                            {"MULTI"},
                            {"SELECT", "1"},
                            {"SET", k, "db1"},
                            {"EXEC"},
                            {"GET", k},
                            {"SET", k, "db1 again"},
                            {"SELECT", "0"},
                            {"GET", k}}));
  ExpectUpstreamLikeReference();
}

// WATCH on a key another client then changes directly on the upstream: EXEC answers a nil
// array, and the client is back to local serving, reading the key afresh once. WATCH without
// interference commits; UNWATCH ends relay mode too.
TEST_F(PassThroughTest, WatchSeesAnotherClientsWrite) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  const std::string k = OnShard("watched", 1);
  RawClient a(ringside_port());
  ASSERT_EQ(a.Call({"SET", k, "v0"}), kRawOk);
  ASSERT_EQ(a.Call({"GET", k}), RawBulk("v0"));

  ASSERT_EQ(a.Call({"WATCH", k}), kRawOk);
  ASSERT_EQ(u.Cmd({"SET", k, "other"}), kOk);
  EXPECT_EQ(a.Call({"MULTI"}), kRawOk);
  EXPECT_EQ(a.Call({"SET", k, "mine"}), kRawQueued);
  EXPECT_EQ(a.Call({"EXEC"}), kRawNilArray);
  EXPECT_EQ(u.Cmd({"GET", k}), Bulk("other"));

  // Local again: the key is read from the upstream once, then served from ringside's copy.
  const int64_t loads = UpNumber("upstream_loads");
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("other"));
  EXPECT_EQ(UpNumber("upstream_loads"), loads + 1) << UpstreamSection(proxy());
  const int64_t passed = UpNumber("upstream_passed_through");
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("other"));
  EXPECT_EQ(a.Call({"STRLEN", k}), ":5\r\n");
  EXPECT_EQ(UpNumber("upstream_loads"), loads + 1) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_passed_through"), passed)
      << "GET after EXEC still went to the relay\n"
      << UpstreamSection(proxy());

  // Nobody interferes: the transaction commits.
  EXPECT_EQ(a.Call({"WATCH", k}), kRawOk);
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("other"));
  EXPECT_EQ(a.Call({"MULTI"}), kRawOk);
  EXPECT_EQ(a.Call({"SET", k, "mine"}), kRawQueued);
  EXPECT_EQ(a.Call({"EXEC"}), RawArray({kRawOk}));
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("mine"));

  // WATCH then UNWATCH: local again after the UNWATCH.
  EXPECT_EQ(a.Call({"WATCH", k}), kRawOk);
  EXPECT_EQ(a.Call({"UNWATCH"}), kRawOk);
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("mine"));
  const int64_t passed2 = UpNumber("upstream_passed_through");
  const int64_t loads2 = UpNumber("upstream_loads");
  EXPECT_EQ(a.Call({"GET", k}), RawBulk("mine"));
  EXPECT_EQ(UpNumber("upstream_passed_through"), passed2) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_loads"), loads2) << UpstreamSection(proxy());
  // And a write on the upstream still shows, as for any key ringside holds.
  ASSERT_EQ(u.Cmd({"SET", k, "later"}), kOk);
  EXPECT_TRUE(WaitUntil([&] { return a.Call({"GET", k}) == RawBulk("later"); }, kDeadline));
}

// BLPOP through ringside waits on an upstream connection of its own: other ringside clients
// are served meanwhile, their passed-through commands on every shard included; a push made
// directly upstream, or through another ringside connection, wakes it; a timeout answers the
// nil array; afterwards the client is served locally again.
TEST_F(PassThroughTest, BlockingPopDoesNotHoldUpOthers) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  Client u(upstream_port_);
  RawClient b(ringside_port());
  Client other(ringside_port());
  const std::string q = OnShard("q", 0), q2 = OnShard("q2", 1);
  ASSERT_EQ(b.Call({"SET", "mine", "m"}), kRawOk);

  b.SendRaw(EncodeCommand({"BLPOP", q, "10"}));
  ASSERT_TRUE(BlockedUpstream(u, 1));
  for (int s = 0; s < kShards; ++s) {
    SCOPED_TRACE("shard " + std::to_string(s));
    const std::string key = OnShard("free", s), hash = OnShard("freeh", s),
                      list = OnShard("freel", s);
    EXPECT_EQ(other.Cmd({"SET", key, "v"}), kOk);
    EXPECT_EQ(other.Cmd({"GET", key}), Bulk("v"));
    EXPECT_EQ(other.Cmd({"HSET", hash, "f", "v"}), Int(1));
    EXPECT_EQ(other.Cmd({"HGET", hash, "f"}), Bulk("v"));
    EXPECT_EQ(other.Cmd({"LPUSH", list, "x"}), Int(1));
  }
  EXPECT_EQ(other.Cmd({"DBSIZE"}), Int(1 + 3 * kShards));
  // Another client's transaction gets a relay of its own.
  EXPECT_EQ(other.Cmd({"MULTI"}), kOk);
  EXPECT_EQ(other.Cmd({"INCR", "counter"}), Status("QUEUED"));
  EXPECT_EQ(other.Cmd({"EXEC"}), Array({Int(1)}));
  EXPECT_EQ(b.ReadReply(milliseconds(0)), std::nullopt) << "BLPOP answered with nothing pushed";
  EXPECT_EQ(InfoNumber(u, "clients", "blocked_clients"), 1);

  ASSERT_EQ(u.Cmd({"RPUSH", q, "e1"}), Int(1));
  EXPECT_EQ(b.ReadReply(), RawArray({RawBulk(q), RawBulk("e1")}));
  EXPECT_EQ(b.Call({"GET", "mine"}), RawBulk("m"));

  // Woken by a push through another ringside connection.
  b.SendRaw(EncodeCommand({"BRPOP", q2, "10"}));
  ASSERT_TRUE(BlockedUpstream(u, 1));
  EXPECT_EQ(other.Cmd({"RPUSH", q2, "e2", "e3"}), Int(2));
  EXPECT_EQ(b.ReadReply(), RawArray({RawBulk(q2), RawBulk("e3")}));

  // Timeouts, compared with the reference.
  RawClient reference(reference_port());
  for (const Argv& cmd : std::vector<Argv>{{"BLPOP", "empty", "0.2"},
                                           {"BLMOVE", "empty", "dst", "LEFT", "RIGHT", "0.1"},
                                           {"BZPOPMIN", "emptyz", "0.1"}}) {
    const auto start = Clock::now();
    const std::string got = b.Call(cmd);
    const int64_t took = ElapsedMs(start);
    EXPECT_EQ(got, reference.Call(cmd)) << ShowCommand(cmd);
    EXPECT_GE(took, 80) << ShowCommand(cmd) << " answered before its timeout";
  }
  // An element left over: answered at once.
  EXPECT_EQ(b.Call({"BLPOP", q2, "0.1"}), RawArray({RawBulk(q2), RawBulk("e2")}));
  EXPECT_EQ(b.Call({"BLPOP", "empty", "0.2"}), kRawNilArray);
  EXPECT_EQ(b.Call({"GET", "mine"}), RawBulk("m"));
  EXPECT_EQ(b.Call({"SET", "mine", "m2"}), kRawOk);
  EXPECT_EQ(b.Call({"GET", "mine"}), RawBulk("m2"));
  EXPECT_EQ(InfoNumber(u, "clients", "blocked_clients"), 0);
}

// SUBSCRIBE and PSUBSCRIBE through ringside: what the subscriber receives from a PUBLISH made
// directly upstream or through another ringside connection, including binary payloads, is
// what a subscriber of the reference receives from the same PUBLISH, byte for byte; so are
// the replies in subscribed mode and after unsubscribing.
TEST_F(PassThroughTest, PubSubMessagesAreRelayedByteForByte) {
  ASSERT_NO_FATAL_FAILURE(StartAll({{"SET", "plain", "value"}}));
  Client u(upstream_port_), r(reference_port()), other(ringside_port());
  RawClient sub(ringside_port()), ref_sub(reference_port());
  // Sends `cmd` to both subscribers and compares the `replies` replies of each (one per
  // channel for SUBSCRIBE and UNSUBSCRIBE); returns ringside's last.
  const auto both = [&](const Argv& cmd, int replies = 1) {
    ref_sub.SendRaw(EncodeCommand(cmd));
    sub.SendRaw(EncodeCommand(cmd));
    std::string got;
    for (int i = 0; i < replies; ++i) {
      const std::optional<std::string> w = ref_sub.ReadReply(), g = sub.ReadReply();
      EXPECT_TRUE(w.has_value()) << ShowCommand(cmd);
      EXPECT_EQ(g, w) << ShowCommand(cmd) << " reply " << i;
      got = g.value_or("");
    }
    return got;
  };
  ASSERT_EQ(both({"SUBSCRIBE", "ch"}),
            RawArray({RawBulk("subscribe"), RawBulk("ch"), ":1\r\n"}));
  ASSERT_EQ(both({"PSUBSCRIBE", "c*"}),
            RawArray({RawBulk("psubscribe"), RawBulk("c*"), ":2\r\n"}));
  EXPECT_EQ(both({"SUBSCRIBE", "other", "ch2"}, 2),
            RawArray({RawBulk("subscribe"), RawBulk("ch2"), ":4\r\n"}));

  // Each PUBLISH goes to the reference and to ringside's side, directly or through ringside;
  // the subscriber of each gets the same messages.
  const std::string binary("line\r\n$5\r\n*1\0end", 16);
  struct Publish {
    Client* via;
    std::string channel, message;
    int messages;  // how many each subscriber receives
  };
  const std::vector<Publish> publishes = {{&u, "ch", "hello", 2},
                                          {&other, "ch", "via ringside", 2},
                                          {&u, "cx", binary, 1},
                                          {&other, "ch2", binary, 2},
                                          {&u, "unheard", "x", 0}};
  for (const Publish& p : publishes) {
    SCOPED_TRACE("PUBLISH " + p.channel + " " + Show(p.message));
    const Reply want = r.Cmd({"PUBLISH", p.channel, p.message});
    EXPECT_EQ(p.via->Cmd({"PUBLISH", p.channel, p.message}), want);
    for (int i = 0; i < p.messages; ++i) {
      const std::optional<std::string> w = ref_sub.ReadReply(), g = sub.ReadReply();
      ASSERT_TRUE(w.has_value());
      EXPECT_EQ(g, w) << "message " << i;
    }
  }
  EXPECT_EQ(sub.ReadReply(milliseconds(100)), std::nullopt) << "a message nobody sent";
  const std::string message = RawArray({RawBulk("message"), RawBulk("ch"), RawBulk("again")});
  EXPECT_EQ(u.Cmd({"PUBLISH", "ch", "again"}), Int(2));
  EXPECT_EQ(sub.ReadReply(), message);
  EXPECT_EQ(sub.ReadReply(),
            RawArray({RawBulk("pmessage"), RawBulk("c*"), RawBulk("ch"), RawBulk("again")}));

  // Subscribed mode, then unsubscribing; the subscriptions' relay stays.
  both({"PING"});
  both({"PING", "payload"});
  both({"GET", "plain"});
  EXPECT_EQ(both({"UNSUBSCRIBE", "ch"}),
            RawArray({RawBulk("unsubscribe"), RawBulk("ch"), ":3\r\n"}));
  EXPECT_EQ(both({"PUNSUBSCRIBE"}),
            RawArray({RawBulk("punsubscribe"), RawBulk("c*"), ":2\r\n"}));
  // (UNSUBSCRIBE with no channels lists them in hash-table order, which differs between
  // servers: named here.)
  EXPECT_EQ(both({"UNSUBSCRIBE", "other", "ch2"}, 2),
            RawArray({RawBulk("unsubscribe"), RawBulk("ch2"), ":0\r\n"}));
  EXPECT_EQ(both({"PING"}), "+PONG\r\n");
  EXPECT_EQ(both({"GET", "plain"}), RawBulk("value"));
  EXPECT_EQ(u.Cmd({"PUBLISH", "ch", "after"}), Int(0));
}

// ~500 commands for one pipeline: strings ringside serves (seeded upstream, and written
// here), hashes, lists and sets passed on a shard's connection, BLPOP on a list that has
// elements, and two MULTI ... EXEC blocks and a WATCH block in the middle, each followed by
// reads of what it wrote. With `multi_key`, also commands passed on only once every shard's
// writes are acknowledged (SINTERSTORE, RPOPLPUSH, EVAL, COPY, BITOP, DBSIZE), right after
// writes of their keys, local or passed on.
std::vector<Argv> OrderingCommands(bool multi_key) {
  constexpr size_t kCommands = 500;
  std::mt19937 rng(multi_key ? 20250118 : 20250117);
  const auto pick = [&](const std::string& prefix, int n) {
    return prefix + std::to_string(rng() % n);
  };
  std::vector<Argv> commands;
  const auto transaction = [&] {
    const std::string s = pick("o:s", 12), c = pick("o:c", 6), h = pick("o:h", 8),
                      l = pick("o:l", 6), seeded = pick("o:seed", 30);
    const std::string at = std::to_string(commands.size());
    commands.insert(commands.end(), {{"MULTI"},
                                     {"SET", s, "in multi " + at},
                                     {"INCR", c},
                                     {"HSET", h, "m", at},
                                     {"LPUSH", l, "m"},
                                     {"APPEND", seeded, "+m"},
                                     {"GET", s},
                                     {"HGETALL", h},
                                     {"EXEC"},
                                     {"GET", s},
                                     {"GET", c},
                                     {"GET", seeded},
                                     {"HGET", h, "m"}});
  };
  bool watched = false;
  int transactions = 0;
  while (commands.size() < kCommands - 18) {
    if ((transactions == 0 && commands.size() >= 150) ||
        (transactions == 1 && commands.size() >= 330)) {
      transaction();
      ++transactions;
      continue;
    }
    if (!watched && commands.size() >= 250) {
      const std::string s = pick("o:s", 12), c = pick("o:c", 6);
      commands.insert(commands.end(), {{"WATCH", s}, {"GET", s}, {"MULTI"}, {"INCR", c},
                                       {"EXEC"}, {"GET", c}, {"WATCH", c}, {"UNWATCH"},
                                       {"INCR", c}});
      watched = true;
      continue;
    }
    const std::string s = pick("o:s", 12), seeded = pick("o:seed", 30), c = pick("o:c", 6),
                      h = pick("o:h", 8), l = pick("o:l", 6), st = pick("o:set", 4);
    const std::string v = "v" + std::to_string(commands.size());
    switch (rng() % (multi_key ? 19 : 13)) {
      case 0:
        commands.push_back({"SET", s, v});
        break;
      case 1:
        commands.push_back({"GET", s});
        break;
      case 2:
        commands.push_back({"GET", seeded});
        break;
      case 3:
        commands.push_back({"APPEND", seeded, "+"});
        break;
      case 4:
        commands.push_back({"INCR", c});
        break;
      case 5:
        commands.push_back({"HSET", h, "f" + std::to_string(rng() % 3), v});
        break;
      case 6:
        commands.push_back({"HGETALL", h});
        break;
      case 7:
        commands.push_back({"HINCRBY", h, "n", "2"});
        break;
      case 8:
        commands.push_back({"RPUSH", l, v});
        break;
      case 9:
        commands.push_back({"LRANGE", l, "0", "-1"});
        break;
      case 10:
        commands.push_back({"SADD", st, std::to_string(rng() % 20)});
        commands.push_back({"SCARD", st});
        break;
      case 11:
        commands.push_back({"MGET", s, seeded, c, h});
        break;
      case 12:
        commands.push_back({"LPUSH", l, "pop me"});
        commands.push_back({"BLPOP", l, "1"});
        break;
      // Only with multi_key.
      case 13:
        commands.push_back({"SINTERSTORE", "o:inter", st, pick("o:set", 4)});
        commands.push_back({"SCARD", "o:inter"});
        break;
      case 14:
        commands.push_back({"RPOPLPUSH", l, pick("o:l", 6)});
        break;
      case 15:
        commands.push_back({"INCR", c});
        commands.push_back({"EVAL",
                            "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCR', KEYS[2])",
                            "2", s, c, "by script " + std::to_string(commands.size())});
        commands.push_back({"GET", s});
        break;
      case 16:
        commands.push_back({"SET", s, v});
        commands.push_back({"COPY", s, "o:copy", "REPLACE"});
        commands.push_back({"GET", "o:copy"});
        break;
      case 17:
        commands.push_back({"APPEND", seeded, "#"});
        commands.push_back({"BITOP", "NOT", "o:not", seeded});
        commands.push_back({"GET", "o:not"});
        break;
      case 18:
        commands.push_back({"HSET", pick("o:new", 1000), "f", v});
        commands.push_back({"DBSIZE"});
        break;
    }
  }
  for (int i = 0; i < 12; ++i) commands.push_back({"GET", "o:s" + std::to_string(i)});
  for (int i = 0; i < 6; ++i) commands.push_back({"GET", "o:c" + std::to_string(i)});
  EXPECT_GE(commands.size(), kCommands);
  EXPECT_EQ(transactions, 2);
  EXPECT_TRUE(watched);
  for (int s = 0; s < kShards; ++s) {
    EXPECT_TRUE(std::any_of(commands.begin(), commands.end(), [&](const Argv& cmd) {
      return cmd.size() > 1 && cmd[0] == "HSET" && KeyShard(cmd[1], kShards) == s;
    })) << "no hash on shard " << s;
  }
  return commands;
}

std::vector<Argv> OrderingSeed() {
  std::vector<Argv> seed;
  for (int i = 0; i < 30; ++i) {
    seed.push_back({"SET", "o:seed" + std::to_string(i), "s" + std::to_string(i)});
  }
  for (int i = 0; i < 6; ++i) seed.push_back({"RPUSH", "o:l" + std::to_string(i), "a", "b"});
  return seed;
}

// OrderingCommands pipelined on one connection: every reply, in order, is the reference's to
// the same pipeline, and the upstream ends up holding what the reference holds.
TEST_F(PassThroughTest, PipelinedRepliesKeepTheirOrder) {
  ASSERT_NO_FATAL_FAILURE(StartAll(OrderingSeed()));
  const std::vector<Argv> commands = OrderingCommands(/*multi_key=*/false);
  const int64_t passed = UpNumber("upstream_passed_through");
  EXPECT_TRUE(SamePipelined(commands));
  EXPECT_GT(UpNumber("upstream_passed_through"), passed + 100) << UpstreamSection(proxy());
  ExpectUpstreamLikeReference();
}

// The same with commands passed on once every shard's writes are acknowledged, right after
// local writes of their keys in the same pipeline.
TEST_F(PassThroughTest, PipelinedMultiKeyPassThroughKeepsItsPlace) {
  ASSERT_NO_FATAL_FAILURE(StartAll(OrderingSeed()));
  EXPECT_TRUE(SamePipelined(OrderingCommands(/*multi_key=*/true)));
  ExpectUpstreamLikeReference();
}

// A local write, then, in the same pipeline, a command passed on once every shard's writes are
// acknowledged that uses the key, on keys of every shard.
// Before the fix, the barrier could reach the other shards before writes still batched or
// waiting for a fetch there, and INCR k; EVAL "INCR k" pipelined left k one short.
TEST_F(PassThroughTest, MultiKeyPassThroughSeesEarlierPipelinedWrites) {
  std::vector<Argv> seed;
  for (int i = 0; i < 12; ++i) seed.push_back({"SET", "c" + std::to_string(i), "1"});
  ASSERT_NO_FATAL_FAILURE(StartAll(seed));
  std::vector<Argv> commands;
  for (int i = 0; i < 12; ++i) {
    const std::string n = std::to_string(i);
    commands.insert(commands.end(),
                    {{"INCR", "c" + n},
                     {"EVAL", "return redis.call('INCR', KEYS[1])", "1", "c" + n},
                     {"SET", "src" + n, "v" + n},
                     {"COPY", "src" + n, "dst" + n},
                     {"SET", "bs" + n, "abc"},
                     {"BITOP", "NOT", "bd" + n, "bs" + n}});
  }
  EXPECT_TRUE(SamePipelined(commands));
  ExpectUpstreamLikeReference();
}

// A write passed on a shard's connection (HSET, RPUSH), then, in the same pipeline, a command
// passed on once every shard's writes are acknowledged (DBSIZE, EVAL, RPOPLPUSH) that must see
// it; 100 rounds in one pipeline.
// The barrier waits for the shards' records only, so the command must also wait for the
// connection's passed-through commands still unanswered (before the fix it overtook them a
// few times in a hundred).
TEST_F(PassThroughTest, MultiKeyPassThroughSeesEarlierPassedThroughWrites) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  std::vector<Argv> commands;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    commands.insert(commands.end(),
                    {{"HSET", "h" + n, "f", "v"},
                     {"DBSIZE"},
                     {"HSET", "x" + n, "f", "v" + n},
                     {"EVAL", "return redis.call('HGET', KEYS[1], 'f')", "1", "x" + n},
                     {"RPUSH", "l" + n, "a"},
                     {"RPOPLPUSH", "l" + n, "m" + n}});
  }
  EXPECT_TRUE(SamePipelined(commands));
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
  const std::vector<Argv> refused = {{"AUTH", "password"},
                                     {"AUTH", "default", "password"},
                                     {"RESET"},
                                     {"READONLY"},
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
  c.SendRaw(Frame({{"GET", "k"}, {"SWAPDB", "0", "1"}, {"HSET", "h", "f", "v"}, {"RESET"},
                   {"GET", "k"}}));
  EXPECT_EQ(c.ReadReply(), RawBulk("v"));
  EXPECT_EQ(c.ReadReply().value_or("").substr(0, RefusedPrefix("swapdb").size()),
            RefusedPrefix("swapdb"));
  EXPECT_EQ(c.ReadReply(), ":1\r\n");
  EXPECT_EQ(c.ReadReply().value_or("").substr(0, RefusedPrefix("reset").size()),
            RefusedPrefix("reset"));
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

// A relay lost (CLIENT KILL TYPE normal on the upstream kills it and the shards' write-through
// connections; TYPE pubsub a subscriber's relay) closes its client at once, as the upstream
// would have; other clients stay connected, and a new connection is served again, local,
// passed-through and relayed commands alike, once ringside has reconnected.
TEST_F(PassThroughTest, LostRelayClosesItsClient) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());

  RawClient blocked(ringside_port());
  blocked.SendRaw(EncodeCommand({"BLPOP", "q", "30"}));
  ASSERT_TRUE(BlockedUpstream(u, 1));
  const Reply killed = u.Cmd({"CLIENT", "KILL", "TYPE", "normal"});
  ASSERT_EQ(killed.type, Reply::Type::kInteger) << killed;
  EXPECT_GE(killed.integer, 1 + kShards) << "the relay and every shard's connection";
  const auto start = Clock::now();
  EXPECT_TRUE(blocked.WaitClosed(seconds(5))) << "the BLPOP client is still connected";
  EXPECT_LT(ElapsedMs(start), 5000);
  EXPECT_EQ(proxy().Cmd({"PING"}), Status("PONG")) << "another client was closed too";

  // A new connection works once ringside has reconnected.
  const auto works = [&] {
    Client c(ringside_port());
    return c.Cmd({"SET", "after", "kill"}) == kOk && c.Cmd({"GET", "after"}) == Bulk("kill") &&
           c.Cmd({"HSET", "h", "f", "v"}).type == Reply::Type::kInteger &&
           c.Cmd({"MULTI"}) == kOk && c.Cmd({"HGET", "h", "f"}) == Status("QUEUED") &&
           c.Cmd({"EXEC"}) == Array({Bulk("v")});
  };
  EXPECT_TRUE(WaitUntil(works, kDeadline, milliseconds(50))) << UpstreamSection(proxy());

  // A subscriber's relay.
  RawClient sub(ringside_port());
  ASSERT_EQ(sub.Call({"SUBSCRIBE", "ch"}),
            RawArray({RawBulk("subscribe"), RawBulk("ch"), ":1\r\n"}));
  ASSERT_EQ(u.Cmd({"PUBLISH", "ch", "m"}), Int(1));
  ASSERT_EQ(sub.ReadReply(), RawArray({RawBulk("message"), RawBulk("ch"), RawBulk("m")}));
  const Reply killed_pubsub = u.Cmd({"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_EQ(killed_pubsub.type, Reply::Type::kInteger) << killed_pubsub;
  EXPECT_GE(killed_pubsub.integer, 1 + kShards) << "the relay and every shard's invalidation connection";
  EXPECT_TRUE(sub.WaitClosed(seconds(5))) << "the subscriber is still connected";
  EXPECT_EQ(proxy().Cmd({"PING"}), Status("PONG"));
  EXPECT_TRUE(WaitUntil(works, kDeadline, milliseconds(50))) << UpstreamSection(proxy());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
}

// QUIT in relay mode answers +OK after the replies before it and closes the client, and
// nothing pipelined after it runs: not in a transaction (which the upstream then discards),
// not while subscribed; a later client gets a clean relay.
TEST_F(PassThroughTest, QuitInRelayModeClosesAfterTheRepliesBeforeIt) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  {
    RawClient c(ringside_port());
    c.SendRaw(Frame({{"MULTI"}, {"SET", "qa", "1"}, {"QUIT"}, {"SET", "qb", "2"}}));
    EXPECT_EQ(c.ReadReply(), kRawOk);
    EXPECT_EQ(c.ReadReply(), kRawQueued);
    EXPECT_EQ(c.ReadReply(), kRawOk);
    EXPECT_TRUE(c.WaitClosed(seconds(5))) << "the client is still connected after QUIT";
  }
  {
    RawClient c(ringside_port());
    c.SendRaw(Frame({{"SUBSCRIBE", "ch"}, {"QUIT"}, {"SET", "qc", "3"}}));
    EXPECT_EQ(c.ReadReply(), RawArray({RawBulk("subscribe"), RawBulk("ch"), ":1\r\n"}));
    EXPECT_EQ(c.ReadReply(), kRawOk);
    EXPECT_TRUE(c.WaitClosed(seconds(5))) << "the subscriber is still connected after QUIT";
  }
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(u.Cmd({"EXISTS", "qa", "qb", "qc"}), Int(0)) << "a command after QUIT ran";
  // The relay the transaction left open is reset for the next client.
  RawClient next(ringside_port());
  EXPECT_EQ(next.Call({"MULTI"}), kRawOk);
  EXPECT_EQ(next.Call({"SET", "qd", "4"}), kRawQueued);
  EXPECT_EQ(next.Call({"EXEC"}), RawArray({kRawOk}));
  EXPECT_EQ(u.Cmd({"GET", "qd"}), Bulk("4"));
}

// A relay goes back to the pool through RESET, which also logs it out: with
// upstream-password it must authenticate again, or the next client on it gets NOAUTH.
TEST_F(PassThroughTest, RelaysStayAuthenticated) {
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword("sekret"));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-password", "sekret"}));
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Client c(ringside_port());
    EXPECT_EQ(c.Cmd({"MULTI"}), kOk);
    EXPECT_EQ(c.Cmd({"INCR", "n"}), Status("QUEUED"));
    EXPECT_EQ(c.Cmd({"EXEC"}), Array({Int(round + 1)}));
    EXPECT_EQ(c.Cmd({"BLPOP", "empty", "0.05"}), Nil());
  }
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
  EXPECT_EQ(c.Call({"HSET", "h", "f", "v"}), unknown("HSET", "'h' 'f' 'v' "));
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
  same_as_redis({"HSET", "h", "f", "v"});
  same_as_redis({"hget", "h", "f"});
  same_as_redis({"LPUSH", "l", std::string(200, 'x')});
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

}  // namespace
}  // namespace ringside::testing
