// The upstream journal end to end: ringside (three shards, its own --dir) keeps every record it
// owes the upstream in a file per shard, so that records written while the upstream is away
// reach it after ringside is killed or stopped and started again; records sent twice (after a
// reconnect, or replayed from a journal) leave the upstream as a single send would; flushes
// reach the upstream in their place among every shard's writes; and the journal is replaced by
// a short one once it is long and the upstream has caught up. Every test starts its own
// redis-server and ringside.

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kCompactAt = 4u << 20;  // the upstream-journal-rewrite-size the tests set

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string OnShard(const std::string& prefix, int shard) {
  return KeyOnShard(prefix, shard, kShards);
}

// `rounds` SETs of distinct `size`-byte values on every shard (keys prefix<round>:...),
// pipelined and checked every 16 rounds.
void SetValues(CheckedPipeline& p, const std::string& prefix, int rounds, size_t size) {
  for (int i = 0; i < rounds; ++i) {
    for (int s = 0; s < kShards; ++s) {
      p.Send({"SET", OnShard(prefix + std::to_string(i) + ":", s),
              Pattern(size, static_cast<uint32_t>(i * kShards + s))},
             kOk);
    }
    if (i % 16 == 15 || i + 1 == rounds) {
      ASSERT_TRUE(p.Check());
    }
  }
}

