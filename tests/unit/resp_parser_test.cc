#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"

namespace ringside::resp {
namespace {

using namespace std::string_literals;
using Args = std::vector<std::string>;
using Commands = std::vector<Args>;

// What a connection would have seen after feeding its bytes to the parser.
struct Outcome {
  Commands commands;
  std::vector<size_t> consumed;  // per command
  ParseStatus last = ParseStatus::kNeedMore;
  std::string error;
  size_t unconsumed = 0;  // bytes left in the buffer at the end
};

// Plays the caller's part: the input arrives cut at `cuts` (ascending offsets); after each
// arrival the parser sees the unconsumed bytes, each time from a freshly allocated copy so
// that the buffer has moved, and is called until it wants more bytes or fails.
Outcome Feed(std::string_view input, const std::vector<size_t>& cuts, const Limits& limits = {}) {
  Parser parser(limits);
  Outcome out;
  std::string pending;
  std::vector<std::string_view> args;
  size_t arrived = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < arrived) continue;
    pending.append(input.substr(arrived, end - arrived));
    arrived = end;
    while (true) {
      auto copy = std::make_unique<char[]>(pending.size() + 1);
      std::memcpy(copy.get(), pending.data(), pending.size());
      const std::string_view data(copy.get(), pending.size());
      const ParseResult r = parser.Parse(data, &args);
      out.last = r.status;
      if (r.status == ParseStatus::kError) {
        out.error = std::string(r.error);
        out.unconsumed = pending.size();
        EXPECT_EQ(r.consumed, 0u);
        return out;
      }
      if (r.status == ParseStatus::kNeedMore) {
        EXPECT_EQ(r.consumed, 0u);
        EXPECT_TRUE(args.empty());
        break;
      }
      EXPECT_GT(r.consumed, 0u);
      EXPECT_LE(r.consumed, data.size());
      Args strings;
      for (std::string_view a : args) {
        if (data[0] == '*') {
          // Multibulk arguments are always views of the frame itself.
          EXPECT_GE(a.data(), data.data());
          EXPECT_LE(a.data() + a.size(), data.data() + r.consumed);
        }
        strings.emplace_back(a);
      }
      out.commands.push_back(std::move(strings));
      out.consumed.push_back(r.consumed);
      pending.erase(0, r.consumed);
    }
  }
  out.unconsumed = pending.size();
  return out;
}

