// Pipelined pass-through end to end: ringside (three shards, read-through on) in front of a
// real redis-server. The replies to passed-through commands come back in their place among the
// connection's other replies, and a command passed on only once every shard's writes are
// acknowledged (SINTERSTORE, RPOPLPUSH, EVAL, COPY, BITOP, DBSIZE) sees the writes pipelined
// before it, local or passed on; the replies are compared with a second redis-server seeded
// the same and sent the same pipeline, and the upstream ends up holding what the reference holds.
// Every test starts its own redis-servers and ringside.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/pass_through_support.h"
#include "tests/support/reference_support.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

// PassThroughFixture with one pipeline sent to the reference and to ringside alike.
class PassThroughTest : public PassThroughFixture {
 protected:
  // Sends `commands` pipelined, as one frame, on one connection to the reference and one to
  // ringside, and compares every raw reply. True when all are the same.
  bool SamePipelined(const std::vector<Argv>& commands) {
    PacedClient reference(reference_port()), ringside(ringside_port());
    const std::string frame = Frame(commands);
    const std::vector<std::string> want = reference.Send(frame, {}, commands.size());
    const std::vector<std::string> got = ringside.Send(frame, {}, commands.size());
    return SameRawReplies(commands, want, got);
  }
};

// ~500 commands for one pipeline: strings ringside serves (seeded upstream, and written
// here), hashes, lists and sets passed on a shard's connection, BLPOP on a list that has
// elements, and two MULTI ... EXEC blocks and a WATCH block in the middle, each followed by
// reads of what it wrote. With `multi_key`, also commands passed on only once every shard's
// writes are acknowledged (SINTERSTORE, RPOPLPUSH, EVAL, COPY, BITOP, DBSIZE), right after
// writes of their keys, local or passed on.
std::vector<Argv> OrderingCommands(bool multi_key) {
  constexpr size_t kCommands = 500;
  std::mt19937 rng(multi_key ? 20250118 : 20250117);
  const auto pick = [&](const std::string& prefix, int n) {
    return prefix + std::to_string(rng() % n);
  };
  std::vector<Argv> commands;
  const auto transaction = [&] {
    const std::string s = pick("o:s", 12), c = pick("o:c", 6), h = pick("o:h", 8),
                      l = pick("o:l", 6), seeded = pick("o:seed", 30);
    const std::string at = std::to_string(commands.size());
    commands.insert(commands.end(), {{"MULTI"},
                                     {"SET", s, "in multi " + at},
                                     {"INCR", c},
                                     {"HSET", h, "m", at},
                                     {"LPUSH", l, "m"},
                                     {"APPEND", seeded, "+m"},
                                     {"GET", s},
                                     {"HGETALL", h},
                                     {"EXEC"},
                                     {"GET", s},
                                     {"GET", c},
                                     {"GET", seeded},
                                     {"HGET", h, "m"}});
  };
  bool watched = false;
  int transactions = 0;
  while (commands.size() < kCommands - 18) {
    if ((transactions == 0 && commands.size() >= 150) ||
        (transactions == 1 && commands.size() >= 330)) {
      transaction();
      ++transactions;
      continue;
    }
    if (!watched && commands.size() >= 250) {
      const std::string s = pick("o:s", 12), c = pick("o:c", 6);
      commands.insert(commands.end(), {{"WATCH", s}, {"GET", s}, {"MULTI"}, {"INCR", c},
                                       {"EXEC"}, {"GET", c}, {"WATCH", c}, {"UNWATCH"},
                                       {"INCR", c}});
      watched = true;
      continue;
    }
    const std::string s = pick("o:s", 12), seeded = pick("o:seed", 30), c = pick("o:c", 6),
                      h = pick("o:h", 8), l = pick("o:l", 6), st = pick("o:set", 4);
    const std::string v = "v" + std::to_string(commands.size());
    switch (rng() % (multi_key ? 19 : 13)) {
      case 0:
        commands.push_back({"SET", s, v});
        break;
      case 1:
        commands.push_back({"GET", s});
        break;
      case 2:
        commands.push_back({"GET", seeded});
        break;
      case 3:
        commands.push_back({"APPEND", seeded, "+"});
        break;
      case 4:
        commands.push_back({"INCR", c});
        break;
      case 5:
        commands.push_back({"HSET", h, "f" + std::to_string(rng() % 3), v});
        break;
      case 6:
        commands.push_back({"HGETALL", h});
        break;
      case 7:
        commands.push_back({"HINCRBY", h, "n", "2"});
        break;
      case 8:
        commands.push_back({"RPUSH", l, v});
        break;
      case 9:
        commands.push_back({"LRANGE", l, "0", "-1"});
        break;
      case 10:
        commands.push_back({"SADD", st, std::to_string(rng() % 20)});
        commands.push_back({"SCARD", st});
        break;
      case 11:
        commands.push_back({"MGET", s, seeded, c, h});
        break;
      case 12:
        commands.push_back({"LPUSH", l, "pop me"});
        commands.push_back({"BLPOP", l, "1"});
        break;
      // Only with multi_key.
      case 13:
        commands.push_back({"SINTERSTORE", "o:inter", st, pick("o:set", 4)});
        commands.push_back({"SCARD", "o:inter"});
        break;
      case 14:
        commands.push_back({"RPOPLPUSH", l, pick("o:l", 6)});
        break;
      case 15:
        commands.push_back({"INCR", c});
        commands.push_back({"EVAL",
                            "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCR', KEYS[2])",
                            "2", s, c, "by script " + std::to_string(commands.size())});
        commands.push_back({"GET", s});
        break;
      case 16:
        commands.push_back({"SET", s, v});
        commands.push_back({"COPY", s, "o:copy", "REPLACE"});
        commands.push_back({"GET", "o:copy"});
        break;
      case 17:
        commands.push_back({"APPEND", seeded, "#"});
        commands.push_back({"BITOP", "NOT", "o:not", seeded});
        commands.push_back({"GET", "o:not"});
        break;
      case 18:
        commands.push_back({"HSET", pick("o:new", 1000), "f", v});
        commands.push_back({"DBSIZE"});
        break;
    }
  }
  for (int i = 0; i < 12; ++i) commands.push_back({"GET", "o:s" + std::to_string(i)});
  for (int i = 0; i < 6; ++i) commands.push_back({"GET", "o:c" + std::to_string(i)});
  EXPECT_GE(commands.size(), kCommands);
  EXPECT_EQ(transactions, 2);
  EXPECT_TRUE(watched);
  for (int s = 0; s < kShards; ++s) {
    EXPECT_TRUE(std::any_of(commands.begin(), commands.end(), [&](const Argv& cmd) {
      return cmd.size() > 1 && cmd[0] == "HSET" && KeyShard(cmd[1], kShards) == s;
    })) << "no hash on shard " << s;
  }
  return commands;
}

