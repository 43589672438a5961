// io-backend: which reactor serves, and what ringside does where io_uring is forbidden. The
// real binary runs under a seccomp filter (tests/tools/deny_syscalls) that refuses io_uring's
// system calls with EPERM, the way Docker's default profile and kernel.io_uring_disabled do.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"

namespace ringside::testing {
namespace {

constexpr const char* kUnavailable = "io_uring is unavailable (";

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class IoBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each test names its backend itself, so the suite's libevent pass would repeat it.
    if (IoBackendUnderTest() == "libevent") GTEST_SKIP() << "chooses its own io-backend";
  }

  // Keys on every shard, a cross-shard MSET/MGET, and a 1 MiB value that BigBulk reads
  // straight into its buffer: served, read back, and the direct reads seen in INFO.
  static void ExpectServes(int port, int threads) {
    Client c(port);
    std::vector<std::string> mset = {"MSET"};
    std::vector<std::string> mget = {"MGET"};
    for (int shard = 0; shard < threads; ++shard) {
      const std::string key = KeyOnShard("k", shard, threads);
      ASSERT_EQ(c.Cmd({"SET", key, "v" + std::to_string(shard)}), Status("OK"));
      ASSERT_EQ(c.Cmd({"GET", key}), Bulk("v" + std::to_string(shard)));
      mset.push_back(KeyOnShard("m", shard, threads));
      mset.push_back(std::to_string(shard));
      mget.push_back(KeyOnShard("m", shard, threads));
    }
    ASSERT_EQ(c.Cmd(mset), Status("OK"));
    std::vector<std::string> values;
    for (int shard = 0; shard < threads; ++shard) values.push_back(std::to_string(shard));
    EXPECT_EQ(c.Cmd(mget), BulkArray(values));
    const std::string big = Pattern(1 << 20, 7);
    ASSERT_EQ(c.Cmd({"SET", "big", big}), Status("OK"));
    EXPECT_TRUE(c.Cmd({"GET", "big"}).str == big);
    EXPECT_GT(InfoNumber(c, "bigbulk", "bigbulk_direct_read_bytes"), 0);
  }

  static void ExpectCleanStop(ServerProcess& server) {
    const int status = server.Stop();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.Output();
  }
};

TEST_F(IoBackendTest, AutoServesOnLibeventWhereIoUringSetupIsRefused) {
  auto server = ServerProcess::StartRingsideUnder({RINGSIDE_DENY_SYSCALLS, "io_uring_setup"},
                                                  {"--io-backend", "auto", "--threads", "3"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(InfoField(c, "reactor", "io_backend"), "libevent");
  EXPECT_EQ(InfoField(c, "server", "multiplexing_api"), "libevent");
  // The configured value stays what was asked for.
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "io-backend"}), BulkArray({"io-backend", "auto"}));
  ExpectServes(server->port(), 3);
  // One warning for the whole server, not one per thread, naming the reason.
  const std::string log = server->Output();
  EXPECT_EQ(Count(log, kUnavailable), 1u) << log;
  EXPECT_NE(log.find("io_uring is unavailable (io_uring_setup failed: Operation not permitted"),
            std::string::npos)
      << log;
  ExpectCleanStop(*server);
}

TEST_F(IoBackendTest, ForcedIoUringRefusesToStartWhereIoUringSetupIsRefused) {
  std::vector<std::string> args = {"io_uring_setup", ServerProcess::RingsideBinary()};
  for (auto& a : ServerProcess::RingsideArgsFor(FreePort(), {"--io-backend", "io_uring"})) {
    args.push_back(a);
  }
  const RunResult r = RunToExit(RINGSIDE_DENY_SYSCALLS, args);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("io-backend io_uring cannot run here: io_uring_setup failed: "
                          "Operation not permitted"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Set io-backend to auto or libevent"), std::string::npos) << r.output;
}

// A ring can be set up but not given its provided buffers: auto still falls back, and says so.
TEST_F(IoBackendTest, AutoNamesTheRefusedBufferRingAsTheReason) {
  auto server = ServerProcess::StartRingsideUnder({RINGSIDE_DENY_SYSCALLS, "io_uring_register"},
                                                  {"--io-backend", "auto", "--threads", "2"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(InfoField(c, "reactor", "io_backend"), "libevent");
  ExpectServes(server->port(), 2);
  const std::string log = server->Output();
  EXPECT_EQ(Count(log, kUnavailable), 1u) << log;
  EXPECT_NE(log.find("provided buffer ring registration failed: Operation not permitted"),
            std::string::npos)
      << log;
  ExpectCleanStop(*server);
}

// Chosen outright, libevent never tries io_uring: no warning even where io_uring is refused.
TEST_F(IoBackendTest, LibeventChosenOutrightNeedsNoIoUring) {
  auto server = ServerProcess::StartRingsideUnder(
      {RINGSIDE_DENY_SYSCALLS, "io_uring_setup,io_uring_enter,io_uring_register"},
      {"--io-backend", "libevent", "--threads", "2"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(InfoField(c, "reactor", "io_backend"), "libevent");
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "io-backend"}), BulkArray({"io-backend", "libevent"}));
  ExpectServes(server->port(), 2);
  EXPECT_EQ(Count(server->Output(), "io_uring"), 0u) << server->Output();
  ExpectCleanStop(*server);
}

// Where the kernel allows it (this test machine), auto is io_uring, silently.
TEST_F(IoBackendTest, AutoPicksIoUringWhereItWorks) {
  auto server = ServerProcess::StartRingside({"--io-backend", "auto", "--threads", "2"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(InfoField(c, "reactor", "io_backend"), "io_uring");
  ExpectServes(server->port(), 2);
  EXPECT_EQ(Count(server->Output(), kUnavailable), 0u) << server->Output();
  ExpectCleanStop(*server);
}

}  // namespace
}  // namespace ringside::testing