std::vector<size_t> EveryByte(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

std::vector<size_t> RandomCuts(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<size_t> cuts;
  if (n < 2) return cuts;
  size_t pos = 0;
  while (true) {
    pos += 1 + rng() % 9;
    if (pos >= n) break;
    cuts.push_back(pos);
  }
  return cuts;
}

struct Case {
  std::string name;
  std::string bytes;
  Commands expected;
};

std::vector<Case> Corpus() {
  return {
      {"ping", "*1\r\n$4\r\nPING\r\n", {{"PING"}}},
      {"set", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {{"SET", "key", "value"}}},
      {"binary_bulk", "*2\r\n$4\r\nECHO\r\n$7\r\na\r\nb\0\n*\r\n"s, {{"ECHO", "a\r\nb\0\n*"s}}},
      {"empty_bulk", "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n", {{"SET", "", ""}}},
      {"long_bulk", "*1\r\n$300\r\n" + std::string(300, 'z') + "\r\n", {{std::string(300, 'z')}}},
      {"zero_count", "*0\r\n", {{}}},
      {"null_count", "*-1\r\n", {{}}},
      {"negative_count", "*-5\r\n", {{}}},
      {"min_count", "*-9223372036854775808\r\n", {{}}},
      {"pipelined",
       "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*0\r\nPING\r\n",
       {{"PING"}, {"GET", "k"}, {}, {"PING"}}},
      {"body_tail_unchecked",
       "*2\r\n$4\r\nECHO\r\n$2\r\nabXY*1\r\n$4\r\nPING\r\n",
       {{"ECHO", "ab"}, {"PING"}}},
      {"header_tail_unchecked", "*1\rX$4\rYPING\r\n", {{"PING"}}},
      {"inline_crlf", "PING\r\n", {{"PING"}}},
      {"inline_lf", "SET k v\n", {{"SET", "k", "v"}}},
      {"inline_blanks", "  SET\t k   v \t \r\n", {{"SET", "k", "v"}}},
      {"blank_lines", "\r\n\n   \r\n", {{}, {}, {}}},
      {"inline_cr_inside", "ECHO a\rb\r\n", {{"ECHO", "a", "b"}}},
      {"inline_double_cr", "ECHO a\r\r\n", {{"ECHO", "a"}}},
      {"inline_vtab_in_word", "ECHO a\vb\r\n", {{"ECHO", "a\vb"}}},
      {"inline_vtab_leading", "\v\fECHO x\r\n", {{"ECHO", "x"}}},
      {"inline_nul", "ECHO a\0b\r\n"s, {{"ECHO", "a\0b"s}}},
      {"inline_star_later", " *1\r\n", {{"*1"}}},
      {"quotes", "SET \"a b\" 'c d'\r\n", {{"SET", "a b", "c d"}}},
      {"double_escapes",
       "ECHO \"a\\x41\\n\\r\\t\\b\\a\\q\\\\\\\"b\"\r\n",
       {{"ECHO", "aA\n\r\t\b\aq\\\"b"}}},
      {"hex_escapes", "ECHO \"\\xff\\x00\\x7E\"\r\n", {{"ECHO", "\xff\0~"s}}},
      {"short_hex_escape", "ECHO \"\\x4\"\r\n", {{"ECHO", "x4"}}},
      {"single_escapes", "ECHO 'a\\'b\\n\"'\r\n", {{"ECHO", "a'b\\n\""}}},
      {"empty_quotes", "SET k \"\" ''\r\n", {{"SET", "k", "", ""}}},
      {"quote_mid_word", "ECHO a\"b c\" x'y'\r\n", {{"ECHO", "ab c", "xy"}}},
      {"quote_then_vtab", "ECHO \"a\"\vb\r\n", {{"ECHO", "a", "b"}}},
      {"quoted_and_plain",
       "MSET \"k 1\" v1 k2 'v 2' k3 v3\n",
       {{"MSET", "k 1", "v1", "k2", "v 2", "k3", "v3"}}},
      {"mixed_pipeline",
       "PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO \"x y\"\n\r\n*1\r\n$1\r\nQ\r\n",
       {{"PING"}, {"ECHO", "hi"}, {"ECHO", "x y"}, {}, {"Q"}}},
  };
}

void ExpectSame(const Case& c, const std::vector<size_t>& cuts, const char* how) {
  SCOPED_TRACE(c.name + " fed " + how);
  const Outcome out = Feed(c.bytes, cuts);
  EXPECT_EQ(out.last, ParseStatus::kNeedMore) << out.error;
  EXPECT_EQ(out.commands, c.expected);
  EXPECT_EQ(out.unconsumed, 0u);
}

TEST(RespParser, CorpusWhole) {
  for (const Case& c : Corpus()) ExpectSame(c, {}, "whole");
}

TEST(RespParser, CorpusOneByteAtATime) {
  for (const Case& c : Corpus()) ExpectSame(c, EveryByte(c.bytes.size()), "bytewise");
}

TEST(RespParser, CorpusRandomSplits) {
  for (const Case& c : Corpus()) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      ExpectSame(c, RandomCuts(c.bytes.size(), seed), ("seed " + std::to_string(seed)).c_str());
    }
  }
}

TEST(RespParser, WholeCorpusPipelined) {
  std::string all;
  Commands expected;
  std::vector<size_t> frame_sizes;
  for (const Case& c : Corpus()) {
    all += c.bytes;
    expected.insert(expected.end(), c.expected.begin(), c.expected.end());
  }
  for (const auto& cuts : {std::vector<size_t>{}, EveryByte(all.size()), RandomCuts(all.size(), 7),
                           RandomCuts(all.size(), 99)}) {
    const Outcome out = Feed(all, cuts);
    EXPECT_EQ(out.last, ParseStatus::kNeedMore) << out.error;
    EXPECT_EQ(out.commands, expected);
    EXPECT_EQ(out.unconsumed, 0u);
  }
}

