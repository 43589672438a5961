// client-query-buffer-limit: a client whose unexecuted input grows past the limit is closed,
// loses nothing it was acknowledged for, and disturbs no other client.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/integration_fixture.h"
#include "tests/support/raw_client.h"
#include "tests/support/redis_client.h"

namespace ringside::testing {
namespace {

class QueryBufferLimitTest : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--client-query-buffer-limit", "1mb", "--threads", "2"};
  }
};

TEST_F(QueryBufferLimitTest, ClientPastTheLimitIsClosedAndOthersCarryOn) {
  ASSERT_EQ(Cmd({"SET", "kept", "v"}), Status("OK"));
  RawClient big(port());
  // A 4 MB value announced, 1.5 MB of it sent: more unexecuted input than the 1 MB limit.
  big.SendRaw("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4000000\r\n");
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 24 && big.connected(); ++i) big.SendRaw(chunk);
  EXPECT_TRUE(big.WaitClosed());
  EXPECT_EQ(Cmd({"EXISTS", "big"}), Int(0));
  EXPECT_EQ(Cmd({"GET", "kept"}), Bulk("v"));
}

TEST_F(QueryBufferLimitTest, InputUnderTheLimitIsServed) {
  // Just under 1 MB of value arrives in pieces and is stored whole.
  const std::string value(900 * 1024, 'y');
  RawClient c(port());
  c.SendRaw(EncodeCommand({"SET", "big", value}));
  EXPECT_EQ(c.ReadReply(), "+OK\r\n");
  EXPECT_EQ(Cmd({"STRLEN", "big"}), Int(static_cast<int64_t>(value.size())));
}

}  // namespace
}  // namespace ringside::testing
