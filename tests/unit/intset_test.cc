// The intset against the bytes redis-server 7.0.15 produced: each expected buffer is the
// intset inside `DUMP` of a set built with the same SADD. Then widening (the values rewritten
// at the new width, a negative one going first), removal, and adopting only well-formed bytes.
#include "shards/types/intset.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringside::shards {
namespace {

using namespace std::string_literals;

Intset Of(const std::vector<int64_t>& values) {
  Intset s;
  for (int64_t v : values) s.Add(v);
  return s;
}

std::vector<int64_t> Values(const Intset& s) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.size(); ++i) out.push_back(s.At(i));
  return out;
}

TEST(Intset, LayoutIsRedisAtEachWidth) {
  // SADD s16 1 -2 3
  EXPECT_EQ(Of({1, -2, 3}).raw(), "\x02\x00\x00\x00\x03\x00\x00\x00\xfe\xff\x01\x00\x03\x00"s);
  // SADD s 1 2 3 70000
  EXPECT_EQ(Of({1, 2, 3, 70000}).raw(),
            "\x04\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
            "p\x11\x01\x00"s);
  // SADD s64 1 5000000000
  EXPECT_EQ(Of({1, 5000000000}).raw(),
            "\x08\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
            "\x00\xf2\x05*\x01\x00\x00\x00"s);
}

TEST(Intset, WideningKeepsOrderAndPutsANegativeValueFirst) {
  Intset s = Of({5, -7, 100});
  EXPECT_TRUE(s.Add(-5000000000));
  EXPECT_EQ(Values(s), (std::vector<int64_t>{-5000000000, -7, 5, 100}));
  EXPECT_TRUE(s.Add(INT64_MAX));
  EXPECT_FALSE(s.Add(5)) << "already there";
  EXPECT_EQ(Values(s), (std::vector<int64_t>{-5000000000, -7, 5, 100, INT64_MAX}));
  EXPECT_EQ(s.bytes(), Intset::kHeaderSize + 5 * 8);
}

TEST(Intset, ContainsAndRemove) {
  Intset s = Of({3, 1, 2});
  EXPECT_TRUE(s.Contains(2));
  EXPECT_FALSE(s.Contains(70000)) << "wider than any value held";
  EXPECT_FALSE(s.Remove(70000));
  EXPECT_TRUE(s.Remove(1));
  EXPECT_FALSE(s.Remove(1));
  EXPECT_EQ(Values(s), (std::vector<int64_t>{2, 3}));
}

TEST(Intset, AssignTakesOnlyWellFormedBytes) {
  const Intset source = Of({-3, 10, 20000});
  Intset s;
  ASSERT_TRUE(s.Assign(source.raw()));
  EXPECT_EQ(Values(s), (std::vector<int64_t>{-3, 10, 20000}));
  std::string unsorted(source.raw());
  std::swap(unsorted[8], unsorted[10]);
  std::swap(unsorted[9], unsorted[11]);
  EXPECT_FALSE(s.Assign(unsorted));
  std::string bad_width(source.raw());
  bad_width[0] = 3;
  EXPECT_FALSE(s.Assign(bad_width));
  EXPECT_FALSE(s.Assign(std::string_view(source.raw()).substr(0, source.bytes() - 1)));
  EXPECT_EQ(s.size(), 3u);
}

}  // namespace
}  // namespace ringside::shards