TEST(RespParser, ConsumedIsEachFrameLength) {
  const std::vector<std::string> frames = {
      "*1\r\n$4\r\nPING\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n",
      "GET k\r\n",
      "*0\r\n",
      "\n",
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
  };
  std::string all;
  for (const auto& f : frames) all += f;
  all += "*2\r\n$3\r\nGET";  // an incomplete frame at the end stays unconsumed

  Parser parser;
  std::vector<std::string_view> args;
  std::string_view rest = all;
  for (const auto& f : frames) {
    const ParseResult r = parser.Parse(rest, &args);
    ASSERT_EQ(r.status, ParseStatus::kCommand);
    EXPECT_EQ(r.consumed, f.size()) << f;
    rest.remove_prefix(r.consumed);
  }
  const ParseResult r = parser.Parse(rest, &args);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(rest, "*2\r\n$3\r\nGET");

  for (const auto& cuts : {EveryByte(all.size()), RandomCuts(all.size(), 3)}) {
    const Outcome out = Feed(all, cuts);
    ASSERT_EQ(out.consumed.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(out.consumed[i], frames[i].size());
    EXPECT_EQ(out.unconsumed, 11u);
  }
}

TEST(RespParser, IncompleteFramesNeedMore) {
  for (std::string_view partial :
       {"", "*", "*1", "*1\r", "*1\r\n", "*1\r\n$", "*1\r\n$4", "*1\r\n$4\r", "*1\r\n$4\r\nPI",
        "*1\r\n$4\r\nPING", "*1\r\n$4\r\nPING\r", "*1\n", "*1\r\nX", "PING", "PING\r", "\r",
        "ECHO \"a b"}) {
    Parser parser;
    std::vector<std::string_view> args;
    const ParseResult r = parser.Parse(partial, &args);
    EXPECT_EQ(r.status, ParseStatus::kNeedMore) << partial;
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_TRUE(args.empty());
  }
}

// The same error whether the bytes arrive at once, in small steps, or in random pieces.
void ExpectError(const std::string& bytes, const std::string& error, const Limits& limits = {}) {
  SCOPED_TRACE(bytes.substr(0, 40));
  // Byte-at-a-time feeding copies the buffer on every call, so long inputs go in bigger steps.
  std::vector<size_t> fine;
  const size_t step = bytes.size() <= 4096 ? 1 : 997;
  for (size_t i = step; i < bytes.size(); i += step) fine.push_back(i);
  for (const auto& cuts : {std::vector<size_t>{}, fine, RandomCuts(bytes.size(), 5)}) {
    const Outcome out = Feed(bytes, cuts, limits);
    EXPECT_EQ(out.last, ParseStatus::kError);
    EXPECT_EQ(out.error, error);
  }
}

constexpr const char* kInvalidMultibulk = "ERR Protocol error: invalid multibulk length";
constexpr const char* kTooBigMultibulk = "ERR Protocol error: too big mbulk count string";
constexpr const char* kInvalidBulk = "ERR Protocol error: invalid bulk length";
constexpr const char* kTooBigBulk = "ERR Protocol error: too big bulk count string";
constexpr const char* kTooBigInline = "ERR Protocol error: too big inline request";
constexpr const char* kUnbalanced = "ERR Protocol error: unbalanced quotes in request";

TEST(RespParser, InvalidMultibulkLength) {
  for (const char* bytes : {"*x\r\n", "*\r\n", "*-0\r\n", "*01\r\n", "*+1\r\n", "*1x\r\n",
                            "* 1\r\n", "*1 \r\n", "*-\r\n", "*-9223372036854775809\r\n",
                            "*9223372036854775808\r\n", "*123456789012345678901\r\n"}) {
    ExpectError(bytes, kInvalidMultibulk);
  }
  // A count line ended by '\n' alone runs into the next line's '\r', as in Redis.
  ExpectError("*1\n$4\r\nPING\r\n", kInvalidMultibulk);
  ExpectError("*1\0\r\n"s, kInvalidMultibulk);
}

TEST(RespParser, ExpectedDollar) {
  ExpectError("*1\r\nX4\r\nPING\r\n", "ERR Protocol error: expected '$', got 'X'");
  ExpectError("*2\r\n$1\r\na\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'");
  ExpectError("*1\r\n*1\r\n", "ERR Protocol error: expected '$', got '*'");
  ExpectError("*1\r\n\xff\r\n", "ERR Protocol error: expected '$', got '\xff'");
  // CR and LF cannot go into an error line; Redis shows them as a space.
  ExpectError("*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '");
  ExpectError("*1\r\n\n\r\n", "ERR Protocol error: expected '$', got ' '");
}

TEST(RespParser, InvalidBulkLength) {
  for (const char* header : {"$-1", "$x", "$", "$01", "$-0", "$+1", "$1x", "$536870913",
                             "$9223372036854775808", "$-9223372036854775808"}) {
    ExpectError("*1\r\n"s + header + "\r\n", kInvalidBulk);
  }
  ExpectError("*2\r\n$3\r\nGET\r\n$-1\r\n", kInvalidBulk);
}

TEST(RespParser, TooBigCountStrings) {
  // Default limit: no '\r' within 64 KiB of the line start.
  ExpectError("*" + std::string(64 * 1024, '1'), kTooBigMultibulk);
  ExpectError("*1\r\n$" + std::string(64 * 1024, '1'), kTooBigBulk);
}

TEST(RespParser, UnbalancedQuotes) {
  for (const char* line :
       {"ECHO \"ab\r\n", "ECHO 'ab\r\n", "ECHO \"a\"b\r\n", "ECHO 'a'b\r\n", "ECHO a\"b c\"d\r\n",
        "ECHO \"a\\\r\n", "ECHO \"a\\\"\r\n", "ECHO 'a\\'\r\n", "\"\n", "ECHO \"a\"\"b\"\n"}) {
    ExpectError(line, kUnbalanced);
  }
}

TEST(RespParser, TooBigInline) {
  ExpectError(std::string(64 * 1024 + 1, 'a'), kTooBigInline);
  ExpectError(std::string(64 * 1024 + 1, 'a') + "\n", kTooBigInline);
  // Exactly at the limit: the newline is the 65537th byte.
  const Outcome out = Feed(std::string(64 * 1024, 'a') + "\n", {100, 64 * 1024});
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], Args{std::string(64 * 1024, 'a')});
  EXPECT_EQ(Feed(std::string(64 * 1024, 'a'), {}).last, ParseStatus::kNeedMore);
}

