// Read-through and coherence end to end: ringside (three shards) in front of a real
// redis-server that already holds data. A command on a key ringside does not hold first fetches
// it from the upstream, so what a client sees through ringside is what it would see on the
// upstream itself: every reply is compared byte for byte with a second redis-server seeded the
// same way and sent the same commands, one at a time and 1,000 pipelined. Keys of other types
// stay upstream and commands on them are relayed. Changes made on the upstream by anyone else
// reach ringside's copy through CLIENT TRACKING, also across a lost invalidation or
// write-through connection; ringside's own writes do not drop its copy. While the upstream is
// down, commands on keys ringside cannot vouch for fail after upstream-timeout and blind writes
// wait for it to return. With upstream-read-through off, the upstream's keys are not seen.
// Every test starts its own redis-servers and ringside.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
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

// How long a change made on the upstream may take to show through ringside.
constexpr auto kShowDeadline = seconds(10);
const Reply kWrongType = Error("WRONGTYPE Operation against a key holding the wrong kind of value");
const Reply kTimedOut = Error("ERR the upstream did not answer in time (upstream-timeout)");

std::string OnShard(const std::string& prefix, int shard) {
  return KeyOnShard(prefix, shard, kShards);
}

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Polls `cmd` on `c` until it answers `want` (kShowDeadline); the failure names the last
// reply.
::testing::AssertionResult Shows(Client& c, const Argv& cmd, const Reply& want) {
  Reply last;
  if (WaitUntil(
          [&] {
            last = c.Cmd(cmd);
            return last == want;
          },
          kShowDeadline, milliseconds(10))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << ShowCommand(cmd) << " still answers " << last << " after "
                                       << kShowDeadline.count() << " s, not " << want;
}

class ReadThroughTest : public ReferenceTest {
 protected:
  void TearDown() override {
    ReferenceTest::TearDown();
    on_port_.reset();
  }

  // A free port for an upstream started later by StartUpstreamOnPort; nothing listens there.
  void ReserveUpstreamPort() {
    upstream_port_ = FreePort();
    ASSERT_NE(upstream_port_, 0);
  }
  // redis-server on upstream_port_, replacing any started before; waits until it accepts
  // connections.
  void StartUpstreamOnPort() {
    on_port_.reset();
    on_port_ = std::make_unique<RedisOnPort>(
        upstream_port_, std::vector<std::string>{},
        dir_.path() + "/redis-" + std::to_string(++upstream_starts_) + ".log");
    ASSERT_TRUE(on_port_->Ready()) << "redis-server did not start on port " << upstream_port_;
  }
  std::unique_ptr<RedisOnPort> on_port_;
  int upstream_starts_ = 0;
};

// What the upstream and the reference both hold before ringside sees a command: strings with
// and without a TTL, numbers, a hash, a list and a set, in db 0 and db 2. `later` is written
// after ringside has started (keys it has never seen either way).
std::vector<Argv> SeedBefore() {
  return {{"SET", "str", "hello"},
          {"SET", "ttl", "expiring", "EX", "1000000"},
          {"SET", "num", "10"},
          {"SET", "neg", "-5"},
          {"SET", "flt", "10.5"},
          {"SET", "ap", "abc"},
          {"SET", "sr", "Hello World"},
          {"SET", "gs", "old"},
          {"SET", "gd", "take me"},
          {"SET", "gx", "expire me"},
          {"SET", "gxp", "persist me", "EX", "1000000"},
          {"SET", "nx", "present"},
          {"SET", "xx", "present"},
          {"SET", "sg", "before"},
          {"SET", "kt", "keep my ttl", "EX", "1000000"},
          {"SET", "del1", "x"},
          {"SET", "un1", "x"},
          {"SET", "tch", "x"},
          {"SET", "ex1", "e"},
          {"SET", "ex0", "gone soon"},
          {"SET", "pers", "p", "PX", "1000000000"},
          {"SET", "at", "at"},
          {"HSET", "h", "f", "v", "g", "w"},
          {"HSET", "h2", "f", "renamed hash"},
          {"HSET", "hdel", "f", "v"},
          {"HSET", "hover", "f", "v"},
          {"HSET", "hxx", "f", "v"},
          {"HSET", "hdest", "f", "v"},
          {"RPUSH", "l", "a", "b", "c"},
          {"SADD", "s", "x", "y"}};
}

std::vector<Argv> SeedLater() {
  return {{"SET", "rn", "renamed"},
          {"SET", "rnx", "r"},
          {"SET", "rnx_taken", "t"},
          {"SET", "rsrc", "over a hash"},
          {"SELECT", "2"},
          {"SET", "d2", "in db 2"},
          {"SET", "d2n", "7"},
          {"HSET", "d2h", "f", "v"},
          {"SELECT", "0"}};
}

// Commands on the seeded keys and on missing ones; their replies must be the reference's.
std::vector<Argv> DifferentialCommands() {
  return {
      // Reads of keys ringside has never seen.
      {"GET", "str"},
      {"GET", "ttl"},
      {"GET", "num"},
      {"GET", "missing"},
      {"STRLEN", "str"},
      {"STRLEN", "missing"},
      {"GETRANGE", "sr", "0", "4"},
      {"GETRANGE", "sr", "-5", "-1"},
      {"GETRANGE", "missing", "0", "1"},
      {"SUBSTR", "sr", "0", "3"},
      {"EXISTS", "str", "missing", "h", "l", "str", "s"},
      {"TYPE", "str"},
      {"TYPE", "h"},
      {"TYPE", "l"},
      {"TYPE", "s"},
      {"TYPE", "missing"},
      {"TTL", "str"},
      {"TTL", "ttl"},
      {"PTTL", "ttl"},
      {"TTL", "missing"},
      {"TTL", "h"},
      {"PTTL", "l"},
      {"MGET", "str", "h", "missing", "num", "l", "ttl", "s"},
      // Writes that read the old value, on pre-existing keys.
      {"INCR", "num"},
      {"INCRBY", "num", "5"},
      {"DECR", "num"},
      {"DECRBY", "num", "3"},
      {"GET", "num"},
      {"INCR", "neg"},
      {"INCRBYFLOAT", "flt", "0.25"},
      {"INCR", "str"},
      {"APPEND", "ap", "def"},
      {"GET", "ap"},
      {"SETRANGE", "sr", "6", "Redis"},
      {"GET", "sr"},
      {"GETSET", "gs", "new"},
      {"GET", "gs"},
      {"GETDEL", "gd"},
      {"GET", "gd"},
      {"GETEX", "gx", "EX", "1000000"},
      {"TTL", "gx"},
      {"GETEX", "gxp", "PERSIST"},
      {"TTL", "gxp"},
      {"SET", "nx", "other", "NX"},
      {"GET", "nx"},
      {"SET", "xx", "replaced", "XX"},
      {"GET", "xx"},
      {"SET", "sg", "after", "GET"},
      {"GET", "sg"},
      {"SET", "kt", "new value", "XX", "KEEPTTL"},
      {"TTL", "kt"},
      {"GET", "kt"},
      {"SETNX", "nx", "again"},
      {"GET", "nx"},
      // The same on keys that exist nowhere.
      {"INCR", "m_incr"},
      {"INCRBY", "m_incrby", "7"},
      {"DECR", "m_decr"},
      {"DECRBY", "m_decrby", "2"},
      {"INCRBYFLOAT", "m_flt", "1.5"},
      {"APPEND", "m_ap", "x"},
      {"SETRANGE", "m_sr", "3", "ab"},
      {"GET", "m_sr"},
      {"GETSET", "m_gs", "v"},
      {"GETDEL", "m_gd"},
      {"GETEX", "m_gx", "EX", "100"},
      {"SET", "m_nx", "v", "NX"},
      {"SET", "m_xx", "v", "XX"},
      {"GET", "m_xx"},
      {"SET", "m_sg", "v", "GET"},
      {"SETNX", "m_setnx", "v"},
      {"STRLEN", "m_setnx"},
      // Deletes and counts over existing, missing and hash keys.
      {"DEL", "del1", "missing", "hdel"},
      {"EXISTS", "del1", "hdel"},
      {"TYPE", "hdel"},
      {"UNLINK", "un1", "missing"},
      {"TOUCH", "tch", "missing", "h", "l"},
      // Expiry.
      {"EXPIRE", "ex1", "1000000"},
      {"TTL", "ex1"},
      {"EXPIRE", "missing", "100"},
      {"EXPIRE", "ttl", "10", "GT"},
      {"EXPIRE", "ex0", "0"},
      {"EXISTS", "ex0"},
      {"GET", "ex0"},
      {"PEXPIRE", "h", "100000000"},
      {"PTTL", "h"},
      {"PERSIST", "pers"},
      {"PTTL", "pers"},
      {"PERSIST", "str"},
      {"PERSIST", "h"},
      {"TTL", "h"},
      {"EXPIREAT", "at", "4102444800"},
      {"EXPIRETIME", "at"},
      {"PEXPIRETIME", "at"},
      // Renames: strings, a hash source, a string over a hash.
      {"RENAME", "rn", "rn2"},
      {"GET", "rn"},
      {"GET", "rn2"},
      {"RENAMENX", "rnx", "rnx_taken"},
      {"RENAMENX", "rnx", "rnx_free"},
      {"GET", "rnx_free"},
      {"RENAME", "missing", "anything"},
      {"RENAME", "h2", "h3"},
      {"TYPE", "h3"},
      {"TYPE", "h2"},
      {"EXISTS", "h2", "h3"},
      {"RENAMENX", "str", "h3"},
      {"RENAME", "rsrc", "hdest"},
      {"TYPE", "hdest"},
      {"GET", "hdest"},
      // MSETNX with existing strings, hashes and none.
      {"MSETNX", "ms1", "a", "ms2", "b"},
      {"MSETNX", "ms3", "a", "str", "b"},
      {"MSETNX", "ms4", "a", "h", "b"},
      {"MSETNX", "ms5", "a", "l", "b"},
      {"MGET", "ms1", "ms2", "ms3", "ms4", "ms5"},
      // String commands on keys of other types.
      {"GET", "h"},
      {"GET", "l"},
      {"GET", "s"},
      {"APPEND", "h", "x"},
      {"INCR", "l"},
      {"INCRBYFLOAT", "s", "1"},
      {"STRLEN", "h"},
      {"GETRANGE", "l", "0", "1"},
      {"SETRANGE", "h", "0", "x"},
      {"GETDEL", "h"},
      {"GETEX", "h", "PERSIST"},
      {"GETSET", "h", "v"},
      {"SET", "h", "v", "GET"},
      {"SET", "h", "v", "NX"},
      {"SETNX", "l", "v"},
      {"TYPE", "h"},
      {"SET", "hxx", "now a string", "XX"},
      {"TYPE", "hxx"},
      {"GET", "hxx"},
      {"SET", "hover", "blindly overwritten"},
      {"GET", "hover"},
      {"TYPE", "hover"},
      {"APPEND", "hover", "!"},
      // Another database, written to the upstream after ringside started.
      {"SELECT", "2"},
      {"GET", "d2"},
      {"INCR", "d2n"},
      {"TYPE", "d2h"},
      {"GET", "d2h"},
      {"EXISTS", "d2", "d2h", "str"},
      {"MGET", "d2", "d2h", "str"},
      {"DEL", "d2h"},
      {"SET", "d2new", "made in db 2"},
      {"SELECT", "0"},
      {"GET", "d2"},
      {"GET", "d2new"},
      {"GET", "str"},
      {"MGET", "str", "num", "ap", "sr", "gs", "gd", "xx", "sg", "kt", "nx", "m_incr", "m_flt"},
  };
}

// The replies of ringside in front of the upstream are the reference's, command for command,
// and once ringside has forwarded its writes the upstream holds what the reference holds:
// every type, value and TTL.
TEST_F(ReadThroughTest, RepliesMatchARedisServerHoldingTheSameData) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartReference());
  ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, SeedBefore()));
  ASSERT_NO_FATAL_FAILURE(Seed(reference_->port(), SeedBefore()));
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, SeedLater()));
  ASSERT_NO_FATAL_FAILURE(Seed(reference_->port(), SeedLater()));

  EXPECT_TRUE(SameOneByOne(DifferentialCommands()));
  // Keys were fetched, some found missing, and the commands on the list (9) passed on.
  EXPECT_GT(UpNumber("upstream_loads"), 20) << UpstreamSection(proxy());
  EXPECT_GT(UpNumber("upstream_load_misses"), 5) << UpstreamSection(proxy());
  EXPECT_GE(UpNumber("upstream_passed_through"), 9) << UpstreamSection(proxy());

  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_record_errors"), 0) << UpstreamSection(proxy());
  ExpectSameKeyspace(DumpTyped(reference_->port()), DumpTyped(upstream_port_));
}

