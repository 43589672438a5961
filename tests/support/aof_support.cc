#include "tests/support/aof_support.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

namespace ringside::testing::aof {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How far a PTTL may drift between two reads once the time between them is accounted for.
constexpr int64_t kTtlToleranceMs = 1500;

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

}  // namespace

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> AofArgs(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--appendonly", "yes", "--dir", dir};
  if (!ServerProcess::TargetIsRedis()) {
    args.insert(args.end(), {"--threads", std::to_string(kShards)});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

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

std::map<int, ManifestEntry> CurrentIncrEntries(const std::string& manifest_path) {
  std::map<int, ManifestEntry> last;
  for (const auto& e : ReadManifest(manifest_path)) {
    if (e.type == "i" && (!last.contains(e.shard) || last[e.shard].seq < e.seq)) {
      last[e.shard] = e;
    }
  }
  return last;
}

std::vector<std::string> CurrentIncrFiles(const std::string& aof_dir) {
  std::vector<std::string> out;
  for (const auto& [shard, e] : CurrentIncrEntries(ManifestPath(aof_dir))) {
    out.push_back(aof_dir + "/" + e.file);
  }
  return out;
}

std::vector<Record> ParseRecords(const std::string& bytes, bool* complete) {
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

std::string FirstLines(const std::vector<std::string>& lines, size_t n) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < n; ++i) out += "  " + lines[i] + "\n";
  if (lines.size() > n) out += "  ... and " + std::to_string(lines.size() - n) + " more\n";
  return out;
}

Snapshot TakeSnapshot(int port) {
  Snapshot s;
  s.taken = Clock::now();
  const std::vector<Db> dbs = DumpAll(port, kDbs);
  for (int db = 0; db < kDbs; ++db) {
    for (const auto& [key, state] : dbs[db]) s.dbs[db][key] = {state.first, state.second};
  }
  return s;
}

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

void RunWorkload(int port) {
  Client c(port);
  for (const Argv& argv : Workload()) {
    const Reply r = c.Cmd(argv);
    ASSERT_FALSE(r.IsError() || r.type == Reply::Type::kIoError)
        << ShowCommand(argv) << " -> " << r;
  }
}

}  // namespace ringside::testing::aof
