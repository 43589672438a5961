// Malformed and partial input over raw sockets: the exact `-ERR Protocol error: ...` reply,
// the offending connection closed, and every other connection undisturbed.

#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

struct BadInput {
  const char* name;
  std::string bytes;
  std::string reply;  // the whole expected reply, CRLF included
};

std::string ProtocolError(const std::string& what) {
  return "-ERR Protocol error: " + what + "\r\n";
}

class ProtocolErrorsTest : public FourShardTest {
 protected:
  // Sends `bad` on a fresh connection while `bystander` (opened earlier, with a command in
  // flight before and after) keeps working.
  void ExpectRejected(const BadInput& bad) {
    SCOPED_TRACE(bad.name);
    RawClient bystander(port());
    ASSERT_EQ(bystander.Call({"SET", "bystander", bad.name}), "+OK\r\n");
    RawClient offender(port());
    ASSERT_TRUE(offender.connected());
    offender.SendRaw(bad.bytes);
    // Everything the server sends until it closes the connection (or 5 s of silence).
    std::string replies;
    while (auto reply = offender.ReadReply(std::chrono::seconds(5))) replies += *reply;
    EXPECT_EQ(replies, bad.reply);
    EXPECT_TRUE(offender.WaitClosed(std::chrono::milliseconds(100)))
        << "the offending connection stays open";
    EXPECT_EQ(bystander.Call({"GET", "bystander"}),
              "$" + std::to_string(std::string(bad.name).size()) + "\r\n" + bad.name + "\r\n");
    EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
  }
};

TEST_F(ProtocolErrorsTest, BadMultibulkLength) {
  ExpectRejected({"letters", "*abc\r\n", ProtocolError("invalid multibulk length")});
  ExpectRejected({"over INT_MAX", "*3000000000\r\n", ProtocolError("invalid multibulk length")});
  ExpectRejected({"sign and digits", "*1x\r\n", ProtocolError("invalid multibulk length")});
}

TEST_F(ProtocolErrorsTest, MoreThanAMillionArguments) {
  RINGSIDE_ONLY();  // redis-server 7.0 accepts up to INT_MAX; ringside caps at 1,048,576
  ExpectRejected({"1048577", "*1048577\r\n", ProtocolError("invalid multibulk length")});
}

TEST_F(ProtocolErrorsTest, BadBulkLength) {
  ExpectRejected({"letters", "*1\r\n$abc\r\n", ProtocolError("invalid bulk length")});
  ExpectRejected({"negative", "*1\r\n$-1\r\n", ProtocolError("invalid bulk length")});
  ExpectRejected({"over proto-max-bulk-len", "*2\r\n$3\r\nGET\r\n$536870913\r\n",
                  ProtocolError("invalid bulk length")});
}

TEST_F(ProtocolErrorsTest, DollarExpected) {
  ExpectRejected({"plain word", "*3\r\nfoo\r\n", ProtocolError("expected '$', got 'f'")});
  ExpectRejected({"integer", "*2\r\n$4\r\nPING\r\n:1\r\n", ProtocolError("expected '$', got ':'")});
  ExpectRejected({"after a command", "*1\r\n$4\r\nPING\r\n*1\r\nx\r\n",
                  "+PONG\r\n" + ProtocolError("expected '$', got 'x'")});
}

TEST_F(ProtocolErrorsTest, TooBigInlineAndHeaders) {
  ExpectRejected({"inline", std::string(70 * 1024, 'a'), ProtocolError("too big inline request")});
  ExpectRejected({"multibulk count", "*" + std::string(70 * 1024, '1'),
                  ProtocolError("too big mbulk count string")});
  ExpectRejected({"bulk count", "*1\r\n$" + std::string(70 * 1024, '1'),
                  ProtocolError("too big bulk count string")});
}

TEST_F(ProtocolErrorsTest, UnbalancedQuotes) {
  ExpectRejected({"double", "SET \"foo bar\r\n", ProtocolError("unbalanced quotes in request")});
  ExpectRejected({"single", "SET 'foo bar\r\n", ProtocolError("unbalanced quotes in request")});
}

TEST_F(ProtocolErrorsTest, ErrorAfterGoodCommandsInTheSameWrite) {
  RawClient raw(port());
  raw.SendRaw(EncodeCommand({"SET", "before", "1"}) + EncodeCommand({"GET", "before"}) +
              "*abc\r\n" + EncodeCommand({"SET", "after", "1"}));
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_EQ(raw.ReadReply(), "$1\r\n1\r\n");
  EXPECT_EQ(raw.ReadReply(), ProtocolError("invalid multibulk length"));
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(Cmd({"GET", "before"}), Bulk("1"));
  EXPECT_EQ(Cmd({"EXISTS", "after"}), Int(0)) << "nothing after a protocol error runs";
}