// Changes another client makes directly on the upstream reach what ringside answers: a new
// value, a delete, an expiry, a change of type, a flush, in db 0 and db 1 and on every shard.
TEST_F(ReadThroughTest, ChangesMadeOnTheUpstreamShowThroughRingside) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client u(upstream_port_);
  std::vector<std::string> keys;
  for (int s = 0; s < kShards; ++s) keys.push_back(OnShard("coherent", s));
  for (const std::string& k : keys) ASSERT_EQ(u.Cmd({"SET", k, "v0"}), kOk);
  for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk("v0"));
  // Held now: asking again fetches nothing.
  const int64_t loads = UpNumber("upstream_loads");
  for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk("v0"));
  EXPECT_EQ(UpNumber("upstream_loads"), loads) << UpstreamSection(proxy());
  const int64_t invalidations = UpNumber("upstream_invalidations");

  for (const std::string& k : keys) {
    SCOPED_TRACE("key " + k + " on shard " + std::to_string(KeyShard(k, kShards)));
    ASSERT_EQ(u.Cmd({"SET", k, "v1"}), kOk);
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk("v1")));
    ASSERT_EQ(u.Cmd({"DEL", k}), Int(1));
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Nil()));
    EXPECT_TRUE(Shows(proxy(), {"EXISTS", k}, Int(0)));
    ASSERT_EQ(u.Cmd({"SET", k, "v2"}), kOk);
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk("v2")));
    // A TTL given upstream: ringside's TTL follows, then the key expires there and here.
    ASSERT_EQ(u.Cmd({"EXPIRE", k, "100"}), Int(1));
    EXPECT_TRUE(WaitUntil(
        [&] {
          const Reply ttl = proxy().Cmd({"TTL", k});
          return ttl.type == Reply::Type::kInteger && ttl.integer > 90 && ttl.integer <= 100;
        },
        kShowDeadline))
        << "TTL " << k << " -> " << proxy().Cmd({"TTL", k});
    ASSERT_EQ(u.Cmd({"PEXPIRE", k, "200"}), Int(1));
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Nil()));
    // Another type: left upstream, string commands get its error.
    ASSERT_EQ(u.Cmd({"SET", k, "v3"}), kOk);
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk("v3")));
    ASSERT_EQ(u.Cmd({"DEL", k}), Int(1));
    ASSERT_EQ(u.Cmd({"HSET", k, "f", "v"}), Int(1));
    EXPECT_TRUE(Shows(proxy(), {"TYPE", k}, Status("hash")));
    EXPECT_EQ(proxy().Cmd({"GET", k}), kWrongType);
    EXPECT_EQ(proxy().Cmd({"MGET", k}), Array({Nil()}));
    // And a string again.
    ASSERT_EQ(u.Cmd({"SET", k, "v4"}), kOk);
    EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk("v4")));
    EXPECT_EQ(proxy().Cmd({"TYPE", k}), Status("string"));
  }

  // The reports carry no database: a key of db 1 held by ringside follows too.
  Client p1(ringside_->port());
  ASSERT_EQ(p1.Cmd({"SELECT", "1"}), kOk);
  ASSERT_EQ(u.Cmd({"SELECT", "1"}), kOk);
  ASSERT_EQ(u.Cmd({"SET", "in-db-1", "one"}), kOk);
  ASSERT_EQ(p1.Cmd({"GET", "in-db-1"}), Bulk("one"));
  ASSERT_EQ(u.Cmd({"SET", "in-db-1", "two"}), kOk);
  EXPECT_TRUE(Shows(p1, {"GET", "in-db-1"}, Bulk("two")));
  ASSERT_EQ(u.Cmd({"SELECT", "0"}), kOk);

  // FLUSHALL upstream: every key ringside held, in every database, is gone.
  for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk("v4"));
  ASSERT_EQ(u.Cmd({"FLUSHALL"}), kOk);
  for (const std::string& k : keys) EXPECT_TRUE(Shows(proxy(), {"GET", k}, Nil())) << k;
  EXPECT_TRUE(Shows(p1, {"GET", "in-db-1"}, Nil()));
  // At least the SET, DEL, SET, EXPIRE, PEXPIRE, SET, DEL, HSET and SET of every key.
  EXPECT_GE(UpNumber("upstream_invalidations"), invalidations + 9 * kShards)
      << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_tracking_losses"), 0) << UpstreamSection(proxy());
}

