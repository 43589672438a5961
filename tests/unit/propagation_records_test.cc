// The propagation record each write handler produces. Where Redis 7.0 already writes a form
// that does not depend on what the key held (read from the appendonly file of a redis-server
// 7.0.15 given the same commands), ringside writes the same: any SET expiry becomes SET k v
// PXAT <ms>, SETEX and PSETEX likewise, GETSET becomes SET, GETDEL and an expiry already past
// become DEL, GETEX becomes PEXPIREAT or PERSIST, INCRBYFLOAT becomes SET of the result with
// KEEPTTL, and a key its TTL removes becomes DEL. Where Redis writes a step (APPEND, INCR,
// SETNX, SET NX/XX/GET, EXPIRE NX/GT), ringside writes the outcome instead, so that a record an
// upstream sees twice (resent after a reconnect, replayed from the journal) leaves the same
// value. A command that changes nothing produces no record.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "command_harness.h"

namespace ringside::testing {
namespace {

using Lines = std::vector<std::string>;

class PropagationRecordsTest : public CommandHarness {
 protected:
  // Runs one command and returns the records it produced.
  Lines Records(std::vector<std::string> args) {
    TakeRecords();
    Run(std::move(args));
    return TakeRecords();
  }
  std::string At(int64_t ms_from_now) { return std::to_string(clock_.NowMs() + ms_from_now); }
};

TEST_F(PropagationRecordsTest, SetExpiriesBecomeAbsolutePxat) {
  EXPECT_EQ(Records({"set", "a", "1", "ex", "100", "nx"}), Lines{"0:SET a 1 PXAT " + At(100000)});
  EXPECT_EQ(Records({"set", "b", "2", "px", "5000", "get"}), Lines{"0:SET b 2 PXAT " + At(5000)});
  EXPECT_EQ(Records({"set", "c", "3", "exat", "99999999999"}),
            Lines{"0:SET c 3 PXAT 99999999999000"});
  EXPECT_EQ(Records({"set", "o", "v", "pxat", "99999999999999", "nx"}),
            Lines{"0:SET o v PXAT 99999999999999"});
  EXPECT_EQ(Records({"setex", "e", "10", "v"}), Lines{"0:SET e v PXAT " + At(10000)});
  EXPECT_EQ(Records({"psetex", "f", "10000", "v"}), Lines{"0:SET f v PXAT " + At(10000)});
}

TEST_F(PropagationRecordsTest, SetWithoutExpiryBecomesPlainSet) {
  EXPECT_EQ(Records({"set", "d", "4", "keepttl"}), Lines{"0:SET d 4"});
  EXPECT_EQ(Records({"Set", "d", "5", "XX", "GET"}), Lines{"0:SET d 5"});
  EXPECT_EQ(Records({"set", "d", "3"}), Lines{"0:SET d 3"});
  // KEEPTTL on a key with a TTL: the TTL it keeps, as an absolute time.
  Run({"set", "t", "1", "pxat", "99999999999999"});
  EXPECT_EQ(Records({"set", "t", "2", "keepttl"}), Lines{"0:SET t 2 PXAT 99999999999999"});
  // Refused by NX: nothing changed, nothing recorded.
  EXPECT_EQ(Records({"set", "d", "6", "nx"}), Lines{});
  EXPECT_EQ(Records({"set", "d", "6", "nx", "ex", "10"}), Lines{});
  // Errors record nothing either.
  EXPECT_EQ(Records({"set", "d", "6", "ex", "0"}), Lines{});
  EXPECT_EQ(Records({"set", "d", "6", "nx", "xx"}), Lines{});
}

TEST_F(PropagationRecordsTest, SetNxGetSetAndGetDel) {
  EXPECT_EQ(Records({"setnx", "g", "v"}), Lines{"0:SET g v"});
  EXPECT_EQ(Records({"setnx", "g", "w"}), Lines{});
  EXPECT_EQ(Records({"getset", "g", "x"}), Lines{"0:SET g x"});
  EXPECT_EQ(Records({"getdel", "g"}), Lines{"0:DEL g"});
  EXPECT_EQ(Records({"getdel", "g"}), Lines{});
}

TEST_F(PropagationRecordsTest, GetExBecomesPexpireatPersistOrDel) {
  Run({"set", "h", "5"});
  EXPECT_EQ(Records({"getex", "h", "ex", "100"}), Lines{"0:PEXPIREAT h " + At(100000)});
  EXPECT_EQ(Records({"getex", "h", "persist"}), Lines{"0:PERSIST h"});
  EXPECT_EQ(Records({"getex", "h", "persist"}), Lines{});  // no TTL left to remove
  EXPECT_EQ(Records({"getex", "h"}), Lines{});
  EXPECT_EQ(Records({"getex", "h", "pxat", "1"}), Lines{"0:DEL h"});
  EXPECT_EQ(Records({"getex", "h", "ex", "10"}), Lines{});  // the key is gone
}

TEST_F(PropagationRecordsTest, InPlaceChangesBecomeTheirOutcome) {
  EXPECT_EQ(Records({"append", "i", "xy"}), Lines{"0:SET i xy"});  // a new key
  EXPECT_EQ(Records({"append", "i", "ab"}), Lines{"0:SETRANGE i 2 ab"});
  EXPECT_EQ(Records({"append", "i", ""}), Lines{});  // changes nothing
  EXPECT_EQ(Records({"setrange", "i", "5", "z"}), Lines{"0:setrange i 5 z"});
  EXPECT_EQ(Records({"setrange", "i", "0", ""}), Lines{});  // changes nothing
  EXPECT_EQ(Records({"incr", "j"}), Lines{"0:SET j 1 KEEPTTL"});
  EXPECT_EQ(Records({"incrby", "j", "5"}), Lines{"0:SET j 6 KEEPTTL"});
  EXPECT_EQ(Records({"decrby", "j", "2"}), Lines{"0:SET j 4 KEEPTTL"});
  EXPECT_EQ(Records({"decr", "j"}), Lines{"0:SET j 3 KEEPTTL"});
  EXPECT_EQ(Records({"incr", "i"}), Lines{});  // not an integer
}

TEST_F(PropagationRecordsTest, IncrByFloatBecomesSetOfTheResult) {
  EXPECT_EQ(Records({"incrbyfloat", "k", "1.5"}), Lines{"0:SET k 1.5 KEEPTTL"});
  EXPECT_EQ(Records({"incrbyfloat", "k", "0.25"}), Lines{"0:SET k 1.75 KEEPTTL"});
  EXPECT_EQ(Records({"incrbyfloat", "k", "abc"}), Lines{});
}

TEST_F(PropagationRecordsTest, ExpireFamilyBecomesPexpireatOfTheOutcome) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Records({"expire", "k", "100", "nx"}), Lines{"0:PEXPIREAT k " + At(100000)});
  EXPECT_EQ(Records({"pexpire", "k", "1000"}), Lines{"0:PEXPIREAT k " + At(1000)});
  EXPECT_EQ(Records({"pexpire", "k", "5000", "lt"}), Lines{});  // not lower: unchanged
  EXPECT_EQ(Records({"expireat", "k", "99999999999", "gt"}),
            Lines{"0:PEXPIREAT k 99999999999000"});
  EXPECT_EQ(Records({"persist", "k"}), Lines{"0:persist k"});
  EXPECT_EQ(Records({"persist", "k"}), Lines{});
  EXPECT_EQ(Records({"expireat", "k", "1"}), Lines{"0:DEL k"});
  EXPECT_EQ(Records({"expire", "k", "10"}), Lines{});  // no such key
}

