// The upstream link end to end: ringside (three shards) forwarding every write it applies to a
// real redis-server. Under the async policy the two converge (also across an upstream crash and
// restart); under sync a reply means the upstream has the write; a refused password leaves
// ringside serving locally and saying why the link is down. Every test starts its own
// redis-server and ringside and compares state by reading both.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// SET, SET EX, a cross-shard MSET, INCR, APPEND, DEL, EXPIRE, GETDEL, a 1 MiB value and writes
// in another database, on keys of every shard.
std::vector<Argv> MixedWorkload() {
  std::vector<Argv> w;
  for (int s = 0; s < kShards; ++s) {
    const std::string t = std::to_string(s);
    const auto key = [&](const std::string& name) {
      return KeyOnShard(name + t + ":", s, kShards);
    };
    w.push_back({"SET", key("plain"), "value-" + t});
    w.push_back({"SET", key("ex"), "expiring-" + t, "EX", "1000"});
    for (int i = 0; i < 3; ++i) w.push_back({"INCR", key("counter")});
    w.push_back({"APPEND", key("log"), "first;"});
    w.push_back({"APPEND", key("log"), "second;"});
    w.push_back({"SET", key("expire"), "soon"});
    w.push_back({"EXPIRE", key("expire"), "500"});
    w.push_back({"SET", key("deleted"), "x"});
    w.push_back({"DEL", key("deleted"), key("never")});
    w.push_back({"SET", key("getdel"), "taken"});
    w.push_back({"GETDEL", key("getdel")});
    w.push_back({"GETDEL", key("never")});
  }
  w.push_back({"MSET", KeyOnShard("m:a", 0, kShards), "1", KeyOnShard("m:b", 1, kShards), "2",
               KeyOnShard("m:c", 2, kShards), "3"});
  w.push_back({"SET", "big", Pattern(1 << 20, 7)});
  w.push_back({"SELECT", "3"});
  w.push_back({"SET", "db3:key", "in db 3"});
  w.push_back({"SET", "db3:ttl", "x", "PX", "900000"});
  w.push_back({"INCR", "db3:counter"});
  w.push_back({"SELECT", "0"});
  w.push_back({"SET", "after-select", "in db 0"});
  return w;
}

TEST_F(UpstreamTest, AsyncWorkloadReachesTheUpstreamIntact) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());  // the default policy, async
  for (const Argv& cmd : MixedWorkload()) {
    const Reply r = proxy().Cmd(cmd);
    ASSERT_FALSE(r.IsError() || r.type == Reply::Type::kIoError) << ShowCommand(cmd) << " -> " << r;
  }
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_GT(std::stoll(Up(proxy(), "upstream_acked_records")), 0);

  const std::vector<Db> local = DumpAll(ringside_->port());
  const std::vector<Db> remote = DumpAll(upstream_->port());
  EXPECT_EQ(local[0].size(), 20u);
  EXPECT_EQ(local[3].size(), 3u);
  EXPECT_EQ(local[0].at("big").first.size(), size_t{1} << 20);
  ExpectSameData(local, remote);
  Client r(ringside_->port()), u(upstream_->port());
  for (int db = 0; db < kDbs; ++db) {
    ASSERT_EQ(r.Cmd({"SELECT", std::to_string(db)}), kOk);
    ASSERT_EQ(u.Cmd({"SELECT", std::to_string(db)}), kOk);
    EXPECT_EQ(r.Cmd({"DBSIZE"}), u.Cmd({"DBSIZE"})) << "db " << db;
  }
}

