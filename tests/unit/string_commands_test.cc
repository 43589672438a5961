// String commands through the in-process harness. Expected replies were checked byte for byte
// against redis-server 7.0.
#include <string>

#include "command_harness.h"

namespace ringside::testing {
namespace {

using StringCommands = CommandHarness;

constexpr std::string_view kNotInt = "ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kSyntax = "ERR syntax error";
constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";

TEST_F(StringCommands, GetSet) {
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "k", ""}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), "$0\r\n\r\n");
  const std::string binary("a\0\r\nb", 5);
  EXPECT_EQ(Run({"SET", binary, binary}), kOk);
  EXPECT_EQ(Run({"GET", binary}), Bulk(binary));
}

TEST_F(StringCommands, SetNxXx) {
  EXPECT_EQ(Run({"SET", "k", "v", "XX"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "w", "xx"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("w"));
  EXPECT_EQ(Run({"SET", "k", "v", "nx", "nx"}), kNil);  // repeating a flag is fine
}

TEST_F(StringCommands, SetGet) {
  EXPECT_EQ(Run({"SET", "k", "v", "GET"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v2", "GET"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "k", "v3", "XX", "GET"}), Bulk("v2"));
  // NX with GET is allowed since 7.0: the old value comes back and nothing is set.
  EXPECT_EQ(Run({"SET", "k", "v4", "NX", "GET"}), Bulk("v3"));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v3"));
  EXPECT_EQ(Run({"SET", "k2", "v", "XX", "GET"}), kNil);
  EXPECT_EQ(Run({"GET", "k2"}), kNil);
  EXPECT_EQ(Run({"SET", "k3", "v", "GET", "NX"}), kNil);
  EXPECT_EQ(Run({"GET", "k3"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "GET", "GET"}), Bulk("v3"));
}

TEST_F(StringCommands, SetSyntaxErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"SET", "k", "v", "NX", "XX"},
           {"SET", "k", "v", "XX", "NX"},
           {"SET", "k", "v", "EX", "10", "PX", "10"},
           {"SET", "k", "v", "EX", "10", "KEEPTTL"},
           {"SET", "k", "v", "KEEPTTL", "EX", "10"},
           {"SET", "k", "v", "KEEPTTL", "PXAT", "10"},
           {"SET", "k", "v", "EX", "10", "EXAT", "20"},
           {"SET", "k", "v", "PXAT", "10", "EXAT", "20"},
           {"SET", "k", "v", "EX"},
           {"SET", "k", "v", "foo"},
           {"SET", "k", "v", "PERSIST"},
           {"SET", "k", "v", "EX", "abc", "NX", "XX"},  // syntax is checked before the time
           {"SET", "k", "v", "EX", "10", "KEEPTTL", "NX"},
       }) {
    EXPECT_EQ(Run(args), Err(kSyntax)) << args[3];
  }
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_F(StringCommands, SetExpireOptions) {
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), kOk);
  EXPECT_EQ(Run({"PTTL", "k"}), Int(10000));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1500"}), kOk);
  EXPECT_EQ(Run({"PTTL", "k"}), Int(1500));
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 100)}), kOk);
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(now / 1000 + 100));
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", std::to_string(now + 777)}), kOk);
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(now + 777));
  EXPECT_EQ(Run({"SET", "k", "v", "ex", "10", "ex", "20"}), kOk);  // the last one wins
  EXPECT_EQ(Run({"TTL", "k"}), Int(20));
  // A plain SET clears the TTL; KEEPTTL keeps it.
  EXPECT_EQ(Run({"SET", "k", "w", "KEEPTTL"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(20));
  EXPECT_EQ(Run({"SET", "k", "w"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Run({"SET", "new", "v", "KEEPTTL"}), kOk);
  EXPECT_EQ(Run({"TTL", "new"}), Int(-1));
}

TEST_F(StringCommands, SetExpiresLazily) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "100"}), kOk);
  clock_.Advance(100);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  clock_.Advance(1);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(store_.stats().expired_keys, 1u);
  // An absolute time in the past is accepted and the key is gone at once.
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "1"}), kOk);
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "1"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_F(StringCommands, SetInvalidExpire) {
  const std::string invalid = Err("ERR invalid expire time in 'set' command");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "-1"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "-1"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775807"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "9223372036854775807"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}), Err(kNotInt));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1.5"}), Err(kNotInt));
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854"}), kOk);
}

