// Helpers for the end-to-end tests of the append-only file (tests/integration/aof_*_test.cc),
// with four shards: a fixture that starts a server with the AOF on in a temp directory of the
// test's own, reading the manifest and the records of the files ringside writes, the workload
// of string commands those tests send, and snapshots of every key of every database, compared
// key by key.
//
// Under RINGSIDE_TEST_TARGET=redis the servers are redis-server, which checks the tests' own
// expectations. Everything here lives in namespace aof: its kShards (4) and its snapshot
// comparisons are not upstream_support.h's. Everything runs on the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing::aof {

inline const Reply kOk = Status("OK");
// The shards (threads) every ringside of these tests runs.
inline constexpr int kShards = 4;
inline constexpr int kDbs = 16;

bool Contains(const std::string& haystack, const std::string& needle);
std::string ReadBytes(const std::string& path);

// Directives for a server with the AOF on in `dir`: four shards (ringside only), then `extra`.
std::vector<std::string> AofArgs(const std::string& dir, const std::vector<std::string>& extra);

// ---- The files on disk ----

struct ManifestEntry {
  std::string line;
  std::string file;
  int64_t seq = -1;
  std::string type;
  int shard = -1;  // -1 when the line names none (redis-server's own manifests)
};

// The manifest's lines as key/value pairs; unknown keys are skipped, as Redis does.
std::vector<ManifestEntry> ReadManifest(const std::string& path);

std::string ManifestPath(const std::string& aof_dir);

// The files new records go to: each shard's incremental file with the highest seq, by shard.
std::map<int, ManifestEntry> CurrentIncrEntries(const std::string& manifest_path);

// The paths of those files.
std::vector<std::string> CurrentIncrFiles(const std::string& aof_dir);

// One command of an AOF file and where its bytes are.
struct Record {
  size_t offset = 0;                // of its '*'
  size_t size = 0;                  // up to and including the last argument's CRLF
  std::vector<size_t> arg_offsets;  // of each argument's '$'
  Argv argv;
};

// Splits AOF bytes (RESP multibulks, back to back) into records, stopping at the first one that
// is malformed or incomplete; *complete says whether every byte belonged to a record.
std::vector<Record> ParseRecords(const std::string& bytes, bool* complete = nullptr);

// The first `n` lines of a failure report, and how many more there are.
std::string FirstLines(const std::vector<std::string>& lines, size_t n = 20);

// ---- What a server holds ----

struct KeyState {
  std::string value;
  int64_t pttl = 0;
};

// Every key of every database with its value and PTTL, and when it was read.
struct Snapshot {
  std::chrono::steady_clock::time_point taken;
  std::array<std::map<std::string, KeyState>, kDbs> dbs;
};

Snapshot TakeSnapshot(int port);

// Adds one failure listing the differences between two snapshots (keys, values byte for byte,
// TTLs: -1 exactly, positive ones within a tolerance after the time between the reads).
void ExpectSameData(const Snapshot& expected, const Snapshot& got, const std::string& what);

// ---- The workload ----

// Sends, on one connection, the string commands whose AOF records differ most from what the
// client sent (conditional SETs, relative expiries, INCRBYFLOAT, renames across shards, ...) in
// several databases, big values, and keys on every shard of each database. Deterministic in
// outcome; every TTL outlives the test except one that ends at once. Every reply must be a
// non-error.
void RunWorkload(int port);

// ---- The fixture ----

class AofTest : public ::testing::Test {
 protected:
  // A server (ringside, or redis-server under RINGSIDE_TEST_TARGET=redis) with the AOF on in
  // this test's directory.
  std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& extra = {}) {
    return ServerProcess::StartRingside(AofArgs(dir_.path(), extra));
  }
  // SIGTERM must end the server with status 0.
  static void StopCleanly(std::unique_ptr<ServerProcess>& server) {
    const int status = server->Stop();
    EXPECT_EQ(status, 0) << "exit status " << status << "; output:\n" << server->Output();
  }
  std::string aof_dir() const { return dir_.path() + "/appendonlydir"; }

  TempDir dir_;
};

}  // namespace ringside::testing::aof