// Under sync a reply means the upstream has the write: read right after it, no polling.
TEST_F(UpstreamTest, SyncWritesAreOnTheUpstreamWhenTheReplyArrives) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "sync"}));
  Client u(upstream_->port());
  for (int i = 0; i < 60; ++i) {
    const std::string key = KeyOnShard("sync" + std::to_string(i) + ":", i % kShards, kShards);
    const std::string value = "value " + std::to_string(i);
    ASSERT_EQ(proxy().Cmd({"SET", key, value}), kOk);
    EXPECT_EQ(u.Cmd({"GET", key}), Bulk(value)) << "right after the reply to SET " << key;
  }
  const std::string a = KeyOnShard("ms:a", 0, kShards), b = KeyOnShard("ms:b", 1, kShards),
                    c = KeyOnShard("ms:c", 2, kShards);
  ASSERT_EQ(proxy().Cmd({"MSET", a, "1", b, "2", c, "3"}), kOk);
  EXPECT_EQ(u.Cmd({"MGET", a, b, c}), BulkArray({"1", "2", "3"}));
  ASSERT_EQ(proxy().Cmd({"INCR", a}), Int(2));
  EXPECT_EQ(u.Cmd({"GET", a}), Bulk("2"));
  ASSERT_EQ(proxy().Cmd({"SET", b, "x", "EX", "100"}), kOk);
  const Reply pttl = u.Cmd({"PTTL", b});
  EXPECT_TRUE(pttl.type == Reply::Type::kInteger && pttl.integer > 98'000) << pttl;
  ASSERT_EQ(proxy().Cmd({"DEL", c}), Int(1));
  EXPECT_EQ(u.Cmd({"EXISTS", c}), Int(0));
  ASSERT_EQ(proxy().Cmd({"SELECT", "3"}), kOk);
  ASSERT_EQ(proxy().Cmd({"SET", "in3", "three"}), kOk);
  ASSERT_EQ(u.Cmd({"SELECT", "3"}), kOk);
  EXPECT_EQ(u.Cmd({"GET", "in3"}), Bulk("three"));
  EXPECT_EQ(Up(proxy(), "upstream_pending_records"), "0");
}

// Under sync, a write the upstream refuses (here: it is past its maxmemory, with noeviction)
// answers the upstream's error, and ringside keeps nothing of it: the key reads as the
// upstream holds it, single-key and multi-key commands alike, on every shard.
TEST_F(UpstreamTest, SyncWriteTheUpstreamRefusesAnswersItsErrorAndLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "sync"}));
  Client u(upstream_->port());
  for (int s = 0; s < kShards; ++s) {
    ASSERT_EQ(proxy().Cmd({"SET", KeyOnShard("n", s, kShards), "10"}), kOk);
  }
  // Full from here on: every write that may take memory is refused.
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), kOk);
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory", "1"}), kOk);
  const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";
  for (int s = 0; s < kShards; ++s) {
    SCOPED_TRACE("shard " + std::to_string(s));
    const std::string n = KeyOnShard("n", s, kShards), fresh = KeyOnShard("fresh", s, kShards);
    EXPECT_EQ(proxy().Cmd({"SET", fresh, "v"}), Error(kOom));
    EXPECT_EQ(proxy().Cmd({"GET", fresh}), Nil()) << "the refused SET stayed";
    EXPECT_EQ(proxy().Cmd({"INCR", n}), Error(kOom));
    EXPECT_EQ(proxy().Cmd({"GET", n}), Bulk("10")) << "the refused INCR stayed";
    EXPECT_EQ(proxy().Cmd({"APPEND", n, "x"}), Error(kOom));
    EXPECT_EQ(proxy().Cmd({"GET", n}), Bulk("10"));
  }
  // A multi-key write with a part on each shard.
  const std::string a = KeyOnShard("m", 0, kShards), b = KeyOnShard("m", 1, kShards),
                    c = KeyOnShard("m", 2, kShards);
  EXPECT_EQ(proxy().Cmd({"MSET", a, "1", b, "2", c, "3"}), Error(kOom));
  EXPECT_EQ(proxy().Cmd({"MGET", a, b, c}), Array({Nil(), Nil(), Nil()}));
  // Deletes take no memory, so the upstream still takes them.
  EXPECT_EQ(proxy().Cmd({"DEL", KeyOnShard("n", 0, kShards)}), Int(1));
  EXPECT_EQ(u.Cmd({"EXISTS", KeyOnShard("n", 0, kShards)}), Int(0));
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory", "0"}), kOk);
  EXPECT_EQ(proxy().Cmd({"SET", a, "after"}), kOk);
  EXPECT_EQ(u.Cmd({"GET", a}), Bulk("after"));
  EXPECT_GE(std::stoll(Up(proxy(), "upstream_record_errors")), 3 * kShards + 1)
      << UpstreamSection(proxy());
}