TEST_F(StringCommands, SetNxCommand) {
  EXPECT_EQ(Run({"SETNX", "k", "v"}), Int(1));
  EXPECT_EQ(Run({"SETNX", "k", "w"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
}

TEST_F(StringCommands, SetExAndPSetEx) {
  EXPECT_EQ(Run({"SETEX", "k", "10", "v"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(10));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"PSETEX", "k", "1500", "w"}), kOk);
  EXPECT_EQ(Run({"PTTL", "k"}), Int(1500));
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Run({"SETEX", "k", "-5", "v"}), Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Run({"SETEX", "k", "9223372036854775807", "v"}),
            Err("ERR invalid expire time in 'setex' command"));
  EXPECT_EQ(Run({"PSETEX", "k", "0", "v"}), Err("ERR invalid expire time in 'psetex' command"));
  EXPECT_EQ(Run({"SETEX", "k", "abc", "v"}), Err(kNotInt));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("w"));
}

TEST_F(StringCommands, GetSetGetDel) {
  EXPECT_EQ(Run({"GETSET", "k", "v"}), kNil);
  EXPECT_EQ(Run({"EXPIRE", "k", "100"}), Int(1));
  EXPECT_EQ(Run({"GETSET", "k", "w"}), Bulk("v"));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));  // GETSET drops the TTL
  EXPECT_EQ(Run({"GETDEL", "k"}), Bulk("w"));
  EXPECT_EQ(Run({"GETDEL", "k"}), kNil);
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
}

TEST_F(StringCommands, GetEx) {
  EXPECT_EQ(Run({"GETEX", "k"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETEX", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10"}), Bulk("v"));
  EXPECT_EQ(Run({"TTL", "k"}), Int(10));
  EXPECT_EQ(Run({"GETEX", "k", "PX", "2500"}), Bulk("v"));
  EXPECT_EQ(Run({"PTTL", "k"}), Int(2500));
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", std::to_string(now / 1000 + 50)}), Bulk("v"));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), Int(now / 1000 + 50));
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", std::to_string(now + 50)}), Bulk("v"));
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), Int(now + 50));
  EXPECT_EQ(Run({"GETEX", "k", "ex", "10", "ex", "20"}), Bulk("v"));
  EXPECT_EQ(Run({"TTL", "k"}), Int(20));
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "persist"}), Bulk("v"));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  // A time already reached deletes the key after replying with it.
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", "1"}), Bulk("v"));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
}

TEST_F(StringCommands, GetExErrors) {
  EXPECT_EQ(Run({"GETEX", "nokey", "foo"}), Err(kSyntax));
  // The key is looked up before the time is validated.
  EXPECT_EQ(Run({"GETEX", "nokey", "EX", "0"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "10"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PERSIST"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "EX"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "NX"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "KEEPTTL"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "GET"}), Err(kSyntax));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PX", "10"}), Err(kSyntax));
  const std::string invalid = Err("ERR invalid expire time in 'getex' command");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "0"}), invalid);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "-1"}), invalid);
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "9223372036854775807"}), invalid);
  EXPECT_EQ(Run({"GETEX", "k", "PX", "9223372036854775807"}), invalid);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "9223372036854775"}), invalid);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "abc"}), Err(kNotInt));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
}

TEST_F(StringCommands, AppendAndStrlen) {
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(0));
  EXPECT_EQ(Run({"APPEND", "k", "abc"}), Int(3));
  EXPECT_EQ(Run({"APPEND", "k", "def"}), Int(6));
  EXPECT_EQ(Run({"APPEND", "k", ""}), Int(6));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("abcdef"));
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(6));
  EXPECT_EQ(Run({"APPEND", "e", ""}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "e"}), Int(1));  // APPEND of nothing still creates the key
}

