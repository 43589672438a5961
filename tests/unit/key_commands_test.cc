// Key commands through the in-process harness. Expected replies were checked byte for byte
// against redis-server 7.0.
#include <string>

#include "command_harness.h"

namespace ringside::testing {
namespace {

using KeyCommands = CommandHarness;

constexpr std::string_view kNotInt = "ERR value is not an integer or out of range";

TEST_F(KeyCommands, DelUnlinkExistsTouch) {
  Run({"MSET", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(Run({"EXISTS", "a", "a", "b", "nokey"}), Int(3));  // repeats count
  EXPECT_EQ(Run({"TOUCH", "a", "a", "nokey"}), Int(2));
  EXPECT_EQ(Run({"DEL", "a", "a", "nokey"}), Int(1));
  EXPECT_EQ(Run({"UNLINK", "b", "c"}), Int(2));
  EXPECT_EQ(Run({"EXISTS", "a", "b", "c"}), Int(0));
  EXPECT_EQ(Run({"DEL", "x"}), Int(0));
}

TEST_F(KeyCommands, MultiKeyHandlersSumWhenGivenManyKeys) {
  // The dispatcher calls these per key, but a whole call must add up too.
  Run({"MSET", "a", "1", "b", "2"});
  std::vector<std::string_view> args{"exists", "a", "b", "nokey", "a"};
  std::string out;
  resp::Writer w(&out);
  proxy::CommandContext ctx;
  ctx.args = args;
  ctx.store = &store_;
  ctx.out = &w;
  proxy::CommandTable::Get().Find("exists")->handler(ctx);
  EXPECT_EQ(out, Int(3));
  out.clear();
  args[0] = "del";
  proxy::CommandTable::Get().Find("del")->handler(ctx);
  EXPECT_EQ(out, Int(2));
}

TEST_F(KeyCommands, DelOfExpiredKeyCountsNothing) {
  Run({"SET", "k", "v", "PX", "10"});
  clock_.Advance(11);
  EXPECT_EQ(Run({"DEL", "k"}), Int(0));
  EXPECT_EQ(store_.stats().expired_keys, 1u);
}

TEST_F(KeyCommands, Type) {
  EXPECT_EQ(Run({"TYPE", "k"}), "+none\r\n");
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"TYPE", "k"}), "+string\r\n");
}

TEST_F(KeyCommands, TtlFamily) {
  EXPECT_EQ(Run({"TTL", "k"}), Int(-2));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(-2));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(-2));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(-2));
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(-1));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(-1));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(-1));
  EXPECT_EQ(Run({"EXPIREAT", "k", "5000000000"}), Int(1));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(5000000000));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(5000000000000));
  EXPECT_EQ(Run({"PEXPIREAT", "k", "5000000001999"}), Int(1));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(5000000002));  // rounds to the nearest second
  EXPECT_EQ(Run({"PEXPIREAT", "k", "5000000001499"}), Int(1));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(5000000001));
}

TEST_F(KeyCommands, TtlRoundsToNearestSecond) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"PEXPIRE", "k", "1500"}), Int(1));
  EXPECT_EQ(Run({"TTL", "k"}), Int(2));
  EXPECT_EQ(Run({"PEXPIRE", "k", "1499"}), Int(1));
  EXPECT_EQ(Run({"TTL", "k"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRE", "k", "499"}), Int(1));
  EXPECT_EQ(Run({"TTL", "k"}), Int(0));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(499));
  clock_.Advance(499);
  EXPECT_EQ(Run({"PTTL", "k"}), Int(0));
  clock_.Advance(1);
  EXPECT_EQ(Run({"PTTL", "k"}), Int(-2));
}

TEST_F(KeyCommands, ExpireVariants) {
  Run({"SET", "k", "v"});
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(Run({"EXPIRE", "k", "100"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(now + 100000));
  EXPECT_EQ(Run({"PEXPIRE", "k", "1234"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(now + 1234));
  EXPECT_EQ(Run({"EXPIREAT", "k", std::to_string(now / 1000 + 60)}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int((now / 1000 + 60) * 1000));
  EXPECT_EQ(Run({"PEXPIREAT", "k", std::to_string(now + 42)}), Int(1));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(42));
  EXPECT_EQ(Run({"EXPIRE", "nokey", "100"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "nokey"}), Int(0));
}

TEST_F(KeyCommands, ExpireInThePastDeletes) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"EXPIRE", "k", "0"},
           {"EXPIRE", "k", "-1"},
           {"PEXPIRE", "k", "-9223372036854775808"},
           {"EXPIREAT", "k", "1"},
           {"PEXPIREAT", "k", std::to_string(clock_.NowMs())},  // "now" counts as past
       }) {
    Run({"SET", "k", "v"});
    EXPECT_EQ(Run(args), Int(1)) << args[0] << " " << args[2];
    EXPECT_EQ(Run({"EXISTS", "k"}), Int(0)) << args[0] << " " << args[2];
  }
}

TEST_F(KeyCommands, ExpireOverflowAndBadNumbers) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"EXPIRE", "k", "-9223372036854775808"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"PEXPIRE", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'pexpire' command"));
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expireat' command"));
  EXPECT_EQ(Run({"EXPIRE", "k", "abc"}), Err(kNotInt));
  EXPECT_EQ(Run({"EXPIRE", "nokey", "abc"}), Err(kNotInt));
  EXPECT_EQ(Run({"EXPIRE", "k", "1.5"}), Err(kNotInt));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  // An absolute time needs no addition, so the largest value is fine.
  EXPECT_EQ(Run({"PEXPIREAT", "k", "9223372036854775807"}), Int(1));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(9223372036854775807 - clock_.NowMs()));
}

