// String commands end to end over hiredis: replies and errors as redis-server 7.0 gives them.

#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

using StringsTest = ServerTest;

const Reply kOk = Status("OK");
const Reply kNotInteger = Error("ERR value is not an integer or out of range");
const Reply kSyntax = Error("ERR syntax error");

TEST_F(StringsTest, GetAndSet) {
  EXPECT_EQ(Cmd({"GET", "k"}), Nil());
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Cmd({"SET", "k", "w"}), kOk);
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("w"));
  EXPECT_EQ(Cmd({"SET", "", ""}), kOk);  // empty key and empty value are ordinary
  EXPECT_EQ(Cmd({"GET", ""}), Bulk(""));
  EXPECT_EQ(Cmd({"get", "k"}), Bulk("w"));  // command names are case-insensitive
  EXPECT_EQ(Cmd({"GET"}), ArityError("get"));
  EXPECT_EQ(Cmd({"GET", "a", "b"}), ArityError("get"));
  EXPECT_EQ(Cmd({"SET", "k"}), ArityError("set"));
}

TEST_F(StringsTest, ValuesAreBinarySafe) {
  const std::string value("a\0b\r\nc\xff\x80$*", 10);
  const std::string key("k\0\r\n ", 5);
  EXPECT_EQ(Cmd({"SET", key, value}), kOk);
  EXPECT_EQ(Cmd({"GET", key}), Bulk(value));
  EXPECT_EQ(Cmd({"STRLEN", key}), Int(10));
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
}

TEST_F(StringsTest, LargeValuesRoundTrip) {
  for (size_t size : {size_t{16 * 1024}, size_t{1 << 20}, size_t{8 << 20}}) {
    std::string value(size, 'x');
    for (size_t i = 0; i < size; i += 4093) value[i] = static_cast<char>('a' + (i % 26));
    const std::string key = "big:" + std::to_string(size);
    ASSERT_EQ(Cmd({"SET", key, value}), kOk) << size;
    EXPECT_EQ(Cmd({"STRLEN", key}), Int(static_cast<int64_t>(size)));
    const Reply got = Cmd({"GET", key});
    ASSERT_EQ(got.type, Reply::Type::kBulk);
    EXPECT_TRUE(got.str == value) << "value of " << size << " bytes came back different";
  }
}

TEST_F(StringsTest, SetNxXx) {
  EXPECT_EQ(Cmd({"SET", "k", "v", "XX"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Cmd({"SET", "k", "v", "NX"}), kOk);
  EXPECT_EQ(Cmd({"SET", "k", "w", "NX"}), Nil());
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Cmd({"SET", "k", "w", "xx"}), kOk);
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("w"));
  EXPECT_EQ(Cmd({"SET", "k", "v", "NX", "XX"}), kSyntax);
  EXPECT_EQ(Cmd({"SET", "k", "v", "FOO"}), kSyntax);
}

TEST_F(StringsTest, SetGet) {
  EXPECT_EQ(Cmd({"SET", "k", "v1", "GET"}), Nil());
  EXPECT_EQ(Cmd({"SET", "k", "v2", "GET"}), Bulk("v1"));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v2"));
  // NX GET is allowed since 7.0: the old value comes back and nothing is written.
  EXPECT_EQ(Cmd({"SET", "k", "v3", "NX", "GET"}), Bulk("v2"));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v2"));
  EXPECT_EQ(Cmd({"SET", "k2", "a", "NX", "GET"}), Nil());
  EXPECT_EQ(Cmd({"GET", "k2"}), Bulk("a"));
  EXPECT_EQ(Cmd({"SET", "k3", "a", "XX", "GET"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "k3"}), Int(0));
  EXPECT_EQ(Cmd({"SET", "k", "v4", "XX", "GET"}), Bulk("v2"));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v4"));
}

