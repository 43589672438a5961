// The append-only files ringside writes, end to end, with four shards: the manifest and one
// incremental file per shard in Redis 7's multi-part layout, record for record, INFO
// persistence, and redis-check-aof and redis-server reading ringside's directory.
//
// Every test works in a fresh temp directory of its own. Under RINGSIDE_TEST_TARGET=redis the
// tests that do not depend on ringside's file names run against redis-server, which checks the
// tests' own expectations.

#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/aof_support.h"
#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing::aof {
namespace {

namespace fs = std::filesystem;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

using PersistenceTest = AofTest;

TEST_F(PersistenceTest, InfoPersistenceFields) {
  {
    auto off = ServerProcess::StartRingside({"--dir", dir_.path()});
    ASSERT_NE(off, nullptr);
    Client c(off->port());
    EXPECT_EQ(InfoField(c, "persistence", "aof_enabled"), "0");
    EXPECT_EQ(InfoField(c, "persistence", "loading"), "0");
  }
  auto server = Start();
  ASSERT_NE(server, nullptr);
  Client c(server->port());
  EXPECT_EQ(InfoField(c, "persistence", "aof_enabled"), "1");
  EXPECT_EQ(InfoField(c, "persistence", "aof_last_write_status"), "ok");
  EXPECT_EQ(InfoField(c, "persistence", "aof_rewrite_in_progress"), "0");
  EXPECT_EQ(InfoField(c, "persistence", "loading"), "0");
  const int64_t before = InfoNumber(c, "persistence", "aof_current_size");
  ASSERT_GE(before, 0) << "no aof_current_size in INFO persistence";
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(c.Cmd({"SET", "k" + std::to_string(i), std::string(1000, 'v')}), kOk);
  }
  EXPECT_TRUE(WaitUntil([&] {
    return InfoNumber(c, "persistence", "aof_current_size") >= before + 50 * 1000;
  })) << "aof_current_size went from "
      << before << " to " << InfoNumber(c, "persistence", "aof_current_size");
  EXPECT_EQ(InfoField(c, "persistence", "aof_last_write_status"), "ok");
}

// The manifest and every shard's file in the layout and format the spec gives, record for
// record: SELECT first and on each change of database, relative expiries made absolute,
// INCRBYFLOAT as a SET of its result, each key only in its own shard's file.
TEST_F(PersistenceTest, FilesAreRedisManifestAndOneRespFilePerShard) {
  RINGSIDE_ONLY();
  auto server = Start();
  ASSERT_NE(server, nullptr);
  std::array<std::string, kShards> a, b, c, f;
  for (int s = 0; s < kShards; ++s) {
    a[s] = KeyOnShard("layout:a", s, kShards);
    b[s] = KeyOnShard("layout:b", s, kShards);
    c[s] = KeyOnShard("layout:c", s, kShards);
    f[s] = KeyOnShard("layout:f", s, kShards);
  }
  const int64_t start_ms = UnixMillis();
  {
    Client cl(server->port());
    for (int s = 0; s < kShards; ++s) ASSERT_EQ(cl.Cmd({"SET", a[s], "va"}), kOk);
    ASSERT_EQ(cl.Cmd({"SELECT", "2"}), kOk);
    for (int s = 0; s < kShards; ++s) ASSERT_EQ(cl.Cmd({"SET", b[s], "vb"}), kOk);
    ASSERT_EQ(cl.Cmd({"SELECT", "0"}), kOk);
    for (int s = 0; s < kShards; ++s) ASSERT_EQ(cl.Cmd({"SET", c[s], "vc", "EX", "100"}), kOk);
    for (int s = 0; s < kShards; ++s) ASSERT_EQ(cl.Cmd({"EXPIRE", a[s], "200"}), Int(1));
    for (int s = 0; s < kShards; ++s) {
      ASSERT_EQ(cl.Cmd({"SET", f[s], "10.5"}), kOk);
      ASSERT_EQ(cl.Cmd({"INCRBYFLOAT", f[s], "0.25"}), Bulk("10.75"));
    }
  }
  const int64_t end_ms = UnixMillis();
  StopCleanly(server);

  const std::regex line_format(
      R"(file appendonly\.aof\.s(\d+)\.(\d+)\.(incr|base)\.aof seq (\d+) type ([ib]) shard (\d+))");
  for (const ManifestEntry& e : ReadManifest(ManifestPath(aof_dir()))) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(e.line, m, line_format)) << "manifest line: " << e.line;
    EXPECT_EQ(m[1], m[6]) << "the file name and the shard key disagree: " << e.line;
    EXPECT_EQ(m[2], m[4]) << "the file name and the seq key disagree: " << e.line;
    EXPECT_EQ(m[3] == "incr", m[5] == "i") << e.line;
    EXPECT_TRUE(fs::is_regular_file(aof_dir() + "/" + e.file)) << e.file << " is missing";
  }
  const std::map<int, ManifestEntry> current = CurrentIncrEntries(ManifestPath(aof_dir()));
  ASSERT_EQ(current.size(), static_cast<size_t>(kShards)) << "a shard has no incremental file";

  // <ms> stands for an absolute Unix time in milliseconds `offset_s` seconds from the writes.
  const auto matches = [&](const Argv& got, const Argv& want, int64_t offset_s) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i] == "<ms>") {
        int64_t ms = 0;
        const auto [end, ec] = std::from_chars(got[i].data(), got[i].data() + got[i].size(), ms);
        if (ec != std::errc() || ms < start_ms + offset_s * 1000 || ms > end_ms + offset_s * 1000) {
          return false;
        }
      } else if (Upper(got[i]) != Upper(want[i])) {
        return false;
      }
    }
    return true;
  };
  for (int s = 0; s < kShards; ++s) {
    const std::string& file = current.at(s).file;
    SCOPED_TRACE("shard " + std::to_string(s) + ", " + file);
    bool complete = false;
    const std::vector<Record> records = ParseRecords(ReadBytes(aof_dir() + "/" + file), &complete);
    EXPECT_TRUE(complete) << "the file has bytes that are not RESP commands";
    const std::vector<std::pair<Argv, int64_t>> want = {
        {{"SELECT", "0"}, 0},
        {{"SET", a[s], "va"}, 0},
        {{"SELECT", "2"}, 0},
        {{"SET", b[s], "vb"}, 0},
        {{"SELECT", "0"}, 0},
        {{"SET", c[s], "vc", "PXAT", "<ms>"}, 100},
        {{"PEXPIREAT", a[s], "<ms>"}, 200},
        {{"SET", f[s], "10.5"}, 0},
        {{"SET", f[s], "10.75", "KEEPTTL"}, 0},
    };
    ASSERT_EQ(records.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      Argv got = records[i].argv;
      // Redis 7.0 writes INCRBYFLOAT as SET ... KEEPTTL; without a TTL a bare SET means the same.
      if (i + 1 == want.size() && got.size() == 3) got.push_back("KEEPTTL");
      EXPECT_TRUE(matches(got, want[i].first, want[i].second))
          << "record " << i << ": " << ShowCommand(records[i].argv) << ", expected "
          << ShowCommand(want[i].first);
    }
  }
}