TEST_F(KeyCommands, ExpireOptionErrors) {
  Run({"SET", "k", "v"});
  const std::string nx_err =
      Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX", "XX"}), nx_err);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "nx", "gt"}), nx_err);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT", "NX"}), nx_err);
  EXPECT_EQ(Run({"EXPIRE", "nokey", "100", "NX", "XX"}), nx_err);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT", "LT"}),
            Err("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "foo"}), Err("ERR Unsupported option foo"));
  // Options are checked before the number.
  EXPECT_EQ(Run({"EXPIRE", "k", "abc", "foo"}), Err("ERR Unsupported option foo"));
  EXPECT_EQ(Run({"PEXPIREAT", "k", "100", "XX", "GT", "bar"}), Err("ERR Unsupported option bar"));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
}

TEST_F(KeyCommands, ExpireConditions) {
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), Int(0));  // no TTL yet
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), Int(0));  // no TTL = forever, nothing greater
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT"}), Int(1));  // anything is less than forever
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX"}), Int(0));
  EXPECT_EQ(Run({"TTL", "k"}), Int(100));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), Int(0));  // equal is not greater
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "GT"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "300", "LT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "LT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "150", "XX"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "160", "xx", "gt"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX", "nx"}), Int(0));
  EXPECT_EQ(Run({"TTL", "k"}), Int(160));
  // A condition that fails stops even a past time from deleting the key.
  EXPECT_EQ(Run({"EXPIRE", "k", "0", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "-1", "LT"}), Int(1));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  Run({"SET", "k", "v"});
  EXPECT_EQ(Run({"EXPIRE", "k", "-1", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "NX"}), Int(1));
}

TEST_F(KeyCommands, Persist) {
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(0));
  Run({"SET", "k", "v", "EX", "10"});
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  clock_.Advance(20000);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(store_.ExpiresCount(0), 0u);
}

TEST_F(KeyCommands, LazyAndActiveExpiry) {
  Run({"SET", "a", "1", "PX", "100"});
  Run({"SET", "b", "2", "PX", "200"});
  Run({"SET", "c", "3", "EX", "1"});
  Run({"SET", "d", "4"});
  EXPECT_EQ(store_.ExpiresCount(0), 3u);
  EXPECT_EQ(store_.AvgTtlMs(0), (100 + 200 + 1000) / 3);
  clock_.Advance(150);
  EXPECT_EQ(store_.KeyCount(0), 4u);      // nothing touched "a" yet
  EXPECT_EQ(Run({"TTL", "a"}), Int(-2));  // lazy expiry on access
  EXPECT_EQ(store_.KeyCount(0), 3u);
  clock_.Advance(100);
  EXPECT_EQ(store_.ActiveExpire(100), 1u);  // "b"
  EXPECT_EQ(store_.KeyCount(0), 2u);
  clock_.Advance(1000);
  EXPECT_EQ(store_.ActiveExpire(100), 1u);  // "c"
  EXPECT_EQ(store_.stats().expired_keys, 3u);
  EXPECT_EQ(Run({"MGET", "a", "b", "c", "d"}), "*4\r\n$-1\r\n$-1\r\n$-1\r\n$1\r\n4\r\n");
}

TEST_F(KeyCommands, ReadsCountHitsAndMisses) {
  Run({"SET", "k", "v"});
  Run({"EXISTS", "k", "nokey"});
  Run({"TYPE", "k"});
  Run({"TTL", "nokey"});
  EXPECT_EQ(store_.stats().keyspace_hits, 2u);
  EXPECT_EQ(store_.stats().keyspace_misses, 2u);
  Run({"EXPIRE", "k", "100"});
  Run({"PERSIST", "k"});
  Run({"DEL", "k"});
  EXPECT_EQ(store_.stats().keyspace_hits, 2u);
  EXPECT_EQ(store_.stats().keyspace_misses, 2u);
}

}  // namespace
}  // namespace ringside::testing
