#include "resp/reply_scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace ringside::resp {
namespace {

// Replies as redis-server 7.0 sends them, in both protocols.
const std::string kReplies[] = {
    "+OK\r\n",
    "-ERR syntax error\r\n",
    ":42\r\n",
    "$5\r\nhello\r\n",
    "$0\r\n\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
    "_\r\n",
    ",3.14\r\n",
    "#t\r\n",
    "(3492890328409238509324850943850943825024385\r\n",
    "!21\r\nSYNTAX invalid syntax\r\n",
    "=15\r\ntxt:Some string\r\n",
    "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n%1\r\n$1\r\nc\r\n_\r\n",
    "~2\r\n+a\r\n+b\r\n",
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nbody\r\n",
    "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:2039123\r\n:9543892\r\n",
    "$4\r\n\r\n\r\n\r\n",  // a body that holds CRLFs
};

TEST(ReplyScanner, FindsTheEndOfEachReplyAndOnlyWhenItIsAllThere) {
  for (const std::string& r : kReplies) {
    const ReplyScan whole = ScanReply(r);
    ASSERT_EQ(whole.status, ScanStatus::kComplete) << r;
    EXPECT_EQ(whole.length, r.size()) << r;
    for (size_t cut = 0; cut < r.size(); ++cut) {
      EXPECT_EQ(ScanReply(r.substr(0, cut)).status, ScanStatus::kNeedMore)
          << r << " cut at " << cut;
    }
    const ReplyScan followed = ScanReply(r + "+NEXT\r\n");
    EXPECT_EQ(followed.status, ScanStatus::kComplete);
    EXPECT_EQ(followed.length, r.size());
  }
}

TEST(ReplyScanner, RefusesGarbage) {
  for (const std::string bad : {"?x\r\n", "$abc\r\n", "*-2\r\n", "$5\rxhello\r\n", "*1x\r\n"}) {
    EXPECT_EQ(ScanReply(bad).status, ScanStatus::kMalformed) << bad;
  }
}

}  // namespace
}  // namespace ringside::resp

namespace ringside::resp {
namespace {

TEST(Resp2NullsToResp3, ReplacesNullsOnlyWhereTheyAreValues) {
  EXPECT_EQ(Resp2NullsToResp3("$-1\r\n"), "_\r\n");
  EXPECT_EQ(Resp2NullsToResp3("*-1\r\n"), "_\r\n");
  EXPECT_EQ(Resp2NullsToResp3("*3\r\n$1\r\na\r\n$-1\r\n:-1\r\n"), "*3\r\n$1\r\na\r\n_\r\n:-1\r\n");
  // A value whose bytes look like a null stays a value.
  EXPECT_EQ(Resp2NullsToResp3("$5\r\n$-1\r\n\r\n"), "$5\r\n$-1\r\n\r\n");
  EXPECT_EQ(Resp2NullsToResp3("-ERR x\r\n"), "-ERR x\r\n");
  EXPECT_EQ(Resp2NullsToResp3("*2\r\n$1\r\n0\r\n*0\r\n"), "*2\r\n$1\r\n0\r\n*0\r\n");
}

// The expected bytes are what redis-server 7.0 sends a RESP3 client for the same data.
TEST(Resp2ToResp3, ReshapesTheTopLevelArray) {
  // HGETALL h, with fields f1=v1 and f2=v2; HGETALL of a missing key.
  EXPECT_EQ(
      Resp2ToResp3("*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", Resp3Shape::kMap),
      "%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
  EXPECT_EQ(Resp2ToResp3("*0\r\n", Resp3Shape::kMap), "%0\r\n");
  // SMEMBERS s; SPOP of a missing key with a count.
  EXPECT_EQ(Resp2ToResp3("*2\r\n$1\r\na\r\n$1\r\nb\r\n", Resp3Shape::kSet),
            "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Resp2ToResp3("*0\r\n", Resp3Shape::kSet), "~0\r\n");
  // HRANDFIELD h 2 WITHVALUES; with a value that looks like an array header.
  EXPECT_EQ(Resp2ToResp3("*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$4\r\n*2\r\n\r\n",
                         Resp3Shape::kPairs),
            "*2\r\n*2\r\n$2\r\nf1\r\n$2\r\nv1\r\n*2\r\n$2\r\nf2\r\n$4\r\n*2\r\n\r\n");
  EXPECT_EQ(Resp2ToResp3("*0\r\n", Resp3Shape::kPairs), "*0\r\n");
}

TEST(Resp2ToResp3, LeavesWhatIsNotAnArrayOfTheShape) {
  EXPECT_EQ(Resp2ToResp3("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                         Resp3Shape::kMap),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  // SPOP s without a count: a bulk, or a null.
  EXPECT_EQ(Resp2ToResp3("$1\r\na\r\n", Resp3Shape::kSet), "$1\r\na\r\n");
  EXPECT_EQ(Resp2ToResp3("$-1\r\n", Resp3Shape::kSet), "_\r\n");
  // An odd number of values is no map; a truncated reply is passed on as it is.
  EXPECT_EQ(Resp2ToResp3("*1\r\n$1\r\na\r\n", Resp3Shape::kMap), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(Resp2ToResp3("*2\r\n$1\r\na\r\n$5\r\nb", Resp3Shape::kPairs),
            "*2\r\n$1\r\na\r\n$5\r\nb");
  // Nothing but nulls for the other commands.
  EXPECT_EQ(Resp2ToResp3("*2\r\n$1\r\na\r\n$-1\r\n", Resp3Shape::kNullsOnly),
            "*2\r\n$1\r\na\r\n_\r\n");
}

}  // namespace
}  // namespace ringside::resp