TEST_F(ProtocolErrorsTest, LowerProtoMaxBulkLenApplies) {
  ASSERT_EQ(Cmd({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}), Status("OK"));
  ExpectRejected({"over the new limit", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
                  ProtocolError("invalid bulk length")});
  RawClient raw(port());
  const std::string value(1048576, 'v');
  EXPECT_EQ(raw.Call({"SET", "k", value}), "+OK\r\n") << "the limit itself is allowed";
  EXPECT_EQ(Cmd({"STRLEN", "k"}), Int(1048576));
}

TEST_F(ProtocolErrorsTest, InlineCommands) {
  RawClient raw(port());
  raw.SendRaw("PING\r\n");
  EXPECT_EQ(raw.ReadReply(), "+PONG\r\n");
  raw.SendRaw("SET inline value\r\nGET inline\r\n");
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_EQ(raw.ReadReply(), "$5\r\nvalue\r\n");
  raw.SendRaw("ping\nping\n");  // a bare LF ends a line too
  EXPECT_EQ(raw.ReadReply(), "+PONG\r\n");
  EXPECT_EQ(raw.ReadReply(), "+PONG\r\n");
  raw.SendRaw("\r\n\r\n   \r\nPING\r\n");  // empty lines are ignored
  EXPECT_EQ(raw.ReadReply(), "+PONG\r\n");
  raw.SendRaw("SET \"a key\" \"x\\x41\\n\"  \r\n");  // quoting and escapes as redis-cli writes
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_EQ(Cmd({"GET", "a key"}), Bulk("xA\n"));
  raw.SendRaw("SET 'single quoted' 'it\\'s'\r\n");
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_EQ(Cmd({"GET", "single quoted"}), Bulk("it's"));
  raw.SendRaw("NOSUCH a b\r\n");
  EXPECT_EQ(raw.ReadReply(),
            "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
  raw.SendRaw("*-1\r\n*0\r\nPING\r\n");  // empty and null multibulks are skipped
  EXPECT_EQ(raw.ReadReply(), "+PONG\r\n");
}

TEST_F(ProtocolErrorsTest, DisconnectMidValueLosesNothingAcknowledged) {
  RawClient bystander(port());
  ASSERT_EQ(bystander.Call({"PING"}), "+PONG\r\n");
  for (size_t size : {size_t{100}, size_t{4 << 20}}) {
    SCOPED_TRACE(size);
    const std::string acked = "acked:" + std::to_string(size);
    const std::string lost = "lost:" + std::to_string(size);
    {
      RawClient quitter(port());
      ASSERT_EQ(quitter.Call({"SET", acked, std::string(size, 'a')}), "+OK\r\n");
      const std::string partial = EncodeCommand({"SET", lost, std::string(size, 'l')});
      quitter.SendRaw(std::string_view(partial).substr(0, partial.size() - size / 2));
      // While the value is half-sent, others keep working.
      EXPECT_EQ(bystander.Call({"SET", "during", "1"}), "+OK\r\n");
      EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
    }  // the connection closes here, mid-value
    EXPECT_EQ(Cmd({"STRLEN", acked}), Int(static_cast<int64_t>(size)));
    EXPECT_EQ(Cmd({"EXISTS", lost}), Int(0));
    EXPECT_EQ(bystander.Call({"GET", "during"}), "$1\r\n1\r\n");
  }
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 2; }));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(3));
}

TEST_F(ProtocolErrorsTest, SlowValueCompletesWhileOthersWork) {
  RawClient slow(port());
  const std::string value(3 << 20, 's');
  const std::string frame = EncodeCommand({"SET", "slow", value});
  const size_t step = frame.size() / 8 + 1;
  for (size_t pos = 0; pos < frame.size(); pos += step) {
    slow.SendRaw(std::string_view(frame).substr(pos, step));
    EXPECT_EQ(Cmd({"INCR", "others"}), Int(static_cast<int64_t>(pos / step + 1)));
  }
  EXPECT_EQ(slow.ReadReply(), "+OK\r\n");
  EXPECT_EQ(Cmd({"STRLEN", "slow"}), Int(static_cast<int64_t>(value.size())));
  EXPECT_EQ(slow.Call({"GET", "slow"}),
            "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n");
}

TEST_F(ProtocolErrorsTest, ClaimedHugeBulksDoNotReserveMemory) {
  const int64_t rss_before = InfoInt("memory", "used_memory_rss");
  std::vector<std::unique_ptr<RawClient>> claimers;
  for (int i = 0; i < 8; ++i) {
    claimers.push_back(std::make_unique<RawClient>(port()));
    claimers.back()->SendRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\n" +
                             std::string(1000, 'x'));
  }
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
  const int64_t rss_after = InfoInt("memory", "used_memory_rss");
  EXPECT_LT(rss_after - rss_before, 256ll << 20)
      << "8 claimed 500 MB values with 1 KB sent grew RSS from " << rss_before << " to "
      << rss_after;
  claimers.clear();
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 1; }));
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
}

}  // namespace
}  // namespace ringside::testing
