// The io_uring reactor's edge cases, provoked on purpose against the real binary: a provided
// buffer ring far too small for the traffic (ENOBUFS, multishot recv ending without
// IORING_CQE_F_MORE), a submission queue of two entries (full SQ on every loop), replies far
// larger than the socket buffer of a slow reader (short sends), and peers that reset their
// connection with requests and replies in flight.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/raw_client.h"
#include "tests/support/redis_client.h"
#include "tests/support/server_process.h"
#include "tests/support/transport.h"

namespace ringside::testing {
namespace {

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until `expected` bytes arrived (or the peer closes), `chunk` bytes per read.
std::string ReadExactly(int fd, size_t expected, size_t chunk = 65536) {
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  std::vector<char> buf(chunk);
  while (out.size() < expected) {
    ssize_t n = recv(fd, buf.data(), std::min(chunk, expected - out.size()), 0);
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

// One client's pipeline: SET then GET of its own keys, with the exact replies expected.
struct Pipeline {
  std::string request, expected;
};

Pipeline MakePipeline(int client, int commands, size_t value_size) {
  Pipeline p;
  for (int i = 0; i < commands; ++i) {
    const std::string key = "c" + std::to_string(client) + ":k" + std::to_string(i);
    std::string value(value_size, static_cast<char>('a' + (i + client) % 26));
    value += std::to_string(i);
    p.request += EncodeCommand({"SET", key, value});
    p.request += EncodeCommand({"GET", key});
    p.expected += "+OK\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  return p;
}

void RunClients(int port, int clients, int commands, size_t value_size) {
  std::vector<std::thread> threads;
  std::vector<std::string> failures(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const Pipeline p = MakePipeline(c, commands, value_size);
      int fd = ConnectToServer(port);
      if (fd < 0) {
        failures[static_cast<size_t>(c)] = "connect failed";
        return;
      }
      // Write and read concurrently so neither side's socket buffer stalls the other.
      std::thread writer([&] { SendAll(fd, p.request); });
      const std::string got = ReadExactly(fd, p.expected.size());
      writer.join();
      close(fd);
      if (got != p.expected) {
        failures[static_cast<size_t>(c)] = "client " + std::to_string(c) + " got " +
                                           std::to_string(got.size()) + " of " +
                                           std::to_string(p.expected.size()) + " expected bytes";
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

class ReactorStressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServerProcess::TargetIsRedis()) GTEST_SKIP() << "ringside reactor settings";
  }
  void Start(std::vector<std::string> args) {
    server_ = ServerProcess::StartRingside(std::move(args));
    ASSERT_NE(server_, nullptr);
  }
  // A counter from INFO reactor.
  int64_t Counter(Client& c, const std::string& field) {
    const std::string info = c.Cmd({"INFO", "reactor"}).str;
    const size_t at = info.find(field + ":");
    if (at == std::string::npos) return -1;
    return std::stoll(info.substr(at + field.size() + 1));
  }
  // Receive rings and submission queues exist only there; libevent runs the same load.
  static bool OnIoUring(Client& c) {
    return c.Cmd({"INFO", "reactor"}).str.find("io_backend:io_uring\r\n") != std::string::npos;
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ReactorStressTest, TinyBufferRingForcesEnobufsAndRearmsWithoutLosingBytes) {
  Start({"--threads", "2", "--recv-buffers", "1", "--recv-buffer-size", "512"});
  RunClients(server_->port(), 16, 1500, 200);
  Client c(server_->port());
  EXPECT_EQ(c.Cmd({"DBSIZE"}), Int(16 * 1500));
  if (OnIoUring(c)) {
    EXPECT_GT(Counter(c, "recv_enobufs"), 0);
    EXPECT_GT(Counter(c, "recv_rearms"), 0);
  }
}

TEST_F(ReactorStressTest, TwoEntrySubmissionQueueLosesNoRearm) {
  Start({"--threads", "2", "--io-uring-entries", "2"});
  RunClients(server_->port(), 32, 500, 50);
  Client c(server_->port());
  EXPECT_EQ(c.Cmd({"DBSIZE"}), Int(32 * 500));
  if (OnIoUring(c)) {
    EXPECT_GT(Counter(c, "sq_full"), 0);
  }
}

TEST_F(ReactorStressTest, SlowReaderGetsLargeRepliesWhole) {
  Start({"--threads", "2"});
  Client c(server_->port());
  std::string big(8 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ASSERT_EQ(c.Cmd({"SET", "big", big}), Status("OK"));

  // A 4 KiB receive buffer (over a unix socket, the server's own send buffer) makes every
  // sendmsg of the 8 MiB replies a short send.
  int fd = ConnectToServer(server_->port(), 4096);
  ASSERT_GE(fd, 0);
  std::string request, expected;
  for (int i = 0; i < 4; ++i) {
    request += EncodeCommand({"GET", "big"});
    expected += "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  }
  request += EncodeCommand({"PING"});
  expected += "+PONG\r\n";
  ASSERT_TRUE(SendAll(fd, request));
  const std::string got = ReadExactly(fd, expected.size(), 1024);
  close(fd);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  // The server is still serving.
  EXPECT_EQ(c.Cmd({"PING"}), Status("PONG"));
  EXPECT_GT(Counter(c, "short_sends"), 0);
}

TEST_F(ReactorStressTest, PeersResettingMidPipelineDisturbNobodyElse) {
  Start({"--threads", "4"});
  Client steady(server_->port());
  for (int round = 0; round < 20; ++round) {
    std::vector<int> fds;
    for (int c = 0; c < 10; ++c) {
      int fd = ConnectToServer(server_->port());
      ASSERT_GE(fd, 0);
      const Pipeline p = MakePipeline(100 + c, 300, 1000);
      // Half a pipeline, then an abortive close (RST) while replies are being produced. A unix
      // socket closed with replies unread in it gives its peer ECONNRESET likewise.
      SendAll(fd, p.request.substr(0, p.request.size() / 2));
      fds.push_back(fd);
    }
    for (int fd : fds) {
      linger lg{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      close(fd);
    }
    ASSERT_EQ(steady.Cmd({"SET", "steady", std::to_string(round)}), Status("OK"));
    ASSERT_EQ(steady.Cmd({"GET", "steady"}), Bulk(std::to_string(round)));
  }
  // Every reset connection is gone from the server's books.
  EXPECT_TRUE(WaitUntil([&] {
    Reply r = steady.Cmd({"INFO", "clients"});
    return r.str.find("connected_clients:1\r\n") != std::string::npos;
  }));
  EXPECT_GT(Counter(steady, "peer_resets"), 0);
}

TEST_F(ReactorStressTest, FloodingPipelineIsThrottledAndAnsweredInOrder) {
  Start({"--threads", "4"});
  // One client writes 200,000 commands over keys on every shard before reading anything: the
  // connection must stop reading rather than queue without bound, and still answer all of it.
  RunClients(server_->port(), 1, 100000, 64);
  Client c(server_->port());
  EXPECT_EQ(c.Cmd({"DBSIZE"}), Int(100000));
  EXPECT_GT(Counter(c, "read_pauses"), 0);
}

// CPU ticks (utime + stime) the process has used so far.
long CpuTicks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command name, which is in parentheses and may contain spaces.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

TEST_F(ReactorStressTest, IdleThreadsParkInTheKernel) {
  // More threads than cores, all idle with a client connected: a busy-polling reactor would
  // burn a core each. The measurement window itself is the point of the test.
  Start({"--threads", "4"});
  Client c(server_->port());
  ASSERT_EQ(c.Cmd({"PING"}), Status("PONG"));
  const long before = CpuTicks(server_->pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long used = CpuTicks(server_->pid()) - before;
  // Four busy threads would use about 400 ticks (at 100 Hz); parked ones a handful.
  EXPECT_LT(used, 20) << "ticks used in one idle second";
}

}  // namespace
}  // namespace ringside::testing