TEST(RespParser, ErrorIsStickyUntilReset) {
  Parser parser;
  std::vector<std::string_view> args;
  const ParseResult r = parser.Parse("*1\r\n$x\r\n", &args);
  ASSERT_EQ(r.status, ParseStatus::kError);
  const ParseResult again = parser.Parse("*1\r\n$4\r\nPING\r\n", &args);
  EXPECT_EQ(again.status, ParseStatus::kError);
  EXPECT_EQ(again.error, kInvalidBulk);
  parser.Reset();
  const ParseResult ok = parser.Parse("*1\r\n$4\r\nPING\r\n", &args);
  ASSERT_EQ(ok.status, ParseStatus::kCommand);
  EXPECT_EQ(args, std::vector<std::string_view>{"PING"});
}

TEST(RespParser, ResetDropsPartialFrame) {
  Parser parser;
  std::vector<std::string_view> args;
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n", &args).status, ParseStatus::kNeedMore);
  parser.Reset();
  ASSERT_EQ(parser.Parse("PING\r\n", &args).status, ParseStatus::kCommand);
  EXPECT_EQ(args, std::vector<std::string_view>{"PING"});
}

// Limits small enough to reach quickly: each at exactly the limit, then one past it.
TEST(RespParser, MaxBulkLen) {
  Limits limits;
  limits.max_bulk_len = 10;
  const Outcome ok = Feed("*1\r\n$10\r\n0123456789\r\n", {6, 12}, limits);
  ASSERT_EQ(ok.commands.size(), 1u);
  EXPECT_EQ(ok.commands[0], Args{"0123456789"});
  ExpectError("*1\r\n$11\r\n01234567890\r\n", kInvalidBulk, limits);

  // The default, 512 MiB; nothing of that size is allocated for a header alone.
  Parser parser;
  std::vector<std::string_view> args;
  EXPECT_EQ(parser.Parse("*1\r\n$536870912\r\n", &args).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parser.pending_bulk().length, 536870912);
  EXPECT_EQ(parser.pending_bulk().offset, 16u);
  ExpectError("*1\r\n$536870913\r\n", kInvalidBulk);
}

