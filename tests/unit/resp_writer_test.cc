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

// The same typed reply in each protocol: RESP3 keeps the type, RESP2 falls back to the form
// redis-server sends a RESP2 client (expected bytes from redis-server 7.0's replies).
struct TypedCase {
  const char* what;
  void (*write)(Writer&);
  const char* resp2;
  const char* resp3;
};

const TypedCase kTypedCases[] = {
    {"null bulk", [](Writer& w) { w.NullBulk(); }, "$-1\r\n", "_\r\n"},
    {"null array", [](Writer& w) { w.NullArray(); }, "*-1\r\n", "_\r\n"},
    {"map",
     [](Writer& w) {
       w.MapHeader(2);
       w.Bulk("a");
       w.Integer(1);
       w.Bulk("b");
       w.NullBulk();
     },
     "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n"},
    {"empty map", [](Writer& w) { w.MapHeader(0); }, "*0\r\n", "%0\r\n"},
    {"set",
     [](Writer& w) {
       w.SetHeader(1);
       w.Bulk("x");
     },
     "*1\r\n$1\r\nx\r\n", "~1\r\n$1\r\nx\r\n"},
    {"push",
     [](Writer& w) {
       w.PushHeader(2);
       w.Bulk("invalidate");
       w.NullArray();
     },
     "*2\r\n$10\r\ninvalidate\r\n*-1\r\n", ">2\r\n$10\r\ninvalidate\r\n_\r\n"},
    {"double", [](Writer& w) { w.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n"},
    {"double with 17 digits", [](Writer& w) { w.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
     ",0.10000000000000001\r\n"},
    {"integral double", [](Writer& w) { w.Double(3); }, "$1\r\n3\r\n", ",3\r\n"},
    {"inf", [](Writer& w) { w.Double(std::numeric_limits<double>::infinity()); },
     "$3\r\ninf\r\n", ",inf\r\n"},
    {"-inf", [](Writer& w) { w.Double(-std::numeric_limits<double>::infinity()); },
     "$4\r\n-inf\r\n", ",-inf\r\n"},
    {"true", [](Writer& w) { w.Boolean(true); }, ":1\r\n", "#t\r\n"},
    {"false", [](Writer& w) { w.Boolean(false); }, ":0\r\n", "#f\r\n"},
    {"verbatim", [](Writer& w) { w.Verbatim("txt", "a\r\nb"); }, "$4\r\na\r\nb\r\n",
     "=8\r\ntxt:a\r\nb\r\n"},
    {"types both protocols share",
     [](Writer& w) {
       w.ArrayHeader(3);
       w.SimpleString("OK");
       w.Error("ERR x");
       w.Bulk("");
     },
     "*3\r\n+OK\r\n-ERR x\r\n$0\r\n\r\n", "*3\r\n+OK\r\n-ERR x\r\n$0\r\n\r\n"},
};

TEST(RespWriterProtocols, EachTypedReplyInBothProtocols) {
  for (const TypedCase& c : kTypedCases) {
    std::string two, three;
    Writer w2(&two);
    Writer w3(&three, Protocol::kResp3);
    c.write(w2);
    c.write(w3);
    EXPECT_EQ(two, c.resp2) << c.what;
    EXPECT_EQ(three, c.resp3) << c.what;
    EXPECT_EQ(w3.protocol(), Protocol::kResp3);
  }
}

TEST(RespWriterProtocols, OutputWriterKeepsTheProtocol) {
  Output out;
  Writer w(&out, Protocol::kResp3);
  w.NullBulk();
  EXPECT_EQ(out.text, "_\r\n");
}

}  // namespace
}  // namespace ringside::resp
