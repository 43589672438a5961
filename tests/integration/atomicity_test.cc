// Commands whose work spans shards must still look like one step to every client: RENAMENX
// and MSETNX racing other clients, SCAN racing the connection's own later commands, SHUTDOWN
// followed by more commands, and a second server asking for the same port.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/raw_client.h"
#include "tests/support/redis_client.h"
#include "tests/support/server_process.h"

namespace ringside::testing {
namespace {

// The first key of the form prefix<N> that lives on `shard` of `num_shards`.
std::string KeyOnShard(const std::string& prefix, int shard, int num_shards) {
  for (int i = 0;; ++i) {
    std::string k = prefix + std::to_string(i);
    if (KeyShard(k, num_shards) == shard) return k;
  }
}

class TwoShardTest : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--threads", "2"}; }
};

TEST_F(TwoShardTest, RenameNxNeverOverwritesAConcurrentWrite) {
  const std::string src = KeyOnShard("src", 0, 2), dst = KeyOnShard("dst", 1, 2);
  auto a = NewClient(), b = NewClient();
  for (int trial = 0; trial < 300; ++trial) {
    ASSERT_EQ(Cmd({"DEL", dst}).type, Reply::Type::kInteger);
    ASSERT_EQ(Cmd({"SET", src, "renamed"}), Status("OK"));
    Reply renamed, set;
    std::thread ta([&] { renamed = a->Cmd({"RENAMENX", src, dst}); });
    std::thread tb([&] { set = b->Cmd({"SET", dst, "written"}); });
    ta.join();
    tb.join();
    ASSERT_EQ(set, Status("OK"));
    // In any serial order, a RENAMENX that wins leaves the later SET's value behind.
    if (renamed == Int(1)) {
      ASSERT_EQ(Cmd({"GET", dst}), Bulk("written")) << "trial " << trial;
    } else {
      ASSERT_EQ(renamed, Int(0));
      ASSERT_EQ(Cmd({"GET", src}), Bulk("renamed")) << "trial " << trial;
    }
  }
}

TEST_F(TwoShardTest, ConcurrentMsetnxOnTheSameKeysHasOneWinner) {
  const std::string k1 = KeyOnShard("k", 0, 2), k2 = KeyOnShard("k", 1, 2);
  auto a = NewClient(), b = NewClient();
  for (int trial = 0; trial < 300; ++trial) {
    ASSERT_EQ(Cmd({"DEL", k1, k2}).type, Reply::Type::kInteger);
    Reply ra, rb;
    std::thread ta([&] { ra = a->Cmd({"MSETNX", k1, "a", k2, "a"}); });
    std::thread tb([&] { rb = b->Cmd({"MSETNX", k1, "b", k2, "b"}); });
    ta.join();
    tb.join();
    ASSERT_EQ(ra.integer + rb.integer, 1) << "trial " << trial << ": " << ra << " " << rb;
    const std::string winner = ra.integer == 1 ? "a" : "b";
    ASSERT_EQ(Cmd({"MGET", k1, k2}), BulkArray({winner, winner}));
  }
}

TEST_F(TwoShardTest, ScanIsNotOvertakenByTheConnectionsLaterCommands) {
  const std::string a = KeyOnShard("a", 0, 2), b = KeyOnShard("b", 1, 2);
  for (int trial = 0; trial < 50; ++trial) {
    ASSERT_EQ(Cmd({"MSET", a, "1", b, "1"}), Status("OK"));
    RawClient raw(port());
    raw.SendRaw(EncodeCommand({"SCAN", "0", "COUNT", "1000"}) + EncodeCommand({"DEL", a}) +
                EncodeCommand({"DEL", b}));
    const auto scan = raw.ReadReply();
    ASSERT_TRUE(scan.has_value());
    EXPECT_NE(scan->find(a), std::string::npos) << "trial " << trial << ": " << *scan;
    EXPECT_NE(scan->find(b), std::string::npos) << "trial " << trial << ": " << *scan;
    EXPECT_EQ(raw.ReadReply(), ":1\r\n");
    EXPECT_EQ(raw.ReadReply(), ":1\r\n");
  }
}

TEST_F(TwoShardTest, ManyClientsHammeringOtherShardsAllGetTheirReplies) {
  const std::string a = KeyOnShard("a", 0, 2), b = KeyOnShard("b", 1, 2);
  ASSERT_EQ(Cmd({"MSET", a, "1", b, "1"}), Status("OK"));
  // Enough cross-shard work at once to fill the mailboxes between the two cores.
  std::vector<std::thread> threads;
  std::vector<int> good(20, 0);
  for (int c = 0; c < 20; ++c) {
    threads.emplace_back([&, c] {
      RawClient raw(port());
      std::string request;
      for (int i = 0; i < 2000; ++i) request += EncodeCommand({"EXISTS", a, b});
      raw.SendRaw(request);
      for (int i = 0; i < 2000; ++i) {
        if (raw.ReadReply() == std::optional<std::string>(":2\r\n")) ++good[c];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int c = 0; c < 20; ++c) EXPECT_EQ(good[c], 2000) << "client " << c;
}

TEST_F(TwoShardTest, NothingPipelinedAfterShutdownRuns) {
  RINGSIDE_ONLY();
  const std::string k = KeyOnShard("k", 1, 2);
  RawClient raw(port());
  raw.SendRaw(EncodeCommand({"SHUTDOWN"}) + EncodeCommand({"SET", k, "v"}) +
              EncodeCommand({"PING"}));
  EXPECT_TRUE(raw.WaitClosed());
  const int status = server_->WaitExit(std::chrono::seconds(20));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(TwoShardTest, ResetStatLeavesSaneRates) {
  RINGSIDE_ONLY();
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(Cmd({"SET", "k", "v"}), Status("OK"));
  ASSERT_EQ(Cmd({"CONFIG", "RESETSTAT"}), Status("OK"));
  EXPECT_LT(InfoInt("stats", "instantaneous_ops_per_sec"), 1'000'000'000);
  EXPECT_LT(InfoInt("stats", "total_commands_processed"), 100);
}

TEST_F(TwoShardTest, ASecondServerOnTheSamePortIsRefused) {
  RINGSIDE_ONLY();
  const RunResult r = RunToExit(ServerProcess::RingsideBinary(),
                                {"--bind", "127.0.0.1", "--port", std::to_string(port())});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("another ringside is listening there"), std::string::npos) << r.output;
  // The first one keeps every client.
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
}

}  // namespace
}  // namespace ringside::testing
