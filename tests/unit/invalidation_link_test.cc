// InvalidationLink as a protocol state machine: what it sends to subscribe, and what it makes
// of the upstream's replies and published invalidations, without a socket.
#include "backend/invalidation_link.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringside::backend {
namespace {

std::string Output(InvalidationLink& link) {
  std::string out;
  for (auto& p : link.TakeOutputPieces()) out += p.bytes;
  return out;
}

TEST(InvalidationLink, SubscribesAndReportsItsClientId) {
  InvalidationLink link("alice", "pw");
  std::vector<int64_t> ids;
  link.set_on_subscribed([&](int64_t id) { ids.push_back(id); });
  link.Connected();
  EXPECT_EQ(Output(link),
            "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$2\r\npw\r\n"
            "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n"
            "*2\r\n$9\r\nSUBSCRIBE\r\n$20\r\n__redis__:invalidate\r\n");
  ASSERT_TRUE(link.OnInput("+OK\r\n:17\r\n"));
  EXPECT_FALSE(link.ready()) << "not before the subscription is confirmed";
  ASSERT_TRUE(link.OnInput("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"));
  EXPECT_TRUE(link.ready());
  EXPECT_EQ(ids, std::vector<int64_t>{17});
  link.Disconnected();
  EXPECT_EQ(ids, (std::vector<int64_t>{17, 0})) << "a lost subscription is reported as id 0";
}

TEST(InvalidationLink, ReportsKeysAndFlushes) {
  InvalidationLink link("", "");
  std::vector<std::string> keys;
  int flushes = 0;
  link.set_on_invalidate([&](std::span<const std::string_view> ks, bool all) {
    if (all) ++flushes;
    for (std::string_view k : ks) keys.emplace_back(k);
  });
  link.Connected();
  Output(link);
  const std::string subscribed = "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n";
  ASSERT_TRUE(link.OnInput(":3\r\n" + subscribed));
  // Split across reads, two keys in one message, then a flush (a nil payload).
  using namespace std::string_literals;
  const std::string message =
      "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$1\r\na\r\n$3\r\nb\0c\r\n"s;
  ASSERT_TRUE(link.OnInput(std::string_view(message).substr(0, 20)));
  EXPECT_TRUE(keys.empty());
  ASSERT_TRUE(link.OnInput(std::string_view(message.data() + 20, message.size() - 20)));
  EXPECT_EQ(keys, (std::vector<std::string>{"a", std::string("b\0c", 3)}));
  ASSERT_TRUE(link.OnInput("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"));
  EXPECT_EQ(flushes, 1);
}

TEST(InvalidationLink, ARefusedStepOrAStrayReplyClosesTheConnection) {
  InvalidationLink wrong("", "bad");
  wrong.Connected();
  EXPECT_FALSE(wrong.OnInput("-WRONGPASS invalid username-password pair\r\n"));
  EXPECT_NE(wrong.last_error().find("AUTH refused: WRONGPASS"), std::string::npos)
      << wrong.last_error();

  InvalidationLink stray("", "");
  stray.Connected();
  ASSERT_TRUE(stray.OnInput(":3\r\n*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"));
  EXPECT_FALSE(stray.OnInput("+OK\r\n"));
  EXPECT_FALSE(stray.last_error().empty());
}

}  // namespace
}  // namespace ringside::backend
