// Which acknowledged writes survive, end to end, with four shards and the append-only file on:
// a SIGKILL in the middle of a stream of writes under each appendfsync policy, and a full disk
// (the file-size limit lowered under a running server), which refuses writes with MISCONF until
// the disk takes them again, and under appendfsync always withholds every reply until its
// write is durable.
//
// Every test works in a fresh temp directory of its own. Under RINGSIDE_TEST_TARGET=redis the
// crash tests run against redis-server, which checks the tests' own expectations.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/aof_support.h"
#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"

namespace ringside::testing::aof {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kMisconf = "MISCONF Errors writing to the AOF file:";
// The file-size limit of the full-disk tests, below the size their files reach first.
constexpr int64_t kFileSizeLimit = 64 << 10;

// Checks db 0 of the server on `port`: each key of `present` holds its value, and none of
// `absent` exists. One failure with counts and the first few cases.
void ExpectKeys(int port, const std::map<std::string, std::string>& present,
                const std::vector<std::string>& absent, const std::string& what) {
  std::vector<std::pair<std::string, std::optional<std::string>>> all(present.begin(),
                                                                      present.end());
  for (const auto& key : absent) all.emplace_back(key, std::nullopt);
  Client c(port, seconds(30));
  std::vector<std::string> wrong;
  // Pipelined in batches, so thousands of keys take one round trip per batch.
  constexpr size_t kBatch = 500;
  for (size_t start = 0; start < all.size(); start += kBatch) {
    const size_t end = std::min(all.size(), start + kBatch);
    for (size_t i = start; i < end; ++i) c.Append({"GET", all[i].first});
    for (size_t i = start; i < end; ++i) {
      const auto& [key, want] = all[i];
      const Reply r = c.GetReply();
      if (r != (want ? Bulk(*want) : Nil())) {
        wrong.push_back(key + (want ? " lost its value" : " should not exist") + ", GET -> " +
                        (r.type == Reply::Type::kNil ? "(nil)" : Show(r.str, 40)));
      }
    }
  }
  if (!wrong.empty()) {
    ADD_FAILURE() << what << ": " << wrong.size() << " of " << all.size() << " keys wrong ("
                  << present.size() << " should exist, " << absent.size() << " should not):\n"
                  << FirstLines(wrong);
  }
}

struct Ack {
  std::string key;
  std::string value;
  Clock::time_point at;
};

// Connections that SET unique keys from threads of their own until Join() or until their
// connection fails, each remembering the writes the server acknowledged with +OK and when.
class AckingWriters {
 public:
  AckingWriters(int port, int count) : acks_(count) {
    for (int t = 0; t < count; ++t) threads_.emplace_back([this, port, t] { Run(port, t); });
  }
  ~AckingWriters() { Join(); }

  size_t acked() const { return acked_.load(); }

  // Stops the writers and returns every acknowledged write.
  std::vector<Ack> Join() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    std::vector<Ack> all;
    for (auto& mine : acks_) all.insert(all.end(), mine.begin(), mine.end());
    return all;
  }

