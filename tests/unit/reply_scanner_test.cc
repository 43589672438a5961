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

}  // namespace
}  // namespace ringside::resp