// ringside's own writes, once the upstream has applied them, do not drop its copy: reads of
// the keys fetch nothing. A key written directly upstream on each shard afterwards is
// reported, which shows the reports of the earlier writes would have arrived by then.
TEST_F(ReadThroughTest, OwnWritesStayHeld) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_invalidation_status") == "up"; }))
      << UpstreamSection(proxy());
  const int64_t invalidations = UpNumber("upstream_invalidations");
  std::map<std::string, std::string> written;
  for (int s = 0; s < kShards; ++s) {
    const std::string set = OnShard("own-set", s), counter = OnShard("own-counter", s),
                      log = OnShard("own-log", s);
    ASSERT_EQ(proxy().Cmd({"SET", set, "mine"}), kOk);
    for (int i = 1; i <= 5; ++i) ASSERT_EQ(proxy().Cmd({"INCR", counter}), Int(i));
    ASSERT_EQ(proxy().Cmd({"APPEND", log, "a"}), Int(1));
    ASSERT_EQ(proxy().Cmd({"APPEND", log, "b"}), Int(2));
    written[set] = "mine";
    written[counter] = "5";
    written[log] = "ab";
  }
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ExpectKeys(upstream_port_, written);

  Client u(upstream_port_);
  for (int s = 0; s < kShards; ++s) ASSERT_EQ(u.Cmd({"SET", OnShard("marker", s), "x"}), kOk);
  EXPECT_TRUE(WaitUntil([&] {
    return UpNumber("upstream_invalidations") >= invalidations + kShards;
  })) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_invalidations"), invalidations + kShards)
      << "only the markers were reported\n"
      << UpstreamSection(proxy());

  const int64_t loads = UpNumber("upstream_loads");
  for (int round = 0; round < 50; ++round) {
    for (const auto& [key, value] : written) {
      ASSERT_EQ(proxy().Cmd({"GET", key}), Bulk(value)) << key;
    }
  }
  EXPECT_EQ(UpNumber("upstream_loads"), loads) << UpstreamSection(proxy());
}

