// The connection commands clients send beyond the basics, end to end on four shards: CLIENT
// TRACKING (RESP3 pushes, BCAST, NOLOOP, REDIRECT, flushes, expiry), CACHING, GETREDIR,
// TRACKINGINFO, REPLY, PAUSE/UNPAUSE, SETINFO, NO-EVICT, and MONITOR. Expected bytes are what
// redis-server 7.0 sends for the same sequences.

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

using ClientCommandsTest = FourShardTest;

constexpr char kHello3Prefix[] = "%7\r\n";

std::string Push(const std::string& key) {
  return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
}

// A RESP3 connection with tracking turned on by `tracking` (CLIENT TRACKING ON ...).
std::unique_ptr<RawClient> Tracker(int port, std::vector<std::string> tracking) {
  auto c = std::make_unique<RawClient>(port);
  EXPECT_EQ(c->Call({"HELLO", "3"}).rfind(kHello3Prefix, 0), 0u);
  std::vector<std::string> argv = {"CLIENT", "TRACKING", "ON"};
  argv.insert(argv.end(), tracking.begin(), tracking.end());
  EXPECT_EQ(c->Call(argv), "+OK\r\n");
  return c;
}

TEST_F(ClientCommandsTest, TrackingPushesAnInvalidationOncePerReadKey) {
  auto a = Tracker(port(), {});
  EXPECT_EQ(a->Call({"GET", "x"}), "_\r\n");
  EXPECT_EQ(Cmd({"SET", "x", "1"}), Status("OK"));
  EXPECT_EQ(a->ReadReply(), Push("x"));
  // Forgotten once told: a second change says nothing until the key is read again.
  EXPECT_EQ(Cmd({"SET", "x", "2"}), Status("OK"));
  EXPECT_EQ(a->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(a->Call({"GET", "x"}), "$1\r\n2\r\n");
  EXPECT_EQ(Cmd({"DEL", "x"}), Int(1));
  EXPECT_EQ(a->ReadReply(), Push("x"));
}

TEST_F(ClientCommandsTest, TrackingCoversEveryKeyOfAMultiKeyReadAcrossShards) {
  auto a = Tracker(port(), {});
  EXPECT_EQ(a->Call({"MGET", "k1", "k2", "k3", "k4"}), "*4\r\n_\r\n_\r\n_\r\n_\r\n");
  EXPECT_EQ(Cmd({"MSET", "k1", "1", "k2", "2", "k3", "3", "k4", "4"}), Status("OK"));
  std::set<std::string> pushes;
  for (int i = 0; i < 4; ++i) pushes.insert(a->ReadReply().value_or("timeout"));
  EXPECT_EQ(pushes, (std::set<std::string>{Push("k1"), Push("k2"), Push("k3"), Push("k4")}));
}

TEST_F(ClientCommandsTest, ExpiryAndFlushInvalidate) {
  auto a = Tracker(port(), {});
  EXPECT_EQ(Cmd({"SET", "short", "v", "PX", "300"}), Status("OK"));
  EXPECT_EQ(a->Call({"GET", "short"}), "$1\r\nv\r\n");
  // Active expiry tells the client without anyone touching the key.
  EXPECT_EQ(a->ReadReply(std::chrono::seconds(5)), Push("short"));
  EXPECT_EQ(Cmd({"FLUSHALL"}), Status("OK"));
  EXPECT_EQ(a->ReadReply(), ">2\r\n$10\r\ninvalidate\r\n_\r\n");
}

TEST_F(ClientCommandsTest, BcastPrefixesAndNoloop) {
  auto a = Tracker(port(), {"BCAST", "PREFIX", "user:", "NOLOOP"});
  EXPECT_EQ(Cmd({"SET", "user:1", "x"}), Status("OK"));
  EXPECT_EQ(a->ReadReply(), Push("user:1"));
  EXPECT_EQ(Cmd({"SET", "other", "x"}), Status("OK"));
  EXPECT_EQ(a->Call({"SET", "user:2", "own"}), "+OK\r\n") << "NOLOOP: its own change is not told";
  EXPECT_EQ(a->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(a->Call({"CLIENT", "TRACKINGINFO"}),
            "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n"
            "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*1\r\n$5\r\nuser:\r\n");
  EXPECT_EQ(a->Call({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:x"}),
            "-ERR Prefix 'user:x' overlaps with an existing prefix 'user:'. Prefixes for a single "
            "client must not overlap.\r\n");
}

TEST_F(ClientCommandsTest, RedirectToAnotherClientAndItsBreaking) {
  RawClient target(port());
  EXPECT_EQ(target.Call({"HELLO", "3"}).rfind(kHello3Prefix, 0), 0u);
  const std::string id_reply = target.Call({"CLIENT", "ID"});
  const std::string id = id_reply.substr(1, id_reply.size() - 3);
  {
    auto a = Tracker(port(), {"REDIRECT", id});
    EXPECT_EQ(a->Call({"CLIENT", "GETREDIR"}), ":" + id + "\r\n");
    EXPECT_EQ(a->Call({"GET", "r"}), "_\r\n");
    EXPECT_EQ(Cmd({"SET", "r", "1"}), Status("OK"));
    EXPECT_EQ(target.ReadReply(), Push("r"));
  }
  auto b = Tracker(port(), {"REDIRECT", id});
  EXPECT_EQ(b->Call({"GET", "r"}), "$1\r\n1\r\n");
  target.Call({"QUIT"});
  ASSERT_TRUE(target.WaitClosed());
  EXPECT_EQ(Cmd({"SET", "r", "2"}), Status("OK"));
  EXPECT_EQ(b->ReadReply(), ">2\r\n$21\r\ntracking-redir-broken\r\n:" + id + "\r\n");
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING", "ON", "REDIRECT", "999999"}),
            Error("ERR The client ID you want redirect to does not exist"));
}

TEST_F(ClientCommandsTest, OptinTracksOnlyAfterCachingYes) {
  auto a = Tracker(port(), {"OPTIN"});
  EXPECT_EQ(a->Call({"GET", "untracked"}), "_\r\n");
  EXPECT_EQ(a->Call({"CLIENT", "CACHING", "YES"}), "+OK\r\n");
  EXPECT_EQ(a->Call({"GET", "tracked"}), "_\r\n");
  EXPECT_EQ(Cmd({"SET", "untracked", "1"}), Status("OK"));
  EXPECT_EQ(Cmd({"SET", "tracked", "1"}), Status("OK"));
  EXPECT_EQ(a->ReadReply(), Push("tracked"));
  EXPECT_EQ(a->Call({"CLIENT", "CACHING", "NO"}),
            "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n");
  EXPECT_EQ(a->Call({"CLIENT", "TRACKING", "ON", "OPTOUT"}),
            "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
            "and then re-enabling it with a different mode.\r\n");
}

TEST_F(ClientCommandsTest, TrackingErrorsAsRedisWordsThem) {
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING", "ON", "PREFIX", "a"}),
            Error("ERR PREFIX option requires BCAST mode to be enabled"));
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"}),
            Error("ERR OPTIN and OPTOUT are not compatible with BCAST"));
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"}),
            Error("ERR You can't specify both OPTIN mode and OPTOUT mode"));
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING", "MAYBE"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"CLIENT", "TRACKING"}), ArityError("client|tracking"));
  EXPECT_EQ(Cmd({"CLIENT", "CACHING", "YES"}),
            Error("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                  "with OPTIN or OPTOUT mode enabled"));
  EXPECT_EQ(Cmd({"CLIENT", "GETREDIR"}), Int(-1));
}

TEST_F(ClientCommandsTest, ReplyOffAndSkip) {
  RawClient c(port());
  c.SendRaw(EncodeCommand({"CLIENT", "REPLY", "SKIP"}) + EncodeCommand({"SET", "q", "1"}) +
            EncodeCommand({"GET", "q"}) + EncodeCommand({"CLIENT", "REPLY", "OFF"}) +
            EncodeCommand({"MGET", "q", "a", "b", "c"}) + EncodeCommand({"NOSUCH"}) +
            EncodeCommand({"CLIENT", "REPLY", "ON"}) + EncodeCommand({"GET", "q"}));
  EXPECT_EQ(c.ReadReply(), "$1\r\n1\r\n");
  EXPECT_EQ(c.ReadReply(), "+OK\r\n");
  EXPECT_EQ(c.ReadReply(), "$1\r\n1\r\n");
  EXPECT_EQ(c.Call({"PING"}), "+PONG\r\n") << "nothing else was sent";
}

TEST_F(ClientCommandsTest, PauseWriteHoldsWritesUntilItEnds) {
  EXPECT_EQ(Cmd({"CLIENT", "PAUSE", "300", "WRITE"}), Status("OK"));
  RawClient c(port());
  EXPECT_EQ(c.Call({"GET", "p"}), "$-1\r\n") << "reads go on";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.Call({"SET", "p", "1"}), "+OK\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_EQ(Cmd({"GET", "p"}), Bulk("1"));
  EXPECT_EQ(Cmd({"CLIENT", "PAUSE", "abc"}),
            Error("ERR timeout is not an integer or out of range"));
  EXPECT_EQ(Cmd({"CLIENT", "PAUSE", "10", "SOME"}),
            Error("ERR CLIENT PAUSE mode must be WRITE or ALL"));
  EXPECT_EQ(Cmd({"CLIENT", "PAUSE", "-1"}), Error("ERR timeout is negative"));
}

TEST_F(ClientCommandsTest, UnpauseReleasesHeldClients) {
  EXPECT_EQ(Cmd({"CLIENT", "PAUSE", "60000", "WRITE"}), Status("OK"));
  RawClient c(port());
  c.SendRaw(EncodeCommand({"INCR", "n"}));
  EXPECT_EQ(c.ReadReply(std::chrono::milliseconds(300)), std::nullopt) << "held by the pause";
  EXPECT_EQ(Cmd({"CLIENT", "UNPAUSE"}), Status("OK"));
  EXPECT_EQ(c.ReadReply(), ":1\r\n");
}

TEST_F(ClientCommandsTest, SetInfoAndFlagsShowInClientList) {
  EXPECT_EQ(Cmd({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), Status("OK"));
  EXPECT_EQ(Cmd({"CLIENT", "SETINFO", "LIB-VER", "4.3.4"}), Status("OK"));
  EXPECT_EQ(Cmd({"CLIENT", "SETINFO", "LIB-NAME", "has space"}),
            Error("ERR lib-name cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(Cmd({"CLIENT", "SETINFO", "COLOR", "x"}), Error("ERR Unrecognized option 'COLOR'"));
  EXPECT_EQ(Cmd({"CLIENT", "NO-EVICT", "ON"}), Status("OK"));
  EXPECT_EQ(Cmd({"CLIENT", "NO-EVICT", "MAYBE"}), Error("ERR syntax error"));
  const std::string line = Cmd({"CLIENT", "INFO"}).str;
  // U: a unix-socket client.
  const std::string flags = UnixTransport() ? " flags=Ue " : " flags=e ";
  EXPECT_NE(line.find(flags), std::string::npos) << line;
  EXPECT_NE(line.find(" lib-name=redis-py lib-ver=4.3.4"), std::string::npos) << line;
  EXPECT_EQ(Cmd({"CLIENT", "UNBLOCK", "1"}), Int(0));
  EXPECT_EQ(Cmd({"CLIENT", "UNBLOCK", "1", "SOON"}),
            Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
}

TEST_F(ClientCommandsTest, MonitorShowsCommandsFromEveryThreadWithPasswordsRedacted) {
  RawClient m(port());
  EXPECT_EQ(m.Call({"MONITOR"}), "+OK\r\n");
  // Connections land on different workers; each one's commands are shown.
  std::vector<std::unique_ptr<Client>> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(NewClient());
    others.back()->Cmd({"SET", "m" + std::to_string(i), "a\"b\n"});
  }
  others[0]->Cmd({"AUTH", "secret"});
  others[0]->Cmd({"CONFIG", "GET", "port"});  // administrative: not shown
  others[0]->Cmd({"ECHO", "last"});
  // Lines from different workers may interleave in any order; each worker's keep theirs.
  std::multiset<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    const std::string line = m.ReadReply().value_or("timeout\r\n");
    // "+<sec>.<usec> [0 127.0.0.1:<port>] ..." ("[0 unix:<path>]" for a unix-socket client)
    ASSERT_EQ(line[0], '+') << line;
    const size_t args = line.find("] ");
    ASSERT_NE(args, std::string::npos) << line;
    EXPECT_EQ(line.substr(line.find(" ["), 4), " [0 ") << line;
    seen.insert(line.substr(args + 2));
  }
  std::multiset<std::string> want = {"\"AUTH\" \"(redacted)\"\r\n", "\"ECHO\" \"last\"\r\n"};
  for (int i = 0; i < 4; ++i)
    want.insert("\"SET\" \"m" + std::to_string(i) + "\" \"a\\\"b\\n\"\r\n");
  EXPECT_EQ(seen, want);
}

TEST_F(ClientCommandsTest, ResetEndsTrackingAndReplyOff) {
  auto a = Tracker(port(), {});
  EXPECT_EQ(a->Call({"GET", "z"}), "_\r\n");
  a->SendRaw(EncodeCommand({"CLIENT", "REPLY", "OFF"}) + EncodeCommand({"RESET"}));
  EXPECT_EQ(a->ReadReply(), "+RESET\r\n");
  EXPECT_EQ(a->Call({"CLIENT", "TRACKINGINFO"}),
            "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n"
            "*0\r\n");
  EXPECT_EQ(Cmd({"SET", "z", "1"}), Status("OK"));
  EXPECT_EQ(a->Call({"PING"}), "+PONG\r\n") << "no push after tracking ended";
}

}  // namespace
}  // namespace ringside::testing
