// The process from outside: signals, SHUTDOWN, --version/--help, config files good and bad.

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"

namespace ringside::testing {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// An exit by the program's own choice with a failure code: not 0, not a crash (128 + signal
// from RunToExit), not a timeout (-1).
bool FailedCleanly(int exit_code) { return exit_code >= 1 && exit_code < 128; }

bool ExitedWith(int status, int code) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

std::string DescribeStatus(int status) {
  if (status == -1) return "did not exit";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// The binary the lifecycle checks run: ringside, or redis-server when it is the target.
std::string TargetBinary() {
  return ServerProcess::TargetIsRedis() ? "redis-server" : ServerProcess::RingsideBinary();
}

// A config file in a fresh temp directory, removed with the object.
class TempConfig {
 public:
  explicit TempConfig(const std::string& contents) {
    char tmpl[] = "/tmp/ringside-conf-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = dir;
    path_ = dir_ + "/test.conf";
    std::ofstream(path_) << contents;
  }
  ~TempConfig() {
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

TEST(LifecycleTest, SigtermExitsZero) {
  auto server = ServerProcess::StartRingside();
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    ASSERT_EQ(c.Cmd({"SET", "k", "v"}), Status("OK"));
  }
  const int status = server->Stop();
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

TEST(LifecycleTest, SigintExitsZero) {
  auto server = ServerProcess::StartRingside({"--threads", "4"});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(kill(server->pid(), SIGINT), 0);
  const int status = server->WaitExit(std::chrono::seconds(20));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

TEST(LifecycleTest, SigtermWithBusyClientsExitsZeroAndRepliesStayWellFormed) {
  auto server = ServerProcess::StartRingside({"--threads", "4"});
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(std::make_unique<Client>(server->port()));
  RawClient busy(server->port());
  std::string pipeline;
  for (int i = 0; i < 5000; ++i) {
    pipeline += EncodeCommand({"SET", "k" + std::to_string(i), std::string(100, 'v')});
  }
  busy.SendRaw(pipeline);
  ASSERT_EQ(busy.ReadReply(), "+OK\r\n");
  ASSERT_EQ(kill(server->pid(), SIGTERM), 0);
  // Whatever arrives after the signal is a sequence of complete, correct replies.
  int replies = 1;
  while (auto r = busy.ReadReply(std::chrono::seconds(20))) {
    ASSERT_EQ(*r, "+OK\r\n") << "reply " << replies;
    ++replies;
  }
  EXPECT_LE(replies, 5000);
  const int status = server->WaitExit(std::chrono::seconds(20));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

// Replies already executed when SIGTERM arrives reach a client that keeps reading: shutdown
// waits (up to its 5 s deadline) for what the reactor still has to send, not only for what the
// connection has not yet handed to it.
TEST(LifecycleTest, SigtermStillSendsRepliesAlreadyQueued) {
  RINGSIDE_ONLY();
  auto server = ServerProcess::StartRingside({"--threads", "2"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  const std::string big = Pattern(4 << 20, 11);
  ASSERT_EQ(c.Cmd({"SET", "big", big}), Status("OK"));
  const int64_t before = InfoNumber(c, "stats", "total_commands_processed");
  RawClient reader(server->port());
  std::string pipeline;
  for (int i = 0; i < 10; ++i) pipeline += EncodeCommand({"GET", "big"});
  reader.SendRaw(pipeline);
  // 40 MB of replies queued, most of it unsent: the reader has not read a byte yet.
  ASSERT_TRUE(
      WaitUntil([&] { return InfoNumber(c, "stats", "total_commands_processed") >= before + 11; }));
  ASSERT_EQ(kill(server->pid(), SIGTERM), 0);
  const std::string expected = "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  for (int i = 0; i < 10; ++i) {
    const std::optional<std::string> r = reader.ReadReply(std::chrono::seconds(20));
    ASSERT_TRUE(r.has_value()) << "reply " << i << " missing";
    ASSERT_TRUE(*r == expected) << "reply " << i << " differs";
  }
  const int status = server->WaitExit(std::chrono::seconds(20));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

TEST(LifecycleTest, ShutdownCommandStopsTheProcess) {
  auto server = ServerProcess::StartRingside();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  ASSERT_EQ(c.Cmd({"SET", "k", "v"}), Status("OK"));
  EXPECT_EQ(c.Cmd({"SHUTDOWN", "NOSUCHOPTION"}), Error("ERR syntax error"));
  ASSERT_TRUE(server->Running());
  const Reply r = c.Cmd({"SHUTDOWN"});
  EXPECT_EQ(r.type, Reply::Type::kIoError) << "SHUTDOWN answers by closing: " << r;
  const int status = server->WaitExit(std::chrono::seconds(20));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

TEST(LifecycleTest, ShutdownNoSave) {
  auto server = ServerProcess::StartRingside({"--threads", "2"});
  ASSERT_NE(server, nullptr);
  RawClient raw(server->port());
  raw.SendRaw(EncodeCommand({"SHUTDOWN", "NOSAVE"}));
  EXPECT_TRUE(raw.WaitClosed(std::chrono::seconds(20)));
  const int status = server->WaitExit(std::chrono::seconds(20));
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status) << "\n" << server->Output();
}

TEST(LifecycleTest, Version) {
  const RunResult r = RunToExit(TargetBinary(), {"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(r.output.empty());
  if (!ServerProcess::TargetIsRedis()) {
    EXPECT_TRUE(Contains(r.output, "ringside")) << r.output;
  }
  const RunResult v = RunToExit(TargetBinary(), {"-v"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_EQ(v.output, r.output);
}

TEST(LifecycleTest, Help) {
  RINGSIDE_ONLY();  // redis-server --help exits 1
  const RunResult r = RunToExit(TargetBinary(), {"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "ringside")) << r.output;
  EXPECT_TRUE(Contains(r.output, "--port")) << "the usage shows the --directive form\n" << r.output;
  const RunResult h = RunToExit(TargetBinary(), {"-h"});
  EXPECT_EQ(h.exit_code, 0) << h.output;
}

TEST(LifecycleTest, BadValueInConfigFile) {
  TempConfig conf("# a comment\nbind 127.0.0.1\nport 99999\n");
  const RunResult r = RunToExit(TargetBinary(), {conf.path()});
  EXPECT_TRUE(FailedCleanly(r.exit_code)) << "exit code " << r.exit_code << ":\n" << r.output;
  EXPECT_TRUE(Contains(r.output, "line 3") || Contains(r.output, conf.path() + ":3"))
      << "the message names the line:\n"
      << r.output;
  EXPECT_TRUE(Contains(r.output, "port")) << r.output;
  EXPECT_TRUE(Contains(r.output, "99999")) << r.output;
  if (!ServerProcess::TargetIsRedis()) {  // redis-server does not name the file
    EXPECT_TRUE(Contains(r.output, conf.path())) << "the message names the file:\n" << r.output;
  }
}

TEST(LifecycleTest, UnknownDirectiveInConfigFile) {
  TempConfig conf("port 6399\nfrobnicate yes\n");
  const RunResult r = RunToExit(TargetBinary(), {conf.path()});
  EXPECT_TRUE(FailedCleanly(r.exit_code)) << "exit code " << r.exit_code << ":\n" << r.output;
  EXPECT_TRUE(Contains(r.output, "line 2") || Contains(r.output, conf.path() + ":2"))
      << "the message names the line:\n"
      << r.output;
  EXPECT_TRUE(Contains(r.output, "frobnicate")) << r.output;
  if (!ServerProcess::TargetIsRedis()) {
    EXPECT_TRUE(Contains(r.output, conf.path())) << "the message names the file:\n" << r.output;
  }
}

TEST(LifecycleTest, BadValuesOnTheCommandLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--port", "99999"}, std::vector<std::string>{"--port", "abc"},
        std::vector<std::string>{"--maxclients", "-5"},
        std::vector<std::string>{"--no-such-directive", "1"}}) {
    const RunResult r = RunToExit(TargetBinary(), args);
    EXPECT_TRUE(FailedCleanly(r.exit_code))
        << args[0] << " " << args[1] << ": exit code " << r.exit_code << "\n"
        << r.output;
    EXPECT_TRUE(Contains(r.output, args[0].substr(2))) << "names the directive:\n" << r.output;
  }
  if (!ServerProcess::TargetIsRedis()) {
    const RunResult threads = RunToExit(TargetBinary(), {"--threads", "zero"});
    EXPECT_TRUE(FailedCleanly(threads.exit_code)) << threads.exit_code << "\n" << threads.output;
    EXPECT_TRUE(Contains(threads.output, "threads")) << threads.output;
  }
}

TEST(LifecycleTest, MissingConfigFile) {
  const std::string path = "/nonexistent/ringside-test.conf";
  const RunResult r = RunToExit(TargetBinary(), {path});
  EXPECT_TRUE(FailedCleanly(r.exit_code)) << "exit code " << r.exit_code << ":\n" << r.output;
  EXPECT_TRUE(Contains(r.output, path)) << r.output;
}

TEST(LifecycleTest, ConfigFileAppliesAndCommandLineOverrides) {
  TempConfig conf("# test config\nmaxclients 77\n\ntimeout 5\n");
  {
    auto server = ServerProcess::StartRingsideWithConfig(conf.path());
    ASSERT_NE(server, nullptr);
    Client c(server->port());
    EXPECT_EQ(c.Cmd({"CONFIG", "GET", "maxclients"}), BulkArray({"maxclients", "77"}));
    EXPECT_EQ(c.Cmd({"CONFIG", "GET", "timeout"}), BulkArray({"timeout", "5"}));
    EXPECT_EQ(c.Cmd({"CONFIG", "GET", "port"}),
              BulkArray({"port", std::to_string(server->port())}));
  }
  auto server = ServerProcess::StartRingsideWithConfig(conf.path(), {"--maxclients", "88"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "maxclients"}), BulkArray({"maxclients", "88"}));
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "timeout"}), BulkArray({"timeout", "5"}));
}

TEST(LifecycleTest, ShippedConfigFileStarts) {
  RINGSIDE_ONLY();
  auto server = ServerProcess::StartRingsideWithConfig(
      std::string(RINGSIDE_SOURCE_DIR) + "/conf/ringside.conf", {"--threads", "2"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  EXPECT_EQ(c.Cmd({"SET", "k", "v"}), Status("OK"));
  EXPECT_EQ(c.Cmd({"GET", "k"}), Bulk("v"));
  const int status = server->Stop();
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeStatus(status);
}

// Number of "shardN:" lines in INFO shards.
int ShardLines(Client& c) {
  const Reply shards = c.Cmd({"INFO", "shards"});
  EXPECT_EQ(shards.type, Reply::Type::kBulk) << shards;
  int lines = 0;
  for (const auto& [field, value] : ParseInfo(shards.str)) {
    if (field.rfind("shard", 0) == 0 && field.size() > 5 && std::isdigit(field[5])) ++lines;
  }
  return lines;
}

TEST(LifecycleTest, ThreadsDirectiveShowsInConfigAndInfo) {
  RINGSIDE_ONLY();
  auto server = ServerProcess::StartRingside({"--threads", "3"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  EXPECT_EQ(c.Cmd({"CONFIG", "GET", "threads"}), BulkArray({"threads", "3"}));
  EXPECT_EQ(ShardLines(c), 3) << "one shardN line per shard";
}

TEST(LifecycleTest, ThreadsAutoIsTheAffinityMask) {
  RINGSIDE_ONLY();
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  auto server = ServerProcess::StartRingside({"--threads", "auto"});
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  EXPECT_EQ(ShardLines(c), CPU_COUNT(&set)) << "threads auto = CPUs the process may run on";
}

}  // namespace
}  // namespace ringside::testing