TEST_F(PersistenceTest, RedisCheckAofAcceptsTheManifestAndEveryFile) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(RunWorkload(server->port()));
  StopCleanly(server);
  const RunResult whole = RunToExit("redis-check-aof", {ManifestPath(aof_dir())});
  EXPECT_EQ(whole.exit_code, 0) << whole.output;
  EXPECT_TRUE(Contains(whole.output, "All AOF files and manifest are valid")) << whole.output;
  const std::vector<ManifestEntry> entries = ReadManifest(ManifestPath(aof_dir()));
  EXPECT_FALSE(entries.empty());
  for (const ManifestEntry& e : entries) {
    if (e.file.ends_with(".rdb")) continue;  // redis-server's own base, under the redis target
    const RunResult one = RunToExit("redis-check-aof", {aof_dir() + "/" + e.file});
    EXPECT_EQ(one.exit_code, 0) << e.file << ":\n" << one.output;
  }
}

// The workload through ringside, then redis-server started on a copy of ringside's directory:
// redis-server loads it as its own, and it and ringside restarted hold the same keys, values
// and TTLs in every database as ringside did before the stop.
TEST_F(PersistenceTest, RedisServerLoadsTheDirectoryToTheSameData) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(RunWorkload(server->port()));
  const Snapshot held = TakeSnapshot(server->port());
  StopCleanly(server);

  TempDir copy;
  copy.CopyFrom(dir_.path());
  auto redis = ServerProcess::StartRedis({"--dir", copy.path(), "--appendonly", "yes"});
  ASSERT_NE(redis, nullptr);
  server = Start();
  ASSERT_NE(server, nullptr);
  const Snapshot reference = TakeSnapshot(redis->port());
  const Snapshot got = TakeSnapshot(server->port());
  size_t keys = 0;
  for (const auto& db : reference.dbs) keys += db.size();
  EXPECT_GT(keys, 100u) << "redis-server loaded too little to compare";
  ExpectSameData(reference, got, "ringside restarted vs redis-server on a copy of its directory");
  // Both read the same records, so a record that says something other than the command did (a
  // lost TTL, say) shows only against what ringside held before the stop.
  ExpectSameData(held, reference, "redis-server on a copy vs ringside before the stop");
}
}  // namespace
}  // namespace ringside::testing::aof