// About 650 writes over every shard, recorded in `e`: SETs and DELs of them, counters taken to
// exactly 100 by INCR, INCRBY, DECR and DECRBY, a counter with a TTL, APPENDs, SET EX, EXPIRE
// GT and NX, SETNX, SET with NX, XX, GET and PX, and writes in db 2.
void MixedWrites(Client& c, ExpectedData* e) {
  CheckedPipeline p(c);
  for (int i = 0; i < 200; ++i) {
    const std::string key = "k:" + std::to_string(i), value = "value " + std::to_string(i);
    p.Send({"SET", key, value}, kOk);
    e->Set(0, key, value);
  }
  for (int i = 0; i < 200; i += 10) {
    const std::string key = "k:" + std::to_string(i);
    p.Send({"DEL", key, "never:" + std::to_string(i)}, Int(1));
    e->dbs[0].erase(key);
  }
  ASSERT_TRUE(p.Check());
  for (int s = 0; s < kShards; ++s) {
    const std::string key = OnShard("counter", s);
    int64_t n = 0;
    for (int i = 0; i < 96; ++i) p.Send({"INCR", key}, Int(++n));
    p.Send({"INCRBY", key, "10"}, Int(n += 10));
    p.Send({"DECR", key}, Int(--n));
    p.Send({"DECRBY", key, "5"}, Int(n -= 5));
    e->Set(0, key, "100");
  }
  const int64_t counter_deadline = UnixMillis() + 1'000'000;
  p.Send({"SET", "ttl-counter", "0", "EX", "1000"}, kOk);
  for (int i = 1; i <= 20; ++i) p.Send({"INCR", "ttl-counter"}, Int(i));
  e->Set(0, "ttl-counter", "20", counter_deadline);
  for (int s = 0; s < kShards; ++s) {
    const std::string key = OnShard("log", s);
    std::string text;
    for (int i = 0; i < 20; ++i) {
      text += "piece " + std::to_string(i) + ";";
      p.Send({"APPEND", key, "piece " + std::to_string(i) + ";"}, Int(text.size()));
    }
    e->Set(0, key, text);
  }
  ASSERT_TRUE(p.Check());
  const int64_t now = UnixMillis();
  for (int i = 0; i < 20; ++i) {
    const std::string key = "ex:" + std::to_string(i);
    p.Send({"SET", key, "expiring", "EX", "1000"}, kOk);
    e->Set(0, key, "expiring", now + 1'000'000);
  }
  for (int i = 0; i < 5; ++i) {
    const std::string key = "ex:" + std::to_string(i);
    p.Send({"EXPIRE", key, "2000", "GT"}, Int(1));
    e->Set(0, key, "expiring", now + 2'000'000);
  }
  p.Send({"EXPIRE", "ex:5", "10", "GT"}, Int(0));
  for (int i = 0; i < 5; ++i) {
    const std::string key = "nx:" + std::to_string(i);
    p.Send({"SETNX", key, "first"}, Int(1));
    p.Send({"SETNX", key, "second"}, Int(0));
    e->Set(0, key, "first");
  }
  p.Send({"SET", "k:1", "replaced", "XX", "GET"}, Bulk("value 1"));
  e->Set(0, "k:1", "replaced");
  p.Send({"EXPIRE", "k:1", "3000", "NX"}, Int(1));
  e->Set(0, "k:1", "replaced", now + 3'000'000);
  p.Send({"SET", "k:2", "ignored", "NX"}, Nil());
  p.Send({"SET", "k:3", "short-lived", "PX", "500000", "GET"}, Bulk("value 3"));
  e->Set(0, "k:3", "short-lived", now + 500'000);
  p.Send({"SET", "fresh", "made by NX", "NX"}, kOk);
  e->Set(0, "fresh", "made by NX");
  p.Send({"SELECT", "2"}, kOk);
  for (int i = 0; i < 10; ++i) {
    const std::string key = "d2:" + std::to_string(i);
    p.Send({"SET", key, "in db 2"}, kOk);
    e->Set(2, key, "in db 2");
  }
  for (int i = 1; i <= 5; ++i) p.Send({"INCR", "d2:counter"}, Int(i));
  e->Set(2, "d2:counter", "5");
  p.Send({"DEL", "d2:0"}, Int(1));
  e->dbs[2].erase("d2:0");
  p.Send({"SELECT", "0"}, kOk);
  ASSERT_TRUE(p.Check());
}

class UpstreamJournalTest : public UpstreamTest {
 protected:
  // These tests write through outages of the upstream; with read-through, a command on a key
  // ringside does not hold would wait for the upstream instead (read_through_test covers it).
  UpstreamJournalTest() { read_through_ = false; }
  // A free port for an upstream started later by StartUpstreamOnPort; nothing listens there.
  void ReserveUpstreamPort() {
    upstream_port_ = FreePort();
    ASSERT_NE(upstream_port_, 0);
  }
  // redis-server on upstream_port_ with `extra` directives, replacing any started before;
  // waits until it accepts connections.
  void StartUpstreamOnPort(const std::vector<std::string>& extra = {}) {
    on_port_.reset();
    on_port_ = std::make_unique<RedisOnPort>(
        upstream_port_, extra,
        dir_.path() + "/redis-" + std::to_string(++upstream_starts_) + ".log");
    ASSERT_TRUE(on_port_->Ready()) << "redis-server did not start on port " << upstream_port_;
  }
  // SIGKILL to ringside, waited for.
  void KillProxy() {
    proxy_.reset();
    ASSERT_EQ(kill(ringside_->pid(), SIGKILL), 0);
    const int status = ringside_->WaitExit(seconds(20));
    EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "status " << status;
    ringside_.reset();
  }
  // SIGTERM to ringside, which must exit with status 0.
  void StopProxy() {
    proxy_.reset();
    ExpectCleanExit(ringside_);
    ringside_.reset();
  }
  std::string JournalPath(int shard, int threads = kShards) const {
    return proxy_dir() + "/upstream-journal-" + std::to_string(shard) + "-of-" +
           std::to_string(threads) + ".resp";
  }
  // The size of every shard's journal file; -1 for one that is missing.
  std::vector<int64_t> JournalSizes() const {
    std::vector<int64_t> sizes;
    for (int s = 0; s < kShards; ++s) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(JournalPath(s), ec);
      sizes.push_back(ec ? -1 : static_cast<int64_t>(size));
    }
    return sizes;
  }
  std::string ShowSizes() const {
    std::string text;
    for (int64_t size : JournalSizes()) text += " " + std::to_string(size);
    return "journal sizes:" + text;
  }
  int64_t UpNumber(const std::string& field) {
    const std::string v = Up(proxy(), field);
    return v.empty() ? -1 : std::stoll(v);
  }

  // With the upstream down: a clean stop keeps `written` in every journal, and the next start,
  // with the upstream back on its port, delivers it.
  void ExpectDeliveredAfterARestart(const std::map<std::string, std::string>& written) {
    ASSERT_NO_FATAL_FAILURE(StopProxy());
    for (int64_t size : JournalSizes()) EXPECT_GT(size, 0) << ShowSizes();
    ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
    ASSERT_NO_FATAL_FAILURE(StartProxy());
    ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
    ExpectKeys(upstream_port_, written);
  }

  std::unique_ptr<RedisOnPort> on_port_;
  int upstream_starts_ = 0;
};

