// BigBulk ingest end to end, its invariants: a bulk argument of at least bigbulk-threshold bytes
// whose body is still arriving gets its own buffer, filled straight from the socket (io_uring
// direct reads past bigbulk-direct-read) and adopted by the stored value. However a request is
// cut, on every shard, with BigBulk on or off, replies and data must be those of redis-server,
// and replies must leave in request order. bigbulk_limits_test.cc covers peers that go away,
// memory and limits, and the copy counters.
//
// Splits are made real with sock_diag (PacedClient): after each piece the test waits until the
// server's side of the connection has nothing left to read, so the next piece is a separate read.

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/paced_client.h"

namespace ringside::testing {
namespace {

using std::chrono::seconds;

constexpr int kShards = 4;

// How many of the two-piece splits of a frame leave an argument of at least `threshold` bytes
// with its header received and its body not: each of them must promote it. Commands after an
// MSETNX are left out: the connection does not parse them until its chain of hops is done, and
// by then the rest may have arrived.
int PromotingSplits(const std::vector<Argv>& commands, size_t threshold) {
  int n = 0;
  const auto bulks = Layout(commands);
  size_t i = 0;
  for (const auto& argv : commands) {
    for (size_t a = 0; a < argv.size(); ++a, ++i) {
      if (bulks[i].size >= threshold) n += static_cast<int>(bulks[i].size);  // cut in the body
    }
    if (argv[0] == "MSETNX") break;
  }
  return n;
}

// Commands with a value `v` and a different old value `w` in every place BigBulk must handle.
std::vector<Case> Corpus(const std::string& v, const std::string& w, const std::string& big_key) {
  const Argv get = {"GET", "k"};
  const Argv ttl = {"TTL", "k"};
  const Argv mget = {"MGET", "k1", "k2", "k3"};
  return {
      {"SET", {}, {{"SET", "k", v}}, {get, {"STRLEN", "k"}}},
      {"SET EX", {}, {{"SET", "k", v, "EX", "100"}}, {get, ttl}},
      {"SET GET", {{"SET", "k", w}}, {{"SET", "k", v, "GET"}}, {get}},
      {"SET XX GET missing", {}, {{"SET", "k", v, "XX", "GET"}}, {get}},
      {"SET bad EX", {}, {{"SET", "k", v, "EX", "nope"}, {"SET", "k", v, "EX", "0"}}, {get}},
      {"big key", {}, {{"SET", big_key, "v"}, {"GET", big_key}}, {{"STRLEN", big_key}}},
      {"MSET big first", {}, {{"MSET", "k1", v, "k2", "v2"}}, {mget}},
      {"MSET big middle", {}, {{"MSET", "k1", "v1", "k2", v, "k3", "v3"}}, {mget}},
      {"MSET odd", {}, {{"MSET", "k1", v, "k2"}}, {mget}},
      {"APPEND", {{"SET", "k", w}}, {{"APPEND", "k", v}}, {get}},
      {"APPEND new", {}, {{"APPEND", "k", v}, {"APPEND", "k", v}}, {get}},
      {"GETSET", {{"SET", "k", w}}, {{"GETSET", "k", v}}, {get}},
      {"SETEX", {}, {{"SETEX", "k", "100", v}}, {get, ttl}},
      {"SETEX arity", {}, {{"SETEX", "k", v}}, {get}},
      {"PSETEX", {}, {{"PSETEX", "k", "100000", v}}, {get, ttl}},
      {"SETNX", {{"SET", "k2", w}}, {{"SETNX", "k", v}, {"SETNX", "k2", v}}, {get, {"GET", "k2"}}},
      {"MSETNX", {}, {{"MSETNX", "k1", v, "k2", w}, {"MSETNX", "k2", v, "k3", v}}, {mget}},
      {"read backs",
       {{"SET", "k", v}},
       {{"GETRANGE", "k", "3", "20"}, {"STRLEN", "k"}, {"GET", "k"}, {"ECHO", v}},
       {get}},
      {"pipeline",
       {{"SET", "k3", w}},
       {{"SET", "k1", v},
        {"INCR", "n"},
        {"SET", "k2", w, "EX", "100"},
        {"GET", "k1"},
        {"MSET", "k", v, "x", "y"},
        {"APPEND", "k1", w},
        {"STRLEN", "k1"},
        {"GETSET", "k3", "small"},
        {"GET", "k3"},
        {"DEL", "k"}},
       {mget, get, {"TTL", "k2"}, {"GET", "x"}}},
  };
}

// Every test starts its own servers; Stat reads one `INFO bigbulk` counter (-1 when missing).
class BigBulkTest : public OwnServersTest {
 protected:
  static int64_t Stat(Client& c, const std::string& field) {
    return InfoNumber(c, "bigbulk", field);
  }
};

// (a) Every byte boundary of every frame of the corpus, over a real socket, with values just
// above a tiny threshold: the replies and the data are redis-server's.
TEST_F(BigBulkTest, EveryByteSplitMatchesRedis) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--bigbulk-threshold", "8", "--threads", "2"});
  ASSERT_TRUE(redis && server);
  const std::string v = "big\r\n$5\r\n*2\r\n" + Pattern(28, 1);
  const std::string w = "old\r\n" + Pattern(36, 2);
  const std::string big_key = "key:" + std::string(36, 'k');
  PacedClient ref(redis->port());
  auto c = std::make_unique<PacedClient>(server->port());
  int promoting = 0;
  for (const Case& k : Corpus(v, w, big_key)) {
    const Outcome expected = RunCase(ref, k, {});
    const size_t size = Frame(k.commands).size();
    promoting += PromotingSplits(k.commands, 8);
    int failures = 0;
    for (size_t cut = 1; cut < size && failures < 3; ++cut) {
      const Outcome got = RunCase(*c, k, {cut});
      if (!SameOutcome(k, expected, got, "split at byte " + std::to_string(cut))) {
        ++failures;
        c = std::make_unique<PacedClient>(server->port());  // it may have been closed
      }
    }
  }
  EXPECT_EQ(c->unpaced(), 0) << "pieces the server did not read within 20 s";
  Client info(server->port());
  // Pieces are paced, so every split inside a body of 8 bytes or more promotes that argument.
  EXPECT_GE(Stat(info, "bigbulk_promotions"), promoting);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), 0);
  ExpectCleanExit(server);
}

