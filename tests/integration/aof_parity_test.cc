// AOF parity across ingest paths: the same workload of big values, sent to one ringside with
// BigBulk ingest on and to another with it off, leaves byte-identical append-only files (and
// manifests), shard by shard. Expiries in the workload are absolute, so the records do not
// depend on when each server ran them.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing {
namespace {

namespace fs = std::filesystem;

std::string Value(size_t n, int seed) {
  std::string v(n, '\0');
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>('A' + (i * 31 + seed * 7 + i / 97) % 58);
  return v;
}

// Every file of the AOF folder, by name.
std::map<std::string, std::string> ReadFolder(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir + "/appendonlydir")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    files[entry.path().filename().string()] = s.str();
  }
  return files;
}

// The workload: big values through every write that stores an argument, on keys spread over
// the four shards (RENAME and MSET cross them), pipelined so values arrive over many reads.
std::vector<std::vector<std::string>> Workload() {
  const std::string future_ms = std::to_string(UnixMillis() + 3'600'000);
  const std::string future_s = std::to_string(UnixMillis() / 1000 + 7200);
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 12; ++i) {
    const std::string k = "big:" + std::to_string(i);
    const size_t size = (i % 4 == 0) ? (1u << 20) : (20000u + static_cast<size_t>(i) * 37000u);
    cmds.push_back({"SET", k, Value(size, i)});
    cmds.push_back({"APPEND", k, Value(70000, i + 100)});
    cmds.push_back({"SETRANGE", k, "1000", Value(50000, i + 200)});
  }
  cmds.push_back({"SET", "big:ttl", Value(300000, 1), "PXAT", future_ms});
  cmds.push_back({"SET", "big:ttl2", Value(200000, 2), "EXAT", future_s});
  cmds.push_back({"SET", "big:1", Value(90000, 3), "KEEPTTL", "GET"});
  cmds.push_back({"GETSET", "big:2", Value(120000, 4)});
  cmds.push_back(
      {"MSET", "big:m1", Value(100000, 5), "big:m2", Value(30000, 6), "big:m3", Value(500000, 7)});
  cmds.push_back({"MSETNX", "big:n1", Value(80000, 8), "big:n2", Value(40000, 9)});
  cmds.push_back({"RENAME", "big:3", "big:renamed"});
  cmds.push_back({"RENAME", "big:ttl", "big:ttl-renamed"});
  cmds.push_back({"SET", "big:5", Value(64000, 10), "NX"});
  cmds.push_back({"SET", "big:6", Value(64000, 11), "XX"});
  cmds.push_back({"DEL", "big:7", "big:8"});
  cmds.push_back({"SELECT", "3"});
  cmds.push_back({"SET", "big:db3", Value(256000, 12)});
  cmds.push_back({"INCRBYFLOAT", "float", "2.5"});
  return cmds;
}

TEST(AofParity, BigBulkAndPlainIngestWriteTheSameFiles) {
  RINGSIDE_ONLY();
  TempDir on_dir, off_dir;
  const std::vector<std::string> common = {"--threads",     "4",     "--appendonly", "yes",
                                           "--appendfsync", "always"};
  std::vector<std::string> on = common, off = common;
  on.insert(on.end(), {"--dir", on_dir.path()});
  off.insert(off.end(), {"--dir", off_dir.path(), "--bigbulk-threshold", "0"});
  auto with = ServerProcess::StartRingside(on);
  auto without = ServerProcess::StartRingside(off);
  ASSERT_TRUE(with && without);

  const auto cmds = Workload();
  std::vector<Reply> replies[2];
  int index = 0;
  for (ServerProcess* s : {with.get(), without.get()}) {
    Client c(s->port());
    for (const auto& cmd : cmds) c.Append(cmd);
    for (size_t i = 0; i < cmds.size(); ++i) replies[index].push_back(c.GetReply());
    ++index;
  }
  EXPECT_EQ(replies[0], replies[1]);
  for (const Reply& r : replies[0]) EXPECT_FALSE(r.IsError()) << r;

  // The two paths were really different: one server took the values into buffers of their
  // own, the other never did.
  auto promotions = [](int port) {
    Client c(port);
    const Reply info = c.Cmd({"INFO", "bigbulk"});
    const std::string key = "bigbulk_promotions:";
    const size_t at = info.str.find(key);
    return at == std::string::npos ? -1 : std::stoll(info.str.substr(at + key.size()));
  };
  EXPECT_GT(promotions(with->port()), 0);
  EXPECT_EQ(promotions(without->port()), 0);

  ASSERT_EQ(with->Stop(), 0);
  ASSERT_EQ(without->Stop(), 0);
  const auto a = ReadFolder(on_dir.path());
  const auto b = ReadFolder(off_dir.path());
  ASSERT_EQ(a.size(), 5u);  // four shard files and the manifest
  ASSERT_EQ(b.size(), a.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_GT(bytes.size(), 0u) << name;
    // Compared by length first, so a mismatch does not print megabytes.
    ASSERT_EQ(bytes.size(), b.at(name).size()) << name;
    EXPECT_TRUE(bytes == b.at(name)) << name << " differs";
  }
}

}  // namespace
}  // namespace ringside::testing