// A lost invalidation connection (CLIENT KILL TYPE pubsub) or write-through connection (CLIENT
// KILL TYPE normal) means changes made upstream meanwhile may never be reported. The kill and
// a SET of every held key go to the upstream in one pipeline, so the SET is applied before
// ringside can even reconnect: ringside must drop what it held and fetch the new values.
TEST_F(ReadThroughTest, LostTrackingConnectionsDropWhatRingsideHeld) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_invalidation_status") == "up"; }))
      << UpstreamSection(proxy());
  Client u(upstream_port_);
  std::vector<std::string> keys;
  for (int s = 0; s < kShards; ++s) keys.push_back(OnShard("tracked", s));
  for (const std::string& k : keys) ASSERT_EQ(u.Cmd({"SET", k, "old"}), kOk);
  for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk("old"));
  const int64_t loads = UpNumber("upstream_loads");
  for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk("old"));
  ASSERT_EQ(UpNumber("upstream_loads"), loads) << "the keys are held";

  struct Kill {
    std::string type;   // the CLIENT KILL TYPE
    std::string value;  // what the keys are set to right after it
  };
  for (const Kill& step : {Kill{"pubsub", "new"}, Kill{"normal", "newer"}}) {
    SCOPED_TRACE("CLIENT KILL TYPE " + step.type);
    const int64_t losses = UpNumber("upstream_tracking_losses");
    u.Append({"CLIENT", "KILL", "TYPE", step.type});  // SKIPME yes: not this connection
    for (const std::string& k : keys) u.Append({"SET", k, step.value});
    const Reply killed = u.GetReply();
    // Per shard: its invalidation connection (pubsub); or its write-through connection and
    // the idle relay connection it keeps ready (normal).
    EXPECT_EQ(killed, Int(step.type == "pubsub" ? kShards : 2 * kShards))
        << "the connections of this kind of every shard";
    for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(u.GetReply(), kOk);

    for (const std::string& k : keys) {
      EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk(step.value)));
    }
    EXPECT_GE(UpNumber("upstream_tracking_losses"), losses + kShards) << UpstreamSection(proxy());
    EXPECT_TRUE(WaitUntil([&] {
      return Up(proxy(), "upstream_invalidation_status") == "up" &&
             Up(proxy(), "upstream_link_status") == "up";
    })) << UpstreamSection(proxy());
    // Tracking is registered again: a later change is reported as before.
    for (const std::string& k : keys) ASSERT_EQ(proxy().Cmd({"GET", k}), Bulk(step.value));
    for (const std::string& k : keys) ASSERT_EQ(u.Cmd({"SET", k, step.value + "+"}), kOk);
    for (const std::string& k : keys) {
      EXPECT_TRUE(Shows(proxy(), {"GET", k}, Bulk(step.value + "+")));
    }
  }
}