// The upstream is never there while ringside (appendfsync always) takes ~650 writes, and
// ringside is then killed: the next ringside on the same dir sends the upstream exactly what
// was written, counters exact, TTLs kept, deleted keys absent. Killed again after that, the one
// after it sends the same records again, and the upstream is still the same.
TEST_F(UpstreamJournalTest, KilledDuringAnOutageDeliversTheJournalAtTheNextStart) {
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--appendfsync", "always"}));
  ExpectedData e;
  ASSERT_NO_FATAL_FAILURE(MixedWrites(proxy(), &e));

  const std::string status = Up(proxy(), "upstream_link_status");
  EXPECT_TRUE(status == "connecting" || status == "down") << UpstreamSection(proxy());
  EXPECT_EQ(Up(proxy(), "upstream_shards_up"), "0") << UpstreamSection(proxy());
  EXPECT_GT(UpNumber("upstream_pending_records"), 600) << UpstreamSection(proxy());
  // The lag is counted from the tick that saw the oldest unacknowledged record.
  EXPECT_TRUE(WaitUntil([&] { return UpNumber("upstream_lag_ms") >= 200; }, seconds(10)))
      << UpstreamSection(proxy());
  const int64_t journal_bytes = UpNumber("upstream_journal_bytes");
  EXPECT_GT(journal_bytes, 0) << UpstreamSection(proxy());
  // Every reply came after its record was fsynced, so all of it is in the files already.
  int64_t on_disk = 0;
  for (int64_t size : JournalSizes()) {
    EXPECT_GT(size, 0) << ShowSizes();
    on_disk += size;
  }
  EXPECT_EQ(on_disk, journal_bytes) << ShowSizes() << "\n" << UpstreamSection(proxy());

  ASSERT_NO_FATAL_FAILURE(KillProxy());
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--appendfsync", "always"}));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_lag_ms"), 0) << UpstreamSection(proxy());
  ExpectSameData(e.Now(), DumpAll(upstream_port_), "expected");
  const int64_t replayed = UpNumber("upstream_acked_records");
  EXPECT_GT(replayed, 600) << UpstreamSection(proxy());

  // The journal still holds every record (nothing emptied it), all of them acknowledged.
  ASSERT_NO_FATAL_FAILURE(KillProxy());
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--appendfsync", "always"}));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_acked_records"), replayed) << UpstreamSection(proxy());
  ExpectSameData(e.Now(), DumpAll(upstream_port_), "expected");
  Client u(upstream_port_);
  for (int s = 0; s < kShards; ++s) EXPECT_EQ(u.Cmd({"GET", OnShard("counter", s)}), Bulk("100"));
}

// A SIGTERM while the upstream is down ends ringside cleanly and leaves the journal; the next
// ringside delivers it, and its own clean stop with everything acknowledged empties the files.
TEST_F(UpstreamJournalTest, StoppedDuringAnOutageKeepsTheJournalUntilDelivered) {
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ExpectedData e;
  ASSERT_NO_FATAL_FAILURE(MixedWrites(proxy(), &e));
  ASSERT_NO_FATAL_FAILURE(StopProxy());
  for (int64_t size : JournalSizes()) EXPECT_GT(size, 0) << ShowSizes();

  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ExpectSameData(e.Now(), DumpAll(upstream_port_), "expected");
  ASSERT_NO_FATAL_FAILURE(StopProxy());
  for (int64_t size : JournalSizes()) EXPECT_EQ(size, 0) << ShowSizes();
  ExpectSameData(e.Now(), DumpAll(upstream_port_), "expected");
}

// A client thread that INCRs `counter` and APPENDs "i," to `log`, `writes` times, checking
// every reply: the counter must be i + 1 and the string as long as all pieces so far. Before
// write i it asks `gate(i)`, which may wait, and stops when that says no. Owned by the test;
// its fields are read once `writing` is false or after Join().
class IncrAppendWriter {
 public:
  IncrAppendWriter(int port, std::string counter, std::string log, int writes,
                   std::function<bool(int)> gate = {})
      : thread_([=, this] {
          Client c(port);
          for (int i = 0; i < writes && error.empty(); ++i) {
            if (gate && !gate(i)) break;
            const std::string piece = std::to_string(i) + ",";
            appended += piece;
            c.Append({"INCR", counter});
            c.Append({"APPEND", log, piece});
            const Reply incr = c.GetReply(), append = c.GetReply();
            if (incr != Int(i + 1) || append != Int(static_cast<int64_t>(appended.size()))) {
              std::ostringstream os;
              os << "write " << i << ": INCR -> " << incr << ", APPEND -> " << append;
              error = os.str();
            }
            done = i + 1;
          }
          writing = false;
        }) {}
  ~IncrAppendWriter() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  // Waits until `n` writes are answered or the writer stopped.
  bool Reached(int n) const {
    return WaitUntil([&] { return done.load() >= n || !writing.load(); }, seconds(20),
                     milliseconds(1));
  }

