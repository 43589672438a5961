// Starting on an existing append-only file, end to end, with four shards: a clean restart (and
// a second one, from files that were themselves loaded) brings back every key of every
// database with its TTL, the AOF directives work from a config file, a record cut short at a
// file's tail is dropped or refused as aof-load-truncated says, and a damaged record anywhere
// else stops the start with the file and offset named.
//
// Every test works in a fresh temp directory of its own. Under RINGSIDE_TEST_TARGET=redis the
// tests run against redis-server, which checks the tests' own expectations (the offset in the
// corruption message is ringside's alone).

#include <cctype>
#include <filesystem>
#include <fstream>
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

// True when `text` has `prefix` followed by exactly the number `n` (not a longer one).
bool ContainsNumber(const std::string& text, const std::string& prefix, size_t n) {
  const std::string needle = prefix + std::to_string(n);
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if (end == text.size() || !std::isdigit(static_cast<unsigned char>(text[end]))) return true;
  }
  return false;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs the server under test with `args` until it exits by itself (20 s deadline), for a start
// that is meant to fail.
RunResult RunServerToExit(const std::vector<std::string>& args) {
  const int port = FreePort();
  if (ServerProcess::TargetIsRedis()) {
    std::vector<std::string> redis_args = {"--bind", "127.0.0.1", "--port", std::to_string(port),
                                           "--save", ""};
    redis_args.insert(redis_args.end(), args.begin(), args.end());
    return RunToExit("redis-server", redis_args);
  }
  return RunToExit(ServerProcess::RingsideBinary(), ServerProcess::RingsideArgsFor(port, args));
}

using PersistenceTest = AofTest;

// A clean stop with appendfsync no (nothing fsynced along the way) and a start on the same
// directory: every key of every database comes back with its value and TTL.
TEST_F(PersistenceTest, RestartRestoresEveryKeyInEveryDatabaseWithItsTtl) {
  const std::vector<std::string> args = {"--appendfsync", "no"};
  auto server = Start(args);
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(RunWorkload(server->port()));
  const Snapshot before = TakeSnapshot(server->port());
  StopCleanly(server);
  server = Start(args);
  ASSERT_NE(server, nullptr);
  const Snapshot after = TakeSnapshot(server->port());
  ExpectSameData(before, after, "after a restart");
  // And once more, now from files that were themselves loaded.
  StopCleanly(server);
  server = Start(args);
  ASSERT_NE(server, nullptr);
  ExpectSameData(before, TakeSnapshot(server->port()), "after a second restart");
}

// appendonly, dir, appenddirname, appendfilename and appendfsync from a config file.
TEST_F(PersistenceTest, DirectivesFromAConfigFile) {
  const std::string conf = dir_.path() + "/test.conf";
  const std::string data = dir_.path() + "/data";
  fs::create_directory(data);
  std::string text = "appendonly yes\ndir " + data +
                     "\nappendfsync always\nappenddirname journal\n"
                     "appendfilename \"store.aof\"\n";
  if (!ServerProcess::TargetIsRedis()) text += "threads " + std::to_string(kShards) + "\n";
  WriteBytes(conf, text);

  // The harness gives redis-server `--appendonly no` after the file; say it again after that.
  const std::vector<std::string> extra = ServerProcess::TargetIsRedis()
                                             ? std::vector<std::string>{"--appendonly", "yes"}
                                             : std::vector<std::string>{};
  auto server = ServerProcess::StartRingsideWithConfig(conf, extra);
  ASSERT_NE(server, nullptr);
  ASSERT_NO_FATAL_FAILURE(RunWorkload(server->port()));
  const Snapshot before = TakeSnapshot(server->port());
  StopCleanly(server);

  const std::string manifest = data + "/journal/store.aof.manifest";
  ASSERT_TRUE(fs::is_regular_file(manifest)) << manifest << " is missing";
  EXPECT_FALSE(fs::exists(data + "/appendonlydir"));
  for (const ManifestEntry& e : ReadManifest(manifest)) {
    EXPECT_EQ(e.file.rfind("store.aof.", 0), 0u) << e.line;
    EXPECT_TRUE(fs::is_regular_file(data + "/journal/" + e.file)) << e.file << " is missing";
  }
  server = ServerProcess::StartRingsideWithConfig(conf, extra);
  ASSERT_NE(server, nullptr);
  ExpectSameData(before, TakeSnapshot(server->port()), "after a restart from the config file");
}

