// BigBulk ingest end to end, its costs and limits: a peer that goes away mid-body must cost
// nothing and disturb no one, a body announced but not sent must cost no memory, a promoted
// buffer counts against the bulk-length and query-buffer limits as redis-server's input would,
// and the copy counters in `INFO bigbulk` must show the path was taken without copying.
// bigbulk_test.cc covers splitting, every shard, reply order and on/off parity.
//
// Splits are made real with sock_diag (PacedClient): after each piece the test waits until the
// server's side of the connection has nothing left to read, so the next piece is a separate read.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/paced_client.h"

namespace ringside::testing {
namespace {

using std::chrono::seconds;

constexpr int kShards = 4;

// Every test starts its own servers; Stat reads one `INFO bigbulk` counter (-1 when missing).
class BigBulkTest : public OwnServersTest {
 protected:
  static int64_t Stat(Client& c, const std::string& field) {
    return InfoNumber(c, "bigbulk", field);
  }
};

// (e) A peer that closes in the middle of a 1 MiB body: the promoted buffer is dropped and
// counted, other clients mid-pipeline on every shard carry on with their data intact.
TEST_F(BigBulkTest, PeerClosingMidBodyDisturbsNoOne) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  // Two clients stop half-way through a big value of their own.
  std::vector<std::unique_ptr<RawClient>> others;
  std::vector<std::string> frames;
  const std::string small_value = "small";
  for (int i = 0; i < 2; ++i) {
    others.push_back(std::make_unique<RawClient>(port));
    const std::string big = KeyOnShard("other" + std::to_string(i) + ":", i * 2 + 1, kShards);
    frames.push_back(Frame({{"SET", "s" + std::to_string(i), small_value},
                            {"SET", big, Pattern(300u << 10, 50 + i)},
                            {"GET", "s" + std::to_string(i)},
                            {"STRLEN", big}}));
    others[i]->SendRaw(std::string_view(frames[i]).substr(0, 150u << 10));
  }
  // Four peers, one per shard, announce 1 MiB, send half and go away.
  for (int s = 0; s < kShards; ++s) {
    PacedClient peer(port);
    const std::string frame =
        EncodeCommand({"SET", KeyOnShard("gone:", s, kShards), Pattern(1u << 20, s)});
    EXPECT_TRUE(peer.SendAndWaitRead(std::string_view(frame).substr(0, frame.size() / 2)));
  }
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") >= kShards; }, seconds(20)))
      << "bigbulk_aborted = " << Stat(info, "bigbulk_aborted");
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), kShards);
  for (int i = 0; i < 2; ++i) {
    others[i]->SendRaw(std::string_view(frames[i]).substr(150u << 10));
    EXPECT_EQ(others[i]->ReadReply(), "+OK\r\n");
    EXPECT_EQ(others[i]->ReadReply(), "+OK\r\n");
    EXPECT_EQ(others[i]->ReadReply(), "$5\r\nsmall\r\n");
    EXPECT_EQ(others[i]->ReadReply(), ":" + std::to_string(300u << 10) + "\r\n");
    const Reply got =
        info.Cmd({"GET", KeyOnShard("other" + std::to_string(i) + ":", i * 2 + 1, kShards)});
    EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == Pattern(300u << 10, 50 + i));
  }
  for (int s = 0; s < kShards; ++s) {
    EXPECT_EQ(info.Cmd({"EXISTS", KeyOnShard("gone:", s, kShards)}), Int(0));
  }
  // Healthy: a new client stores and reads a big value; the dead peers are gone.
  RawClient fresh(port);
  EXPECT_EQ(fresh.Call({"SET", "after", Pattern(1u << 20, 9)}), "+OK\r\n");
  EXPECT_EQ(fresh.Call({"STRLEN", "after"}), ":1048576\r\n");
  EXPECT_TRUE(WaitUntil([&] {
    return info.Cmd({"INFO", "clients"}).str.find("connected_clients:4\r\n") != std::string::npos;
  }));
  ExpectCleanExit(server);
}

