// UpstreamLink as a protocol state machine: the bytes it would send and what it does with the
// upstream's replies, without a socket.
#include "backend/upstream_link.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringside::backend {
namespace {

void Rec(UpstreamLink& link, int db, std::vector<std::string_view> argv) { link.Record(db, argv); }

TEST(UpstreamLink, SendsRecordsInOrderWithSelectOnlyWhenTheDatabaseChanges) {
  UpstreamLink link("", "");
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 3, {"DEL", "b"});
  Rec(link, 3, {"INCR", "c"});
  EXPECT_EQ(link.TakeOutput(), "") << "nothing goes out before a connection";
  link.Connected();
  EXPECT_EQ(link.TakeOutput(),
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"
            "*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n"
            "*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n");
  EXPECT_EQ(link.acked(), 0u);
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n:1\r\n"));
  EXPECT_EQ(link.acked(), 2u) << "the SELECT's reply acknowledges no record";
  ASSERT_TRUE(link.OnInput(":5\r\n"));
  EXPECT_EQ(link.acked(), 3u);
  EXPECT_FALSE(link.HasUnacked());
}

TEST(UpstreamLink, ResendsUnacknowledgedRecordsAfterAReconnect) {
  UpstreamLink link("", "");
  link.Connected();
  Rec(link, 1, {"SET", "a", "1"});
  Rec(link, 1, {"SET", "b", "2"});
  link.TakeOutput();
  // A reply split across reads is still one reply.
  ASSERT_TRUE(link.OnInput("+O"));
  ASSERT_TRUE(link.OnInput("K\r\n+OK"));
  EXPECT_EQ(link.acked(), 0u) << "the first reply answers the SELECT";
  ASSERT_TRUE(link.OnInput("\r\n"));
  EXPECT_EQ(link.acked(), 1u);
  link.Disconnected();
  Rec(link, 1, {"SET", "c", "3"});
  link.Connected();
  // A new connection starts in database 0: the SELECT goes again, before b and c.
  EXPECT_EQ(link.TakeOutput(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
            "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n+OK\r\n+OK\r\n"));
  EXPECT_EQ(link.acked(), 3u);
  EXPECT_EQ(link.stats().reconnects, 1u);
}

TEST(UpstreamLink, AuthGoesFirstAndRecordsWaitForIt) {
  UpstreamLink link("alice", "pw");
  Rec(link, 0, {"SET", "a", "1"});
  link.Connected();
  EXPECT_FALSE(link.ready());
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$2\r\npw\r\n");
  EXPECT_EQ(link.TakeOutput(), "") << "no record before AUTH succeeded";
  ASSERT_TRUE(link.OnInput("+OK\r\n"));
  EXPECT_TRUE(link.ready());
  EXPECT_EQ(link.TakeOutput(), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
}

TEST(UpstreamLink, RefusedAuthClosesAndKeepsTheRecords) {
  UpstreamLink link("", "wrong");
  Rec(link, 0, {"SET", "a", "1"});
  link.Connected();
  EXPECT_EQ(link.TakeOutput(), "*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n");
  EXPECT_FALSE(link.OnInput("-WRONGPASS invalid username-password pair\r\n"));
  EXPECT_NE(link.last_error().find("WRONGPASS"), std::string::npos) << link.last_error();
  link.Disconnected();
  EXPECT_TRUE(link.HasUnacked());
}

TEST(UpstreamLink, StateErrorsKeepTheRecordOtherErrorsAnswerIt) {
  UpstreamLink link("", "");
  Rec(link, 0, {"SET", "a", "1"});
  Rec(link, 0, {"INCR", "a"});
  link.Connected();
  link.TakeOutput();
  // The upstream lost its password setting mid-way: NOAUTH says nothing about the record.
  EXPECT_FALSE(link.OnInput("-NOAUTH Authentication required.\r\n"));
  EXPECT_EQ(link.acked(), 0u);
  link.Disconnected();
  link.Connected();
  link.TakeOutput();
  ASSERT_TRUE(link.OnInput("+OK\r\n-ERR value is not an integer or out of range\r\n"));
  EXPECT_EQ(link.acked(), 2u);
  EXPECT_EQ(link.stats().record_errors, 1u);
}

TEST(UpstreamLink, AReplyNobodyAskedForClosesTheLink) {
  UpstreamLink link("", "");
  link.Connected();
  EXPECT_FALSE(link.OnInput("+OK\r\n"));
  EXPECT_FALSE(link.last_error().empty());
}

}  // namespace
}  // namespace ringside::backend