// Under sync, the commands that run as steps on several shards answer the upstream's refusal
// as well: FLUSHALL and FLUSHDB (run on every shard) where the upstream has no such command,
// MSETNX and RENAME (a chain from shard to shard) where it is past its maxmemory. Whatever a
// refused command leaves, ringside and the upstream hold the same afterwards.
TEST_F(UpstreamTest, SyncRefusalsReachTheRepliesOfCommandsSpanningShards) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream(
      {"--rename-command", "FLUSHALL", "", "--rename-command", "FLUSHDB", ""}));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "sync"}));
  Client u(upstream_->port());
  const Reply no_flushall = u.Cmd({"FLUSHALL"});
  const Reply no_flushdb = u.Cmd({"FLUSHDB"});
  ASSERT_TRUE(no_flushall.IsError()) << no_flushall;
  ASSERT_TRUE(no_flushdb.IsError()) << no_flushdb;
  std::vector<std::string> kept;
  for (int s = 0; s < kShards; ++s) {
    kept.push_back(KeyOnShard("kept", s, kShards));
    ASSERT_EQ(proxy().Cmd({"SET", kept.back(), "v" + std::to_string(s)}), kOk);
  }
  EXPECT_EQ(proxy().Cmd({"FLUSHALL"}), no_flushall);
  EXPECT_EQ(proxy().Cmd({"FLUSHDB", "ASYNC"}), no_flushdb);
  EXPECT_EQ(u.Cmd({"DBSIZE"}), Int(kShards));
  for (int s = 0; s < kShards; ++s) {
    EXPECT_EQ(proxy().Cmd({"GET", kept[static_cast<size_t>(s)]}), Bulk("v" + std::to_string(s)))
        << "a key the upstream kept reads through";
  }

  const std::string src = KeyOnShard("src", 0, kShards), dst = KeyOnShard("dst", 1, kShards);
  const std::string nx_src = KeyOnShard("nxsrc", 1, kShards);
  const std::string nx_dst = KeyOnShard("nxdst", 2, kShards);
  ASSERT_EQ(proxy().Cmd({"SET", src, "moving"}), kOk);
  ASSERT_EQ(proxy().Cmd({"SET", nx_src, "moving too"}), kOk);
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), kOk);
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory", "1"}), kOk);
  const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";
  std::vector<std::string> fresh;
  for (int s = 0; s < kShards; ++s) fresh.push_back(KeyOnShard("fresh", s, kShards));
  EXPECT_EQ(proxy().Cmd({"MSETNX", fresh[0], "1", fresh[1], "2", fresh[2], "3"}), Error(kOom));
  EXPECT_EQ(proxy().Cmd({"MGET", fresh[0], fresh[1], fresh[2]}), Array({Nil(), Nil(), Nil()}));
  EXPECT_EQ(u.Cmd({"EXISTS", fresh[0], fresh[1], fresh[2]}), Int(0));
  // Forwarded as DEL of the old name, which the upstream takes, then SET of the new one, which
  // it refuses.
  EXPECT_EQ(proxy().Cmd({"RENAME", src, dst}), Error(kOom));
  EXPECT_EQ(proxy().Cmd({"RENAMENX", nx_src, nx_dst}), Error(kOom));
  for (const std::string& key : {src, dst, nx_src, nx_dst}) {
    EXPECT_EQ(proxy().Cmd({"GET", key}), u.Cmd({"GET", key})) << key;
  }
  ASSERT_EQ(u.Cmd({"CONFIG", "SET", "maxmemory", "0"}), kOk);
  EXPECT_EQ(proxy().Cmd({"MSETNX", fresh[0], "1", fresh[1], "2", fresh[2], "3"}), Int(1));
  EXPECT_EQ(u.Cmd({"MGET", fresh[0], fresh[1], fresh[2]}), BulkArray({"1", "2", "3"}));
}

// An ACL that forbids a command ringside forwards: the upstream's NOPERM is its answer to that
// record, not a state to wait out, so under sync the client gets it word for word, and the
// writes after it still go through.
TEST_F(UpstreamTest, SyncNoPermIsAnAnswerAndLaterWritesStillGoThrough) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  Client u(upstream_port_);
  ASSERT_EQ(u.Cmd({"ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all", "-flushall"}),
            kOk);
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-user", "limited", "--upstream-password", "pw",
                                      "--upstream-write-policy", "sync"}));
  ASSERT_EQ(proxy().Cmd({"SET", "before", "1"}), kOk);
  Client as_limited(upstream_port_);
  ASSERT_EQ(as_limited.Cmd({"AUTH", "limited", "pw"}), kOk);
  const Reply forbidden = as_limited.Cmd({"FLUSHALL"});
  ASSERT_TRUE(forbidden.IsError() && Contains(forbidden.str, "NOPERM")) << forbidden;
  EXPECT_EQ(proxy().Cmd({"FLUSHALL"}), forbidden);
  EXPECT_EQ(proxy().Cmd({"SET", "after", "2"}), kOk);
  EXPECT_EQ(u.Cmd({"MGET", "before", "after"}), BulkArray({"1", "2"}));
  EXPECT_EQ(proxy().Cmd({"GET", "before"}), Bulk("1")) << "read through: the upstream kept it";
}