// (e) A peer that goes away, with FIN or with RST, while a direct read into its buffer is in
// flight.
TEST_F(BigBulkTest, DisconnectDuringDirectRead) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  for (int reset = 0; reset < 2; ++reset) {
    const int64_t switches = Stat(info, "bigbulk_direct_read_switches");
    const int64_t aborted = Stat(info, "bigbulk_aborted");
    BareSocket peer(port);
    // A reply left unread makes the close a reset on a unix socket too, which has no RST.
    if (reset) peer.Send(EncodeCommand({"PING"}));
    const std::string frame = EncodeCommand({"SET", "k", Pattern(1u << 20, 1)});
    peer.Send(std::string_view(frame).substr(0, 64u << 10));
    EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_direct_read_switches") > switches; }))
        << "no direct read started";
    if (reset) {
      peer.Reset();
    } else {
      peer.Close();
    }
    EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") == aborted + 1; }))
        << (reset ? "RST" : "FIN") << ": bigbulk_aborted " << aborted << " -> "
        << Stat(info, "bigbulk_aborted");
    EXPECT_EQ(info.Cmd({"EXISTS", "k"}), Int(0));
  }
  EXPECT_EQ(info.Cmd({"SET", "k", Pattern(1u << 20, 2)}), Status("OK"));
  EXPECT_EQ(info.Cmd({"STRLEN", "k"}), Int(1 << 20));
  ExpectCleanExit(server);
}

// (e) The end of a body, the rest of its command and the next commands in one write, with the
// rest of the body above and below bigbulk-direct-read: the bytes past the body are the next
// arguments and commands, and the input buffer never grows for them while a big one is about.
TEST_F(BigBulkTest, BodyEndAndNextCommandsInOneWrite) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  for (const size_t held_back : {size_t{100}, size_t{20000}, size_t{190000}}) {
    SCOPED_TRACE("last " + std::to_string(held_back) + " bytes of the body with the next commands");
    PacedClient c(port);
    const std::string value = Pattern(200000, static_cast<uint32_t>(held_back));
    const std::string second = Pattern(100000, 7);
    const std::vector<Argv> commands = {{"SET", "k1", value, "EX", "100"},
                                        {"SET", "k2", "small"},
                                        {"GET", "k2"},
                                        {"SET", "k3", second},
                                        {"STRLEN", "k3"},
                                        {"TTL", "k1"},
                                        {"PING"}};
    const BulkAt body = Layout(commands)[2];
    const size_t frame_size = Frame(commands).size();
    // The second write ends mid-way through the later commands, which complete in a third.
    const size_t end = body.body + body.size;
    const auto replies =
        c.Send(Frame(commands), {end - held_back, end + (frame_size - end) / 2}, commands.size());
    const std::vector<std::string> expected = {
        "+OK\r\n", "+OK\r\n", "$5\r\nsmall\r\n", "+OK\r\n", ":100000\r\n", ":100\r\n", "+PONG\r\n"};
    EXPECT_EQ(replies, expected);
    const Reply got = Client(port).Cmd({"GET", "k1"});
    EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == value)
        << ShowDifference(value, got.str);
    EXPECT_EQ(c.Call({"GET", "k3"}), "$100000\r\n" + second + "\r\n");
  }
  Client info(port);
  EXPECT_GE(Stat(info, "bigbulk_promotions"), 3);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), 0);
  ExpectCleanExit(server);
}

// (f) A bulk longer than proto-max-bulk-len is refused at its header, as redis-server does;
// exactly proto-max-bulk-len is accepted.
TEST_F(BigBulkTest, BulkAboveProtoMaxBulkLenIsRefusedLikeRedis) {
  for (const bool custom : {false, true}) {
    const std::vector<std::string> limit =
        custom ? std::vector<std::string>{"--proto-max-bulk-len", "1mb"}
               : std::vector<std::string>{};
    const int64_t max = custom ? 1 << 20 : 512 << 20;
    auto redis = ServerProcess::StartRedis(limit);
    auto server = Start(limit);
    ASSERT_TRUE(redis && server);
    const int64_t rss_before = VmRssKb(server->pid());
    const std::string header = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(max + 1) + "\r\n";
    for (const auto* s : {redis.get(), server.get()}) {
      RawClient c(s->port());
      c.SendRaw(header + std::string(1000, 'x'));
      EXPECT_EQ(c.ReadReply(), "-ERR Protocol error: invalid bulk length\r\n")
          << (s == redis.get() ? "redis-server" : "ringside") << ", limit " << max;
      EXPECT_TRUE(c.WaitClosed());
    }
    EXPECT_LT(VmRssKb(server->pid()) - rss_before, 32 << 10);
    if (custom) {
      const std::string value = Pattern(static_cast<size_t>(max), 1);
      for (const auto* s : {redis.get(), server.get()}) {
        RawClient c(s->port());
        EXPECT_EQ(c.Call({"SET", "k", value}), "+OK\r\n");
        EXPECT_EQ(c.Call({"STRLEN", "k"}), ":" + std::to_string(max) + "\r\n");
      }
    }
    ExpectCleanExit(server);
  }
}