// The upstream killed and started again, empty, on its port (upstream-timeout 300). Meanwhile:
// a key written through ringside that the upstream never acknowledged is served from here; a
// key ringside only read from the upstream cannot be vouched for once the invalidation
// connection is gone (the upstream may come back holding something else, as it does here), so
// it, like a key never seen, fails after the timeout, and the connection goes on; a blind SET
// is taken and reaches the upstream when it is back, and keys written there are read through.
TEST_F(ReadThroughTest, UpstreamOutage) {
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-timeout", "300"}));
  const std::string seeded = OnShard("seeded", 0), unacked = OnShard("unacked", 1),
                    never = OnShard("never", 2), blind = OnShard("blind", 0);
  {
    Client u(upstream_port_);
    ASSERT_EQ(u.Cmd({"SET", seeded, "from the upstream"}), kOk);
    ASSERT_EQ(proxy().Cmd({"GET", seeded}), Bulk("from the upstream"));
    // The upstream holds writes back, so this one is still unacknowledged when it dies.
    ASSERT_EQ(u.Cmd({"CLIENT", "PAUSE", "60000", "WRITE"}), kOk);
    ASSERT_EQ(proxy().Cmd({"SET", unacked, "not acknowledged"}), kOk);
    ASSERT_TRUE(WaitUntil([&] { return UpNumber("upstream_pending_records") >= 1; }))
        << UpstreamSection(proxy());
  }
  ASSERT_TRUE(on_port_->Kill()) << "redis-server did not die of SIGKILL";
  ASSERT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_link_status") != "up"; }))
      << UpstreamSection(proxy());

  EXPECT_EQ(proxy().Cmd({"GET", unacked}), Bulk("not acknowledged"));
  for (const std::string& key : {seeded, never}) {
    const auto start = Clock::now();
    EXPECT_EQ(proxy().Cmd({"GET", key}), kTimedOut) << key;
    const int64_t took = ElapsedMs(start);
    EXPECT_GE(took, 250) << "answered before upstream-timeout";
    EXPECT_LT(took, 5000) << "answered long after upstream-timeout";
  }
  EXPECT_EQ(proxy().Cmd({"PING"}), Status("PONG"));
  EXPECT_EQ(proxy().Cmd({"GET", unacked}), Bulk("not acknowledged"));
  ASSERT_EQ(proxy().Cmd({"SET", blind, "y"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", blind}), Bulk("y"));

  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  EXPECT_TRUE(WaitUntil([&] {
    Client u(upstream_port_);
    return u.Cmd({"GET", blind}) == Bulk("y") &&
           u.Cmd({"GET", unacked}) == Bulk("not acknowledged");
  })) << UpstreamSection(proxy());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ASSERT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_invalidation_status") == "up"; }))
      << UpstreamSection(proxy());
  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"SET", "fresh", "written after the restart"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "fresh"}), Bulk("written after the restart"));
  EXPECT_EQ(proxy().Cmd({"GET", seeded}), Nil()) << "the restarted upstream does not have it";
  EXPECT_EQ(proxy().Cmd({"GET", never}), Nil());
  EXPECT_EQ(proxy().Cmd({"GET", blind}), Bulk("y"));
  EXPECT_EQ(u.Cmd({"DBSIZE"}), Int(3));
}