// upstream-db 5: database d here is database 5 + d upstream, for the records, for keys read
// through, for commands passed through (MOVE's and COPY's database too) and for a client's own
// upstream connection, SELECT inside a transaction included.
TEST_F(UpstreamTest, UpstreamDbOffsetsEveryDatabase) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-db", "5", "--upstream-write-policy", "sync"}));
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-db"}), BulkArray({"upstream-db", "5"}));
  Client u(upstream_->port());
  const auto upstream_get = [&](int db, const std::string& key) {
    EXPECT_EQ(u.Cmd({"SELECT", std::to_string(db)}), kOk);
    return u.Cmd({"GET", key});
  };
  ASSERT_EQ(proxy().Cmd({"SET", "k0", "in 0"}), kOk);
  EXPECT_EQ(upstream_get(5, "k0"), Bulk("in 0"));
  EXPECT_EQ(upstream_get(0, "k0"), Nil());
  ASSERT_EQ(u.Cmd({"SELECT", "5"}), kOk);
  ASSERT_EQ(u.Cmd({"SET", "direct", "written upstream"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "direct"}), Bulk("written upstream")) << "read through";
  ASSERT_EQ(proxy().Cmd({"RPUSH", "list", "a", "b"}), Int(2)) << "passed through";
  EXPECT_EQ(u.Cmd({"LLEN", "list"}), Int(2));
  ASSERT_EQ(proxy().Cmd({"COPY", "list", "copied", "DB", "1"}), Int(1));
  ASSERT_EQ(proxy().Cmd({"MOVE", "list", "2"}), Int(1));
  ASSERT_EQ(u.Cmd({"SELECT", "6"}), kOk);
  EXPECT_EQ(u.Cmd({"LLEN", "copied"}), Int(2));
  ASSERT_EQ(u.Cmd({"SELECT", "7"}), kOk);
  EXPECT_EQ(u.Cmd({"LLEN", "list"}), Int(2));

  // A transaction runs on the client's own upstream connection, which starts in database 5.
  ASSERT_EQ(proxy().Cmd({"MULTI"}), kOk);
  ASSERT_EQ(proxy().Cmd({"RPUSH", "in-0", "x"}), Status("QUEUED"));
  EXPECT_EQ(proxy().Cmd({"EXEC"}), Array({Int(1)}));
  ASSERT_EQ(u.Cmd({"SELECT", "5"}), kOk);
  EXPECT_EQ(u.Cmd({"LLEN", "in-0"}), Int(1));

  ASSERT_EQ(proxy().Cmd({"SELECT", "2"}), kOk);
  ASSERT_EQ(proxy().Cmd({"SET", "k2", "in 2"}), kOk);
  EXPECT_EQ(upstream_get(7, "k2"), Bulk("in 2"));
  EXPECT_EQ(proxy().Cmd({"LRANGE", "list", "0", "-1"}), BulkArray({"a", "b"}));
  // From database 2, the client's upstream connection is moved to database 7 first.
  ASSERT_EQ(proxy().Cmd({"MULTI"}), kOk);
  ASSERT_EQ(proxy().Cmd({"RPUSH", "queued", "x"}), Status("QUEUED"));
  ASSERT_EQ(proxy().Cmd({"SELECT", "3"}), Status("QUEUED"));
  ASSERT_EQ(proxy().Cmd({"RPUSH", "queued", "y"}), Status("QUEUED"));
  EXPECT_EQ(proxy().Cmd({"EXEC"}), Array({Int(1), kOk, Int(1)}));
  ASSERT_EQ(u.Cmd({"SELECT", "7"}), kOk);
  EXPECT_EQ(u.Cmd({"LRANGE", "queued", "0", "-1"}), BulkArray({"x"}));
  ASSERT_EQ(u.Cmd({"SELECT", "8"}), kOk);
  EXPECT_EQ(u.Cmd({"LRANGE", "queued", "0", "-1"}), BulkArray({"y"}));
  // The SELECT in the transaction moved the client to database 3, here and upstream.
  ASSERT_EQ(proxy().Cmd({"SET", "k3", "in 3"}), kOk);
  EXPECT_EQ(upstream_get(8, "k3"), Bulk("in 3"));
  EXPECT_EQ(proxy().Cmd({"MOVE", "queued", "99"}), u.Cmd({"MOVE", "queued", "99"}));
}