TEST_F(PropagationRecordsTest, MultiKeyCommandsRecordEachKeyGroupThatChanged) {
  EXPECT_EQ(Records({"mset", "m1", "v", "m2", "w"}), (Lines{"0:mset m1 v", "0:mset m2 w"}));
  EXPECT_EQ(Records({"del", "m1", "m2", "nokey"}), (Lines{"0:del m1", "0:del m2"}));
  EXPECT_EQ(Records({"del", "nokey"}), Lines{});
  Run({"set", "u", "1"});
  EXPECT_EQ(Records({"unlink", "u"}), Lines{"0:unlink u"});
}

TEST_F(PropagationRecordsTest, RecordsCarryTheDatabase) {
  db_ = 3;
  EXPECT_EQ(Records({"set", "x", "1"}), Lines{"3:SET x 1"});
}

// A key its TTL removes goes out as DEL, whether a read found it expired or active expiry
// did, with the key's own database (what redis-server 7.0 wrote for the same).
TEST_F(PropagationRecordsTest, ExpiredKeysBecomeDel) {
  Run({"set", "lazy", "v", "px", "50"});
  Run({"set", "active", "v", "px", "50"});
  db_ = 2;
  Run({"set", "lazy2", "v", "px", "50"});
  clock_.Advance(100);
  EXPECT_EQ(Records({"get", "lazy2"}), Lines{"2:DEL lazy2"});
  db_ = 0;
  EXPECT_EQ(Records({"get", "lazy"}), Lines{"0:DEL lazy"});
  TakeRecords();
  EXPECT_EQ(store_.ActiveExpire(10), 1u);
  EXPECT_EQ(TakeRecords(), Lines{"0:DEL active"});
  // A key still alive is not touched.
  Run({"set", "alive", "v", "px", "1000"});
  TakeRecords();
  EXPECT_EQ(store_.ActiveExpire(10), 0u);
  EXPECT_EQ(Records({"get", "alive"}), Lines{});
}