// (a) Frames with 100 KiB - 1 MiB values at the default thresholds, cut at random places and
// around every header: redis-server's replies and data.
TEST_F(BigBulkTest, RandomChunkingsOfBigFramesMatchRedis) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(redis && server);
  std::mt19937 rng(20261124);
  auto size = [&] { return (100u << 10) + rng() % (924u << 10); };
  const std::string v = Pattern(size(), 3);
  const std::string w = Pattern(size(), 4);
  const std::string big_key = Pattern(size(), 5);
  PacedClient ref(redis->port());
  auto c = std::make_unique<PacedClient>(server->port());
  for (const Case& k : Corpus(v, w, big_key)) {
    const Outcome expected = RunCase(ref, k, {});
    for (int round = 0; round < 2; ++round) {
      const auto cuts = RandomCuts(k.commands, 1024, 1 + static_cast<int>(rng() % 8), rng);
      const Outcome got = RunCase(*c, k, cuts);
      if (!SameOutcome(k, expected, got, "random chunking " + std::to_string(round))) {
        c = std::make_unique<PacedClient>(server->port());
        break;
      }
    }
  }
  EXPECT_EQ(c->unpaced(), 0);
  Client info(server->port());
  EXPECT_GT(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  // bigbulk_reallocs is not checked here: while an MSETNX of the corpus waits for the
  // connection's earlier commands, later input (big bodies too) is held back in the input
  // buffer, which may grow around it; BodyEndAndNextCommandsInOneWrite and
  // BigValuesAreCopiedLessThanOncePerByte check that nothing else reallocates.
  ExpectCleanExit(server);
}