std::vector<Argv> OrderingSeed() {
  std::vector<Argv> seed;
  for (int i = 0; i < 30; ++i) {
    seed.push_back({"SET", "o:seed" + std::to_string(i), "s" + std::to_string(i)});
  }
  for (int i = 0; i < 6; ++i) seed.push_back({"RPUSH", "o:l" + std::to_string(i), "a", "b"});
  return seed;
}

// OrderingCommands pipelined on one connection: every reply, in order, is the reference's to
// the same pipeline, and the upstream ends up holding what the reference holds.
TEST_F(PassThroughTest, PipelinedRepliesKeepTheirOrder) {
  ASSERT_NO_FATAL_FAILURE(StartAll(OrderingSeed()));
  const std::vector<Argv> commands = OrderingCommands(/*multi_key=*/false);
  const int64_t passed = UpNumber("upstream_passed_through");
  EXPECT_TRUE(SamePipelined(commands));
  EXPECT_GT(UpNumber("upstream_passed_through"), passed + 100) << UpstreamSection(proxy());
  ExpectUpstreamLikeReference();
}

// The same with commands passed on once every shard's writes are acknowledged, right after
// local writes of their keys in the same pipeline.
TEST_F(PassThroughTest, PipelinedMultiKeyPassThroughKeepsItsPlace) {
  ASSERT_NO_FATAL_FAILURE(StartAll(OrderingSeed()));
  EXPECT_TRUE(SamePipelined(OrderingCommands(/*multi_key=*/true)));
  ExpectUpstreamLikeReference();
}

// A local write, then, in the same pipeline, a command passed on once every shard's writes are
// acknowledged that uses the key, on keys of every shard.
// The barrier must not reach another shard ahead of writes still batched or waiting for a
// fetch there: if it did, INCR k; EVAL "INCR k" pipelined would leave k one short.
TEST_F(PassThroughTest, MultiKeyPassThroughSeesEarlierPipelinedWrites) {
  std::vector<Argv> seed;
  for (int i = 0; i < 12; ++i) seed.push_back({"SET", "c" + std::to_string(i), "1"});
  ASSERT_NO_FATAL_FAILURE(StartAll(seed));
  std::vector<Argv> commands;
  for (int i = 0; i < 12; ++i) {
    const std::string n = std::to_string(i);
    commands.insert(commands.end(),
                    {{"INCR", "c" + n},
                     {"EVAL", "return redis.call('INCR', KEYS[1])", "1", "c" + n},
                     {"SET", "src" + n, "v" + n},
                     {"COPY", "src" + n, "dst" + n},
                     {"SET", "bs" + n, "abc"},
                     {"BITOP", "NOT", "bd" + n, "bs" + n}});
  }
  EXPECT_TRUE(SamePipelined(commands));
  ExpectUpstreamLikeReference();
}

// A write passed on a shard's connection (HSET, RPUSH), then, in the same pipeline, a command
// passed on once every shard's writes are acknowledged (DBSIZE, EVAL, RPOPLPUSH) that must see
// it; 100 rounds in one pipeline.
// The barrier waits for the shards' records only, so the command must also wait for the
// connection's passed-through commands still unanswered; one that overtakes them does so only
// now and then, hence the hundred rounds.
TEST_F(PassThroughTest, MultiKeyPassThroughSeesEarlierPassedThroughWrites) {
  ASSERT_NO_FATAL_FAILURE(StartAll());
  std::vector<Argv> commands;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    commands.insert(commands.end(),
                    {{"HSET", "h" + n, "f", "v"},
                     {"DBSIZE"},
                     {"HSET", "x" + n, "f", "v" + n},
                     {"EVAL", "return redis.call('HGET', KEYS[1], 'f')", "1", "x" + n},
                     {"RPUSH", "l" + n, "a"},
                     {"RPOPLPUSH", "l" + n, "m" + n}});
  }
  EXPECT_TRUE(SamePipelined(commands));
  ExpectUpstreamLikeReference();
}

}  // namespace
}  // namespace ringside::testing