TEST_F(StringsTest, SetExpiryOptions) {
  EXPECT_EQ(Cmd({"SET", "ex", "v", "EX", "100"}), kOk);
  const Reply ttl = Cmd({"TTL", "ex"});
  ASSERT_EQ(ttl.type, Reply::Type::kInteger);
  EXPECT_GE(ttl.integer, 99);
  EXPECT_LE(ttl.integer, 100);

  EXPECT_EQ(Cmd({"SET", "px", "v", "PX", "100000"}), kOk);
  const Reply pttl = Cmd({"PTTL", "px"});
  ASSERT_EQ(pttl.type, Reply::Type::kInteger);
  EXPECT_GT(pttl.integer, 90000);
  EXPECT_LE(pttl.integer, 100000);

  const int64_t at = UnixMillis() / 1000 + 500;
  EXPECT_EQ(Cmd({"SET", "exat", "v", "EXAT", std::to_string(at)}), kOk);
  EXPECT_EQ(Cmd({"EXPIRETIME", "exat"}), Int(at));

  const int64_t pat = UnixMillis() + 500000;
  EXPECT_EQ(Cmd({"SET", "pxat", "v", "PXAT", std::to_string(pat)}), kOk);
  EXPECT_EQ(Cmd({"PEXPIRETIME", "pxat"}), Int(pat));

  // A plain SET drops the TTL; KEEPTTL keeps it.
  EXPECT_EQ(Cmd({"SET", "ex", "w"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "ex"}), Int(-1));
  EXPECT_EQ(Cmd({"SET", "exat", "w", "KEEPTTL"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRETIME", "exat"}), Int(at));
  EXPECT_EQ(Cmd({"GET", "exat"}), Bulk("w"));

  // A time in the past stores nothing that can be read back.
  EXPECT_EQ(Cmd({"SET", "past", "v", "PXAT", "1000"}), kOk);
  EXPECT_EQ(Cmd({"GET", "past"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "past"}), Int(0));
}

TEST_F(StringsTest, SetExpiryErrors) {
  const Reply bad_time = Error("ERR invalid expire time in 'set' command");
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "0"}), bad_time);
  EXPECT_EQ(Cmd({"SET", "k", "v", "PX", "-5"}), bad_time);
  EXPECT_EQ(Cmd({"SET", "k", "v", "PX", "0"}), bad_time);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "9223372036854775"}), bad_time);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "abc"}), kNotInteger);
  EXPECT_EQ(Cmd({"SET", "k", "v", "PX", "9999999999999999999"}), kNotInteger);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX"}), kSyntax);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "10", "PX", "100"}), kSyntax);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EX", "10", "KEEPTTL"}), kSyntax);
  EXPECT_EQ(Cmd({"SET", "k", "v", "KEEPTTL", "PXAT", "100"}), kSyntax);
  EXPECT_EQ(Cmd({"SET", "k", "v", "EXAT", "10", "PXAT", "20"}), kSyntax);
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0)) << "a rejected SET must not write";
}

