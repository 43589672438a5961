// A hash's two encodings and the move between them, at Redis's thresholds: a listpack while
// it has at most hash-max-listpack-entries fields and no field or value longer than
// hash-max-listpack-value, a table from the first write past either; the same answers in both.
#include "shards/types/hash_value.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ringside::shards {
namespace {

std::map<std::string, std::string> Contents(const HashValue& h) {
  std::map<std::string, std::string> out;
  h.ForEach([&](std::string_view f, std::string_view v) { out.emplace(f, v); });
  return out;
}

std::string Value(const HashValue& h, std::string_view field) {
  std::string buf;
  std::string_view v;
  return h.Get(field, &buf, &v) ? std::string(v) : "(none)";
}

TEST(HashValue, SetGetEraseInAListpack) {
  HashValue h;
  const HashLimits limits;
  EXPECT_TRUE(h.Set("name", "ringside", limits));
  EXPECT_TRUE(h.Set("port", "6380", limits));
  EXPECT_FALSE(h.Set("port", "6381", limits)) << "an existing field";
  EXPECT_EQ(h.encoding(), HashValue::Encoding::kListpack);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(Value(h, "port"), "6381") << "a number stored as an integer reads back as text";
  EXPECT_EQ(Value(h, "missing"), "(none)");
  EXPECT_TRUE(h.Contains("name"));
  EXPECT_FALSE(h.Contains("6381")) << "a value is not a field";
  EXPECT_TRUE(h.Erase("name"));
  EXPECT_FALSE(h.Erase("name"));
  EXPECT_EQ(Contents(h), (std::map<std::string, std::string>{{"port", "6381"}}));
  EXPECT_EQ(h.MemoryBytes(), h.listpack().bytes());
}

TEST(HashValue, MoreFieldsThanTheLimitMakeATable) {
  HashValue h;
  HashLimits limits;
  limits.max_listpack_entries = 4;
  std::map<std::string, std::string> want;
  for (int i = 0; i < 4; ++i) {
    h.Set("f" + std::to_string(i), std::to_string(i * 10), limits);
    want["f" + std::to_string(i)] = std::to_string(i * 10);
  }
  EXPECT_EQ(h.encoding(), HashValue::Encoding::kListpack) << "at the limit it stays compact";
  h.Set("f4", "40", limits);
  want["f4"] = "40";
  EXPECT_EQ(h.encoding(), HashValue::Encoding::kTable);
  EXPECT_EQ(Contents(h), want);
  EXPECT_EQ(Value(h, "f2"), "20");
  h.Erase("f0");
  h.Erase("f1");
  EXPECT_EQ(h.encoding(), HashValue::Encoding::kTable) << "no conversion back, as in Redis";
  EXPECT_EQ(h.size(), 3u);
}

TEST(HashValue, ALongFieldOrValueMakesATable) {
  const HashLimits limits;  // 64 bytes
  HashValue by_value, by_field, at_limit;
  by_value.Set("a", "1", limits);
  by_value.Set("b", std::string(65, 'v'), limits);
  EXPECT_EQ(by_value.encoding(), HashValue::Encoding::kTable);
  EXPECT_EQ(Value(by_value, "a"), "1");
  EXPECT_EQ(Value(by_value, "b"), std::string(65, 'v'));
  by_field.Set(std::string(65, 'f'), "x", limits);
  EXPECT_EQ(by_field.encoding(), HashValue::Encoding::kTable);
  at_limit.Set(std::string(64, 'f'), std::string(64, 'v'), limits);
  EXPECT_EQ(at_limit.encoding(), HashValue::Encoding::kListpack);
}

TEST(HashValue, BothEncodingsGiveTheSameAnswers) {
  HashLimits compact, table;
  table.max_listpack_entries = 0;
  HashValue a, b;
  for (const char* f : {"x", "-1", "0", "007", "9223372036854775807", "long value here"}) {
    a.Set(f, f, compact);
    b.Set(f, f, table);
  }
  EXPECT_EQ(a.encoding(), HashValue::Encoding::kListpack);
  EXPECT_EQ(b.encoding(), HashValue::Encoding::kTable);
  EXPECT_EQ(Contents(a), Contents(b));
  for (const char* f : {"x", "-1", "007", "7", "missing"}) {
    EXPECT_EQ(Value(a, f), Value(b, f)) << f;
    EXPECT_EQ(a.Contains(f), b.Contains(f)) << f;
  }
}

}  // namespace
}  // namespace ringside::shards