  std::atomic<int> done{0};
  std::atomic<bool> writing{true};
  std::string error;     // the first wrong reply, or why the gate gave up
  std::string appended;  // what `log` should hold

 private:
  std::thread thread_;  // last: starts once the fields above exist
};

// The upstream (its own AOF, fsync always) is killed and restarted while a client INCRs one
// counter and APPENDs to one key 3,000 times: records it applied but never answered are sent
// again, and the upstream still ends with 3,000 and the same string as ringside.
TEST_F(UpstreamJournalTest, ResendAfterAnUpstreamCrashAppliesEachWriteOnce) {
  const std::vector<std::string> aof = {"--appendonly", "yes",   "--appendfsync",
                                        "always",       "--dir", dir_.path()};
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort(aof));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "async"}));
  const std::string counter = OnShard("hits", 0), log = OnShard("log", 1);
  constexpr int kWrites = 3000;

  // The client stops at 1,000 until the upstream is killed and at 2,000 until it is started
  // again; the test does each a little before, while the client is still writing.
  std::atomic<int> phase{0};
  std::string gate_error;
  IncrAppendWriter writer(ringside_->port(), counter, log, kWrites, [&](int i) {
    if ((i != 1000 && i != 2000) ||
        WaitUntil([&] { return phase.load() >= i / 1000; }, seconds(20), milliseconds(1))) {
      return true;
    }
    gate_error = "the test did not get to phase " + std::to_string(i / 1000);
    return false;
  });
  EXPECT_TRUE(writer.Reached(800));
  EXPECT_TRUE(on_port_->Kill()) << "redis-server did not die of SIGKILL";
  phase = 1;
  EXPECT_TRUE(writer.Reached(1800));
  on_port_ = std::make_unique<RedisOnPort>(upstream_port_, aof, dir_.path() + "/restarted.log");
  phase = 2;
  writer.Join();
  ASSERT_EQ(writer.error + gate_error, "");
  ASSERT_EQ(writer.done.load(), kWrites);
  const std::string& appended = writer.appended;
  ASSERT_TRUE(on_port_->Ready()) << "redis-server did not come back on port " << upstream_port_;

  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_GE(UpNumber("upstream_reconnects"), 1) << UpstreamSection(proxy());
  Client u(upstream_port_);
  EXPECT_EQ(proxy().Cmd({"GET", counter}), Bulk(std::to_string(kWrites)));
  EXPECT_EQ(u.Cmd({"GET", counter}), Bulk(std::to_string(kWrites)));
  EXPECT_EQ(proxy().Cmd({"GET", log}), Bulk(appended));
  const Reply remote = u.Cmd({"GET", log});
  EXPECT_EQ(remote.type, Reply::Type::kBulk) << remote;
  EXPECT_TRUE(remote.str == appended) << ShowDifference(appended, remote.str);
  // What the upstream wrote of ringside's records (SETRANGE, SET KEEPTTL, resent ones among
  // them) is an AOF redis-check-aof accepts.
  const RunResult check =
      RunToExit("redis-check-aof", {dir_.path() + "/appendonlydir/appendonly.aof.manifest"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("is valid"), std::string::npos) << check.output;
}

// The same crash under upstream-write-policy sync: while the upstream is gone the client's
// next reply waits for it, and once it is back every reply the client got is on the upstream,
// each write applied once.
TEST_F(UpstreamJournalTest, SyncRepliesWaitOutAnUpstreamCrashAndLoseNothing) {
  const std::vector<std::string> aof = {"--appendonly", "yes",   "--appendfsync",
                                        "always",       "--dir", dir_.path()};
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort(aof));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", "sync"}));
  const std::string counter = OnShard("hits", 0), log = OnShard("log", 1);
  constexpr int kWrites = 1500;
  IncrAppendWriter writer(ringside_->port(), counter, log, kWrites);
  EXPECT_TRUE(writer.Reached(500));
  EXPECT_TRUE(on_port_->Kill()) << "redis-server did not die of SIGKILL";
  ASSERT_TRUE(WaitUntil([&] { return Up(proxy(), "upstream_link_status") == "down"; }, seconds(10)))
      << UpstreamSection(proxy());
  // The reply the client waits for now cannot come before the upstream is back.
  const int at_outage = writer.done.load();
  EXPECT_LT(at_outage, kWrites);
  on_port_ = std::make_unique<RedisOnPort>(upstream_port_, aof, dir_.path() + "/restarted.log");
  ASSERT_TRUE(on_port_->Ready()) << "redis-server did not come back on port " << upstream_port_;
  writer.Join();
  ASSERT_EQ(writer.error, "");
  ASSERT_EQ(writer.done.load(), kWrites);
  const std::string& appended = writer.appended;

  // Sync: every reply means the upstream has the write, so no waiting for it to catch up.
  Client u(upstream_port_);
  EXPECT_EQ(u.Cmd({"GET", counter}), Bulk(std::to_string(kWrites)));
  const Reply remote = u.Cmd({"GET", log});
  EXPECT_EQ(remote.type, Reply::Type::kBulk) << remote;
  EXPECT_TRUE(remote.str == appended) << ShowDifference(appended, remote.str);
  EXPECT_EQ(proxy().Cmd({"GET", counter}), Bulk(std::to_string(kWrites)));
  EXPECT_GE(UpNumber("upstream_reconnects"), 1) << UpstreamSection(proxy());
}