TEST_F(StringCommands, AppendKeepsTtlAndRespectsMaxBulkLen) {
  EXPECT_EQ(Run({"SET", "k", "abc", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"APPEND", "k", "d"}), Int(4));
  EXPECT_EQ(Run({"TTL", "k"}), Int(100));
  proto_max_bulk_len_ = 6;
  EXPECT_EQ(Run({"APPEND", "k", "ef"}), Int(6));
  EXPECT_EQ(Run({"APPEND", "k", "g"}),
            Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("abcdef"));
}

TEST_F(StringCommands, GetRange) {
  EXPECT_EQ(Run({"SET", "k", "Hello"}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "-1"}), Bulk("Hello"));
  EXPECT_EQ(Run({"GETRANGE", "k", "-3", "-1"}), Bulk("llo"));
  EXPECT_EQ(Run({"GETRANGE", "k", "10", "20"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "3", "1"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "-1", "-3"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "100"}), Bulk("Hello"));
  EXPECT_EQ(Run({"GETRANGE", "k", "-100", "2"}), Bulk("Hel"));
  EXPECT_EQ(Run({"GETRANGE", "k", "4", "4"}), Bulk("o"));
  EXPECT_EQ(Run({"GETRANGE", "k", "5", "5"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "k", "-5", "-5"}), Bulk("H"));
  // Redis clamps negatives to 0 before comparing, so ranges before the start give "H".
  EXPECT_EQ(Run({"GETRANGE", "k", "-100", "-90"}), Bulk("H"));
  EXPECT_EQ(Run({"GETRANGE", "k", "0", "-100"}), Bulk("H"));
  EXPECT_EQ(Run({"SUBSTR", "k", "1", "2"}), Bulk("el"));
  EXPECT_EQ(Run({"GETRANGE", "k", "a", "1"}), Err(kNotInt));
  EXPECT_EQ(Run({"GETRANGE", "nokey", "0", "-1"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "nokey", "a", "b"}), Err(kNotInt));
  EXPECT_EQ(Run({"SET", "e", ""}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), Bulk(""));
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "0"}), Bulk(""));
}

TEST_F(StringCommands, SetRange) {
  EXPECT_EQ(Run({"SETRANGE", "nokey", "0", ""}), Int(0));
  EXPECT_EQ(Run({"SETRANGE", "nokey", "5", ""}), Int(0));
  EXPECT_EQ(Run({"EXISTS", "nokey"}), Int(0));  // an empty value creates nothing
  EXPECT_EQ(Run({"SETRANGE", "nokey", "-1", "x"}), Err("ERR offset is out of range"));
  EXPECT_EQ(Run({"SETRANGE", "nokey", "a", "x"}), Err(kNotInt));
  EXPECT_EQ(Run({"SET", "k", "Hello"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "k", "1", ""}), Int(5));
  EXPECT_EQ(Run({"SETRANGE", "k", "1", "a"}), Int(5));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("Hallo"));
  EXPECT_EQ(Run({"SETRANGE", "k", "10", "X"}), Int(11));
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string("Hallo\0\0\0\0\0X", 11)));
  EXPECT_EQ(Run({"SETRANGE", "new", "2", "ab"}), Int(4));
  EXPECT_EQ(Run({"GET", "new"}), Bulk(std::string("\0\0ab", 4)));
}

TEST_F(StringCommands, SetRangeRespectsMaxBulkLen) {
  const std::string too_big = Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  EXPECT_EQ(Run({"SETRANGE", "k", "536870912", "x"}), too_big);
  EXPECT_EQ(Run({"SETRANGE", "k", "9223372036854775807", "x"}), too_big);
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  proto_max_bulk_len_ = 10;
  EXPECT_EQ(Run({"SETRANGE", "k", "9", "x"}), Int(10));
  EXPECT_EQ(Run({"SETRANGE", "k", "9", "xy"}), too_big);
  EXPECT_EQ(Run({"SETRANGE", "k", "100", ""}), Int(10));  // empty value: no size check
}