TEST(RespParser, MaxArgs) {
  Limits limits;
  limits.max_args = 4;
  const Outcome ok = Feed("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", {9}, limits);
  ASSERT_EQ(ok.commands.size(), 1u);
  EXPECT_EQ(ok.commands[0], (Args{"a", "b", "c", "d"}));
  ExpectError("*5\r\n", kInvalidMultibulk, limits);
}

TEST(RespParser, DefaultMaxArgs) {
  Parser parser;
  std::vector<std::string_view> args;
  EXPECT_EQ(parser.Parse("*1048576\r\n", &args).status, ParseStatus::kNeedMore);
  // A count alone never reserves space for the arguments it announces.
  EXPECT_LE(args.capacity(), 1024u);
  ExpectError("*1048577\r\n", kInvalidMultibulk);
}

TEST(RespParser, MaxInlineForHeaders) {
  Limits limits;
  limits.max_inline = 4;
  // '\r' at offset 4 of the line is within the limit.
  const std::string body(123, 'b');
  const Outcome ok = Feed("*1\r\n$123\r\n" + body + "\r\n", {3, 8}, limits);
  ASSERT_EQ(ok.commands.size(), 1u);
  EXPECT_EQ(ok.commands[0], Args{body});
  ExpectError("*1\r\n$1234\r\n", kTooBigBulk, limits);
  ExpectError("*1\r\n$1234", kTooBigBulk, limits);
  EXPECT_EQ(Feed("*1\r\n$123", {}, limits).last, ParseStatus::kNeedMore);

  limits.max_args = 1000;
  EXPECT_EQ(Feed("*123\r\n", {}, limits).last, ParseStatus::kNeedMore);
  EXPECT_EQ(Feed("*123", {}, limits).last, ParseStatus::kNeedMore);
  ExpectError("*1234\r\n", kTooBigMultibulk, limits);
  ExpectError("*1234", kTooBigMultibulk, limits);
}

TEST(RespParser, MaxInlineForInline) {
  Limits limits;
  limits.max_inline = 8;
  // The '\n' may be the 9th byte; a '\r' before it counts as part of the line.
  const Outcome ok = Feed("ECHO abc\nECHO ab\r\n", {}, limits);
  ASSERT_EQ(ok.commands.size(), 2u);
  EXPECT_EQ(ok.commands[0], (Args{"ECHO", "abc"}));
  EXPECT_EQ(ok.commands[1], (Args{"ECHO", "ab"}));
  ExpectError("ECHO abcd\n", kTooBigInline, limits);
  ExpectError("ECHO abc\r\n", kTooBigInline, limits);
  ExpectError("ECHO abcd", kTooBigInline, limits);
  EXPECT_EQ(Feed("ECHO abc", {}, limits).last, ParseStatus::kNeedMore);
}

TEST(RespParser, SetLimitsAppliesToNextFrame) {
  Parser parser;
  std::vector<std::string_view> args;
  Limits limits;
  limits.max_args = 1;
  parser.set_limits(limits);
  EXPECT_EQ(parser.limits().max_args, 1);
  EXPECT_EQ(parser.Parse("*1\r\n$1\r\na\r\n", &args).status, ParseStatus::kCommand);
  const ParseResult r = parser.Parse("*2\r\n", &args);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, kInvalidMultibulk);
}

TEST(RespParser, QuotedArgumentsSurviveLaterQuotes) {
  // Several rewritten words in one line must not invalidate each other.
  Parser parser;
  std::vector<std::string_view> args;
  const std::string line = "\"a\" 'b' c\"d e\" \"" + std::string(200, 'x') + "\" \"\\x41\"\r\n";
  ASSERT_EQ(parser.Parse(line, &args).status, ParseStatus::kCommand);
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(args[0], "a");
  EXPECT_EQ(args[1], "b");
  EXPECT_EQ(args[2], "cd e");
  EXPECT_EQ(args[3], std::string(200, 'x'));
  EXPECT_EQ(args[4], "A");
}