 private:
  void Run(int port, int t) {
    Client c(port);
    for (int i = 0; !stop_ && c.ok(); ++i) {
      const std::string key = "w" + std::to_string(t) + ":" + std::to_string(i);
      const std::string value = key + "/" + std::string(i % 97, 'v');
      if (c.Cmd({"SET", key, value}) == kOk) {
        acks_[t].push_back({key, value, Clock::now()});
        ++acked_;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<size_t> acked_{0};
  std::vector<std::vector<Ack>> acks_;  // one per thread, written only by it until Join()
  std::vector<std::thread> threads_;
};

bool IsMisconf(const Reply& r) { return r.ErrorText().rfind(kMisconf, 0) == 0; }

// AofTest with what the crash and full-disk tests need: a SIGKILL, a file-size limit for a
// running server, and a crash in the middle of a stream of writes.
class PersistenceTest : public AofTest {
 protected:
  // SIGKILL, waited for, so the server's end is the test's doing.
  static void Kill(std::unique_ptr<ServerProcess>& server) {
    ASSERT_EQ(kill(server->pid(), SIGKILL), 0);
    const int status = server->WaitExit(seconds(20));
    EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "status " << status;
  }

  // SETs two 40 KB values on every shard (adding them to `acked`) and waits until every
  // shard's file is longer than kFileSizeLimit, so that under that limit each shard's next
  // write fails whole, with EFBIG.
  void FillPastTheLimit(Client& c, std::map<std::string, std::string>* acked) {
    for (int s = 0; s < kShards; ++s) {
      for (int i = 0; i < 2; ++i) {
        const std::string key = KeyOnShard("fill" + std::to_string(i) + ":", s, kShards);
        (*acked)[key] = Pattern(40 << 10, s * 2 + i);
        ASSERT_EQ(c.Cmd({"SET", key, (*acked)[key]}), kOk);
      }
    }
    ASSERT_TRUE(WaitUntil([&] {
      for (const std::string& f : CurrentIncrFiles(aof_dir())) {
        if (static_cast<int64_t>(fs::file_size(f)) <= kFileSizeLimit) return false;
      }
      return true;
    })) << "the files did not grow past the limit";
  }
  // Sets the soft file-size limit of the running `server` (bytes, or "unlimited"), as an
  // administrator would with prlimit.
  static void SetFileSizeLimit(const ServerProcess& server, const std::string& limit) {
    const RunResult r = RunToExit(
        "prlimit", {"--pid", std::to_string(server.pid()), "--fsize=" + limit + ":unlimited"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // Writes from four connections for `write_for`, SIGKILLs the server mid-stream and starts it
  // again on the same directory: every write acknowledged at least `safe_age` before the kill
  // (every acknowledged write when `safe_age` is 0) must be there with its value.
  void CrashWhileWriting(const std::string& appendfsync, milliseconds write_for,
                         milliseconds safe_age) {
    const std::vector<std::string> args = {"--appendfsync", appendfsync};
    auto server = Start(args);
    ASSERT_NE(server, nullptr);
    AckingWriters writers(server->port(), 4);
    const auto started = Clock::now();
    ASSERT_TRUE(WaitUntil([&] { return Clock::now() - started >= write_for; }, write_for * 2,
                          milliseconds(20)));
    ASSERT_GT(writers.acked(), 0u) << "no write was acknowledged";
    const auto killed_at = Clock::now();
    ASSERT_NO_FATAL_FAILURE(Kill(server));
    const std::vector<Ack> acks = writers.Join();

    std::map<std::string, std::string> must_survive;
    for (const Ack& a : acks) {
      if (safe_age.count() == 0 || a.at + safe_age <= killed_at) must_survive[a.key] = a.value;
    }
    RecordProperty("acknowledged", static_cast<int>(acks.size()));
    RecordProperty("must_survive", static_cast<int>(must_survive.size()));
    ASSERT_FALSE(must_survive.empty()) << "the writers ran too briefly to test anything";

    server = Start(args);
    ASSERT_NE(server, nullptr);
    ExpectKeys(server->port(), must_survive, {},
               "acknowledged writes after SIGKILL with appendfsync " + appendfsync);
  }
};

// With appendfsync always a reply means the write is on disk: none is lost to SIGKILL.
TEST_F(PersistenceTest, SigkillLosesNoAcknowledgedWriteWithFsyncAlways) {
  CrashWhileWriting("always", milliseconds(1500), milliseconds(0));
}

// With appendfsync everysec at most the last couple of seconds may be lost.
TEST_F(PersistenceTest, SigkillLosesOnlyTheLastSecondsWithFsyncEverysec) {
  CrashWhileWriting("everysec", milliseconds(3500), milliseconds(2500));
}

// The file-size limit lowered under a running server: its writes fail with EFBIG, later write
// commands are refused with MISCONF while reads go on, and once the limit is lifted writes are
// accepted again. Exactly the acknowledged writes survive a restart.
TEST_F(PersistenceTest, DiskFullRefusesWritesUntilTheDiskAcceptsThemAgain) {
  RINGSIDE_ONLY();  // redis-server does not ignore SIGXFSZ: the limit kills it
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  std::map<std::string, std::string> acked;
  std::vector<std::string> refused;
  ASSERT_NO_FATAL_FAILURE(FillPastTheLimit(c, &acked));

  int n = 0;
  // SETs a new key on `shard`; remembers whether it was acknowledged or refused.
  const auto set_next = [&](int shard) {
    const std::string key = KeyOnShard("next" + std::to_string(n++) + ":", shard, kShards);
    const std::string value = "value of " + key;
    const Reply r = c.Cmd({"SET", key, value});
    if (r == kOk) {
      acked[key] = value;
    } else if (IsMisconf(r)) {
      refused.push_back(key);
    } else {
      ADD_FAILURE() << "SET " << key << " -> " << r;
    }
    return r;
  };
  // SETs on `shard` until one is acknowledged (`want_ok`) or refused with MISCONF; false when
  // the deadline passes or the connection breaks first.
  const auto set_until = [&](int shard, bool want_ok) {
    const auto wanted = [&](const Reply& r) { return want_ok ? r == kOk : IsMisconf(r); };
    Reply r;
    WaitUntil(
        [&] {
          r = set_next(shard);
          return wanted(r) || r.type == Reply::Type::kIoError;
        },
        seconds(15), milliseconds(20));
    return wanted(r);
  };

  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(*server, std::to_string(kFileSizeLimit)));
  for (int s = 0; s < kShards; ++s) {
    ASSERT_TRUE(set_until(s, false)) << "writes on shard " << s << " are still accepted";
  }
  EXPECT_EQ(InfoField(c, "persistence", "aof_last_write_status"), "err");
  const std::string some_fill = acked.begin()->first;
  EXPECT_EQ(c.Cmd({"GET", some_fill}), Bulk(acked[some_fill])) << "reads go on";
  EXPECT_EQ(c.Cmd({"GET", refused.front()}), Nil()) << "a refused SET changed nothing";

  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(*server, "unlimited"));
  EXPECT_TRUE(set_until(0, true)) << "writes are still refused after the limit was lifted";
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(c, "persistence", "aof_last_write_status") == "ok"; }));
  for (int s = 0; s < kShards; ++s) EXPECT_EQ(set_next(s), kOk) << "shard " << s;
  RecordProperty("acknowledged", static_cast<int>(acked.size()));
  RecordProperty("refused", static_cast<int>(refused.size()));

  StopCleanly(server);
  server = Start();
  ASSERT_NE(server, nullptr);
  ExpectKeys(server->port(), acked, refused, "after the disk was full and a restart");
}

// With appendfsync always a reply waits until its write is durable: while the disk refuses
// writes, no SET gets +OK. Once the disk takes them again, each waiting SET gets +OK (and its key
// survives a restart) or MISCONF (and its key is not there). One SET on each of many
// connections, so the replies take every path: connections land on threads at random, and
// their keys are on every shard.
TEST_F(PersistenceTest, FsyncAlwaysWithholdsRepliesWhileTheDiskRefuses) {
  RINGSIDE_ONLY();  // redis-server exits on a failed write with appendfsync always
  constexpr int kConnections = 32;
  const std::vector<std::string> args = {"--appendfsync", "always"};
  auto server = Start(args);
  ASSERT_NE(server, nullptr);
  std::map<std::string, std::string> acked;
  {
    Client c(server->port());
    ASSERT_NO_FATAL_FAILURE(FillPastTheLimit(c, &acked));
  }
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<RawClient>(server->port()));
  }
  const auto key_of = [](int i) {
    return KeyOnShard("held" + std::to_string(i) + ":", i % kShards, kShards);
  };
  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(*server, std::to_string(kFileSizeLimit)));
  for (int i = 0; i < kConnections; ++i) {
    clients[i]->SendRaw(EncodeCommand({"SET", key_of(i), "v"}));
  }

  std::vector<std::optional<std::string>> replies(kConnections);
  const auto deadline = Clock::now() + milliseconds(1500);
  for (int i = 0; i < kConnections; ++i) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    replies[i] = clients[i]->ReadReply(std::max(left, milliseconds(1)));
    EXPECT_NE(replies[i], std::optional<std::string>("+OK\r\n"))
        << "SET " << key_of(i) << " was acknowledged while the file cannot be written";
  }

  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(*server, "unlimited"));
  std::vector<std::string> refused;
  for (int i = 0; i < kConnections; ++i) {
    if (!replies[i]) replies[i] = clients[i]->ReadReply(seconds(15));
    ASSERT_TRUE(replies[i].has_value()) << "no reply to SET " << key_of(i) << " after the disk "
                                        << "took writes again";
    if (*replies[i] == "+OK\r\n") {
      acked[key_of(i)] = "v";
    } else {
      EXPECT_EQ(replies[i]->rfind(std::string("-") + kMisconf, 0), 0u) << Show(*replies[i]);
      refused.push_back(key_of(i));
    }
  }
  RecordProperty("acknowledged_after_wait", static_cast<int>(acked.size()) - 2 * kShards);
  StopCleanly(server);
  server = Start(args);
  ASSERT_NE(server, nullptr);
  ExpectKeys(server->port(), acked, refused, "after the withheld writes and a restart");
}
}  // namespace
}  // namespace ringside::testing::aof