// The upstream is killed halfway through 2,000 writes and restarted on its port from its own
// fsync-always AOF: ringside keeps answering, then resends what the dead one never
// acknowledged, so the upstream ends up with all 2,000.
TEST_F(UpstreamTest, AsyncResendsWhatAKilledUpstreamMissed) {
  const std::vector<std::string> aof = {"--appendonly", "yes",   "--appendfsync",
                                        "always",       "--dir", dir_.path()};
  ASSERT_NO_FATAL_FAILURE(StartUpstream(aof));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "async"}));
  std::map<std::string, std::string> written;
  const auto write = [&](int i) {
    const std::string key = "r:" + std::to_string(i);
    const std::string value = "value of " + key;
    ASSERT_EQ(proxy().Cmd({"SET", key, value}), kOk) << "SET " << key;
    written[key] = value;
  };
  for (int i = 0; i < 1000; ++i) ASSERT_NO_FATAL_FAILURE(write(i));

  ASSERT_EQ(kill(upstream_->pid(), SIGKILL), 0);
  ASSERT_NE(upstream_->WaitExit(seconds(10)), -1);
  upstream_.reset();
  for (int i = 1000; i < 2000; ++i) ASSERT_NO_FATAL_FAILURE(write(i));
  EXPECT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_link_status") == "down"; }, seconds(10)))
      << UpstreamSection(proxy());
  const std::string pending = Up(proxy(), "upstream_pending_records");
  EXPECT_GE(pending.empty() ? -1 : std::stoll(pending), 1000) << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"GET", "r:1999"}), Bulk("value of r:1999")) << "served locally";

  RedisOnPort restarted(upstream_port_, aof, dir_.path() + "/restarted.log");
  ASSERT_TRUE(restarted.Ready()) << "redis-server did not come back on port " << upstream_port_;
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_GE(std::stoll(Up(proxy(), "upstream_reconnects")), 1) << UpstreamSection(proxy());
  ExpectKeys(upstream_port_, written);
  EXPECT_EQ(Client(upstream_port_).Cmd({"DBSIZE"}), Int(2000));
}

// A refused password: ringside keeps serving locally and says why the link is down.
TEST_F(UpstreamTest, WrongPasswordKeepsServingLocallyAndReportsTheFailure) {
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword("secret"));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-password", "wrong"}));
  ASSERT_EQ(proxy().Cmd({"SET", "local", "only"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "local"}), Bulk("only"));
  ASSERT_TRUE(WaitUntil([&] { return !Up(proxy(), "upstream_last_error").empty(); }, seconds(15)))
      << UpstreamSection(proxy());
  const std::string error = Up(proxy(), "upstream_last_error");
  EXPECT_TRUE(Contains(error, "WRONGPASS") || Contains(Lower(error), "invalid")) << error;
  EXPECT_EQ(Up(proxy(), "upstream_link_status"), "down") << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"SET", "local2", "still"}), kOk);
  EXPECT_TRUE(Contains(Lower(ringside_->Output()), "upstream"))
      << "no log line mentions the upstream:\n"
      << ringside_->Output();
  Client u(upstream_->port());
  ASSERT_EQ(u.Cmd({"AUTH", "secret"}), kOk);
  EXPECT_EQ(u.Cmd({"DBSIZE"}), Int(0)) << "nothing got past the refused login";
}

