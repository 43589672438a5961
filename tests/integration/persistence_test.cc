// The append-only file end to end, with four shards: the files and manifest ringside writes
// (Redis 7's multi-part layout, one incremental file per shard), restarts, crashes under each
// appendfsync policy, damaged files, a full disk, INFO persistence, and redis-server and
// redis-check-aof reading ringside's directory.
//
// Every test works in a fresh temp directory of its own. Under RINGSIDE_TEST_TARGET=redis the
// tests that do not depend on ringside's file names run against redis-server, which checks the
// tests' own expectations.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Reply kOk = Status("OK");
constexpr int kShards = 4;
constexpr int kDbs = 16;
// How far a PTTL may drift between two reads once the time between them is accounted for.
constexpr int64_t kTtlToleranceMs = 1500;
constexpr const char* kMisconf = "MISCONF Errors writing to the AOF file:";
// The file-size limit of the full-disk tests, below the size their files reach first.
constexpr int64_t kFileSizeLimit = 64 << 10;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// True when `text` has `prefix` followed by exactly the number `n` (not a longer one).
bool ContainsNumber(const std::string& text, const std::string& prefix, size_t n) {
  const std::string needle = prefix + std::to_string(n);
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if (end == text.size() || !std::isdigit(static_cast<unsigned char>(text[end]))) return true;
  }
  return false;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it by the destructor.