// (b) Big values written from many connections to keys of every shard read back byte for byte
// from many connections; most of them crossed shards as adopted buffers.
TEST_F(BigBulkTest, BigValuesOnEveryShardReadBackEverywhere) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  const int port = server->port();
  constexpr int kConnections = 8;
  const size_t sizes[] = {64u << 10, 300u << 10, 1u << 20};
  std::map<std::string, std::string> values;
  for (int w = 0; w < kConnections; ++w) {
    for (int s = 0; s < kShards; ++s) {
      values[KeyOnShard("w" + std::to_string(w) + "s" + std::to_string(s) + ":", s, kShards)] =
          Pattern(sizes[(w + s) % 3], static_cast<uint32_t>(w * 10 + s));
    }
  }
  std::vector<std::string> problems(kConnections);
  std::vector<std::thread> threads;
  for (int w = 0; w < kConnections; ++w) {
    threads.emplace_back([&, w] {
      PacedClient c(port);
      for (int s = 0; s < kShards; ++s) {
        const std::string key =
            KeyOnShard("w" + std::to_string(w) + "s" + std::to_string(s) + ":", s, kShards);
        const std::string frame = EncodeCommand({"SET", key, values[key]});
        // The header and a little of the body first, so the body is still arriving.
        const auto replies = c.Send(frame, {40 + static_cast<size_t>(w) * 100}, 1);
        if (replies[0] != "+OK\r\n") problems[w] += "SET " + key + " -> " + Show(replies[0]) + "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  for (const auto& p : problems) EXPECT_EQ(p, "");
  for (int r = 0; r < kConnections; ++r) {
    threads.emplace_back([&, r] {
      Client c(port, seconds(30));
      int n = 0;
      for (const auto& [key, value] : values) {
        const Reply len = c.Cmd({"STRLEN", key});
        if (len != Int(static_cast<int64_t>(value.size()))) {
          problems[r] += "STRLEN " + key + " wrong\n";
        }
        if (++n % 2 != r % 2) continue;
        const Reply got = c.Cmd({"GET", key});
        if (got.type != Reply::Type::kBulk || got.str != value) {
          problems[r] += "GET " + key + ": " + ShowDifference(value, got.str) + "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& p : problems) EXPECT_EQ(p, "");
  Client info(port);
  EXPECT_EQ(info.Cmd({"DBSIZE"}), Int(static_cast<int64_t>(values.size())));
  EXPECT_GE(Stat(info, "bigbulk_promotions"), static_cast<int64_t>(values.size()));
  EXPECT_GT(Stat(info, "bigbulk_cross_shard_handoffs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  ExpectCleanExit(server);
}

// (c) Pipelines mixing big writes (the connection's own shard among them) with small commands
// on other shards, from several connections at once: replies in request order, as redis-server
// gives them.
TEST_F(BigBulkTest, RepliesLeaveInRequestOrder) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(redis && server);
  constexpr int kConnections = 6;
  const std::vector<size_t> sizes = {3, 100, 16383, 16384, 16385, 40000, 70000, 200000};
  std::vector<std::vector<Argv>> pipelines;
  std::vector<std::vector<size_t>> cuts;
  std::vector<std::vector<std::string>> expected;
  std::mt19937 rng(7);
  PacedClient ref(redis->port());
  for (int i = 0; i < kConnections; ++i) {
    pipelines.push_back(RandomCommands("c" + std::to_string(i) + ":", kShards, 60, sizes, rng));
    cuts.push_back(RandomCuts(pipelines.back(), 16384, 4, rng));
    expected.push_back(ref.Send(Frame(pipelines.back()), {}, 60));
  }
  std::vector<std::vector<std::string>> got(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      RawClient c(server->port());
      // Not paced: the pieces of six connections race each other.
      const std::string whole = Frame(pipelines[i]);
      std::thread reader([&] {
        for (size_t n = 0; n < pipelines[i].size(); ++n) {
          auto r = c.ReadReply(seconds(30));
          if (!r) break;
          got[i].push_back(std::move(*r));
        }
      });
      size_t pos = 0;
      for (size_t cut : cuts[i]) {
        c.SendRaw(std::string_view(whole).substr(pos, cut - pos));
        pos = cut;
      }
      c.SendRaw(std::string_view(whole).substr(pos));
      reader.join();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kConnections; ++i) {
    SameReplies(expected[i], got[i], pipelines[i], "connection " + std::to_string(i));
  }
  Client info(server->port());
  EXPECT_GT(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_GT(Stat(info, "bigbulk_cross_shard_handoffs"), 0);
  ExpectCleanExit(server);
}

// (c) A command that runs as a chain of hops between shards (MSETNX) does not overtake the
// writes before it on its connection, whether their values were promoted or not.
TEST_F(BigBulkTest, MsetnxDoesNotOvertakeEarlierWrites) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  int overtaken = 0;
  std::string example;
  for (int trial = 0; trial < 200; ++trial) {
    RawClient c(server->port());  // one connection per trial, so they land on every thread
    const std::string key = "m" + std::to_string(trial);
    const std::string value = trial % 2 ? Pattern(20000, trial) : "first";
    const std::vector<Argv> commands = {
        {"SET", key, value}, {"MSETNX", key, "second", "o" + key, "x"}, {"GET", key}};
    c.SendRaw(Frame(commands));
    std::vector<std::string> replies;
    for (size_t i = 0; i < commands.size(); ++i) replies.push_back(c.ReadReply().value_or(""));
    const std::vector<std::string> expected = {
        "+OK\r\n", ":0\r\n", "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n"};
    if (replies == expected) continue;
    if (++overtaken == 1) {
      example = "SET " + key + " <" + std::to_string(value.size()) + " bytes>; MSETNX " + key +
                " second o" + key + " x; GET " + key + " in one write -> " + Show(replies[0]) +
                ", " + Show(replies[1]) + ", " + Show(replies[2], 16);
    }
  }
  EXPECT_EQ(overtaken, 0) << "of 200 connections; the first: " << example;
  ExpectCleanExit(server);
}

// (d) The same workload with BigBulk off and with low thresholds: the same replies and the
// same dataset.
TEST_F(BigBulkTest, OnAndOffGiveTheSameRepliesAndData) {
  const std::vector<size_t> sizes = {0, 7, 1023, 1024, 1025, 4095, 4096, 4097, 9000, 70000, 300000};
  std::mt19937 rng(99);
  std::vector<std::vector<Argv>> pipelines;
  std::vector<std::vector<size_t>> cuts;
  for (int i = 0; i < 6; ++i) {
    pipelines.push_back(RandomCommands("", kShards, 50, sizes, rng));
    cuts.push_back(RandomCuts(pipelines.back(), 1024, 6, rng));
  }
  struct Run {
    std::vector<std::vector<std::string>> replies;
    std::map<std::string, std::pair<std::string, int64_t>> data;
    int64_t promotions = -1;
  };
  auto run = [&](std::vector<std::string> args) {
    Run out;
    args.insert(args.end(), {"--threads", "4"});
    auto server = Start(args);
    if (!server) return out;
    PacedClient c(server->port());
    for (size_t i = 0; i < pipelines.size(); ++i) {
      out.replies.push_back(c.Send(Frame(pipelines[i]), cuts[i], pipelines[i].size()));
    }
    EXPECT_EQ(c.unpaced(), 0);
    out.data = Dump(server->port());
    Client info(server->port());
    out.promotions = Stat(info, "bigbulk_promotions");
    ExpectCleanExit(server);
    return out;
  };
  const Run off = run({"--bigbulk-threshold", "0"});
  const Run on = run({"--bigbulk-threshold", "1024", "--bigbulk-direct-read", "4096"});
  ASSERT_EQ(off.replies.size(), pipelines.size());
  ASSERT_EQ(on.replies.size(), pipelines.size());
  for (size_t i = 0; i < pipelines.size(); ++i) {
    SameReplies(off.replies[i], on.replies[i], pipelines[i],
                "pipeline " + std::to_string(i) + ": BigBulk off (expected) vs on (got)");
  }
  EXPECT_GT(off.data.size(), 10u);
  EXPECT_EQ(off.data.size(), on.data.size());
  for (const auto& [key, entry] : off.data) {
    const auto it = on.data.find(key);
    if (it == on.data.end()) {
      ADD_FAILURE() << "key " << Show(key) << " only with BigBulk off";
      continue;
    }
    if (it->second.first != entry.first) {
      ADD_FAILURE() << "key " << Show(key) << ": " << ShowDifference(entry.first, it->second.first);
    }
    const int64_t a = entry.second, b = it->second.second;
    EXPECT_TRUE(a < 0 ? a == b : (b > 0 && std::abs(a - b) < 10000))
        << "PTTL of " << Show(key) << ": off " << a << ", on " << b;
  }
  EXPECT_EQ(off.promotions, 0);
  EXPECT_GT(on.promotions, 0);
}

}  // namespace
}  // namespace ringside::testing
