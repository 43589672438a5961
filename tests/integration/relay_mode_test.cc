// Relay mode end to end: ringside (three shards, read-through on) in front of a real
// redis-server. Commands that keep state on their connection or block it (MULTI/EXEC, WATCH,
// BLPOP, SUBSCRIBE) get an upstream connection of the client's own until that state is over,
// without holding up other clients, and keys they wrote are read afresh afterwards; the
// replies are compared with a second redis-server seeded the same and sent the same commands.
// A lost relay connection closes its client, QUIT closes it after the replies before it, and
// a relay back in the pool is still authenticated.
// Every test starts its own redis-servers and ringside.

#include <chrono>
#include <cstdint>
#include <optional>
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

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Raw RESP2 replies the tests expect literally, besides RawBulk and kRawOk.
std::string RawArray(const std::vector<std::string>& raw_elements) {
  std::string out = "*" + std::to_string(raw_elements.size()) + "\r\n";
  for (const std::string& e : raw_elements) out += e;
  return out;
}
const std::string kRawQueued = "+QUEUED\r\n";
const std::string kRawNilArray = "*-1\r\n";

// PassThroughFixture with a wait for the clients a relay blocks upstream.
class PassThroughTest : public PassThroughFixture {
 protected:
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

// MULTI ... EXEC through ringside, pipelined, on keys ringside holds: the replies are the
// reference's, and the GETs right after EXEC see what the transaction wrote.
TEST_F(PassThroughTest, MultiExecPipelined) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  const std::string k = OnShard("k", 0), n = OnShard("n", 1), h = OnShard("h", 2);
  RawClient ringside(ringside_port()), reference(reference_port());
  // k and n written and read through ringside: held there.
  for (const Argv& cmd :
       std::vector<Argv>{{"SET", k, "v1"}, {"SET", n, "5"}, {"GET", k}, {"GET", n}}) {
    ASSERT_EQ(ringside.Call(cmd), reference.Call(cmd)) << ShowCommand(cmd);
  }
  const std::vector<Argv> pipeline = {
      {"MULTI"},  {"SET", k, "v2"}, {"INCR", n}, {"HSET", h, "f", "v"},
      {"GET", k}, {"EXEC"},         {"GET", k},  {"GET", n}};
  ringside.SendRaw(Frame(pipeline));
  reference.SendRaw(Frame(pipeline));
  std::vector<std::string> want, got;
  for (size_t i = 0; i < pipeline.size(); ++i) {
    want.push_back(reference.ReadReply().value_or(""));
    got.push_back(ringside.ReadReply().value_or(""));
  }
  EXPECT_TRUE(SameRawReplies(pipeline, want, got));
  const std::vector<std::string> expected = {
      kRawOk,        kRawQueued,  kRawQueued,
      kRawQueued,    kRawQueued,  RawArray({kRawOk, ":6\r\n", ":1\r\n", RawBulk("v2")}),
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
  ASSERT_EQ(both({"SUBSCRIBE", "ch"}), RawArray({RawBulk("subscribe"), RawBulk("ch"), ":1\r\n"}));
  ASSERT_EQ(both({"PSUBSCRIBE", "c*"}), RawArray({RawBulk("psubscribe"), RawBulk("c*"), ":2\r\n"}));
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
  EXPECT_EQ(both({"PUNSUBSCRIBE"}), RawArray({RawBulk("punsubscribe"), RawBulk("c*"), ":2\r\n"}));
  // (UNSUBSCRIBE with no channels lists them in hash-table order, which differs between
  // servers: named here.)
  EXPECT_EQ(both({"UNSUBSCRIBE", "other", "ch2"}, 2),
            RawArray({RawBulk("unsubscribe"), RawBulk("ch2"), ":0\r\n"}));
  EXPECT_EQ(both({"PING"}), "+PONG\r\n");
  EXPECT_EQ(both({"GET", "plain"}), RawBulk("value"));
  EXPECT_EQ(u.Cmd({"PUBLISH", "ch", "after"}), Int(0));
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
  EXPECT_GE(killed_pubsub.integer, 1 + kShards)
      << "the relay and every shard's invalidation connection";
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
TEST_F(PassThroughTest, AuthAndHelloAreRefusedWhileRelaying) {
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword("sekret"));
  ASSERT_NO_FATAL_FAILURE(
      StartProxy({"--upstream-password", "sekret", "--requirepass", "local-pw"}));
  Client c(ringside_port());
  ASSERT_EQ(c.Cmd({"AUTH", "local-pw"}), kOk);
  const std::string refused =
      "' cannot change the user of a connection that ringside relays to the upstream (a "
      "transaction, WATCH, a subscription or a blocking command is open); send it before or "
      "after";
  ASSERT_EQ(c.Cmd({"WATCH", "w"}), kOk);
  EXPECT_EQ(c.Cmd({"AUTH", "sekret"}), Error("ERR 'auth" + refused));
  EXPECT_EQ(c.Cmd({"HELLO", "2", "AUTH", "default", "sekret"}), Error("ERR 'hello" + refused));
  // Inside a transaction it fails the transaction, as a refused command does.
  ASSERT_EQ(c.Cmd({"MULTI"}), kOk);
  EXPECT_EQ(c.Cmd({"AUTH", "sekret"}), Error("ERR 'auth" + refused));
  EXPECT_EQ(c.Cmd({"INCR", "n"}), Status("QUEUED"));
  EXPECT_EQ(c.Cmd({"EXEC"}).ErrorText().rfind("EXECABORT", 0), 0u);
  // Out of relay mode the login is ringside's again, and the relay still ringside's own.
  EXPECT_EQ(c.Cmd({"AUTH", "local-pw"}), kOk);
  EXPECT_EQ(c.Cmd({"AUTH", "sekret"}),
            Error("WRONGPASS invalid username-password pair or user is disabled."));
  ASSERT_EQ(c.Cmd({"MULTI"}), kOk);
  EXPECT_EQ(c.Cmd({"INCR", "n"}), Status("QUEUED"));
  EXPECT_EQ(c.Cmd({"EXEC"}), Array({Int(1)}));
}

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

}  // namespace
}  // namespace ringside::testing