TEST_F(StringCommands, IncrDecr) {
  EXPECT_EQ(Run({"INCR", "n"}), Int(1));
  EXPECT_EQ(Run({"SET", "n", "10"}), kOk);
  EXPECT_EQ(Run({"INCR", "n"}), Int(11));
  EXPECT_EQ(Run({"DECR", "n"}), Int(10));
  EXPECT_EQ(Run({"INCRBY", "n", "-5"}), Int(5));
  EXPECT_EQ(Run({"DECRBY", "n", "3"}), Int(2));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("2"));
  EXPECT_EQ(Run({"DECR", "m"}), Int(-1));
  EXPECT_EQ(Run({"DECRBY", "o", "-7"}), Int(7));
}

TEST_F(StringCommands, IncrKeepsTtl) {
  EXPECT_EQ(Run({"SET", "n", "1", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"INCR", "n"}), Int(2));
  EXPECT_EQ(Run({"TTL", "n"}), Int(100));
}

TEST_F(StringCommands, IncrRejectsNonCanonicalIntegers) {
  for (const char* v :
       {" 1", "1 ", "01", "-0", "+1", "1.5", "", "abc", "9223372036854775808", "1e3", "0x10"}) {
    EXPECT_EQ(Run({"SET", "n", v}), kOk);
    EXPECT_EQ(Run({"INCR", "n"}), Err(kNotInt)) << v;
  }
  EXPECT_EQ(Run({"INCRBY", "n", "09"}), Err(kNotInt));
  EXPECT_EQ(Run({"INCRBY", "nn", "9223372036854775808"}), Err(kNotInt));
  EXPECT_EQ(Run({"INCRBY", "nn", "abc"}), Err(kNotInt));
  EXPECT_EQ(Run({"EXISTS", "nn"}), Int(0));
}

TEST_F(StringCommands, IncrOverflow) {
  EXPECT_EQ(Run({"SET", "n", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"INCR", "n"}), Err(kOverflow));
  EXPECT_EQ(Run({"SET", "n", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Run({"DECR", "n"}), Err(kOverflow));
  EXPECT_EQ(Run({"DECRBY", "n", "1"}), Err(kOverflow));
  EXPECT_EQ(Run({"INCRBY", "n", "-1"}), Err(kOverflow));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("-9223372036854775808"));
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775808"}), Err("ERR decrement would overflow"));
  EXPECT_EQ(Run({"SET", "n", "0"}), kOk);
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775807"}), Int(9223372036854775807));
  EXPECT_EQ(Run({"SET", "n", "1"}), kOk);
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775807"}), Err(kOverflow));
  EXPECT_EQ(Run({"INCRBY", "m", "-9223372036854775808"}), Int(INT64_MIN));
}

TEST_F(StringCommands, IncrByFloatFormatting) {
  EXPECT_EQ(Run({"SET", "k", "10.5"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Run({"SET", "k", "3.0e3"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "0"}), Bulk("3000"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "a", "1e-5"}), Bulk("0.00001"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "b", "5.0e17"}), Bulk("500000000000000000"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "b", "1.5"}), Bulk("500000000000000001.5"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "c", "0x10"}), Bulk("16"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "c", "-0.0"}), Bulk("16"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "d", "-0.0"}), Bulk("0"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "e", "0.1"}), Bulk("0.1"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "e", "0.2"}), Bulk("0.3"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "e", "1e-20"}), Bulk("0.3"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "123456789012345678901234567890"}),
            Bulk("123456789012345678899921813504"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "1.1e-17"}), Bulk("0.00000000000000001"));
  EXPECT_EQ(Run({"SET", "h", "1e5"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "h", "1"}), Bulk("100001"));
  EXPECT_EQ(Run({"SET", "i", "1"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "i", "-1.5"}), Bulk("-0.5"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "i", "0.5"}), Bulk("0"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "j", "3"}), Bulk("3"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "j", "-3"}), Bulk("0"));
  EXPECT_EQ(Run({"GET", "j"}), Bulk("0"));
  const std::string big =
      "1000000000000000000028188068394758651458645343362905203862591069353968553400862986203936"
      "3994848324160522094053927317616200295822777259255734023828976593340661017797447434546173"
      "9178624481166749717237789438243915933380474706750262466844013592375136038303437354855052"
      "4495596497902182503828009106841494740245689865304095101751265809261582758892018347251164"
      "3316591362664138176309734806343732497430221946880";
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "1e400"}), Bulk(big));
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "1e-400"}), Bulk(big));
}