TEST_F(PropagationRecordsTest, ReadsRecordNothing) {
  Run({"set", "r", "1"});
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"get", "r"},
                                             {"strlen", "r"},
                                             {"getrange", "r", "0", "-1"},
                                             {"mget", "r", "s"},
                                             {"exists", "r"},
                                             {"type", "r"},
                                             {"ttl", "r"},
                                             {"pttl", "r"},
                                             {"touch", "r"}}) {
    EXPECT_EQ(Records(cmd), Lines{}) << cmd[0];
  }
}

// A record stream applied once, then again from any point on (what an upstream sees when the
// records after its last acknowledgement are resent), leaves what applying it once left.
TEST_F(PropagationRecordsTest, RecordsAppliedTwiceFromAnyPointLeaveTheSameData) {
  const std::vector<std::vector<std::string>> workload = {
      {"set", "a", "1"},         {"append", "a", "xy"},     {"append", "s", "new"},
      {"append", "s", "er"},     {"incr", "n"},             {"incrby", "n", "10"},
      {"setnx", "q", "first"},   {"set", "q", "v", "xx"},   {"expire", "q", "100", "nx"},
      {"expire", "q", "50", "gt"}, {"decr", "n"},           {"setrange", "s", "1", "ZZ"},
      {"set", "a", "2", "keepttl"}, {"incrbyfloat", "f", "1.5"}, {"getset", "s", "gs"},
      {"append", "s", "!"},      {"del", "a"},              {"append", "a", "again"},
      {"persist", "q"},          {"pexpire", "n", "90000"}, {"incr", "n"}};
  const std::vector<std::string> keys = {"a", "s", "n", "q", "f"};
  auto snapshot = [&] {
    std::vector<std::string> out;
    for (const std::string& k : keys) out.push_back(Run({"get", k}) + Run({"pttl", k}));
    return out;
  };
  TakeRecords();
  for (const auto& cmd : workload) Run(cmd);
  const std::vector<std::string> expected = snapshot();
  std::vector<std::vector<std::string>> records;
  for (const std::string& line : TakeRecords()) {
    std::vector<std::string> argv;
    size_t start = line.find(':') + 1;
    while (start <= line.size()) {
      const size_t end = std::min(line.find(' ', start), line.size());
      argv.push_back(line.substr(start, end - start));
      start = end + 1;
    }
    records.push_back(std::move(argv));
  }
  ASSERT_GE(records.size(), workload.size() - 1);
  for (size_t from = 0; from < records.size(); ++from) {
    store_.FlushAll();
    for (const auto& r : records) Run(r);
    for (size_t i = from; i < records.size(); ++i) Run(records[i]);
    EXPECT_EQ(snapshot(), expected) << "records resent from " << from;
  }
}

}  // namespace
}  // namespace ringside::testing
