// The Reactor contract, checked the same way on both implementations (io_uring and libevent)
// over Unix socket pairs: byte order across Write and WriteExternal, a flushing close, direct
// reads that land exactly in the handler's span with the bytes after it still delivered in
// order, pausing, a peer that goes away, wake-ups from another thread, and file writes and
// fsyncs completing on the loop's thread.
#include "proxy/io/reactor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "reactor_harness.h"

namespace ringside::proxy {
namespace {

using testing::kTickMs;

// Reads from `fd` until `n` bytes or EOF.
std::string ReadN(int fd, size_t n) {
  std::string out;
  char buf[65536];
  while (out.size() < n) {
    const ssize_t got = read(fd, buf, std::min(sizeof(buf), n - out.size()));
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd, data.data() + off, data.size() - off);
    ASSERT_GT(n, 0) << strerror(errno);
    off += static_cast<size_t>(n);
  }
}

std::string Bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed + i / 251) % 26);
  return s;
}

// Collects what the reactor hands over. Optionally treats the stream as `head` bytes, then a
// body of `body_size` bytes it wants read directly, then anything after.
class Recorder : public StreamHandler {
 public:
  void OnRead(std::string_view data) override {
    ++reads;
    while (!data.empty() && head.size() < head_size) {
      const size_t n = std::min(head_size - head.size(), data.size());
      head.append(data.substr(0, n));
      data.remove_prefix(n);
    }
    if (!data.empty() && body_filled < body.size()) {
      const size_t n = std::min(body.size() - body_filled, data.size());
      std::memcpy(body.data() + body_filled, data.data(), n);
      body_filled += n;
      body_copied += n;
      data.remove_prefix(n);
    }
    after.append(data);
    if (head.size() == head_size && body_filled < body.size() && !direct_asked && reactor) {
      direct_asked = true;
      direct_granted = reactor->RequestDirectRead(id);
    }
    if (on_read) on_read();
  }
  void OnClosed() override { closed = true; }
  std::span<char> DirectReadTarget() override {
    if (body_filled == body.size()) return {};
    return {body.data() + body_filled, body.size() - body_filled};
  }
  void OnDirectRead(size_t n) override {
    ASSERT_LE(body_filled + n, body.size());
    body_filled += n;
    body_direct += n;
  }

  Reactor* reactor = nullptr;
  StreamId id = 0;
  size_t head_size = 0;
  std::string head;
  std::string body;  // sized by the test when it wants a directly read body
  size_t body_filled = 0;
  size_t body_copied = 0;
  size_t body_direct = 0;
  std::string after;
  bool direct_asked = false;
  bool direct_granted = false;
  int reads = 0;
  bool closed = false;
  std::function<void()> on_read;
};

class ReactorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip, error;
    reactor_ = testing::MakeTestReactor(GetParam(), &skip, &error);
    if (!skip.empty()) GTEST_SKIP() << skip;
    ASSERT_TRUE(reactor_) << error;
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }
  void TearDown() override {
    // The reactor owns fds_[0] once added.
    if (!added_ && fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }

  StreamId Add(Recorder& r) {
    added_ = true;
    r.reactor = reactor_.get();
    r.id = reactor_->AddStream(fds_[0], &r);
    return r.id;
  }

  // Runs the loop (once: a reactor does not run again after Stop) until `done` holds, checked
  // before each pass and on a 5 ms tick that also calls `tick` when set. False when 10 s
  // passed first.
  bool RunUntil(const std::function<bool()>& done, const std::function<void()>& tick = {}) {
    return testing::RunUntil(*reactor_, done, tick);
  }

  std::unique_ptr<Reactor> reactor_;
  int fds_[2] = {-1, -1};
  bool added_ = false;
};

TEST_P(ReactorTest, WritesLeaveInOrderAndAFlushingCloseSendsThemAll) {
  Recorder r;
  const StreamId id = Add(r);
  // More than a socket buffer holds, so sending has to wait for the peer to read.
  auto owner = std::make_shared<std::string>(Bytes(600000, 1));
  std::weak_ptr<std::string> watch = owner;
  const std::string expected = "head:" + *owner + ":tail";
  reactor_->Write(id, "head:");
  reactor_->WriteExternal(id, *owner, owner);
  owner.reset();
  reactor_->Write(id, ":tail");
  reactor_->Close(id, /*flush_first=*/true);
  std::string got;
  // Asks for one byte more than is sent: the read ends at EOF, after the close.
  std::thread peer([&] { got = ReadN(fds_[1], expected.size() + 1); });
  const bool closed = RunUntil([&] { return r.closed; });
  peer.join();
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  // The queue let go of the bytes it sent without copying.
  EXPECT_TRUE(watch.expired());
}