// A journal left by three shards, started with two: ringside refuses, names the file and the
// thread count it was written with, and leaves the files as they were.
// A hash and a set written through an upstream crash under each write policy: HINCRBY's
// record is the HSET of its result and SADD's is idempotent, so records resent after the
// crash apply once, and the upstream ends with the counter and every member the client was
// answered for.
class CollectionsCrashTest : public UpstreamJournalTest {
 public:
  void Run(const std::string& policy) {
    const std::vector<std::string> aof = {"--appendonly", "yes",   "--appendfsync",
                                          "always",       "--dir", dir_.path()};
    ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
    ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort(aof));
    ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-write-policy", policy}));
    const std::string hash = OnShard("counts", 0), set = OnShard("members", 1);
    constexpr int kWrites = 1500;
    std::atomic<int> done{0};
    std::string error;
    std::thread writer([&] {
      Client c(ringside_->port(), seconds(60));
      for (int i = 0; i < kWrites; ++i) {
        c.Append({"HINCRBY", hash, "n", "1"});
        c.Append({"SADD", set, "m" + std::to_string(i)});
        const Reply incr = c.GetReply(), add = c.GetReply();
        if (incr != Int(i + 1) || add != Int(1)) {
          std::ostringstream os;
          os << "write " << i << ": HINCRBY -> " << incr << ", SADD -> " << add;
          error = os.str();
          break;
        }
        done = i + 1;
      }
    });
    EXPECT_TRUE(WaitUntil([&] { return done.load() >= 400; }, seconds(20), milliseconds(1)));
    EXPECT_TRUE(on_port_->Kill()) << "redis-server did not die of SIGKILL";
    ASSERT_TRUE(
        WaitUntil([&] { return Up(proxy(), "upstream_link_status") == "down"; }, seconds(10)))
        << UpstreamSection(proxy());
    on_port_ = std::make_unique<RedisOnPort>(upstream_port_, aof, dir_.path() + "/restarted.log");
    ASSERT_TRUE(on_port_->Ready()) << "redis-server did not come back on port " << upstream_port_;
    writer.join();
    ASSERT_EQ(error, "");
    ASSERT_EQ(done.load(), kWrites);
    ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
    Client u(upstream_port_);
    EXPECT_EQ(u.Cmd({"HGET", hash, "n"}), Bulk(std::to_string(kWrites)));
    EXPECT_EQ(u.Cmd({"SCARD", set}), Int(kWrites));
    EXPECT_EQ(proxy().Cmd({"HGET", hash, "n"}), Bulk(std::to_string(kWrites)));
    EXPECT_EQ(proxy().Cmd({"SCARD", set}), Int(kWrites));
    EXPECT_GE(UpNumber("upstream_reconnects"), 1) << UpstreamSection(proxy());
  }
};

TEST_F(CollectionsCrashTest, AsyncHashAndSetWritesSurviveAnUpstreamCrash) { Run("async"); }
TEST_F(CollectionsCrashTest, SyncHashAndSetWritesSurviveAnUpstreamCrash) { Run("sync"); }