// Directives for a server with the AOF on in `dir`: four shards (ringside only), then `extra`.
std::vector<std::string> AofArgs(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--appendonly", "yes", "--dir", dir};
  if (!ServerProcess::TargetIsRedis()) {
    args.insert(args.end(), {"--threads", std::to_string(kShards)});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
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

// ---- The files on disk ----

struct ManifestEntry {
  std::string line;
  std::string file;
  int64_t seq = -1;
  std::string type;
  int shard = -1;  // -1 when the line names none (redis-server's own manifests)
};

// The manifest's lines as key/value pairs; unknown keys are skipped, as Redis does.
std::vector<ManifestEntry> ReadManifest(const std::string& path) {
  std::vector<ManifestEntry> out;
  std::istringstream in(ReadBytes(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    ManifestEntry e;
    e.line = line;
    for (std::string key, value; words >> key >> value;) {
      if (key == "file") e.file = value;
      if (key == "seq") e.seq = std::stoll(value);
      if (key == "type") e.type = value;
      if (key == "shard") e.shard = std::stoi(value);
    }
    out.push_back(e);
  }
  return out;
}

std::string ManifestPath(const std::string& aof_dir) {
  return aof_dir + "/appendonly.aof.manifest";
}

// The files new records go to: each shard's incremental file with the highest seq, by shard.
std::map<int, ManifestEntry> CurrentIncrEntries(const std::string& manifest_path) {
  std::map<int, ManifestEntry> last;
  for (const auto& e : ReadManifest(manifest_path)) {
    if (e.type == "i" && (!last.contains(e.shard) || last[e.shard].seq < e.seq)) {
      last[e.shard] = e;
    }
  }
  return last;
}

// The paths of those files.
std::vector<std::string> CurrentIncrFiles(const std::string& aof_dir) {
  std::vector<std::string> out;
  for (const auto& [shard, e] : CurrentIncrEntries(ManifestPath(aof_dir))) {
    out.push_back(aof_dir + "/" + e.file);
  }
  return out;
}

// One command of an AOF file and where its bytes are.
struct Record {
  size_t offset = 0;                // of its '*'
  size_t size = 0;                  // up to and including the last argument's CRLF
  std::vector<size_t> arg_offsets;  // of each argument's '$'
  Argv argv;
};

// Splits AOF bytes (RESP multibulks, back to back) into records, stopping at the first one that
// is malformed or incomplete; *complete says whether every byte belonged to a record.
std::vector<Record> ParseRecords(const std::string& bytes, bool* complete = nullptr) {
  std::vector<Record> out;
  size_t pos = 0;
  // Reads a "<type><number>\r\n" line at pos.
  const auto read_header = [&](char type, int64_t* n) {
    const size_t eol = bytes.find("\r\n", pos);
    if (pos >= bytes.size() || bytes[pos] != type || eol == std::string::npos) return false;
    const auto [end, ec] = std::from_chars(bytes.data() + pos + 1, bytes.data() + eol, *n);
    if (ec != std::errc() || end != bytes.data() + eol || *n < 0) return false;
    pos = eol + 2;
    return true;
  };
  while (pos < bytes.size()) {
    Record r;
    r.offset = pos;
    int64_t argc = 0;
    bool ok = read_header('*', &argc);
    for (int64_t i = 0; ok && i < argc; ++i) {
      r.arg_offsets.push_back(pos);
      int64_t len = 0;
      ok = read_header('$', &len) && pos + len + 2 <= bytes.size() &&
           bytes.compare(pos + len, 2, "\r\n") == 0;
      if (ok) r.argv.push_back(bytes.substr(pos, len));
      pos += ok ? len + 2 : 0;
    }
    if (!ok) {
      pos = r.offset;
      break;
    }
    r.size = pos - r.offset;
    out.push_back(std::move(r));
  }
  if (complete != nullptr) *complete = pos == bytes.size();
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The first `n` lines of a failure report, and how many more there are.
std::string FirstLines(const std::vector<std::string>& lines, size_t n = 20) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < n; ++i) out += "  " + lines[i] + "\n";
  if (lines.size() > n) out += "  ... and " + std::to_string(lines.size() - n) + " more\n";
  return out;
}

// ---- What a server holds ----

struct KeyState {
  std::string value;
  int64_t pttl = 0;
};

// Every key of every database with its value and PTTL, and when it was read.
struct Snapshot {
  Clock::time_point taken;
  std::array<std::map<std::string, KeyState>, kDbs> dbs;
};

Snapshot TakeSnapshot(int port) {
  Snapshot s;
  s.taken = Clock::now();
  const std::vector<Db> dbs = DumpAll(port, kDbs);
  for (int db = 0; db < kDbs; ++db) {
    for (const auto& [key, state] : dbs[db]) s.dbs[db][key] = {state.first, state.second};
  }
  return s;
}

// Adds one failure listing the differences between two snapshots (keys, values byte for byte,
// TTLs: -1 exactly, positive ones within kTtlToleranceMs after the time between the reads).
void ExpectSameData(const Snapshot& expected, const Snapshot& got, const std::string& what) {
  const int64_t elapsed_ms =
      std::chrono::duration_cast<milliseconds>(got.taken - expected.taken).count();
  std::vector<std::string> diffs;
  size_t keys = 0;
  for (int db = 0; db < kDbs; ++db) {
    const std::string in_db = " (db " + std::to_string(db) + ")";
    for (const auto& [key, want] : expected.dbs[db]) {
      ++keys;
      const auto it = got.dbs[db].find(key);
      if (it == got.dbs[db].end()) {
        diffs.push_back("missing " + key + in_db);
        continue;
      }
      const KeyState& have = it->second;
      if (have.value != want.value) {
        diffs.push_back("value of " + key + in_db + ": " + ShowDifference(want.value, have.value));
      }
      const bool ttl_ok =
          want.pttl < 0
              ? have.pttl == want.pttl
              : have.pttl > 0 && std::abs(have.pttl - (want.pttl - elapsed_ms)) <= kTtlToleranceMs;
      if (!ttl_ok) {
        diffs.push_back("PTTL of " + key + in_db + ": expected " + std::to_string(want.pttl) +
                        " - " + std::to_string(elapsed_ms) + " ms, got " +
                        std::to_string(have.pttl));
      }
    }
    for (const auto& [key, have] : got.dbs[db]) {
      if (!expected.dbs[db].contains(key)) diffs.push_back("unexpected key " + key + in_db);
    }
  }
  if (!diffs.empty()) {
    ADD_FAILURE() << what << ": " << diffs.size() << " differences over " << keys
                  << " expected keys:\n"
                  << FirstLines(diffs);
  }
}

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

// ---- Workloads ----

// The string commands whose AOF records differ most from what the client sent, one theme a
// line: commands separated by "; ", arguments by spaces; {src} and the like are keys on chosen
// shards, {in_1000s} a Unix time. Deterministic in outcome; every TTL outlives the test except
// one that ends at once.
constexpr const char* kWorkload[] = {
    "SET plain v1; SET plain lost NX; SET plain v2 XX; SET xx lost XX; SET nx v NX",
    "SET ex v EX 1000; SET ex v2 KEEPTTL; SET px v PX 900000",
    "SET ttl-dropped v EX 1000; SET ttl-dropped w; SET short v PX 1",
    "SETEX setex 1000 v; PSETEX psetex 800000 v",
    "SET getset old EX 1000; GETSET getset new; SET getdel v; GETDEL getdel",
    "SET getex v; GETEX getex EX 700; SET getex-persist v EX 700; GETEX getex-persist PERSIST",
    "INCR counter; INCRBY counter 41; DECRBY counter 2",
    "SET float 10.5; INCRBYFLOAT float 0.25; INCRBYFLOAT float-new 3e2",
    "SET float-ttl 1.5 EX 1000; INCRBYFLOAT float-ttl 2.1",
    "APPEND append hello; APPEND append _world; SETRANGE append 0 J; SETRANGE setrange 5 abc",
    "MSET m1 a m2 b m3 c m4 d m5 e; MSETNX m1 x mnx1 y; MSETNX mnx1 x mnx2 y mnx3 z",
    "DEL m2 m3 missing; UNLINK m4",
    "SET expire v; EXPIRE expire 700; SET pexpire v; PEXPIRE pexpire 650000",
    "SET expireat v; EXPIREAT expireat {in_1000s}; SET persist v EX 100; PERSIST persist",
    "SET expire-past v; EXPIRE expire-past -1",
    "SET {src} moving EX 1000; RENAME {src} {dst}",
    "SET {nx_src} a; SET {nx_taken} b; RENAMENX {nx_src} {nx_taken}; RENAMENX {nx_src} {nx_dst}",
    "SET over-src new; SET over-dst old EX 1000; RENAME over-src over-dst",
    "SELECT 1; SET plain db1; SET db1-ttl v PX 500000; INCRBY counter 7",
    "SELECT 2; MSET a 1 b 2 c 3; EXPIRE b 300; RENAME a z",
    "SELECT 3; SET plain db3 EX 400; GETEX plain PERSIST; APPEND log x",
    "SELECT 0; DEL plain; SET plain again; SELECT 2; DEL c; SELECT 0",
};

std::vector<Argv> Workload() {
  const std::map<std::string, std::string> placeholders = {
      {"{in_1000s}", std::to_string(UnixMillis() / 1000 + 1000)},
      {"{src}", KeyOnShard("move:src", 0, kShards)},
      {"{dst}", KeyOnShard("move:dst", 3, kShards)},
      {"{nx_src}", KeyOnShard("movenx:src", 1, kShards)},
      {"{nx_taken}", KeyOnShard("movenx:taken", 3, kShards)},
      {"{nx_dst}", KeyOnShard("movenx:dst", 2, kShards)},
  };
  std::vector<Argv> w;
  for (const char* line : kWorkload) {
    std::istringstream commands(line);
    for (std::string command; std::getline(commands, command, ';');) {
      std::istringstream words(command);
      Argv argv;
      for (std::string word; words >> word;) {
        argv.push_back(placeholders.contains(word) ? placeholders.at(word) : word);
      }
      w.push_back(argv);
    }
  }
  // Big values, in databases 0 and 1, with CRLF, '$' and '*' among their bytes.
  w.push_back({"SET", "big1", Pattern(100 << 10, 1)});
  w.push_back({"SET", "big2", Pattern(120 << 10, 2), "EX", "1000"});
  w.push_back({"APPEND", "big1", Pattern(100 << 10, 3)});
  w.push_back({"SELECT", "1"});
  w.push_back({"SET", "big3", Pattern(100 << 10, 4)});
  // Enough keys in each database that every shard has some.
  for (int db = 0; db < 4; ++db) {
    w.push_back({"SELECT", std::to_string(db)});
    for (int i = 0; i < 24; ++i) {
      Argv set = {"SET", "spread:" + std::to_string(i), "db" + std::to_string(db)};
      if (i % 3 == 0) set.insert(set.end(), {"EX", std::to_string(500 + i)});
      w.push_back(set);
    }
  }
  w.push_back({"SELECT", "0"});
  return w;
}

// Sends the workload on one connection; every reply must be a non-error.
void RunWorkload(int port) {
  Client c(port);
  for (const Argv& argv : Workload()) {
    const Reply r = c.Cmd(argv);
    ASSERT_FALSE(r.IsError() || r.type == Reply::Type::kIoError)
        << ShowCommand(argv) << " -> " << r;
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

// ---- The fixture ----

class PersistenceTest : public ::testing::Test {
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
  // SIGKILL, waited for, so the server's end is the test's doing.
  static void Kill(std::unique_ptr<ServerProcess>& server) {
    ASSERT_EQ(kill(server->pid(), SIGKILL), 0);
    const int status = server->WaitExit(seconds(20));
    EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "status " << status;
  }
  std::string aof_dir() const { return dir_.path() + "/appendonlydir"; }

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

  TempDir dir_;
};

// ---- The tests ----

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
}  // namespace ringside::testing