TEST_F(UpstreamTest, RightPasswordLinksUpAndForwards) {
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword("secret"));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-password", "secret"}));
  ASSERT_EQ(proxy().Cmd({"SET", "k", "v"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  Client u(upstream_->port());
  ASSERT_EQ(u.Cmd({"AUTH", "secret"}), kOk);
  EXPECT_EQ(u.Cmd({"GET", "k"}), Bulk("v"));
}

// upstream-user with upstream-password logs in as that ACL user (the default user's password
// is another one, so a login without the user name fails).
TEST_F(UpstreamTest, UpstreamUserLogsInAsThatUser) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_EQ(
      Client(upstream_port_).Cmd({"ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all"}),
      kOk);
  ASSERT_EQ(Client(upstream_port_).Cmd({"CONFIG", "SET", "requirepass", "secret"}), kOk);
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-user", "alice", "--upstream-password", "pw"}));
  ASSERT_EQ(proxy().Cmd({"SET", "k", "v"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  Client u(upstream_->port());
  ASSERT_EQ(u.Cmd({"AUTH", "alice", "pw"}), kOk);
  EXPECT_EQ(u.Cmd({"GET", "k"}), Bulk("v"));
}

// Times one SET through ringside while the upstream holds writes for 1.5 s (CLIENT PAUSE
// WRITE); afterwards the upstream has it in any case.
int64_t TimedSetWhileUpstreamPaused(Client& proxy, int upstream_port) {
  EXPECT_EQ(proxy.Cmd({"SET", "warmup", "1"}), kOk);
  EXPECT_TRUE(CaughtUp(proxy)) << UpstreamSection(proxy);
  Client u(upstream_port);
  EXPECT_EQ(u.Cmd({"CLIENT", "PAUSE", "1500", "WRITE"}), kOk);
  const auto start = Clock::now();
  EXPECT_EQ(proxy.Cmd({"SET", "paused", "value"}), kOk);
  const int64_t took = ElapsedMs(start);
  EXPECT_TRUE(CaughtUp(proxy)) << UpstreamSection(proxy);
  EXPECT_EQ(u.Cmd({"GET", "paused"}), Bulk("value"));
  return took;
}

TEST_F(UpstreamTest, SyncReplyWaitsForAPausedUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "sync"}));
  EXPECT_GE(TimedSetWhileUpstreamPaused(proxy(), upstream_->port()), 1000)
      << "the reply did not wait for the upstream";
}

TEST_F(UpstreamTest, AsyncReplyDoesNotWaitForAPausedUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "async"}));
  EXPECT_LT(TimedSetWhileUpstreamPaused(proxy(), upstream_->port()), 500)
      << "the reply waited for the upstream";
}

// A host name is looked up off the shard's thread and each of its addresses is tried in turn:
// `localhost` (often ::1 before 127.0.0.1) reaches a redis-server listening on 127.0.0.1 only.
TEST_F(UpstreamTest, HostNameUpstreamIsResolvedAndConnected) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_EQ(proxy().Cmd({"SET", "by-name", "v"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(Client(upstream_->port()).Cmd({"GET", "by-name"}), Bulk("v"));
}

// A listener whose accept queue is full: the kernel drops further SYNs, so connects to it hang.
// Each of ringside's attempts is given up after upstream-connect-timeout, and INFO says so.
TEST_F(UpstreamTest, ConnectThatHangsTimesOutAndSaysSo) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
    fillers.push_back(fd);
  }
  upstream_port_ = ntohs(addr.sin_port);
  StartProxy({"--upstream-connect-timeout", "300"});
  if (!HasFatalFailure()) {
    ASSERT_EQ(proxy().Cmd({"SET", "local", "only"}), kOk);
    EXPECT_TRUE(
        WaitUntil([&] { return Contains(Up(proxy(), "upstream_last_error"), "connect timed out"); },
                  seconds(15)))
        << UpstreamSection(proxy());
    EXPECT_NE(Up(proxy(), "upstream_link_status"), "up") << UpstreamSection(proxy());
    EXPECT_EQ(proxy().Cmd({"GET", "local"}), Bulk("only"));
  }
  for (int fd : fillers) close(fd);
  close(listener);
}

// A name that does not resolve: ringside serves locally, and INFO says why the link is down.
TEST_F(UpstreamTest, UnresolvableHostKeepsServingLocallyAndSaysWhy) {
  upstream_port_ = FreePort();
  upstream_host_ = "no-such-host.invalid";
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_EQ(proxy().Cmd({"SET", "local", "only"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "local"}), Bulk("only"));
  ASSERT_TRUE(WaitUntil([&] { return Contains(Up(proxy(), "upstream_last_error"), "resolv"); },
                        seconds(15)))
      << UpstreamSection(proxy());
  EXPECT_NE(Up(proxy(), "upstream_link_status"), "up") << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"SET", "local2", "still"}), kOk);
}

}  // namespace
}  // namespace ringside::testing