TEST_F(StringsTest, SetNxSetExPSetEx) {
  EXPECT_EQ(Cmd({"SETNX", "k", "a"}), Int(1));
  EXPECT_EQ(Cmd({"SETNX", "k", "b"}), Int(0));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("a"));

  EXPECT_EQ(Cmd({"SETEX", "e", "100", "v"}), kOk);
  EXPECT_EQ(Cmd({"GET", "e"}), Bulk("v"));
  const Reply ttl = Cmd({"TTL", "e"});
  EXPECT_TRUE(ttl.type == Reply::Type::kInteger && ttl.integer >= 99 && ttl.integer <= 100) << ttl;
  EXPECT_EQ(Cmd({"SETEX", "e", "0", "v"}), Error("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Cmd({"SETEX", "e", "x", "v"}), kNotInteger);

  EXPECT_EQ(Cmd({"PSETEX", "p", "100000", "v"}), kOk);
  const Reply pttl = Cmd({"PTTL", "p"});
  EXPECT_TRUE(pttl.type == Reply::Type::kInteger && pttl.integer > 90000 && pttl.integer <= 100000)
      << pttl;
  EXPECT_EQ(Cmd({"PSETEX", "p", "-1", "v"}), Error("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(Cmd({"SETEX", "e", "10"}), ArityError("setex"));
  EXPECT_EQ(Cmd({"SETNX", "k"}), ArityError("setnx"));
}

TEST_F(StringsTest, GetSetGetDel) {
  EXPECT_EQ(Cmd({"GETSET", "k", "a"}), Nil());
  EXPECT_EQ(Cmd({"GETSET", "k", "b"}), Bulk("a"));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("b"));
  EXPECT_EQ(Cmd({"SET", "t", "v", "EX", "100"}), kOk);
  EXPECT_EQ(Cmd({"GETSET", "t", "w"}), Bulk("v"));
  EXPECT_EQ(Cmd({"TTL", "t"}), Int(-1)) << "GETSET clears the TTL";

  EXPECT_EQ(Cmd({"GETDEL", "k"}), Bulk("b"));
  EXPECT_EQ(Cmd({"GETDEL", "k"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Cmd({"GETDEL"}), ArityError("getdel"));
}

TEST_F(StringsTest, GetEx) {
  EXPECT_EQ(Cmd({"GETEX", "missing"}), Nil());
  EXPECT_EQ(Cmd({"GETEX", "missing", "EX", "10"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "missing"}), Int(0));

  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"GETEX", "k"}), Bulk("v"));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"GETEX", "k", "EX", "100"}), Bulk("v"));
  EXPECT_GE(Cmd({"TTL", "k"}).integer, 99);
  EXPECT_EQ(Cmd({"GETEX", "k", "PX", "200000"}), Bulk("v"));
  EXPECT_GT(Cmd({"PTTL", "k"}).integer, 190000);
  const int64_t at = UnixMillis() / 1000 + 1000;
  EXPECT_EQ(Cmd({"GETEX", "k", "EXAT", std::to_string(at)}), Bulk("v"));
  EXPECT_EQ(Cmd({"EXPIRETIME", "k"}), Int(at));
  const int64_t pat = UnixMillis() + 2000000;
  EXPECT_EQ(Cmd({"GETEX", "k", "PXAT", std::to_string(pat)}), Bulk("v"));
  EXPECT_EQ(Cmd({"PEXPIRETIME", "k"}), Int(pat));
  EXPECT_EQ(Cmd({"GETEX", "k", "PERSIST"}), Bulk("v"));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));

  EXPECT_EQ(Cmd({"GETEX", "k", "EX", "10", "PERSIST"}), kSyntax);
  EXPECT_EQ(Cmd({"GETEX", "k", "EX", "0"}), Error("ERR invalid expire time in 'getex' command"));
  EXPECT_EQ(Cmd({"GETEX", "k", "EX", "x"}), kNotInteger);
  EXPECT_EQ(Cmd({"GETEX", "k", "FOO"}), kSyntax);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));

  // An expiry in the past deletes the key once the value has been returned.
  EXPECT_EQ(Cmd({"GETEX", "k", "PXAT", "1000"}), Bulk("v"));
  EXPECT_EQ(Cmd({"EXISTS", "k"}), Int(0));
}

TEST_F(StringsTest, MGetMSetMSetNx) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "c", "3"}), kOk);
  EXPECT_EQ(Cmd({"MGET", "a", "nope", "c", "b", "a"}),
            Array({Bulk("1"), Nil(), Bulk("3"), Bulk("2"), Bulk("1")}));
  EXPECT_EQ(Cmd({"MSET", "a", "x", "a", "y"}), kOk);  // the last one wins
  EXPECT_EQ(Cmd({"GET", "a"}), Bulk("y"));
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b"}), ArityError("mset"));
  EXPECT_EQ(Cmd({"MSET"}), ArityError("mset"));
  EXPECT_EQ(Cmd({"MGET"}), ArityError("mget"));

  EXPECT_EQ(Cmd({"MSETNX", "n1", "1", "n2", "2"}), Int(1));
  EXPECT_EQ(Cmd({"MSETNX", "n2", "x", "n3", "3"}), Int(0)) << "all or nothing";
  EXPECT_EQ(Cmd({"MGET", "n1", "n2", "n3"}), Array({Bulk("1"), Bulk("2"), Nil()}));
  EXPECT_EQ(Cmd({"MSETNX", "n4", "1", "n5"}), ArityError("msetnx"));
}

TEST_F(StringsTest, AppendAndStrlen) {
  EXPECT_EQ(Cmd({"STRLEN", "k"}), Int(0));
  EXPECT_EQ(Cmd({"APPEND", "k", "Hello"}), Int(5));
  EXPECT_EQ(Cmd({"APPEND", "k", " World"}), Int(11));
  EXPECT_EQ(Cmd({"APPEND", "k", ""}), Int(11));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("Hello World"));
  EXPECT_EQ(Cmd({"STRLEN", "k"}), Int(11));
  EXPECT_EQ(Cmd({"SET", "n", "10"}), kOk);
  EXPECT_EQ(Cmd({"APPEND", "n", "5"}), Int(3));
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(106));
  EXPECT_EQ(Cmd({"APPEND", "e", ""}), Int(0));
  EXPECT_EQ(Cmd({"EXISTS", "e"}), Int(1)) << "APPEND creates the key even with an empty value";
  EXPECT_EQ(Cmd({"STRLEN"}), ArityError("strlen"));
}

