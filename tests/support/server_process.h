// Starts and stops real servers for tests: the ringside binary under test, or Debian's
// redis-server as the reference. Every server a test starts is stopped by its destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ringside::testing {

// A TCP port on 127.0.0.1 that was free when asked.
int FreePort();

// The io-backend every ringside a test starts is given (RINGSIDE_TEST_IO_BACKEND, which ctest
// sets so each end-to-end test runs once per backend), or "" for the configured default.
std::string IoBackendUnderTest();

class ServerProcess {
 public:
  // ringside (RINGSIDE_BINARY) on a free port with `--bind 127.0.0.1 --port P`, the
  // transport's TransportArgs(P) (a unix socket, see transport.h) and then `extra`, e.g.
  // {"--threads", "4"}. Waits (polling PING over the transport, 20 s deadline) until it answers.
  static std::unique_ptr<ServerProcess> StartRingside(std::vector<std::string> extra = {});
  // ringside as StartRingside starts it (never redis-server), but run as `launcher...
  // RINGSIDE args...`: through a program that changes its surroundings first, such as a
  // seccomp filter. An empty launcher runs ringside itself.
  static std::unique_ptr<ServerProcess> StartRingsideUnder(const std::vector<std::string>& launcher,
                                                           std::vector<std::string> extra = {});
  // The arguments StartRingside gives the binary for `port` and `extra`.
  static std::vector<std::string> RingsideArgsFor(int port, const std::vector<std::string>& extra);
  // Debian's redis-server on a free port, no persistence, with TransportArgs as ringside gets
  // them. Waits until it answers PING.
  static std::unique_ptr<ServerProcess> StartRedis(std::vector<std::string> extra = {});
  // When RINGSIDE_TEST_TARGET=redis is set, StartRingside starts redis-server instead, so a
  // test's expectations can be checked against the reference.
  static bool TargetIsRedis();
  // ringside with a config file as its first argument: `RINGSIDE_BINARY conf_file --bind ...
  // --port P ... extra` (redis-server likewise when the target is redis).
  static std::unique_ptr<ServerProcess> StartRingsideWithConfig(
      const std::string& conf_file, std::vector<std::string> extra = {});
  // The ringside binary under test: RINGSIDE_TEST_BINARY when set, else the one CMake built.
  static std::string RingsideBinary();

  // Stop(). A server is started from the test's thread and also dies with it (PDEATHSIG), so
  // a crashed test binary leaves no server behind. The log is printed when the test failed.
  // A server that died by itself (a crash) without the test waiting for it via Stop() or
  // WaitExit(), or that crashed on the final SIGTERM, fails the test.
  ~ServerProcess();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM, wait up to 20 s, then SIGKILL. Returns the exit status (as from waitpid), or -1.
  int Stop();
  // Waits for the process to exit by itself (e.g. after SHUTDOWN); exit status or -1 on timeout.
  int WaitExit(std::chrono::milliseconds deadline);
  bool Running();
  // Everything the process wrote to stdout and stderr so far.
  std::string Output() const;
  // A name for the (already unlinked) output file that only this process can open.
  const std::string& log_path() const { return log_path_; }

 private:
  ServerProcess() = default;
  static std::unique_ptr<ServerProcess> Launch(const std::string& binary,
                                               std::vector<std::string> args, int port);
  // As above; on an early exit (port taken by someone else) reports a failure only when
  // `last_attempt`, so the caller can retry on another port.
  static std::unique_ptr<ServerProcess> Launch(const std::string& binary,
                                               std::vector<std::string> args, int port,
                                               bool last_attempt);
  // Records that the process is gone, with `status` (as from waitpid, -1 when unknown). One
  // killed by a signal could not remove its unix socket: that is done here, so killed servers
  // leave nothing behind in the socket directory.
  void Exited(int status);

  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  int log_fd_ = -1;
  bool exited_ = false;
  int status_ = -1;
  bool exit_observed_ = false;  // Stop() or WaitExit() handed the exit status to the test
};

// Runs `binary args...` to completion (deadline 20 s); returns exit status and output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult RunToExit(const std::string& binary, const std::vector<std::string>& args);

}  // namespace ringside::testing