TEST_P(ReactorTest, DirectReadFillsTheSpanAndLaterBytesFollowInOrder) {
  Recorder r;
  r.head_size = 4;
  const std::string body = Bytes(300000, 2);
  r.body.resize(body.size());
  const StreamId id = Add(r);
  reactor_->PreferSingleReads(id, true);
  std::thread peer([&] {
    WriteAll(fds_[1], "HEAD" + body.substr(0, 1000));
    WriteAll(fds_[1], body.substr(1000) + "TAIL");
  });
  const bool done = RunUntil([&] { return r.body_filled == body.size() && r.after == "TAIL"; });
  peer.join();
  ASSERT_TRUE(done) << "body " << r.body_filled << " of " << body.size() << ", after '" << r.after
                    << "'";
  EXPECT_EQ(r.head, "HEAD");
  EXPECT_TRUE(r.body == body);
  EXPECT_TRUE(r.direct_granted);
  EXPECT_GT(r.body_direct, 0u);
  EXPECT_EQ(r.body_direct + r.body_copied, body.size());
  EXPECT_GT(reactor_->stats().direct_reads, 0u);
}

TEST_P(ReactorTest, PausedStreamResumesWithEveryByteOnceInOrder) {
  Recorder r;
  const StreamId id = Add(r);
  bool paused = false;
  int paused_ticks = 0;
  r.on_read = [&] {
    if (!paused && r.after.size() >= 1) {
      paused = true;
      reactor_->PauseReading(id, true);
    }
  };
  WriteAll(fds_[1], "a");
  const std::string rest = Bytes(100000, 3);
  const bool done = RunUntil([&] { return r.after.size() == 1 + rest.size(); },
                             [&] {
                               if (!paused) return;
                               if (++paused_ticks == 1) WriteAll(fds_[1], rest);
                               if (paused_ticks == 10) reactor_->PauseReading(id, false);
                             });
  ASSERT_TRUE(done) << r.after.size();
  EXPECT_TRUE(r.after == "a" + rest);
  EXPECT_EQ(reactor_->stats().read_pauses, 1u);
}

TEST_P(ReactorTest, PeerClosingDeliversWhatItSentThenEnds) {
  Recorder r;
  Add(r);
  WriteAll(fds_[1], "last words");
  close(fds_[1]);
  fds_[1] = -1;
  EXPECT_TRUE(RunUntil([&] { return r.closed; }));
  EXPECT_EQ(r.after, "last words");
}

TEST_P(ReactorTest, WakeFromAnotherThreadRunsTheLoopHook) {
  std::atomic<int> hook_runs{0};
  std::atomic<bool> flag{false};
  bool seen = false;
  reactor_->SetLoopHook([&] {
    hook_runs.fetch_add(1);
    if (flag.load()) {
      seen = true;
      reactor_->Stop();
    }
  });
  // Nothing but the wake-up gets the parked loop going again before this 10 s timer, which
  // ends a run whose wake-up was lost.
  reactor_->AddTimer(10000, [&] { reactor_->Stop(); });
  std::thread waker([&] {
    while (hook_runs.load() == 0) std::this_thread::yield();
    flag.store(true);
    reactor_->Wake();
  });
  reactor_->Run();
  waker.join();
  EXPECT_TRUE(seen);
}

TEST_P(ReactorTest, FileWritesAndFsyncCompleteOnTheLoopThread) {
  char path[] = "/tmp/ringside-reactor-file-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const int read_only = open(path, O_RDONLY | O_CLOEXEC);
  unlink(path);
  const std::string first = Bytes(100000, 1), second = Bytes(5000, 2);
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::vector<int64_t> results;
  bool on_loop_thread = true;
  auto done = [&](int64_t res) {
    on_loop_thread = on_loop_thread && std::this_thread::get_id() == loop_thread;
    results.push_back(res);
  };
  // Both writes are in flight together; each lands at its own offset.
  reactor_->WriteFile(fd, first, 0, done);
  reactor_->WriteFile(fd, second, first.size(), done);
  EXPECT_TRUE(RunUntil([&] {
    if (results.size() == 2) {
      reactor_->SyncFile(fd, [&](int res) { done(res); });
      // A descriptor that cannot be written reports -errno.
      reactor_->WriteFile(read_only, "x", 0, done);
      results.push_back(-1);  // a marker: the next two results are the fsync and that write
    }
    return results.size() == 5;
  }));
  EXPECT_TRUE(on_loop_thread);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0] + results[1], static_cast<int64_t>(first.size() + second.size()));
  std::vector<int64_t> last = {results[3], results[4]};
  std::sort(last.begin(), last.end());
  EXPECT_EQ(last, (std::vector<int64_t>{-EBADF, 0}));
  std::string back(first.size() + second.size(), '\0');
  EXPECT_EQ(pread(fd, back.data(), back.size(), 0), static_cast<ssize_t>(back.size()));
  EXPECT_EQ(back, first + second);
  close(fd);
  close(read_only);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReactorTest, ::testing::Values("io_uring", "libevent"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ringside::proxy