TEST(RespParser, PendingBulk) {
  Parser parser;
  std::vector<std::string_view> args;
  EXPECT_EQ(parser.pending_bulk().length, -1);
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nSET\r\n$5\r\nab", &args).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parser.pending_bulk().offset, 17u);
  EXPECT_EQ(parser.pending_bulk().length, 5);
  ASSERT_EQ(parser.Parse("*2\r\n$3\r\nSET\r\n$5\r\nabcde\r\n", &args).status,
            ParseStatus::kCommand);
  EXPECT_EQ(parser.pending_bulk().length, -1);
  EXPECT_EQ(args, (std::vector<std::string_view>{"SET", "abcde"}));
}

// Plays the part of a connection with BigBulk ingest: whenever the parser waits for the body
// of a bulk of at least `threshold` bytes, the body's bytes (those already buffered and those
// still to come) go to a buffer of their own and the parser is told to skip them.
Commands FeedOutOfBand(std::string_view input, const std::vector<size_t>& cuts, int64_t threshold,
                       int* promotions) {
  Parser parser;
  Commands commands;
  std::string pending;
  std::vector<std::string_view> args;
  std::vector<std::unique_ptr<char[]>> buffers;  // every body taken out, alive until the end
  struct {
    char* buf = nullptr;
    size_t size = 0, filled = 0, trailer = 0;
  } promo;
  bool promoting = false;
  size_t arrived = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < arrived) continue;
    std::string_view chunk = input.substr(arrived, end - arrived);
    arrived = end;
    if (promoting) {
      const size_t body = std::min(chunk.size(), promo.size - promo.filled);
      std::memcpy(promo.buf + promo.filled, chunk.data(), body);
      promo.filled += body;
      const size_t trailer = std::min(chunk.size() - body, promo.trailer);
      promo.trailer -= trailer;
      chunk.remove_prefix(body + trailer);
      if (promo.filled < promo.size || promo.trailer > 0) continue;
      promoting = false;
    }
    pending.append(chunk);
    while (!promoting) {
      const ParseResult r = parser.Parse(pending, &args);
      EXPECT_NE(r.status, ParseStatus::kError) << r.error;
      if (r.status == ParseStatus::kError) return commands;
      if (r.status == ParseStatus::kCommand) {
        commands.emplace_back(args.begin(), args.end());
        pending.erase(0, r.consumed);
        continue;
      }
      const Parser::PendingBulk pb = parser.pending_bulk();
      if (pb.length < threshold) break;
      const std::string_view have = std::string_view(pending).substr(pb.offset);
      EXPECT_LT(have.size(), static_cast<size_t>(pb.length) + 2);
      buffers.push_back(std::make_unique<char[]>(static_cast<size_t>(pb.length) + 1));
      promo.buf = buffers.back().get();
      promo.size = static_cast<size_t>(pb.length);
      promo.filled = std::min(have.size(), promo.size);
      std::memcpy(promo.buf, have.data(), promo.filled);
      promo.trailer = 2 - (have.size() - promo.filled);
      pending.resize(pb.offset);
      parser.SkipPendingBulk(std::string_view(promo.buf, promo.size));
      promoting = true;
      ++*promotions;
    }
  }
  EXPECT_FALSE(promoting);
  EXPECT_TRUE(pending.empty());
  return commands;
}

TEST(RespParser, CorpusWithBodiesOutOfBand) {
  for (const Case& c : Corpus()) {
    for (int64_t threshold : {1, 3}) {
      SCOPED_TRACE(c.name + " threshold " + std::to_string(threshold));
      int promotions = 0;
      EXPECT_EQ(FeedOutOfBand(c.bytes, EveryByte(c.bytes.size()), threshold, &promotions),
                c.expected);
      for (uint32_t seed = 1; seed <= 10; ++seed) {
        EXPECT_EQ(FeedOutOfBand(c.bytes, RandomCuts(c.bytes.size(), seed), threshold, &promotions),
                  c.expected);
      }
      // Whole frames never wait for a body, so only split ones are taken out.
      EXPECT_EQ(FeedOutOfBand(c.bytes, {}, threshold, &promotions), c.expected);
    }
  }
}