TEST_F(StringCommands, IncrByFloatErrors) {
  const std::string nan_inf = Err("ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "inf"}), nan_inf);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "-inf"}), nan_inf);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "nan"}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", " 1"}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1 "}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "abc"}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", ""}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1e-5000"}), Err(kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1e5000"}), Err(kNotFloat));
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Run({"SET", "k", "1.5 "}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1"}), Err(kNotFloat));
  EXPECT_EQ(Run({"SET", "k", ""}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1"}), Err(kNotFloat));
  EXPECT_EQ(Run({"SET", "k", "1e308"}), kOk);
  // Past double's range but within long double's, as in Redis.
  const std::string sum =
      "1999999999999999999933717593116912913211201996948311344155940959898434697376761237442002"
      "5384377707864089349445010802644630426949918792116719484162886039283753591820003920638155"
      "7326219209014213335878306791577877829121087126122536729803237260434173178506889763247582"
      "601711514636284849020905456510092687857156096";
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "1e308"}), Bulk(sum));
}

TEST_F(StringCommands, MGetAndMSet) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Run({"MGET", "a", "nokey", "b"}), "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
  EXPECT_EQ(Run({"MGET", "a"}), "*1\r\n$1\r\n1\r\n");
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(Run({"EXPIRE", "a", "100"}), Int(1));
  EXPECT_EQ(Run({"MSET", "a", "x", "a", "y"}), kOk);  // the last value wins; TTL is cleared
  EXPECT_EQ(Run({"GET", "a"}), Bulk("y"));
  EXPECT_EQ(Run({"TTL", "a"}), Int(-1));
}

TEST_F(StringCommands, ReadsCountHitsAndMisses) {
  Run({"SET", "k", "v"});
  Run({"GET", "k"});
  Run({"GET", "nokey"});
  Run({"MGET", "k", "nokey", "k"});
  Run({"STRLEN", "k"});
  EXPECT_EQ(store_.stats().keyspace_hits, 4u);
  EXPECT_EQ(store_.stats().keyspace_misses, 2u);
  Run({"SET", "k", "w"});
  Run({"INCR", "n"});
  EXPECT_EQ(store_.stats().keyspace_hits, 4u);
  EXPECT_EQ(store_.stats().keyspace_misses, 2u);
}

TEST_F(StringCommands, MemoryAccountingThroughCommands) {
  Run({"SET", "k", "v"});
  Run({"APPEND", "k", "abc"});
  Run({"SETRANGE", "k", "10", "xyz"});
  Run({"INCR", "n"});
  Run({"INCRBY", "n", "123456"});
  Run({"INCRBYFLOAT", "f", "1.25"});
  Run({"INCRBYFLOAT", "f", "100"});
  Run({"SETRANGE", "r", "3", "x"});
  Run({"APPEND", "a", "hello"});
  Run({"GETSET", "a", "x"});
  Run({"MSET", "m1", "1", "m2", "22"});
  EXPECT_EQ(Run({"DEL", "k", "n", "f", "r", "a", "m1", "m2"}), Int(7));
  EXPECT_EQ(store_.UsedBytes(), 0u);
}

TEST_F(StringCommands, CommandsSeeOtherDatabases) {
  Run({"SET", "k", "db0"});
  db_ = 3;
  EXPECT_EQ(Run({"GET", "k"}), kNil);
  Run({"SET", "k", "db3"});
  db_ = 0;
  EXPECT_EQ(Run({"GET", "k"}), Bulk("db0"));
}

}  // namespace
}  // namespace ringside::testing
