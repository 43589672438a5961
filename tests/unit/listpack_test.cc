// The listpack against the bytes redis-server 7.0.15 itself produced: each expected buffer
// below is the listpack inside `DUMP` of a hash built with the same HSET (rdbcompression no),
// so every integer and string encoding and every backlen is Redis's. Then what the hash
// commands will do with it: finding fields, replacing values in place with another encoding,
// erasing pairs, and adopting a listpack from elsewhere only when it is well-formed.
#include "shards/types/listpack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shards/number_text.h"

namespace ringside::shards {
namespace {

using namespace std::string_literals;

Listpack Of(const std::vector<std::string>& items) {
  Listpack lp;
  for (const std::string& s : items) lp.Append(s);
  return lp;
}

std::vector<std::string> Items(const Listpack& lp) {
  std::vector<std::string> out;
  std::string buf;
  for (Listpack::Pos p = lp.First(); p != lp.End(); p = lp.Next(p)) {
    out.emplace_back(lp.Get(p).View(&buf));
  }
  return out;
}

// HSET h a 1 b hello c -5 d 300 e 70000 f 5000000000
TEST(Listpack, SmallStringsAndIntegersAreEncodedAsRedisEncodesThem) {
  const std::vector<std::string> items = {"a", "1",   "b", "hello", "c", "-5",
                                          "d", "300", "e", "70000", "f", "5000000000"};
  const Listpack lp = Of(items);
  const std::string redis =
      "\x37\x00\x00\x00\x0c\x00\x81"
      "a\x02\x01\x01\x81"
      "b\x02\x85hello\x06\x81"
      "c\x02\xdf\xfb\x02\x81"
      "d\x02\xc1,\x02\x81"
      "e\x02\xf2p\x11\x01\x04\x81"
      "f\x02\xf4\x00\xf2\x05*\x01\x00\x00\x00\t\xff"s;
  EXPECT_EQ(lp.raw(), redis);
  EXPECT_EQ(lp.size(), 12u);
  EXPECT_EQ(Items(lp), items);
}

// HSET n 9223372036854775807 -9223372036854775808 -4096 4095 -32768 32767
TEST(Listpack, IntegerEncodingsAtTheirBoundsAreRedis) {
  const std::vector<std::string> items = {
      "9223372036854775807", "-9223372036854775808", "-4096", "4095", "-32768", "32767"};
  const Listpack lp = Of(items);
  const std::string redis =
      "\x29\x00\x00\x00\x06\x00"
      "\xf4\xff\xff\xff\xff\xff\xff\xff\x7f\t"
      "\xf4\x00\x00\x00\x00\x00\x00\x00\x80\t"
      "\xd0\x00\x02\xcf\xff\x02\xf1\x00\x80\x03\xf1\xff\x7f\x03\xff"s;
  EXPECT_EQ(lp.raw(), redis);
  EXPECT_EQ(Items(lp), items);
}

// HSET big <100 x f> <5000 x v> 0123 -0: a 12-bit and a 32-bit string length, a two-byte
// backlen, and integers-looking strings that are not integers.
TEST(Listpack, LongStringsAndNonCanonicalNumbersAreRedis) {
  const std::string field(100, 'f'), value(5000, 'v');
  const Listpack lp = Of({field, value, "0123", "-0"});
  const std::string redis = "\x07\x14\x00\x00\x04\x00"s + "\xe0\x64"s + field + "\x66"s +
                            "\xf0\x88\x13\x00\x00"s + value + "\x27\x8d"s + "\x84"s + "0123" +
                            "\x05"s + "\x82-0\x03\xff"s;
  EXPECT_EQ(lp.raw(), redis);
  const std::vector<std::string> want = {field, value, "0123", "-0"};
  EXPECT_EQ(Items(lp), want);
  EXPECT_FALSE(lp.Get(lp.Next(lp.Next(lp.First()))).is_int) << "0123 stays a string";
}

TEST(Listpack, FindLooksAtEveryStepthEntryAndMatchesIntegersByValue) {
  const Listpack lp = Of({"k1", "v1", "300", "k1", "x", "300"});
  const Listpack::Pos second = lp.Next(lp.Next(lp.First()));
  EXPECT_EQ(lp.Find("k1", lp.First(), 2), lp.First());
  EXPECT_EQ(lp.Find("300", lp.First(), 2), second) << "an integer entry equals its digits";
  EXPECT_EQ(lp.Find("0300", lp.First(), 2), lp.End()) << "not the same string";
  // Values are every other entry from the first value on.
  EXPECT_EQ(lp.Find("k1", lp.Next(lp.First()), 2), lp.Next(second));
  EXPECT_EQ(lp.Find("v1", lp.First(), 2), lp.End()) << "v1 is a value, not a field";
}

TEST(Listpack, ReplaceChangesOneEntryWhateverItsNewEncoding) {
  Listpack lp = Of({"a", "1", "b", "2"});
  Listpack::Pos v = lp.Next(lp.First());
  const std::string big(5000, 'z');
  const Listpack::Pos after = lp.Replace(v, big);
  EXPECT_EQ(Items(lp), (std::vector<std::string>{"a", big, "b", "2"}));
  EXPECT_TRUE(lp.Get(after).Equals("b"));
  lp.Replace(lp.Next(lp.First()), "-123456789012");
  EXPECT_EQ(Items(lp), (std::vector<std::string>{"a", "-123456789012", "b", "2"}));
  EXPECT_EQ(lp.size(), 4u);
  Listpack fresh = Of({"a", "-123456789012", "b", "2"});
  EXPECT_EQ(lp.raw(), fresh.raw()) << "the same bytes as building it afresh";
}

TEST(Listpack, EraseRemovesPairsAnywhere) {
  Listpack lp = Of({"a", "1", "b", "2", "c", "3"});
  lp.Erase(lp.Find("b", lp.First(), 2), 2);
  EXPECT_EQ(Items(lp), (std::vector<std::string>{"a", "1", "c", "3"}));
  lp.Erase(lp.First(), 2);
  lp.Erase(lp.First(), 2);
  EXPECT_TRUE(lp.empty());
  EXPECT_EQ(lp.raw(), "\x07\x00\x00\x00\x00\x00\xff"s);
}

TEST(Listpack, AssignTakesOnlyWellFormedBytes) {
  const Listpack source = Of({"field", "9000", "other", "value"});
  Listpack lp;
  ASSERT_TRUE(lp.Assign(source.raw()));
  EXPECT_EQ(Items(lp), (std::vector<std::string>{"field", "9000", "other", "value"}));
  std::string bad(source.raw());
  bad[bad.size() - 2] ^= 0x01;  // the last backlen
  EXPECT_FALSE(lp.Assign(bad));
  std::string wrong_count(source.raw());
  wrong_count[4] = 3;
  EXPECT_FALSE(lp.Assign(wrong_count));
  std::string short_total(source.raw());
  short_total[0] = static_cast<char>(short_total[0] - 1);
  EXPECT_FALSE(lp.Assign(short_total));
  EXPECT_FALSE(lp.Assign(std::string_view(source.raw()).substr(0, source.bytes() - 1)));
  EXPECT_EQ(lp.size(), 4u) << "a refused buffer leaves the listpack as it was";
}

TEST(IntText, ReadsIntegersAsRedisDoes) {
  int64_t v = 0;
  EXPECT_TRUE(StrictInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(StrictInt64("0", &v));
  EXPECT_EQ(v, 0);
  for (const char* no : {"", "-", "+1", "01", "-0", "1 ", " 1", "9223372036854775808", "1e3"}) {
    EXPECT_FALSE(StrictInt64(no, &v)) << no;
  }
}

}  // namespace
}  // namespace ringside::shards
