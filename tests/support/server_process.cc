#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/support/tls_support.h"
#include "tests/support/transport.h"

namespace ringside::testing {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A test process writes to sockets the server may already have closed; that must show up as
// an error return, not kill the test binary.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

constexpr auto kReadyDeadline = std::chrono::seconds(20);
constexpr auto kStopDeadline = std::chrono::seconds(20);
constexpr auto kPollInterval = milliseconds(5);
constexpr int kLaunchAttempts = 3;

// Directives only ringside knows; dropped when redis-server stands in for it.
constexpr const char* kRingsideOnlyDirectives[] = {"--threads",          "--io-backend",
                                                   "--io-uring-entries", "--recv-buffers",
                                                   "--recv-buffer-size", "--bigbulk-threshold"};

// An anonymous temp file for a child's output: unlinked at once, so nothing is left behind
// even when the test binary is killed. Returns the fd (close-on-exec) and sets `path` to a
// name this process can open it by; -1 on failure.
int TempLog(std::string* path) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/ringside-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = mkostemp(buf.data(), O_CLOEXEC | O_APPEND);
  if (fd < 0) return -1;
  unlink(buf.data());
  *path = "/proc/self/fd/" + std::to_string(fd);
  return fd;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Forks and execs `binary args...` with stdout and stderr going to `log_fd` and stdin from
// /dev/null. Returns the child's pid, or -1 when fork or exec failed (the reason is
// written to the log).
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args, int log_fd,
            const std::string& log_path) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The child reports an exec failure through this pipe; a successful exec closes it.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return -1;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(report[0]);
    close(report[1]);
    return -1;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    close(report[0]);
    // If the test binary dies without running destructors, take the server down with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    // Client sockets the test holds (hiredis does not mark them close-on-exec) must not live
    // on in the server; the report pipe closes at exec as intended.
    close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
    execvp(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] ssize_t ignored = write(report[1], &err, sizeof(err));
    _exit(127);
  }
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    waitpid(pid, nullptr, 0);
    std::ofstream(log_path, std::ios::app)
        << "cannot exec " << binary << ": " << std::strerror(child_errno) << "\n";
    return -1;
  }
  return pid;
}

// Polls waitpid until the child exits or the deadline passes. True when it exited.
bool WaitPid(pid_t pid, Clock::duration deadline, int* status) {
  const auto end = Clock::now() + deadline;
  while (true) {
    const pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno != EINTR) {
      *status = -1;
      return true;
    }
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Over the transport the test's clients use, so a server counts as up once they can reach it.
bool AnswersPing(int port) {
  timeval tv{1, 0};
  redisContext* c = ConnectHiredis(port, tv);
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0) {
    redisSetTimeout(c, tv);
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    // A server that wants a password first is up too.
    ok = reply != nullptr &&
         ((reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG") ||
          (reply->type == REDIS_REPLY_ERROR &&
           std::string(reply->str, reply->len).rfind("NOAUTH", 0) == 0));
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return ok;
}

std::string DescribeStatus(int status) {
  if (status == -1) return "unknown status";
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

std::string BinaryUnderTest() {
  const char* override_path = std::getenv("RINGSIDE_TEST_BINARY");
  if (override_path != nullptr && *override_path != '\0') return override_path;
  return RINGSIDE_BINARY;
}

std::vector<std::string> DropRingsideOnly(const std::vector<std::string>& extra) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < extra.size(); ++i) {
    bool ringside_only = false;
    for (const char* d : kRingsideOnlyDirectives) ringside_only |= extra[i] == d;
    if (ringside_only) {
      // Skip the directive and its values (everything up to the next --directive).
      while (i + 1 < extra.size() && extra[i + 1].rfind("--", 0) != 0) ++i;
      continue;
    }
    kept.push_back(extra[i]);
  }
  return kept;
}

std::vector<std::string> RedisArgs(int port, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--bind",      "127.0.0.1", "--port",       std::to_string(port),
                                   "--save",      "",          "--appendonly", "no",
                                   "--daemonize", "no"};
  for (auto& a : TransportArgs(port)) args.push_back(std::move(a));
  if (UpstreamOverTls()) {
    for (auto& a : RedisTlsArgs(TlsPortFor(port))) args.push_back(std::move(a));
  }
  for (const auto& e : DropRingsideOnly(extra)) args.push_back(e);
  return args;
}

