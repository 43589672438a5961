// The COMMAND DOCS syntax parser and argument writer, and the syntax line of every row in the
// command table (rows added later are covered too).
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "proxy/command.h"
#include "proxy/commands/docs.h"
#include "resp/writer.h"

namespace ringside::testing {
namespace {

using proxy::CommandRow;
using proxy::CommandTable;
using proxy::DocArg;
using proxy::DocArgType;
using proxy::ParseDocSyntax;

// One line per argument, children indented: "name type [TOKEN] [flags] [#key_spec_index]".
void Describe(const std::vector<DocArg>& args, int depth, std::string* out) {
  for (const DocArg& a : args) {
    out->append(static_cast<size_t>(depth) * 2, ' ');
    *out += a.name + " " + std::string(proxy::DocArgTypeName(a.type));
    if (!a.token.empty()) *out += " token=" + a.token;
    if (a.flags & proxy::kDocOptional) *out += " optional";
    if (a.flags & proxy::kDocMultiple) *out += " multiple";
    if (a.flags & proxy::kDocMultipleToken) *out += " multiple_token";
    if (a.key_spec_index >= 0) *out += " #" + std::to_string(a.key_spec_index);
    *out += "\n";
    Describe(a.children, depth + 1, out);
  }
}

std::string Tree(std::string_view syntax) {
  const proxy::DocSyntax s = ParseDocSyntax(syntax);
  if (!s.ok) return "error: " + s.error;
  std::string out;
  Describe(s.args, 0, &out);
  return out;
}

TEST(DocSyntax, WordsInferTheirTypes) {
  EXPECT_EQ(Tree("key seconds value"),
            "key key #0\n"
            "seconds integer\n"
            "value string\n");
  EXPECT_EQ(Tree("key newkey"), "key key #0\nnewkey key #1\n");
  EXPECT_EQ(Tree("pattern unix-time-milliseconds cursor"),
            "pattern pattern\nunix-time-milliseconds unix-time\ncursor integer\n");
  EXPECT_EQ(Tree(""), "");
}

TEST(DocSyntax, ExplicitTypesAndColonsInNames) {
  EXPECT_EQ(Tree("key increment:double"), "key key #0\nincrement double\n");
  EXPECT_EQ(Tree("destination:key key"), "destination key #0\nkey key #1\n");
  EXPECT_EQ(Tree("ip:port"), "ip:port string\n");
}

TEST(DocSyntax, OptionalTokensAndOneOf) {
  EXPECT_EQ(Tree("[NOSAVE|SAVE] [NOW]"),
            "nosave_save oneof optional\n"
            "  nosave pure-token token=NOSAVE\n"
            "  save pure-token token=SAVE\n"
            "now pure-token token=NOW optional\n");
  EXPECT_EQ(Tree("[message]"), "message string optional\n");
}

TEST(DocSyntax, TokensWithValuesInsideOneOfAndLabels) {
  EXPECT_EQ(Tree("key value condition=[NX|XX] [GET] expiration=[EX seconds|PX milliseconds|"
                 "EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"),
            "key key #0\n"
            "value string\n"
            "condition oneof optional\n"
            "  nx pure-token token=NX\n"
            "  xx pure-token token=XX\n"
            "get pure-token token=GET optional\n"
            "expiration oneof optional\n"
            "  seconds integer token=EX\n"
            "  milliseconds integer token=PX\n"
            "  unix-time-seconds unix-time token=EXAT\n"
            "  unix-time-milliseconds unix-time token=PXAT\n"
            "  keepttl pure-token token=KEEPTTL\n");
  EXPECT_EQ(Tree("change=[CH] sorting=ALPHA"),
            "change pure-token token=CH optional\nsorting pure-token token=ALPHA\n");
}

TEST(DocSyntax, Repetition) {
  EXPECT_EQ(Tree("key [key ...]"), "key key multiple #0\n");
  EXPECT_EQ(Tree("key value [key value ...]"),
            "key_value block multiple\n"
            "  key key #0\n"
            "  value string\n");
  EXPECT_EQ(Tree("[section [section ...]]"), "section string optional multiple\n");
  EXPECT_EQ(Tree("[section ...]"), "section string optional multiple\n");
  EXPECT_EQ(Tree("key pair=(field value ...)"),
            "key key #0\n"
            "pair block multiple\n"
            "  field string\n"
            "  value string\n");
  // Only the very items before the repetition collapse into it.
  EXPECT_EQ(Tree("key [value ...]"), "key key #0\nvalue string optional multiple\n");
}

TEST(DocSyntax, TokensGoverningSeveralValuesOrRepeatedValues) {
  EXPECT_EQ(Tree("arguments=[protover [AUTH username password] [SETNAME clientname]]"),
            "arguments block optional\n"
            "  protover integer\n"
            "  username_password block token=AUTH optional\n"
            "    username string\n"
            "    password string\n"
            "  clientname string token=SETNAME optional\n");
  EXPECT_EQ(Tree("[PREFIX prefix [PREFIX prefix ...]]"),
            "prefix string token=PREFIX optional multiple multiple_token\n");
  EXPECT_EQ(Tree("id=[ID client-id [client-id ...]]"),
            "id block token=ID optional\n"
            "  client-id integer multiple\n");
  EXPECT_EQ(Tree("[TYPE (NORMAL|MASTER)]"),
            "normal_master oneof token=TYPE optional\n"
            "  normal pure-token token=NORMAL\n"
            "  master pure-token token=MASTER\n");
  EXPECT_EQ(Tree("[LIMIT offset count]"),
            "offset_count block token=LIMIT optional\n"
            "  offset integer\n"
            "  count integer\n");
}

TEST(DocSyntax, RejectsMalformedLines) {
  for (std::string_view bad :
       {"[key", "key]", "(key", "[]", "[a|]", "[|a]", "key ...", "[a ...|b]", "[a ... b]", "=[a]",
        "x=", "NX:integer", ":integer", "key $", "[a) ", "a | b"}) {
    const proxy::DocSyntax s = ParseDocSyntax(bad);
    EXPECT_FALSE(s.ok) << "'" << bad << "' parsed as\n" << Tree(bad);
    EXPECT_FALSE(s.error.empty()) << bad;
  }
}

TEST(DocSyntax, WriterUsesRedisShape) {
  const proxy::DocSyntax s = ParseDocSyntax("key [NX] [COUNT count [COUNT count ...]]");
  ASSERT_TRUE(s.ok) << s.error;
  std::string out;
  resp::Writer w(&out);
  proxy::WriteDocArguments(w, s.args);
  EXPECT_EQ(out,
            "*3\r\n"
            "*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
            "$14\r\nkey_spec_index\r\n:0\r\n"
            "*8\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n"
            "$5\r\ntoken\r\n$2\r\nNX\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"
            "*8\r\n$4\r\nname\r\n$5\r\ncount\r\n$4\r\ntype\r\n$7\r\ninteger\r\n"
            "$5\r\ntoken\r\n$5\r\nCOUNT\r\n$5\r\nflags\r\n"
            "*3\r\n+optional\r\n+multiple\r\n+multiple_token\r\n");
  std::string nested;
  resp::Writer n(&nested);
  proxy::WriteDocArguments(n, ParseDocSyntax("[A|B]").args);
  EXPECT_EQ(nested,
            "*1\r\n*8\r\n$4\r\nname\r\n$3\r\na_b\r\n$4\r\ntype\r\n$5\r\noneof\r\n"
            "$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n"
            "*6\r\n$4\r\nname\r\n$1\r\na\r\n$4\r\ntype\r\n$10\r\npure-token\r\n"
            "$5\r\ntoken\r\n$1\r\nA\r\n"
            "*6\r\n$4\r\nname\r\n$1\r\nb\r\n$4\r\ntype\r\n$10\r\npure-token\r\n"
            "$5\r\ntoken\r\n$1\r\nB\r\n");
}

constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

// How many arguments the shortest and the longest call spelled by `a` take.
size_t MinArgs(const DocArg& a);
size_t MaxArgs(const DocArg& a);

size_t MinArgs(const DocArg& a) {
  if (a.flags & proxy::kDocOptional) return 0;
  const size_t token = a.token.empty() ? 0 : 1;
  switch (a.type) {
    case DocArgType::kPureToken:
      return 1;
    case DocArgType::kBlock: {
      size_t n = token;
      for (const DocArg& c : a.children) n += MinArgs(c);
      return n;
    }
    case DocArgType::kOneOf: {
      size_t n = kUnbounded;
      for (const DocArg& c : a.children) n = std::min(n, MinArgs(c));
      return token + n;
    }
    default:
      return token + 1;
  }
}

size_t MaxArgs(const DocArg& a) {
  if (a.flags & proxy::kDocMultiple) return kUnbounded;
  const size_t token = a.token.empty() ? 0 : 1;
  size_t n = 0;
  switch (a.type) {
    case DocArgType::kPureToken:
      return 1;
    case DocArgType::kBlock:
      for (const DocArg& c : a.children) {
        if (MaxArgs(c) == kUnbounded) return kUnbounded;
        n += MaxArgs(c);
      }
      return token + n;
    case DocArgType::kOneOf:
      for (const DocArg& c : a.children) n = std::max(n, MaxArgs(c));
      return n == kUnbounded ? n : token + n;
    default:
      return token + 1;
  }
}

int CountKeys(const std::vector<DocArg>& args) {
  int n = 0;
  for (const DocArg& a : args) n += (a.type == DocArgType::kKey) + CountKeys(a.children);
  return n;
}

TEST(CommandTableDocs, EverySyntaxParsesAndAgreesWithArity) {
  ASSERT_FALSE(CommandTable::Get().rows().empty());
  for (const CommandRow& row : CommandTable::Get().rows()) {
    SCOPED_TRACE(std::string(row.name) + ": " + std::string(row.syntax));
    const proxy::DocSyntax s = ParseDocSyntax(row.syntax);
    ASSERT_TRUE(s.ok) << s.error;
    size_t min = 0, max = 0;
    for (const DocArg& a : s.args) {
      min += MinArgs(a);
      max = (max == kUnbounded || MaxArgs(a) == kUnbounded) ? kUnbounded : max + MaxArgs(a);
    }
    // Arity counts the command name too: N is exactly N-1 arguments, -N at least N-1.
    if (row.arity > 0) {
      EXPECT_EQ(min, static_cast<size_t>(row.arity - 1));
      EXPECT_EQ(max, static_cast<size_t>(row.arity - 1));
    } else {
      EXPECT_EQ(min, static_cast<size_t>(-row.arity - 1));
    }
    // A command with key positions (fixed or movable) names a key argument, and one without
    // names none.
    EXPECT_EQ(CountKeys(s.args) > 0, row.first_key > 0 || (row.flags & proxy::kMovableKeys) != 0);
  }
}

}  // namespace
}  // namespace ringside::testing