TEST_F(UpstreamJournalTest, RefusesAJournalWrittenWithAnotherThreadCount) {
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  CheckedPipeline p(proxy());
  std::map<std::string, std::string> written;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "kept:" + std::to_string(i), value = "value " + std::to_string(i);
    p.Send({"SET", key, value}, kOk);
    written[key] = value;
  }
  ASSERT_TRUE(p.Check());
  ASSERT_NO_FATAL_FAILURE(StopProxy());
  std::vector<std::string> before;
  for (int s = 0; s < kShards; ++s) {
    before.push_back(ReadWhole(JournalPath(s)));
    ASSERT_FALSE(before.back().empty()) << ShowSizes();
  }

  const RunResult r = RunToExit(
      ServerProcess::RingsideBinary(),
      ServerProcess::RingsideArgsFor(
          FreePort(), {"--threads", "2", "--upstream",
                       "127.0.0.1:" + std::to_string(upstream_port_), "--dir", proxy_dir()}));
  EXPECT_TRUE(r.exit_code >= 1 && r.exit_code < 128) << "exit code " << r.exit_code;
  EXPECT_TRUE(Contains(r.output, "the upstream journal")) << r.output;
  EXPECT_TRUE(Contains(r.output, proxy_dir() + "/upstream-journal-")) << r.output;
  EXPECT_TRUE(Contains(r.output, "-of-3.resp")) << r.output;
  EXPECT_TRUE(Contains(r.output, "threads 3")) << r.output;
  for (int s = 0; s < kShards; ++s) {
    EXPECT_TRUE(ReadWhole(JournalPath(s)) == before[s]) << "shard " << s << "'s journal changed";
  }
  for (int s = 0; s < 2; ++s) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(JournalPath(s, 2), ec);
    EXPECT_TRUE(ec || size == 0) << JournalPath(s, 2) << " has " << size << " bytes";
  }

  // With three threads again the records go where they were meant to.
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ExpectKeys(upstream_port_, written);
}

// Appends round `round` to `p`: keys on every shard, `flush`, then other keys on every shard.
// Shard round % kShards gets many more and bigger keys than the others, so the shards' links
// reach the flush at different times. `after` gets the keys written after the flush.
void FlushRound(CheckedPipeline& p, int round, const Argv& flush,
                std::map<std::string, std::string>* after) {
  for (const bool flushed : {false, true}) {
    for (int s = 0; s < kShards; ++s) {
      const bool busy = s == round % kShards;
      for (int i = 0; i < (busy ? 30 : 3); ++i) {
        const std::string name = (flushed ? "after:" : "before:") + std::to_string(round) + ":" +
                                 std::to_string(i) + ":";
        const std::string key = OnShard(name, s);
        const std::string value = busy ? Pattern(4096, round * 100 + i) : "small";
        p.Send({"SET", key, value}, kOk);
        if (flushed) (*after)[key] = value;
      }
    }
    if (!flushed) p.Send(flush, kOk);
  }
}

// FLUSHALL from one pipelined client between writes of every shard: the upstream loses the
// writes before each flush and keeps those after, as ringside does. First 20 rounds at once
// (several flushes on the way at a time), then 10 each waited for and compared.
TEST_F(UpstreamJournalTest, FlushallKeepsItsPlaceAmongEveryShardsWrites) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  CheckedPipeline p(proxy());
  std::map<std::string, std::string> after;
  for (int round = 0; round < 20; ++round) {
    after.clear();
    FlushRound(p, round, {"FLUSHALL"}, &after);
  }
  ASSERT_TRUE(p.Check());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  std::vector<Db> local = DumpAll(ringside_->port());
  EXPECT_EQ(local[0].size(), after.size());
  ExpectSameData(local, DumpAll(upstream_->port()));

  for (int round = 20; round < 30 && !HasFailure(); ++round) {
    after.clear();
    FlushRound(p, round, {"FLUSHALL"}, &after);
    ASSERT_TRUE(p.Check());
    ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
    local = DumpAll(ringside_->port());
    EXPECT_EQ(local[0].size(), after.size()) << "round " << round;
    ExpectSameData(local, DumpAll(upstream_->port()));
  }
  EXPECT_EQ(UpNumber("upstream_record_errors"), 0) << UpstreamSection(proxy());
}

// FLUSHDB in db 0 likewise, while db 1 gets keys in every round: those all stay.
TEST_F(UpstreamJournalTest, FlushdbKeepsItsPlaceAndSparesOtherDatabases) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  CheckedPipeline p(proxy());
  std::map<std::string, std::string> after;
  size_t kept = 0;
  for (int round = 0; round < 20; ++round) {
    after.clear();
    FlushRound(p, round, {"FLUSHDB"}, &after);
    p.Send({"SELECT", "1"}, kOk);
    for (int s = 0; s < kShards; ++s) {
      p.Send({"SET", OnShard("kept:" + std::to_string(round) + ":", s), "in db 1"}, kOk);
      ++kept;
    }
    p.Send({"SELECT", "0"}, kOk);
  }
  ASSERT_TRUE(p.Check());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  const std::vector<Db> local = DumpAll(ringside_->port());
  EXPECT_EQ(local[0].size(), after.size());
  EXPECT_EQ(local[1].size(), kept);
  ExpectSameData(local, DumpAll(upstream_->port()));
}