// (f) 400 MB announced and 1 MiB sent cost about 1 MiB, not 400 MB; the buffer goes with the
// client.
TEST_F(BigBulkTest, AnnouncedButUnsentBytesCostNoMemory) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  ASSERT_EQ(info.Cmd({"SET", "warm", Pattern(1u << 20, 1)}), Status("OK"));
  const int64_t rss_before = VmRssKb(server->pid());
  {
    PacedClient peer(port);
    peer.raw().SendRaw("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$400000000\r\n");
    EXPECT_TRUE(peer.SendAndWaitRead(Pattern(1u << 20, 2)));
    const int64_t grown = VmRssKb(server->pid()) - rss_before;
    EXPECT_LT(grown, 32 << 10) << "RSS grew by " << grown << " kB for 1 MiB received";
    EXPECT_GE(Stat(info, "bigbulk_promotions"), 1);
  }
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") == 1; }))
      << "bigbulk_aborted = " << Stat(info, "bigbulk_aborted");
  EXPECT_EQ(info.Cmd({"EXISTS", "big"}), Int(0));
  EXPECT_EQ(info.Cmd({"PING"}), Status("PONG"));
  ExpectCleanExit(server);
}

// (f) The promoted buffer counts against client-query-buffer-limit: a client that announces
// 4 MB and sends 2 MB is closed; a client in the middle of its own pipeline is untouched.
TEST_F(BigBulkTest, PromotedBufferCountsAgainstTheQueryBufferLimit) {
  auto server = Start({"--client-query-buffer-limit", "1mb", "--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  RawClient normal(port);
  const std::string normal_value = Pattern(500u << 10, 3);
  const std::string normal_frame =
      Frame({{"SET", "n1", "v"}, {"SET", "n2", normal_value}, {"GET", "n1"}});
  normal.SendRaw(std::string_view(normal_frame).substr(0, 200u << 10));
  PacedClient big(port);
  // The header alone first: the body then arrives through the promoted buffer (and direct reads).
  big.SendAndWaitRead("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4000000\r\n");
  const std::string chunk(64u << 10, 'x');
  for (int i = 0; i < 32; ++i) big.raw().SendRaw(chunk);
  EXPECT_TRUE(big.raw().WaitClosed()) << "2 MB of a 4 MB value held, and still connected";
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") >= 1; }));
  normal.SendRaw(std::string_view(normal_frame).substr(200u << 10));
  EXPECT_EQ(normal.ReadReply(), "+OK\r\n");
  EXPECT_EQ(normal.ReadReply(), "+OK\r\n");
  EXPECT_EQ(normal.ReadReply(), "$1\r\nv\r\n");
  EXPECT_EQ(normal.Call({"GET", "n2"}),
            "$" + std::to_string(normal_value.size()) + "\r\n" + normal_value + "\r\n");
  EXPECT_EQ(info.Cmd({"EXISTS", "big"}), Int(0));
  ExpectCleanExit(server);
}

// (g) 200 SETs of 64 KiB at the default settings: the body mostly goes straight into the
// value's buffer (direct reads), with no input-buffer growth.
TEST_F(BigBulkTest, BigValuesAreCopiedLessThanOncePerByte) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  Client info(server->port());
  ASSERT_EQ(info.Cmd({"CONFIG", "RESETSTAT"}), Status("OK"));
  RawClient c(server->port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(c.Call({"SET", "k" + std::to_string(i), Pattern(64u << 10, i)}), "+OK\r\n") << i;
  }
  EXPECT_EQ(c.Call({"GET", "k7"}), "$65536\r\n" + Pattern(64u << 10, 7) + "\r\n");
  const int64_t promoted = Stat(info, "bigbulk_promoted_bytes");
  const int64_t copied = Stat(info, "bigbulk_copied_bytes");
  // The first 16 KiB receive buffer holds the header and not the whole body: all promoted.
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 200);
  EXPECT_EQ(promoted, 200 * (64 << 10));
  EXPECT_LE(copied * 10, promoted * 3) << copied << " bytes copied of " << promoted;
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_bytes"), 0);
  const std::string per_byte = InfoField(info, "bigbulk", "bigbulk_copies_per_byte");
  ASSERT_FALSE(per_byte.empty());
  EXPECT_NEAR(std::stod(per_byte), promoted > 0 ? double(copied) / double(promoted) : 0, 0.011);
  ExpectCleanExit(server);
}

