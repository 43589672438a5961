#include <gtest/gtest.h>

#include <string>

#include "shards/store.h"

namespace ringside::shards {
namespace {

TEST(Glob, Literals) {
  EXPECT_TRUE(GlobMatch("abc", "abc"));
  EXPECT_FALSE(GlobMatch("abc", "abd"));
  EXPECT_FALSE(GlobMatch("abc", "ab"));
  EXPECT_FALSE(GlobMatch("ab", "abc"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
}

TEST(Glob, Star) {
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a*", "abc"));
  EXPECT_TRUE(GlobMatch("*c", "abc"));
  EXPECT_TRUE(GlobMatch("a*c", "ac"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(GlobMatch("a**", "a"));
  EXPECT_TRUE(GlobMatch("*a*a*a", "aaaa"));
  EXPECT_FALSE(GlobMatch("*a*a*b", "aaaa"));
}

TEST(Glob, EmptyStringOnlyMatchesEmptyPattern) {
  // Redis's stringmatchlen never matches "" with a non-empty pattern; KEYS and SCAN treat
  // "*" specially instead.
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("**", ""));
  EXPECT_TRUE(GlobMatch("", ""));
}

TEST(Glob, QuestionMark) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("?", "]"));
}

TEST(Glob, Classes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  // A reversed range is swapped.
  EXPECT_TRUE(GlobMatch("[z-a]", "b"));
  // Escapes inside a class, and "[]" which never matches.
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_FALSE(GlobMatch("[]", "]"));
  EXPECT_FALSE(GlobMatch("[]a]", "a"));
  // A '-' with nothing after it is literal.
  EXPECT_TRUE(GlobMatch("[a-", "-"));
  EXPECT_TRUE(GlobMatch("[a-", "a"));
  EXPECT_FALSE(GlobMatch("[a-", "b"));
}

TEST(Glob, UnterminatedClassEndsThePattern) {
  // Verified with KEYS against redis-server 7.0.
  EXPECT_TRUE(GlobMatch("[a", "a"));
  EXPECT_FALSE(GlobMatch("[", "["));
  EXPECT_FALSE(GlobMatch("a[", "a"));
}

TEST(Glob, Escapes) {
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "a"));
  EXPECT_TRUE(GlobMatch("\\?x", "?x"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));  // a trailing backslash is literal
  EXPECT_FALSE(GlobMatch("\\", "a"));
}

TEST(Glob, NoCase) {
  EXPECT_TRUE(GlobMatch("HeLLo", "hello", true));
  EXPECT_FALSE(GlobMatch("HeLLo", "hello", false));
  EXPECT_TRUE(GlobMatch("[A-C]x", "bX", true));
  EXPECT_TRUE(GlobMatch("[abc]", "B", true));
}

TEST(Glob, BinarySafe) {
  const std::string key("a\0b", 3);
  EXPECT_TRUE(GlobMatch(std::string("a\0?", 3), key));
  EXPECT_TRUE(GlobMatch("a?b", key));
  EXPECT_FALSE(GlobMatch("a", key));
}

TEST(Glob, PathologicalPatternIsFast) {
  // Exponential for a naive recursive matcher; linear-ish here.
  const std::string str(4000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  EXPECT_FALSE(GlobMatch(pattern, str));
}

}  // namespace
}  // namespace ringside::shards