// 100 values of 64 KiB on every shard take each journal past kCompactAt; once the upstream has
// them each shard replaces its journal with a short one. Records written after that are in the
// files in place: stopped while the upstream is down, ringside delivers them at its next start.
TEST_F(UpstreamJournalTest, LongJournalIsCompactedOnceTheUpstreamCatchesUp) {
  constexpr size_t kValue = 64 << 10;
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  // appendfsync always journals every record at once, so the journal grows however fast the
  // upstream answers.
  ASSERT_NO_FATAL_FAILURE(
      StartProxy({"--upstream-journal-rewrite-size", "4mb", "--appendfsync", "always"}));
  CheckedPipeline p(proxy());
  ASSERT_NO_FATAL_FAILURE(SetValues(p, "big:", 100, kValue));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_TRUE(
      WaitUntil([&] { return UpNumber("upstream_journal_compactions") >= kShards; }, seconds(20)))
      << UpstreamSection(proxy()) << "\n"
      << ShowSizes();
  for (int64_t size : JournalSizes()) {
    EXPECT_GE(size, 0) << ShowSizes();
    EXPECT_LT(size, static_cast<int64_t>(kCompactAt + kValue + 1024)) << ShowSizes();
  }
  EXPECT_TRUE(WaitUntil([&] {
    int64_t sum = 0;
    for (int64_t size : JournalSizes()) sum += size;
    return sum == UpNumber("upstream_journal_bytes");
  })) << ShowSizes()
      << "\n"
      << UpstreamSection(proxy());
  ExpectSameData(DumpAll(ringside_->port()), DumpAll(upstream_->port()));

  upstream_->Stop();
  std::map<std::string, std::string> later;
  for (int s = 0; s < kShards; ++s) {
    for (int i = 0; i < 3; ++i) {
      const std::string key = OnShard("later:" + std::to_string(i) + ":", s);
      p.Send({"SET", key, "after the compaction"}, kOk);
      later[key] = "after the compaction";
    }
  }
  ASSERT_TRUE(p.Check());
  ASSERT_NO_FATAL_FAILURE(ExpectDeliveredAfterARestart(later));
}

// With upstream-queue-memory 256kb, ~3 MiB of writes per shard during an outage leave at most
// about that much per shard in memory and the rest in the journal only. Killed then, the next
// ringside reads the journal back under the same bound, and the upstream, once there, gets
// every write in order: values and counters exact.
TEST_F(UpstreamJournalTest, PastTheQueueMemoryRecordsWaitInTheJournalAndAllArrive) {
  constexpr int64_t kLimit = 256 << 10;
  constexpr size_t kValue = 4 << 10;
  const std::vector<std::string> flags = {"--upstream-queue-memory", "256kb", "--appendfsync",
                                          "always"};
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy(flags));
  ExpectedData e;
  CheckedPipeline p(proxy());
  for (int i = 0; i < 750; ++i) {
    for (int s = 0; s < kShards; ++s) {
      // Keys written twice: the later value must win upstream too.
      const std::string key = OnShard("spill:" + std::to_string(i % 500) + ":", s);
      const std::string value = Pattern(kValue, static_cast<uint32_t>(i * kShards + s));
      p.Send({"SET", key, value}, kOk);
      e.Set(0, key, value);
      p.Send({"INCR", OnShard("spill-counter", s)}, Int(i + 1));
    }
    if (i % 50 == 49) {
      ASSERT_TRUE(p.Check());
    }
  }
  for (int s = 0; s < kShards; ++s) e.Set(0, OnShard("spill-counter", s), "750");
  const auto bounded = [&](const char* when) {
    EXPECT_GT(UpNumber("upstream_spilled_records"), 0) << when << "\n" << UpstreamSection(proxy());
    EXPECT_LE(UpNumber("upstream_pending_bytes"), kShards * (kLimit + 2 * int64_t{kValue}))
        << when << "\n"
        << UpstreamSection(proxy());
  };
  bounded("during the outage");

  ASSERT_NO_FATAL_FAILURE(KillProxy());
  ASSERT_NO_FATAL_FAILURE(StartProxy(flags));
  bounded("read back at start-up");
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(UpNumber("upstream_spilled_records"), 0) << UpstreamSection(proxy());
  ExpectSameData(e.Now(), DumpAll(upstream_port_), "expected");
}