// A crash in the middle of a write leaves the last record of a file cut short: with
// aof-load-truncated no the server refuses to start; with the default it loads everything
// before the cut (with a warning naming the file), and the file is fit for appending again.
TEST_F(PersistenceTest, TruncatedTail) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  const std::string victim = "victim";
  {
    Client c(server->port());
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(c.Cmd({"SET", "t:" + std::to_string(i), "v" + std::to_string(i)}), kOk);
    }
    ASSERT_EQ(c.Cmd({"SET", victim, Pattern(2000, 7)}), kOk);
  }
  Snapshot expected = TakeSnapshot(server->port());
  expected.dbs[0].erase(victim);
  StopCleanly(server);

  // The file whose last record is the victim's SET; cut it in the middle of that record.
  std::string file;
  for (const std::string& path : CurrentIncrFiles(aof_dir())) {
    const std::string bytes = ReadBytes(path);
    const std::vector<Record> records = ParseRecords(bytes);
    if (records.empty() || records.back().argv.size() < 2 || records.back().argv[1] != victim) {
      continue;
    }
    file = path;
    WriteBytes(path, bytes.substr(0, records.back().offset + records.back().size / 2));
  }
  ASSERT_FALSE(file.empty()) << "no file ends with the SET of " << victim;
  const std::string name = fs::path(file).filename().string();

  const RunResult strict = RunServerToExit(AofArgs(dir_.path(), {"--aof-load-truncated", "no"}));
  EXPECT_TRUE(strict.exit_code >= 1 && strict.exit_code < 128)
      << "with aof-load-truncated no the start must fail; exit code " << strict.exit_code << ":\n"
      << strict.output;

  server = Start();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(Contains(server->Output(), name))
      << "no warning names the truncated file " << name << ":\n"
      << server->Output();
  ExpectSameData(expected, TakeSnapshot(server->port()), "after loading a truncated file");

  // New writes after the repaired tail load back too.
  const std::string later = KeyOnShard("later", 0, kShards);
  {
    Client c(server->port());
    ASSERT_EQ(c.Cmd({"SET", victim, "again"}), kOk);
    ASSERT_EQ(c.Cmd({"SET", later, "v"}), kOk);
  }
  StopCleanly(server);
  server = Start();
  ASSERT_NE(server, nullptr);
  expected.dbs[0][victim] = {"again", -1};
  expected.dbs[0][later] = {"v", -1};
  ExpectSameData(expected, TakeSnapshot(server->port()), "after writing past the repaired tail");
}

// A damaged byte anywhere but the tail is corruption, not a crash: the server exits with status
// 1 and says which file and at what offset the bad record starts.
TEST_F(PersistenceTest, CorruptRecordStopsTheStartAndNamesFileAndOffset) {
  auto server = Start();
  ASSERT_NE(server, nullptr);
  {
    Client c(server->port());
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(c.Cmd({"SET", "c:" + std::to_string(i), "value" + std::to_string(i)}), kOk);
    }
  }
  StopCleanly(server);

  // The file with the most records; the damage goes in its middle record.
  std::string file;
  std::vector<Record> records;
  for (const std::string& path : CurrentIncrFiles(aof_dir())) {
    std::vector<Record> r = ParseRecords(ReadBytes(path));
    if (r.size() > records.size()) {
      file = path;
      records = std::move(r);
    }
  }
  ASSERT_GE(records.size(), 10u);
  const Record& bad = records[records.size() / 2];
  const std::string relative = fs::relative(file, dir_.path()).string();
  const std::string name = fs::path(file).filename().string();

  struct Damage {
    std::string what;
    size_t at;
  };
  for (const Damage& d :
       {Damage{"its '*'", bad.offset}, Damage{"its key's '$'", bad.arg_offsets[1]}}) {
    SCOPED_TRACE("x over " + d.what + " of the record at offset " + std::to_string(bad.offset));
    TempDir copy;
    copy.CopyFrom(dir_.path());
    std::string bytes = ReadBytes(copy.path() + "/" + relative);
    ASSERT_TRUE(bytes[d.at] == '*' || bytes[d.at] == '$');
    bytes[d.at] = 'x';
    WriteBytes(copy.path() + "/" + relative, bytes);

    const RunResult r = RunServerToExit(AofArgs(copy.path(), {}));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(Contains(r.output, name)) << "the message names the file:\n" << r.output;
    if (!ServerProcess::TargetIsRedis()) {
      EXPECT_TRUE(ContainsNumber(r.output, "offset ", bad.offset))
          << "the message says `offset " << bad.offset << "`:\n"
          << r.output;
    }
  }
}
}  // namespace
}  // namespace ringside::testing::aof