std::vector<std::string> RingsideArgs(int port, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--bind",     "127.0.0.1", "--port", std::to_string(port),
                                   "--loglevel", "warning"};
  for (auto& a : TransportArgs(port)) args.push_back(std::move(a));
  // Ahead of `extra`, so a test that names a backend itself gets that one.
  const std::string backend = IoBackendUnderTest();
  if (!backend.empty()) {
    args.push_back("--io-backend");
    args.push_back(backend);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string IoBackendUnderTest() {
  const char* backend = std::getenv("RINGSIDE_TEST_IO_BACKEND");
  return backend != nullptr ? backend : "";
}

bool ServerProcess::TargetIsRedis() {
  const char* target = std::getenv("RINGSIDE_TEST_TARGET");
  return target != nullptr && std::string(target) == "redis";
}

std::string ServerProcess::RingsideBinary() { return BinaryUnderTest(); }

std::unique_ptr<ServerProcess> ServerProcess::StartRingside(std::vector<std::string> extra) {
  if (TargetIsRedis()) return StartRedis(std::move(extra));
  return StartRingsideUnder({}, std::move(extra));
}

std::unique_ptr<ServerProcess> ServerProcess::StartRingsideUnder(
    const std::vector<std::string>& launcher, std::vector<std::string> extra) {
  std::unique_ptr<ServerProcess> server;
  for (int attempt = 0; attempt < kLaunchAttempts && server == nullptr; ++attempt) {
    const int port = FreePort();
    std::vector<std::string> args = RingsideArgs(port, extra);
    std::string binary = BinaryUnderTest();
    if (!launcher.empty()) {
      args.insert(args.begin(), binary);
      args.insert(args.begin(), launcher.begin() + 1, launcher.end());
      binary = launcher.front();
    }
    server = Launch(binary, std::move(args), port, attempt + 1 == kLaunchAttempts);
  }
  return server;
}

std::vector<std::string> ServerProcess::RingsideArgsFor(int port,
                                                        const std::vector<std::string>& extra) {
  return RingsideArgs(port, extra);
}

std::unique_ptr<ServerProcess> ServerProcess::StartRingsideWithConfig(
    const std::string& conf_file, std::vector<std::string> extra) {
  if (TargetIsRedis()) {
    std::unique_ptr<ServerProcess> server;
    for (int attempt = 0; attempt < kLaunchAttempts && server == nullptr; ++attempt) {
      const int port = FreePort();
      std::vector<std::string> args = {conf_file};
      for (auto& a : RedisArgs(port, extra)) args.push_back(a);
      server = Launch("redis-server", std::move(args), port, attempt + 1 == kLaunchAttempts);
    }
    return server;
  }
  std::unique_ptr<ServerProcess> server;
  for (int attempt = 0; attempt < kLaunchAttempts && server == nullptr; ++attempt) {
    const int port = FreePort();
    std::vector<std::string> args = {conf_file};
    for (auto& a : RingsideArgs(port, extra)) args.push_back(a);
    server = Launch(BinaryUnderTest(), std::move(args), port, attempt + 1 == kLaunchAttempts);
  }
  return server;
}

std::unique_ptr<ServerProcess> ServerProcess::StartRedis(std::vector<std::string> extra) {
  std::unique_ptr<ServerProcess> server;
  for (int attempt = 0; attempt < kLaunchAttempts && server == nullptr; ++attempt) {
    const int port = FreePort();
    server = Launch("redis-server", RedisArgs(port, extra), port, attempt + 1 == kLaunchAttempts);
  }
  return server;
}

std::unique_ptr<ServerProcess> ServerProcess::Launch(const std::string& binary,
                                                     std::vector<std::string> args, int port) {
  return Launch(binary, std::move(args), port, /*last_attempt=*/true);
}

std::unique_ptr<ServerProcess> ServerProcess::Launch(const std::string& binary,
                                                     std::vector<std::string> args, int port,
                                                     bool last_attempt) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->port_ = port;
  server->log_fd_ = TempLog(&server->log_path_);
  if (port == 0 || server->log_fd_ < 0) {
    ADD_FAILURE() << "no free port or temp file for " << binary;
    return nullptr;
  }
  server->pid_ = Spawn(binary, args, server->log_fd_, server->log_path_);
  if (server->pid_ < 0) {
    if (last_attempt) ADD_FAILURE() << "cannot start " << binary << ":\n" << server->Output();
    server->exited_ = true;
    server->exit_observed_ = true;
    return nullptr;
  }
  const auto deadline = Clock::now() + kReadyDeadline;
  while (Clock::now() < deadline) {
    if (!server->Running()) {
      server->exit_observed_ = true;
      // Most likely another process took the port between FreePort() and bind(); the caller
      // retries on a fresh port unless this was the last attempt.
      if (last_attempt) {
        ADD_FAILURE() << binary << " exited before answering PING ("
                      << DescribeStatus(server->status_) << "). Output:\n"
                      << server->Output();
      }
      return nullptr;
    }
    if (AnswersPing(port)) return server;
    std::this_thread::sleep_for(kPollInterval);
  }
  ADD_FAILURE() << binary << " did not answer PING at " << ServerAddress(port) << " within "
                << std::chrono::duration_cast<std::chrono::seconds>(kReadyDeadline).count()
                << " s. Output:\n"
                << server->Output();
  return nullptr;  // the destructor stops it
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exit_observed_ && !Running()) {
    ADD_FAILURE() << "the server (pid " << pid_
                  << ") exited during the test: " << DescribeStatus(status_);
  } else if (pid_ > 0 && !exited_) {
    const int status = Stop();
    if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
      ADD_FAILURE() << "the server (pid " << pid_
                    << ") crashed on SIGTERM: " << DescribeStatus(status);
    }
  }
  if (log_fd_ >= 0) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info != nullptr && info->result() != nullptr && info->result()->Failed()) {
      std::cerr << "---- server output (port " << port_ << ") ----\n"
                << Output() << "---- end of server output ----\n";
    }
    close(log_fd_);
  }
}

