// Differential fuzzer: random command sequences over a small key space, across every type
// ringside serves (strings, bitmaps, hashes, sets, keys), sent to ringside (--threads 4, so
// multi-key commands cross shards) and to redis-server one at a time; every reply must match
// byte for byte (as a sorted multiset where Redis's own order is its hash table's), and every
// few hundred commands, and at the end, the two datasets must be the same (types, contents,
// TTLs); at the end every key ringside DUMPs must RESTORE into redis-server as what it holds. Both
// servers run with small encoding limits so that collections convert often.
//
// RINGSIDE_FUZZ_COMMANDS (default 4000 per seed) and RINGSIDE_FUZZ_SEED (default: the fixed
// seeds below) make longer runs by hand; RINGSIDE_TEST_TARGET=redis checks the generator
// against itself (two redis-servers).
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "tests/support/paced_client.h"
#include "tests/support/raw_client.h"
#include "tests/support/server_process.h"

namespace ringside::testing {
namespace {

using Argv = std::vector<std::string>;

// How a command's reply is compared.
enum class Compare { kExact, kSorted, kType };

struct Command {
  Argv argv;
  Compare compare = Compare::kExact;
};

// Both servers get these, so that small collections convert to hash tables and back-to-back
// commands see both encodings.
const Argv kServerArgs = {"--hash-max-listpack-entries", "4", "--hash-max-listpack-value", "8",
                          "--set-max-intset-entries",    "4"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Command Next() {
    switch (Pick(5)) {
      case 0:
        return String();
      case 1:
        return Bits();
      case 2:
        return Hash();
      case 3:
        return Set();
      default:
        return Keys();
    }
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  template <class T>
  const T& One(const std::vector<T>& v) {
    return v[Pick(v.size())];
  }
  // A few keys spread over the shards, and a few that share a hash tag.
  std::string Key() {
    static const std::vector<std::string> keys = {"a", "b", "c", "d", "e", "{t}x", "{t}y", "{t}z"};
    return One(keys);
  }
  std::string Member() {
    static const std::vector<std::string> m = {"1",
                                               "2",
                                               "3",
                                               "-5",
                                               "10",
                                               "007",
                                               "a",
                                               "b",
                                               "c",
                                               "x y",
                                               "",
                                               "9223372036854775807",
                                               "longer-than-eight-bytes"};
    return One(m);
  }
  std::string Field() {
    static const std::vector<std::string> f = {"f1", "f2", "f3", "f4", "f5", "", "field-long"};
    return One(f);
  }
  std::string Number() {
    static const std::vector<std::string> n = {"0", "1", "-1", "7", "100", "-100", "x", "1.5"};
    return One(n);
  }
  std::string Float() {
    static const std::vector<std::string> n = {"0.5", "-1.25", "3", "1e3", "x", "inf"};
    return One(n);
  }
  std::string Index() {
    static const std::vector<std::string> n = {"0", "1", "2", "-1", "-2", "5", "100", "-100"};
    return One(n);
  }
  // Absolute times far in the future keep EXPIRETIME deterministic.
  std::string When() { return std::to_string(4102444800 + static_cast<int64_t>(Pick(1000))); }

  Command String() {
    const std::string k = Key();
    switch (Pick(10)) {
      case 0:
        return {{"SET", k, Member()}};
      case 1:
        return {{"GET", k}};
      case 2:
        return {{"APPEND", k, Member()}};
      case 3:
        return {{"INCRBY", k, Number()}};
      case 4:
        return {{"INCRBYFLOAT", k, Float()}};
      case 5:
        return {{"SETRANGE", k, One(std::vector<std::string>{"0", "3", "10"}), Member()}};
      case 6:
        return {{"GETRANGE", k, Index(), Index()}};
      case 7:
        return {{"STRLEN", k}};
      case 8:
        return {{"GETDEL", k}};
      default:
        return {{"MSET", k, Member(), Key(), Member()}};
    }
  }

  Command Bits() {
    const std::string k = Key();
    switch (Pick(7)) {
      case 0:
        return {{"SETBIT", k, std::to_string(Pick(40)), std::to_string(Pick(2))}};
      case 1:
        return {{"GETBIT", k, std::to_string(Pick(40))}};
      case 2:
        return {{"BITCOUNT", k, Index(), Index(), One(std::vector<std::string>{"BYTE", "BIT"})}};
      case 3:
        return {{"BITPOS", k, std::to_string(Pick(2)), Index()}};
      case 4:
        return {{"BITFIELD", k, "OVERFLOW", One(std::vector<std::string>{"WRAP", "SAT", "FAIL"}),
                 "INCRBY", One(std::vector<std::string>{"u4", "i8", "u16"}),
                 std::to_string(Pick(20)), Number(), "GET", "i8", "0"}};
      case 5:
        return {{"BITOP", One(std::vector<std::string>{"AND", "OR", "XOR"}), Key(), k, Key()}};
      default:
        return {{"LCS", k, Key()}};
    }
  }

  Command Hash() {
    const std::string k = Key();
    switch (Pick(13)) {
      case 0:
      case 1:
        return {{"HSET", k, Field(), Member(), Field(), Member()}};
      case 2:
        return {{"HGET", k, Field()}};
      case 3:
        return {{"HDEL", k, Field(), Field()}};
      case 4:
        return {{"HINCRBY", k, Field(), Number()}};
      case 5:
        return {{"HINCRBYFLOAT", k, Field(), Float()}};
      case 6:
        return {{"HLEN", k}};
      case 7:
        return {{"HMGET", k, Field(), Field()}};
      case 8:
        return {{"HSETNX", k, Field(), Member()}};
      case 9:
        return {{"HSTRLEN", k, Field()}};
      case 10:
        return {{"HEXISTS", k, Field()}};
      case 11:
        return {{"HGETALL", k}, Compare::kSorted};
      default:
        return {{One(std::vector<std::string>{"HKEYS", "HVALS"}), k}, Compare::kSorted};
    }
  }

  Command Set() {
    const std::string k = Key();
    switch (Pick(14)) {
      case 0:
      case 1:
        return {{"SADD", k, Member(), Member(), Member()}};
      case 2:
        return {{"SREM", k, Member(), Member()}};
      case 3:
        return {{"SISMEMBER", k, Member()}};
      case 4:
        return {{"SMISMEMBER", k, Member(), Member()}};
      case 5:
        return {{"SCARD", k}};
      case 6:
        return {{"SMEMBERS", k}, Compare::kSorted};
      case 7:
        return {{One(std::vector<std::string>{"SINTER", "SUNION", "SDIFF"}), k, Key()},
                Compare::kSorted};
      case 8:
        return {{One(std::vector<std::string>{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}), Key(),
                 k, Key()}};
      case 9:
        return {{"SINTERCARD", "2", k, Key()}};
      case 10:
        return {{"SMOVE", k, Key(), Member()}};
      case 11:
        // A count at least the set's size takes all of it: deterministic.
        return {{"SPOP", k, "100"}, Compare::kSorted};
      case 12:
        return {{"SRANDMEMBER", k, "100"}, Compare::kSorted};
      default:
        return {{"SRANDMEMBER", k, "-3"}, Compare::kType};
    }
  }

  Command Keys() {
    const std::string k = Key();
    switch (Pick(10)) {
      case 0:
        return {{"DEL", k, Key()}};
      case 1:
        return {{"EXISTS", k, Key()}};
      case 2:
        return {{"TYPE", k}};
      case 3:
        return {{"RENAME", k, Key()}};
      case 4:
        return {{"COPY", k, Key(), "REPLACE"}};
      case 5:
        return {{"EXPIREAT", k, When()}};
      case 6:
        return {{"EXPIRETIME", k}};
      case 7:
        return {{"PERSIST", k}};
      case 8:
        return {{"OBJECT", "ENCODING", k}};
      default:
        return {{"RENAMENX", k, Key()}};
    }
  }

  std::mt19937_64 rng_;
};

std::string Show(const Argv& argv) {
  std::string out;
  for (const auto& a : argv) out += "\"" + a + "\" ";
  return out;
}

std::string ReplyType(const std::string& r) { return r.empty() ? "" : r.substr(0, 1); }

bool Same(const Command& c, const std::string& got, const std::string& want) {
  switch (c.compare) {
    case Compare::kExact:
      return got == want;
    case Compare::kType:
      return ReplyType(got) == ReplyType(want);
    case Compare::kSorted: {
      if (got.substr(0, got.find("\r\n")) != want.substr(0, want.find("\r\n"))) return false;
      auto a = SortedAggregate(got), b = SortedAggregate(want);
      return a && b ? *a == *b : got == want;
    }
  }
  return false;
}

// "" when both hold the same keys with the same values and TTLs (those read a moment apart:
// within a second of each other), else the first difference.
std::string DatasetDifference(const Db& ours, const Db& theirs) {
  for (const auto& [key, want] : theirs) {
    const auto it = ours.find(key);
    if (it == ours.end()) return "ringside lacks " + key;
    const auto& [value, pttl] = it->second;
    if (value != want.first) return key + ": " + value + " instead of " + want.first;
    const bool ttl_ok = want.second < 0 ? pttl == want.second : std::abs(pttl - want.second) < 1000;
    if (!ttl_ok) {
      return key + ": PTTL " + std::to_string(pttl) + " instead of " + std::to_string(want.second);
    }
  }
  for (const auto& [key, v] : ours) {
    if (!theirs.contains(key)) return "ringside has " + key + " (" + v.first + ")";
  }
  return "";
}

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoll(v) : fallback;
}

class DifferentialFuzz : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DifferentialFuzz, RepliesAndDatasetsMatchRedis) {
  Argv ringside_args = {"--threads", "4"};
  ringside_args.insert(ringside_args.end(), kServerArgs.begin(), kServerArgs.end());
  auto subject = ServerProcess::StartRingside(ringside_args);
  auto reference = ServerProcess::StartRedis(kServerArgs);
  ASSERT_NE(subject, nullptr);
  ASSERT_NE(reference, nullptr);
  RawClient ours(subject->port()), theirs(reference->port());
  const int64_t seed_override = EnvOr("RINGSIDE_FUZZ_SEED", 0);
  const uint64_t seed = seed_override != 0 ? static_cast<uint64_t>(seed_override) : GetParam();
  const int64_t commands = EnvOr("RINGSIDE_FUZZ_COMMANDS", 4000);
  Generator gen(seed);
  std::deque<std::string> recent;  // the last commands and replies, for a failure report
  auto report = [&] {
    std::string out;
    for (const auto& line : recent) out += line + "\n";
    return out;
  };
  for (int64_t i = 0; i < commands; ++i) {
    const Command c = gen.Next();
    const std::string got = ours.Call(c.argv);
    const std::string want = theirs.Call(c.argv);
    recent.push_back(Show(c.argv) + "-> " + want.substr(0, 120));
    if (recent.size() > 30) recent.pop_front();
    ASSERT_TRUE(Same(c, got, want))
        << "seed " << seed << ", command " << i << ": " << Show(c.argv) << "\n  redis:    " << want
        << "\n  ringside: " << got << "\nthe commands before it:\n"
        << report();
    if (i % 500 == 499 || i + 1 == commands) {
      const std::string diff =
          DatasetDifference(DumpAll(subject->port(), 1)[0], DumpAll(reference->port(), 1)[0]);
      ASSERT_EQ(diff, "") << "seed " << seed << ": the datasets differ after command " << i << "\n"
                          << report();
    }
  }
  // Every key as ringside DUMPs it, RESTOREd into the reference's database 1: the same data
  // as the reference's database 0 holds.
  {
    RawClient into(reference->port());
    ASSERT_EQ(into.Call({"SELECT", "1"}), "+OK\r\n");
    const std::vector<Db> held = DumpAll(subject->port(), 1);
    for (const auto& [key, value] : held[0]) {
      const std::string dump = ours.Call({"DUMP", key});
      const size_t eol = dump.find("\r\n");
      ASSERT_TRUE(dump.starts_with("$") && eol != std::string::npos) << key << ": " << dump;
      const std::string payload = dump.substr(eol + 2, dump.size() - eol - 4);
      ASSERT_EQ(into.Call({"RESTORE", key, "0", payload}), "+OK\r\n") << "RESTORE of " << key;
    }
    const std::vector<Db> both = DumpAll(reference->port(), 2);
    ASSERT_EQ(both[0].size(), both[1].size());
    for (const auto& [key, value] : both[0]) {
      ASSERT_TRUE(both[1].contains(key)) << key;
      EXPECT_EQ(both[1].at(key).first, value.first) << "DUMP of " << key << " restored differently";
    }
  }
  RecordProperty("commands", std::to_string(commands));
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialFuzz, ::testing::Values(1, 2, 3, 4, 5));

}  // namespace
}  // namespace ringside::testing
