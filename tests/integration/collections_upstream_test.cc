// Hashes, sets, lists and bitmaps in front of a real upstream with read-through off, where
// ringside's store is the dataset and its records are all the upstream hears: the same commands
// sent to ringside and to a reference redis-server give the same replies, and the upstream ends up
// holding what the reference holds (each record Redis's own command for what the key became:
// SPOP as SREM or DEL, gathered results as DEL + SADD, BITFIELD as SETRANGE, COPY and RESTORE
// as the destination's HSET/SADD).
#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/pass_through_support.h"
#include "tests/support/reference_support.h"

namespace ringside::testing {
namespace {

class CollectionsUpstreamTest : public ReferenceTest {};

TEST_F(CollectionsUpstreamTest, RecordsLeaveTheUpstreamLikeTheReference) {
  read_through_ = false;
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_NO_FATAL_FAILURE(StartReference());
  ASSERT_NO_FATAL_FAILURE(StartProxy());
  std::vector<Argv> commands = {
      {"HSET", "h1", "a", "1", "b", "2", "c", "3"},
      {"HINCRBY", "h1", "a", "41"},
      {"HINCRBYFLOAT", "h1", "f", "0.1"},
      {"HINCRBYFLOAT", "h1", "f", "0.2"},
      {"HSETNX", "h1", "b", "no"},
      {"HSETNX", "h1", "new", "yes"},
      {"HDEL", "h1", "c", "missing"},
      {"HSET", "h2", "only", "x"},
      {"HDEL", "h2", "only"},
      {"SADD", "s1", "1", "2", "3", "a"},
      {"SADD", "s2", "3", "4", "a", "b"},
      {"SREM", "s1", "2"},
      {"SMOVE", "s1", "s3", "1"},
      {"SMOVE", "s2", "s2", "b"},
      {"SUNIONSTORE", "union", "s1", "s2", "s3"},
      {"SINTERSTORE", "inter", "s1", "s2"},
      {"SDIFFSTORE", "diff", "s2", "s1"},
      {"SINTERSTORE", "union", "s1", "missing"},
      {"SADD", "popped", "3", "1", "2"},  // an intset: popped in ascending order by both
      {"SPOP", "popped", "10"},
      {"SADD", "pop1", "only"},
      {"SPOP", "pop1"},
      {"SETBIT", "bits", "7", "1"},
      {"SETBIT", "bits", "100", "1"},
      {"BITFIELD", "bits", "INCRBY", "u8", "8", "250", "INCRBY", "u8", "8", "10"},
      {"SET", "str", "abc"},
      {"BITOP", "XOR", "xored", "str", "bits"},
      {"COPY", "h1", "h1-copy"},
      {"COPY", "s2", "s2-db1", "DB", "1"},
      {"MOVE", "inter", "2"},
      {"RENAME", "s3", "s3-renamed"},
      {"EXPIRE", "h1-copy", "3600"},
      {"HSET", "h1-copy", "after-expire", "1"},
      {"APPEND", "str", "def"},
      {"SETRANGE", "str", "1", "ZZ"},
      {"RESTORE", "restored", "0",
       std::string("\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00\x0a\x00\xa5"
                   "\x02\x5c\xe2\x6d\x6e\x4d\x1b",
                   26)},
      {"SADD", "restored", "4"},
      {"RPUSH", "l1", "a", "b", "c", "1", "2"},
      {"LPUSH", "l1", "z"},
      {"LPUSHX", "l1", "y"},
      {"RPUSHX", "nolist", "x"},
      {"LINSERT", "l1", "AFTER", "b", "b2"},
      {"LSET", "l1", "0", "Y"},
      {"LREM", "l1", "-1", "2"},
      {"LTRIM", "l1", "0", "4"},
      {"LPOP", "l1"},
      {"RPOP", "l1", "2"},
      {"RPUSH", "l2", "only"},
      {"RPOP", "l2"},
      {"RPUSH", "l3", "x", "y"},
      {"COPY", "l3", "l3-copy"},
      {"RENAME", "l3", "l3-renamed"},
      {"EXPIRE", "l3-copy", "3600"},
      {"RPUSH", "l3-copy", "after-expire"},
  };
  EXPECT_TRUE(SameOneByOne(commands));
  ExpectUpstreamLikeReference();
}

}  // namespace
}  // namespace ringside::testing