// (g) With BigBulk off the same load takes the ordinary path, which copies every value byte.
// A one-buffer receive ring runs dry all the time (ENOBUFS ends the multishot recv), also
// while connections switch to and from direct reads: every value still lands intact.
TEST_F(BigBulkTest, EmptyReceiveRingDuringDirectReadSwitches) {
  auto server = Start({"--threads", "1", "--recv-buffers", "1"});
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int c = 0; c < 6; ++c) clients.push_back(std::make_unique<RawClient>(server->port()));
  // Every client has its whole pipeline on the way before any reply is read.
  for (int c = 0; c < 6; ++c) {
    std::vector<Argv> commands;
    for (int i = 0; i < 4; ++i) {
      const std::string key = "c" + std::to_string(c) + ":" + std::to_string(i);
      commands.push_back({"SET", key, Pattern((100u << 10) + c * 7000 + i, c * 10 + i)});
      commands.push_back({"INCR", "counter"});
    }
    clients[c]->SendRaw(Frame(commands));
  }
  for (int c = 0; c < 6; ++c) {
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(clients[c]->ReadReply(), "+OK\r\n") << c << ":" << i;
      ASSERT_TRUE(clients[c]->ReadReply().has_value());
    }
  }
  Client info(server->port());
  for (int c = 0; c < 6; ++c) {
    for (int i = 0; i < 4; ++i) {
      const std::string key = "c" + std::to_string(c) + ":" + std::to_string(i);
      const Reply got = info.Cmd({"GET", key});
      EXPECT_TRUE(got.str == Pattern((100u << 10) + c * 7000 + i, c * 10 + i)) << key;
    }
  }
  EXPECT_EQ(info.Cmd({"GET", "counter"}), Bulk("24"));
  // Only io_uring has a receive ring to run dry; libevent runs the same switches.
  if (InfoField(info, "reactor", "io_backend") == "io_uring") {
    EXPECT_GT(std::stoll(InfoField(info, "reactor", "recv_enobufs")), 0);
  }
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  ExpectCleanExit(server);
}

TEST_F(BigBulkTest, ThresholdZeroTurnsBigBulkOff) {
  auto server = Start({"--bigbulk-threshold", "0", "--threads", "2"});
  ASSERT_TRUE(server);
  Client info(server->port());
  RawClient c(server->port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(c.Call({"SET", "k" + std::to_string(i), Pattern(64u << 10, i)}), "+OK\r\n") << i;
  }
  EXPECT_EQ(Stat(info, "bigbulk_threshold"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_promoted_bytes"), 0);
  EXPECT_GE(Stat(info, "plain_copied_bytes"), 200 * (64 << 10));
  EXPECT_GE(Stat(info, "plain_bytes"), 200 * (64 << 10));
  // Turned on at run time, the next big values are promoted; RESETSTAT zeroes the counters.
  EXPECT_EQ(info.Cmd({"CONFIG", "SET", "bigbulk-threshold", "16kb"}), Status("OK"));
  EXPECT_EQ(info.Cmd({"CONFIG", "GET", "bigbulk-threshold"}),
            BulkArray({"bigbulk-threshold", "16384"}));
  EXPECT_EQ(Stat(info, "bigbulk_threshold"), 16384);
  EXPECT_EQ(c.Call({"SET", "after", Pattern(1u << 20, 1)}), "+OK\r\n");
  EXPECT_GE(Stat(info, "bigbulk_promotions"), 1);
  ASSERT_EQ(info.Cmd({"CONFIG", "RESETSTAT"}), Status("OK"));
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_EQ(Stat(info, "plain_copied_bytes"), 0);
  ExpectCleanExit(server);
}

}  // namespace
}  // namespace ringside::testing