// 1,000 pipelined commands on one connection, over every shard: reads of pre-seeded keys that
// must be fetched (several commands on a key waiting behind one fetch), reads and writes of
// keys held, missing keys, and TYPE, EXISTS, MGET and DEL on list keys passed upstream. Every
// reply, in order, is the reference's to the same pipeline.
TEST_F(ReadThroughTest, PipelinedRepliesKeepTheirOrder) {
  constexpr int kSeeded = 300, kLists = 60, kCommands = 1000;
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartReference());
  std::vector<Argv> seed;
  for (int i = 0; i < kSeeded; ++i) {
    seed.push_back({"SET", "p:seed:" + std::to_string(i), "seeded " + std::to_string(i)});
  }
  for (int i = 0; i < kLists; ++i) {
    seed.push_back({"RPUSH", "p:list:" + std::to_string(i), "a", "b"});
  }
  for (int s = 0; s < kShards; ++s) seed.push_back({"SET", OnShard("p:counter", s), "100"});
  ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, seed));
  ASSERT_NO_FATAL_FAILURE(Seed(reference_->port(), seed));
  ASSERT_NO_FATAL_FAILURE(StartProxy());

  std::mt19937 rng(20240611);
  const auto pick = [&](const std::string& prefix, int n) {
    return prefix + std::to_string(rng() % n);
  };
  std::vector<Argv> commands;
  std::vector<bool> shards_seen(kShards);
  while (commands.size() < kCommands) {
    const std::string seeded = pick("p:seed:", kSeeded), list = pick("p:list:", kLists),
                      written = pick("p:w:", 40), counter = OnShard("p:counter", rng() % kShards);
    switch (rng() % 12) {
      case 0:
      case 1:
        commands.push_back({"GET", seeded});
        break;
      case 2:
        // A fetch with commands on the same key queued right behind it.
        commands.push_back({"GET", seeded});
        commands.push_back({"APPEND", seeded, "+"});
        commands.push_back({"STRLEN", seeded});
        break;
      case 3:
        commands.push_back({"SET", written, "w" + std::to_string(commands.size())});
        break;
      case 4:
        commands.push_back({"GET", written});
        break;
      case 5:
        commands.push_back({"INCR", counter});
        break;
      case 6:
        commands.push_back({"TYPE", list});
        break;
      case 7:
        commands.push_back({"EXISTS", list, seeded, written});
        break;
      case 8:
        commands.push_back({"DEL", list});
        break;
      case 9:
        commands.push_back({"MGET", seeded, list, written, pick("p:missing:", 50)});
        break;
      case 10:
        commands.push_back({"GET", pick("p:missing:", 50)});
        break;
      case 11:
        commands.push_back({"GETSET", seeded, "swapped"});
        break;
    }
  }
  commands.resize(kCommands);
  for (const Argv& cmd : commands) shards_seen[KeyShard(cmd[1], kShards)] = true;
  for (int s = 0; s < kShards; ++s) ASSERT_TRUE(shards_seen[s]) << "no key on shard " << s;

  PacedClient reference(reference_->port()), ringside(ringside_->port());
  const std::string frame = Frame(commands);
  const std::vector<std::string> want = reference.Send(frame, {}, commands.size());
  const std::vector<std::string> got = ringside.Send(frame, {}, commands.size());
  EXPECT_TRUE(SameRawReplies(commands, want, got));
  EXPECT_GT(UpNumber("upstream_loads"), 100) << UpstreamSection(proxy());
  EXPECT_GT(UpNumber("upstream_passed_through"), 20) << UpstreamSection(proxy());

  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ExpectSameKeyspace(DumpTyped(reference_->port()), DumpTyped(upstream_port_));
}

