// A set's two encodings and the move between them, at Redis's thresholds: an intset while
// every member is an integer and there are at most set-max-intset-entries, a table from the
// first member that is not an integer or the first past the limit; the same answers in both,
// and every member reachable by position (what a random draw picks from), also after removals
// move members around in the table.
#include "shards/types/set_value.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ringside::shards {
namespace {

std::set<std::string> Members(const SetValue& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace(m); });
  return out;
}

TEST(SetValue, IntegersStayInAnIntsetInAscendingOrder) {
  SetValue s;
  const SetLimits limits;
  EXPECT_TRUE(s.Add("30", limits));
  EXPECT_TRUE(s.Add("-7", limits));
  EXPECT_TRUE(s.Add("5000000000", limits));
  EXPECT_FALSE(s.Add("30", limits));
  EXPECT_EQ(s.encoding(), SetValue::Encoding::kIntset);
  std::string buf;
  EXPECT_EQ(s.At(0, &buf), "-7");
  EXPECT_EQ(s.At(2, &buf), "5000000000");
  EXPECT_TRUE(s.Contains("30"));
  EXPECT_FALSE(s.Contains("030")) << "not the integer 30 as Redis reads integers";
  EXPECT_TRUE(s.Remove("-7"));
  EXPECT_FALSE(s.Remove("-7"));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.MemoryBytes(), s.intset().bytes());
}

TEST(SetValue, ANonIntegerOrOneMemberTooManyMakesATable) {
  const SetLimits limits;
  SetValue words;
  words.Add("1", limits);
  words.Add("01", limits);
  EXPECT_EQ(words.encoding(), SetValue::Encoding::kTable);
  EXPECT_EQ(Members(words), (std::set<std::string>{"1", "01"}));
  SetLimits small;
  small.max_intset_entries = 3;
  SetValue many;
  for (int i = 0; i < 3; ++i) many.Add(std::to_string(i), small);
  EXPECT_EQ(many.encoding(), SetValue::Encoding::kIntset) << "at the limit it stays compact";
  many.Add("3", small);
  EXPECT_EQ(many.encoding(), SetValue::Encoding::kTable);
  EXPECT_EQ(Members(many), (std::set<std::string>{"0", "1", "2", "3"}));
  many.Remove("0");
  EXPECT_EQ(many.encoding(), SetValue::Encoding::kTable) << "no conversion back, as in Redis";
}

TEST(SetValue, RemovalsKeepEveryMemberReachableByPosition) {
  const SetLimits limits;
  SetValue s;
  std::set<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    const std::string m = "member:" + std::to_string(i);
    s.Add(m, limits);
    want.insert(m);
  }
  for (int i = 0; i < 1000; i += 3) {
    const std::string m = "member:" + std::to_string(i);
    EXPECT_TRUE(s.Remove(m));
    want.erase(m);
  }
  ASSERT_EQ(s.size(), want.size());
  std::set<std::string> by_position;
  std::string buf;
  for (size_t i = 0; i < s.size(); ++i) by_position.emplace(s.At(i, &buf));
  EXPECT_EQ(by_position, want);
  for (const std::string& m : want) EXPECT_TRUE(s.Contains(m)) << m;
  EXPECT_FALSE(s.Contains("member:0"));
  while (!s.empty()) {
    ASSERT_TRUE(s.Remove(std::string(s.At(s.size() / 2, &buf))));
  }
}

}  // namespace
}  // namespace ringside::shards
