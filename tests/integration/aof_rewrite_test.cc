// BGREWRITEAOF and automatic rewrites with the real binary: while a rewrite copies the store,
// other clients keep sending writes that are not idempotent (INCR, APPEND) and expiry
// changes, so a write that landed twice (in the new base and again in the new incremental
// file) or not at all shows up as a wrong value after a restart, and in redis-server loading
// the same folder.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string InfoField(Client& c, const std::string& field) {
  const Reply info = c.Cmd({"INFO", "persistence"});
  const size_t at = info.str.find(field + ":");
  if (at == std::string::npos) return "";
  const size_t end = info.str.find("\r\n", at);
  return info.str.substr(at + field.size() + 1, end - at - field.size() - 1);
}

// Every key of databases 0 and 1 with its value.
std::map<std::string, std::string> Dataset(int port) {
  Client c(port, seconds(30));
  std::map<std::string, std::string> all;
  for (const char* db : {"0", "1"}) {
    c.Cmd({"SELECT", db});
    const std::vector<std::string> keys = c.Cmd({"KEYS", "*"}).Strings();
    for (size_t i = 0; i < keys.size(); i += 1000) {
      std::vector<std::string> mget = {"MGET"};
      for (size_t j = i; j < keys.size() && j < i + 1000; ++j) mget.push_back(keys[j]);
      const std::vector<std::string> values = c.Cmd(mget).Strings();
      for (size_t j = 0; j < values.size(); ++j)
        all[std::string(db) + "/" + mget[1 + j]] = values[j];
    }
  }
  return all;
}

std::vector<std::string> ManifestLines(const std::string& dir) {
  std::ifstream in(dir + "/appendonlydir/appendonly.aof.manifest");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(AofRewrite, WritesDuringARewriteLandExactlyOnce) {
  RINGSIDE_ONLY();
  TempDir dir;
  auto server =
      ServerProcess::StartRingside({"--threads", "4", "--appendonly", "yes", "--dir", dir.path()});
  ASSERT_TRUE(server);
  {
    // Enough keys that copying them takes many slices.
    Client c(server->port(), seconds(30));
    for (int i = 0; i < 60000; ++i)
      c.Append({"SET", "k" + std::to_string(i), std::string(40, 'x')});
    for (int i = 0; i < 60000; ++i) ASSERT_EQ(c.GetReply(), Status("OK"));
    c.Cmd({"SELECT", "1"});
    c.Cmd({"SET", "other-db", "v"});
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      Client w(server->port());
      for (int n = 0; !stop.load(); ++n) {
        w.Cmd({"INCR", "counter" + std::to_string(n % 50)});
        w.Cmd({"APPEND", "k" + std::to_string((n * 7 + t) % 60000), "y"});
        w.Cmd({"PEXPIRE", "k" + std::to_string((n * 13 + t) % 60000), "3600000"});
        w.Cmd({"SET", "fresh" + std::to_string(t) + ":" + std::to_string(n), "z"});
      }
    });
  }
  Client c(server->port());
  // Let the writers get going, then rewrite twice in a row while they run.
  ASSERT_TRUE(WaitUntil([&] { return c.Cmd({"EXISTS", "fresh0:200"}).integer == 1; }));
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(c.Cmd({"BGREWRITEAOF"}), Status("Background append only file rewriting started"));
    ASSERT_TRUE(
        WaitUntil([&] { return InfoField(c, "aof_rewrite_in_progress") == "0"; }, seconds(60)));
  }
  stop.store(true);
  for (auto& w : writers) w.join();
  EXPECT_EQ(InfoField(c, "aof_rewrites"), "8");  // two per shard
  EXPECT_EQ(InfoField(c, "aof_last_bgrewrite_status"), "ok");
  const auto before = Dataset(server->port());
  ASSERT_EQ(server->Stop(), 0);

  // Each shard is down to one base and one incremental file.
  const auto lines = ManifestLines(dir.path());
  EXPECT_EQ(lines.size(), 8u);
  int bases = 0;
  for (const auto& l : lines) bases += l.find(".base.aof") != std::string::npos;
  EXPECT_EQ(bases, 4);

  // A copy for redis-server, which writes into the folder it loads.
  TempDir copy;
  copy.CopyFrom(dir.path());
  auto again =
      ServerProcess::StartRingside({"--threads", "4", "--appendonly", "yes", "--dir", dir.path()});
  ASSERT_TRUE(again);
  const auto after = Dataset(again->port());
  EXPECT_EQ(after.size(), before.size());
  EXPECT_TRUE(after == before) << "the dataset changed across the restart";

  auto redis = ServerProcess::StartRedis({"--dir", copy.path(), "--appendonly", "yes"});
  ASSERT_TRUE(redis);
  EXPECT_TRUE(Dataset(redis->port()) == before) << "redis-server loaded a different dataset";
}

TEST(AofRewrite, GrowthStartsOneAndAFlushIsRewrittenAway) {
  RINGSIDE_ONLY();
  TempDir dir;
  auto server = ServerProcess::StartRingside({"--threads", "2", "--appendonly", "yes", "--dir",
                                              dir.path(), "--auto-aof-rewrite-min-size", "64kb",
                                              "--auto-aof-rewrite-percentage", "100"});
  ASSERT_TRUE(server);
  Client c(server->port());
  // Overwriting the same keys grows the files without growing the data.
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 50; ++i)
      c.Append({"SET", "key" + std::to_string(i), std::string(200, 'a' + round % 26)});
    for (int i = 0; i < 50; ++i) ASSERT_EQ(c.GetReply(), Status("OK"));
  }
  ASSERT_TRUE(WaitUntil([&] { return std::stoi(InfoField(c, "aof_rewrites")) >= 2; }, seconds(20)));
  ASSERT_TRUE(WaitUntil([&] { return InfoField(c, "aof_rewrite_in_progress") == "0"; }));
  EXPECT_LT(std::stoll(InfoField(c, "aof_current_size")), 200000);

  // A FLUSHALL schedules a rewrite, after which no file carries the flush.
  const int64_t rewrites = std::stoll(InfoField(c, "aof_rewrites"));
  c.Cmd({"FLUSHALL"});
  c.Cmd({"SET", "after-flush", "v"});
  ASSERT_TRUE(WaitUntil([&] {
    return std::stoll(InfoField(c, "aof_rewrites")) >= rewrites + 2 &&
           InfoField(c, "aof_rewrite_in_progress") == "0" &&
           InfoField(c, "aof_rewrite_scheduled") == "0";
  }));
  ASSERT_EQ(server->Stop(), 0);
  for (const auto& entry : fs::directory_iterator(dir.path() + "/appendonlydir")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_EQ(s.str().find("FLUSHALL"), std::string::npos) << entry.path();
  }
  auto again =
      ServerProcess::StartRingside({"--threads", "2", "--appendonly", "yes", "--dir", dir.path()});
  Client a(again->port());
  EXPECT_EQ(a.Cmd({"DBSIZE"}), Int(1));
  EXPECT_EQ(a.Cmd({"GET", "after-flush"}), Bulk("v"));
}

}  // namespace
}  // namespace ringside::testing