// upstream-read-through no: the keys ringside holds are all there are. A key the upstream
// holds (written before or after ringside started) is not seen, nothing is fetched, and
// writes still go upstream.
TEST_F(ReadThroughTest, ReadThroughOffDoesNotSeeTheUpstreamsKeys) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"SET", "before", "upstream only"}), kOk);
  ASSERT_EQ(u.Cmd({"HSET", "hash", "f", "v"}), Int(1));
  read_through_ = false;
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_EQ(u.Cmd({"SET", "after", "upstream only"}), kOk);
  EXPECT_EQ(Up(proxy(), "upstream_read_through"), "no") << UpstreamSection(proxy());
  EXPECT_EQ(Up(proxy(), "upstream_invalidation_status"), "none") << UpstreamSection(proxy());

  EXPECT_EQ(proxy().Cmd({"GET", "before"}), Nil());
  EXPECT_EQ(proxy().Cmd({"GET", "after"}), Nil());
  EXPECT_EQ(proxy().Cmd({"EXISTS", "before", "after", "hash"}), Int(0));
  EXPECT_EQ(proxy().Cmd({"TYPE", "hash"}), Status("none"));
  EXPECT_EQ(proxy().Cmd({"GET", "hash"}), Nil());
  ASSERT_EQ(proxy().Cmd({"SET", "mine", "from ringside"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(u.Cmd({"GET", "mine"}), Bulk("from ringside"));
  EXPECT_EQ(u.Cmd({"GET", "before"}), Bulk("upstream only"));
  EXPECT_EQ(UpNumber("upstream_loads"), 0) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_passed_through"), 0) << UpstreamSection(proxy());
}

}  // namespace
}  // namespace ringside::testing