int ServerProcess::Stop() {
  exit_observed_ = true;
  if (exited_ || pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  int status = -1;
  if (!WaitPid(pid_, kStopDeadline, &status)) {
    ADD_FAILURE() << "server pid " << pid_ << " ignored SIGTERM for "
                  << std::chrono::duration_cast<std::chrono::seconds>(kStopDeadline).count()
                  << " s; sending SIGKILL";
    kill(pid_, SIGKILL);
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  Exited(status);
  return status_;
}

int ServerProcess::WaitExit(std::chrono::milliseconds deadline) {
  if (exited_) {
    exit_observed_ = true;
    return status_;
  }
  int status = -1;
  if (!WaitPid(pid_, deadline, &status)) return -1;
  exit_observed_ = true;
  Exited(status);
  return status_;
}

bool ServerProcess::Running() {
  if (exited_ || pid_ <= 0) return false;
  int status = -1;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r < 0 && errno == EINTR) return true;
  Exited(r == pid_ ? status : -1);
  return false;
}

void ServerProcess::Exited(int status) {
  exited_ = true;
  status_ = status;
  if (UnixTransport() && status != -1 && WIFSIGNALED(status)) {
    unlink(UnixSocketPath(port_).c_str());
  }
}

std::string ServerProcess::Output() const { return log_fd_ < 0 ? "" : ReadFile(log_path_); }

RunResult RunToExit(const std::string& binary, const std::vector<std::string>& args) {
  RunResult result;
  std::string log;
  const int log_fd = TempLog(&log);
  if (log_fd < 0) return result;
  const pid_t pid = Spawn(binary, args, log_fd, log);
  if (pid > 0) {
    int status = -1;
    if (WaitPid(pid, kStopDeadline, &status)) {
      if (status != -1 && WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
      } else if (status != -1 && WIFSIGNALED(status)) {
        result.exit_code = 128 + WTERMSIG(status);
      }
    } else {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << binary << " did not exit within 20 s";
    }
  }
  result.output = ReadFile(log);
  close(log_fd);
  return result;
}

}  // namespace ringside::testing