// Under appendfsync everysec a record goes to the journal only if the upstream has not
// acknowledged it a tick (100 ms) after it was made: with the upstream answering, ~6 MiB of
// writes leave the journal files nearly empty; with it stopped, the next writes are journaled
// and a SIGTERM keeps them.
TEST_F(UpstreamJournalTest, AcknowledgedRecordsStayOffTheDisk) {
  constexpr size_t kValue = 16 << 10;
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());  // appendfsync everysec, the default
  CheckedPipeline p(proxy());
  ASSERT_NO_FATAL_FAILURE(SetValues(p, "off:", 128, kValue));
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  int64_t on_disk = 0;
  for (int64_t size : JournalSizes()) on_disk += size;
  EXPECT_LT(on_disk, int64_t{128 * kShards * kValue / 4}) << ShowSizes();

  on_port_.reset();  // the upstream goes away
  std::map<std::string, std::string> later;
  for (int s = 0; s < kShards; ++s) {
    const std::string key = OnShard("while-down:", s);
    p.Send({"SET", key, "kept"}, kOk);
    later[key] = "kept";
  }
  ASSERT_TRUE(p.Check());
  ASSERT_NO_FATAL_FAILURE(ExpectDeliveredAfterARestart(later));
}

// A full disk under the journal. With the upstream down and the journal's files capped by a
// file-size limit, SETs are refused with MISCONF once a journal cannot grow, and reads go on;
// with the limit lifted, writes are taken again. The upstream, once there, gets every
// acknowledged write and none of the refused ones.
TEST_F(UpstreamJournalTest, AFullDiskRefusesWritesUntilTheJournalTakesThemAgain) {
  ASSERT_NO_FATAL_FAILURE(ReserveUpstreamPort());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  Client& c = proxy();
  std::map<std::string, std::string> acked;
  std::vector<std::string> refused;
  int n = 0;
  const auto is_misconf = [](const Reply& r) { return r.ErrorText().rfind("MISCONF ", 0) == 0; };
  // SETs on `shard` until one is acknowledged (`want_ok`) or refused; false past the deadline.
  const auto set_until = [&](int shard, bool want_ok) {
    bool got = false;
    WaitUntil(
        [&] {
          const std::string key = OnShard("fill" + std::to_string(n++) + ":", shard);
          const std::string value = Pattern(1024, static_cast<uint32_t>(n));
          const Reply r = c.Cmd({"SET", key, value});
          if (r == kOk) {
            acked[key] = value;
          } else if (is_misconf(r)) {
            refused.push_back(key);
          } else {
            ADD_FAILURE() << "SET " << key << " -> " << r;
            return true;
          }
          got = want_ok ? r == kOk : is_misconf(r);
          return got;
        },
        seconds(15), milliseconds(5));
    return got;
  };
  const RunResult cap =
      RunToExit("prlimit", {"--pid", std::to_string(ringside_->pid()), "--fsize=65536:unlimited"});
  ASSERT_EQ(cap.exit_code, 0) << cap.output;
  for (int s = 0; s < kShards; ++s) {
    ASSERT_TRUE(set_until(s, false)) << "writes on shard " << s << " are still accepted\n"
                                     << ShowSizes();
  }
  ASSERT_FALSE(acked.empty());
  EXPECT_EQ(c.Cmd({"GET", acked.begin()->first}), Bulk(acked.begin()->second)) << "reads go on";
  EXPECT_EQ(c.Cmd({"GET", refused.front()}), Nil()) << "a refused SET changed nothing";

  const RunResult lift = RunToExit(
      "prlimit", {"--pid", std::to_string(ringside_->pid()), "--fsize=unlimited:unlimited"});
  ASSERT_EQ(lift.exit_code, 0) << lift.output;
  for (int s = 0; s < kShards; ++s) {
    EXPECT_TRUE(set_until(s, true)) << "writes on shard " << s << " are still refused";
  }
  ASSERT_NO_FATAL_FAILURE(StartUpstreamOnPort());
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  ExpectKeys(upstream_port_, acked);
  Client u(upstream_port_);
  for (const std::string& key : refused) EXPECT_EQ(u.Cmd({"EXISTS", key}), Int(0)) << key;
}

}  // namespace
}  // namespace ringside::testing