TEST(RespParser, OutOfBandBodiesInEveryPosition) {
  // Big arguments first, in the middle and last, several per command, then a pipelined one.
  const std::string big(1000, 'b');
  const std::string input = "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n" + big +
                            "\r\n$2\r\nEX\r\n$2\r\n10\r\n*5\r\n$4\r\nMSET\r\n$1000\r\n" + big +
                            "\r\n$1000\r\n" + big + "\r\n$2\r\nk2\r\n$1000\r\n" + big +
                            "\r\n*1\r\n$4\r\nPING\r\n";
  const Commands expected = {
      {"SET", "k", big, "EX", "10"}, {"MSET", big, big, "k2", big}, {"PING"}};
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    int promotions = 0;
    EXPECT_EQ(FeedOutOfBand(input, RandomCuts(input.size(), seed), 100, &promotions), expected);
    EXPECT_EQ(promotions, 4) << "seed " << seed;
  }
  int promotions = 0;
  EXPECT_EQ(FeedOutOfBand(input, EveryByte(input.size()), 100, &promotions), expected);
  EXPECT_EQ(promotions, 4);
}

// A million arguments arriving 16 KiB at a time: every call may only look at what is new.
TEST(RespParser, MillionArgumentsInChunksIsLinear) {
  constexpr size_t kArgs = 1024 * 1024;
  std::string frame = "*" + std::to_string(kArgs) + "\r\n";
  for (size_t i = 0; i < kArgs; ++i) {
    const std::string arg = std::to_string(i);
    frame += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }

  using Clock = std::chrono::steady_clock;
  std::vector<std::string_view> args;

  Parser whole_parser;
  const auto t0 = Clock::now();
  ASSERT_EQ(whole_parser.Parse(frame, &args).status, ParseStatus::kCommand);
  const auto whole = Clock::now() - t0;
  ASSERT_EQ(args.size(), kArgs);

  Parser parser;
  std::string buffer;
  ParseResult r{ParseStatus::kNeedMore, 0, {}};
  size_t calls = 0;
  const auto t1 = Clock::now();
  for (size_t off = 0; off < frame.size(); off += 16 * 1024) {
    buffer.append(frame, off, 16 * 1024);  // the buffer reallocates now and then
    r = parser.Parse(buffer, &args);
    ++calls;
    if (r.status != ParseStatus::kNeedMore) break;
  }
  const auto chunked = Clock::now() - t1;
  ASSERT_EQ(r.status, ParseStatus::kCommand);
  EXPECT_EQ(r.consumed, frame.size());
  EXPECT_GT(calls, 500u);
  ASSERT_EQ(args.size(), kArgs);
  for (size_t i = 0; i < kArgs; i += 4099) EXPECT_EQ(args[i], std::to_string(i));
  EXPECT_EQ(args.back(), std::to_string(kArgs - 1));

  // Re-scanning the frame on every call would cost hundreds of times the single-call parse.
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  EXPECT_LT(ms(chunked), 4 * ms(whole) + 300)
      << "whole " << ms(whole) << " ms, chunked " << ms(chunked) << " ms";
}

// A long inline line delivered one byte per call is searched once, not once per call.
TEST(RespParser, LongLineOneByteAtATime) {
  std::string line = "ECHO " + std::string(60 * 1024, 'a') + "\r\n";
  Parser parser;
  std::vector<std::string_view> args;
  std::string_view all = line;
  for (size_t n = 1; n < line.size(); ++n) {
    ASSERT_EQ(parser.Parse(all.substr(0, n), &args).status, ParseStatus::kNeedMore);
  }
  ASSERT_EQ(parser.Parse(all, &args).status, ParseStatus::kCommand);
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[1].size(), 60u * 1024);
}

}  // namespace
}  // namespace ringside::resp