TEST_F(StringsTest, GetRangeAndSubstr) {
  EXPECT_EQ(Cmd({"SET", "k", "This is a string"}), kOk);
  struct Case {
    const char* start;
    const char* end;
    const char* expected;
  };
  const Case cases[] = {
      {"0", "3", "This"},      {"-3", "-1", "ing"}, {"0", "-1", "This is a string"},
      {"10", "100", "string"}, {"5", "3", ""},      {"-100", "3", "This"},
      {"-1", "-5", ""},        {"15", "15", "g"},   {"16", "20", ""},
      {"0", "0", "T"},         {"-100", "-50", "T"}};  // 7.0 clamps both ends to 0
  for (const auto& c : cases) {
    EXPECT_EQ(Cmd({"GETRANGE", "k", c.start, c.end}), Bulk(c.expected))
        << "GETRANGE k " << c.start << " " << c.end;
    EXPECT_EQ(Cmd({"SUBSTR", "k", c.start, c.end}), Bulk(c.expected))
        << "SUBSTR k " << c.start << " " << c.end;
  }
  EXPECT_EQ(Cmd({"GETRANGE", "missing", "0", "-1"}), Bulk(""));
  EXPECT_EQ(Cmd({"GETRANGE", "k", "a", "1"}), kNotInteger);
  EXPECT_EQ(Cmd({"GETRANGE", "k", "0"}), ArityError("getrange"));
}

TEST_F(StringsTest, SetRange) {
  EXPECT_EQ(Cmd({"SET", "k", "Hello World"}), kOk);
  EXPECT_EQ(Cmd({"SETRANGE", "k", "6", "Redis"}), Int(11));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("Hello Redis"));
  EXPECT_EQ(Cmd({"SETRANGE", "k", "9", "ing!"}), Int(13));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("Hello Reding!"));

  // Padding with zero bytes, on a missing key too.
  EXPECT_EQ(Cmd({"SETRANGE", "z", "5", "x"}), Int(6));
  EXPECT_EQ(Cmd({"GET", "z"}), Bulk(std::string("\0\0\0\0\0x", 6)));

  // An empty value on a missing key creates nothing; on an existing key it changes nothing.
  EXPECT_EQ(Cmd({"SETRANGE", "none", "10", ""}), Int(0));
  EXPECT_EQ(Cmd({"EXISTS", "none"}), Int(0));
  EXPECT_EQ(Cmd({"SETRANGE", "k", "100", ""}), Int(13));

  EXPECT_EQ(Cmd({"SETRANGE", "k", "-1", "x"}), Error("ERR offset is out of range"));
  EXPECT_EQ(Cmd({"SETRANGE", "k", "536870912", "x"}),
            Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  EXPECT_EQ(Cmd({"SETRANGE", "k", "x", "x"}), kNotInteger);
  EXPECT_EQ(Cmd({"SETRANGE", "k", "1"}), ArityError("setrange"));
}

TEST_F(StringsTest, IncrDecr) {
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(1));
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(2));
  EXPECT_EQ(Cmd({"DECR", "n"}), Int(1));
  EXPECT_EQ(Cmd({"DECR", "m"}), Int(-1));
  EXPECT_EQ(Cmd({"INCRBY", "n", "100"}), Int(101));
  EXPECT_EQ(Cmd({"INCRBY", "n", "-200"}), Int(-99));
  EXPECT_EQ(Cmd({"DECRBY", "n", "1"}), Int(-100));
  EXPECT_EQ(Cmd({"DECRBY", "n", "-300"}), Int(200));
  EXPECT_EQ(Cmd({"GET", "n"}), Bulk("200"));
  EXPECT_EQ(Cmd({"SET", "n", "-5"}), kOk);
  EXPECT_EQ(Cmd({"INCR", "n"}), Int(-4));

  // INCR keeps the TTL.
  EXPECT_EQ(Cmd({"SET", "t", "1", "EX", "100"}), kOk);
  EXPECT_EQ(Cmd({"INCR", "t"}), Int(2));
  EXPECT_GE(Cmd({"TTL", "t"}).integer, 99);
}

