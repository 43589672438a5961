#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/writer.h"

namespace ringside::resp {
namespace {

using namespace std::string_literals;

TEST(RespWriter, SimpleStringAndOk) {
  std::string out;
  Writer w(&out);
  w.SimpleString("PONG");
  w.Ok();
  w.SimpleString("");
  EXPECT_EQ(out, "+PONG\r\n+OK\r\n+\r\n");
}

TEST(RespWriter, Error) {
  std::string out;
  Writer w(&out);
  w.Error("ERR syntax error");
  w.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(out,
            "-ERR syntax error\r\n"
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST(RespWriter, Integers) {
  std::string out;
  Writer w(&out);
  w.Integer(0);
  w.Integer(42);
  w.Integer(-7);
  w.Integer(std::numeric_limits<int64_t>::max());
  w.Integer(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(out,
            ":0\r\n:42\r\n:-7\r\n:9223372036854775807\r\n"
            ":-9223372036854775808\r\n");
}

TEST(RespWriter, BulksAreBinarySafe) {
  std::string out;
  Writer w(&out);
  w.Bulk("foobar");
  w.Bulk("");
  w.Bulk("a\r\nb\0c"s);
  w.NullBulk();
  EXPECT_EQ(out, "$6\r\nfoobar\r\n$0\r\n\r\n$6\r\na\r\nb\0c\r\n$-1\r\n"s);
}

TEST(RespWriter, Arrays) {
  std::string out;
  Writer w(&out);
  w.ArrayHeader(2);
  w.Bulk("a");
  w.Integer(1);
  w.ArrayHeader(0);
  w.NullArray();
  EXPECT_EQ(out, "*2\r\n$1\r\na\r\n:1\r\n*0\r\n*-1\r\n");
}

TEST(RespWriter, AppendsToExistingBufferAndRaw) {
  std::string out = "already";
  Writer w(&out);
  w.Raw("+x\r\n");
  w.Integer(5);
  EXPECT_EQ(out, "already+x\r\n:5\r\n");
  EXPECT_EQ(w.buffer(), &out);
}

// Commands encoded the way clients send them (a multibulk of bulks) parse back unchanged.
std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out;
  Writer w(&out);
  w.ArrayHeader(static_cast<int64_t>(args.size()));
  for (const auto& a : args) w.Bulk(a);
  return out;
}

std::vector<std::string> ParseAll(std::string_view data, size_t* consumed, Parser* parser) {
  std::vector<std::string_view> views;
  const ParseResult r = parser->Parse(data, &views);
  EXPECT_EQ(r.status, ParseStatus::kCommand);
  *consumed = r.consumed;
  return {views.begin(), views.end()};
}

TEST(RespWriterRoundTrip, FixedCommands) {
  const std::vector<std::vector<std::string>> commands = {
      {"PING"},
      {"SET", "key", "value"},
      {"SET", "k", ""},
      {"ECHO", "line1\r\nline2\r\n"},
      {"ECHO", "\0\xff\r"s},
      {"MSET", "a", "1", "b", "2", "c", "3"},
      {"SET", "big", std::string(100000, 'v')},
      {},
  };
  Parser parser;
  for (const auto& cmd : commands) {
    const std::string wire = EncodeCommand(cmd);
    size_t consumed = 0;
    EXPECT_EQ(ParseAll(wire, &consumed, &parser), cmd);
    EXPECT_EQ(consumed, wire.size());
  }
}

TEST(RespWriterRoundTrip, RandomPipelines) {
  std::mt19937 rng(12345);
  Parser parser;
  for (int round = 0; round < 200; ++round) {
    std::vector<std::vector<std::string>> commands(1 + rng() % 8);
    std::string wire;
    for (auto& cmd : commands) {
      cmd.resize(rng() % 6);
      for (auto& arg : cmd) {
        arg.resize(rng() % 40);
        for (char& c : arg) c = static_cast<char>(rng() % 256);
      }
      wire += EncodeCommand(cmd);
    }
    std::string_view rest = wire;
    for (const auto& cmd : commands) {
      size_t consumed = 0;
      ASSERT_EQ(ParseAll(rest, &consumed, &parser), cmd);
      rest.remove_prefix(consumed);
    }
    EXPECT_TRUE(rest.empty());
  }
}

TEST(RespWriterRoundTrip, ParsedArgumentsReEncodeIdentically) {
  const std::string wire = EncodeCommand({"HSET", "h", "f\r\n", "", "v"});
  Parser parser;
  std::vector<std::string_view> views;
  ASSERT_EQ(parser.Parse(wire, &views).status, ParseStatus::kCommand);
  std::string again;
  Writer w(&again);
  w.ArrayHeader(static_cast<int64_t>(views.size()));
  for (std::string_view v : views) w.Bulk(v);
  EXPECT_EQ(again, wire);
}

}  // namespace
}  // namespace ringside::resp