TEST_F(StringsTest, IncrErrors) {
  for (const char* bad : {"abc", " 1", "1 ", "1.5", "+1", "", "01x", "99999999999999999999"}) {
    EXPECT_EQ(Cmd({"SET", "s", bad}), kOk);
    EXPECT_EQ(Cmd({"INCR", "s"}), kNotInteger) << "value '" << bad << "'";
    EXPECT_EQ(Cmd({"GET", "s"}), Bulk(bad)) << "a failed INCR must not change the value";
  }
  EXPECT_EQ(Cmd({"INCRBY", "n", "x"}), kNotInteger);
  EXPECT_EQ(Cmd({"INCRBY", "n", "1.0"}), kNotInteger);
  EXPECT_EQ(Cmd({"DECRBY", "n", ""}), kNotInteger);

  const Reply overflow = Error("ERR increment or decrement would overflow");
  EXPECT_EQ(Cmd({"SET", "max", "9223372036854775807"}), kOk);
  EXPECT_EQ(Cmd({"INCR", "max"}), overflow);
  EXPECT_EQ(Cmd({"INCRBY", "max", "1"}), overflow);
  EXPECT_EQ(Cmd({"DECRBY", "max", "-1"}), overflow);
  EXPECT_EQ(Cmd({"SET", "min", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Cmd({"DECR", "min"}), overflow);
  EXPECT_EQ(Cmd({"INCRBY", "min", "-1"}), overflow);
  EXPECT_EQ(Cmd({"DECRBY", "zero", "-9223372036854775808"}), Error("ERR decrement would overflow"));
  EXPECT_EQ(Cmd({"GET", "max"}), Bulk("9223372036854775807"));
  EXPECT_EQ(Cmd({"INCR"}), ArityError("incr"));
  EXPECT_EQ(Cmd({"INCRBY", "n"}), ArityError("incrby"));
}

TEST_F(StringsTest, IncrByFloat) {
  EXPECT_EQ(Cmd({"SET", "f", "10.5"}), kOk);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "f", "-5"}), Bulk("5.6"));
  EXPECT_EQ(Cmd({"SET", "e", "5.0e3"}), kOk);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "e", "2.0e2"}), Bulk("5200"));
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "new", "3"}), Bulk("3"));
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "new", "1.5"}), Bulk("4.5"));
  EXPECT_EQ(Cmd({"GET", "new"}), Bulk("4.5"));
  EXPECT_EQ(Cmd({"SET", "i", "3"}), kOk);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "i", "0"}), Bulk("3"));

  const Reply not_float = Error("ERR value is not a valid float");
  EXPECT_EQ(Cmd({"SET", "s", "abc"}), kOk);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "s", "1"}), not_float);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "f", "x"}), not_float);
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "f", "inf"}), Error("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(Cmd({"GET", "f"}), Bulk("5.6"));
  EXPECT_EQ(Cmd({"INCRBYFLOAT", "f"}), ArityError("incrbyfloat"));
}

TEST_F(StringsTest, WrongArityAndUnknownCommands) {
  EXPECT_EQ(Cmd({"NOSUCHCMD", "a", "b"}),
            Error("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(Cmd({"nosuchcmd"}),
            Error("ERR unknown command 'nosuchcmd', with args beginning with: "));
  const std::vector<std::vector<std::string>> wrong = {
      {"APPEND", "k"},   {"DECR"},         {"DECRBY", "k"},      {"GETDEL"},
      {"GETEX"},         {"GETSET", "k"},  {"INCRBYFLOAT", "k"}, {"MSETNX"},
      {"PSETEX", "k"},   {"SETEX"},        {"SUBSTR", "k", "0"}, {"STRLEN", "a", "b"},
      {"GETRANGE", "k"}, {"SETRANGE", "k"}};
  for (const auto& argv : wrong) {
    std::string lower = argv[0];
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(Cmd(argv), ArityError(lower)) << argv[0];
  }
}

}  // namespace
}  // namespace ringside::testing
