// Generic key commands end to end: existence, types, renames, expiry options, KEYS, SCAN and
// RANDOMKEY, with replies and errors as redis-server 7.0 gives them.

#include <algorithm>
#include <set>
#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

class KeysTest : public ServerTest {
 protected:
  // TTL rounds to whole seconds, so a TTL just set to N reads N, or N-1 on a slow machine.
  void ExpectTtl(const std::string& key, int64_t seconds) {
    const Reply r = Cmd({"TTL", key});
    EXPECT_TRUE(r.type == Reply::Type::kInteger && r.integer <= seconds && r.integer >= seconds - 1)
        << "TTL " << key << " -> " << r << ", expected about " << seconds;
  }
};

const Reply kOk = Status("OK");
const Reply kNotInteger = Error("ERR value is not an integer or out of range");

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_F(KeysTest, DelUnlinkExists) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), kOk);
  EXPECT_EQ(Cmd({"EXISTS", "a"}), Int(1));
  EXPECT_EQ(Cmd({"EXISTS", "a", "a", "nope", "b"}), Int(3)) << "EXISTS counts repeats";
  EXPECT_EQ(Cmd({"DEL", "a", "nope"}), Int(1));
  EXPECT_EQ(Cmd({"DEL", "a"}), Int(0));
  EXPECT_EQ(Cmd({"DEL", "b", "b"}), Int(1)) << "a key is deleted once";
  EXPECT_EQ(Cmd({"UNLINK", "c", "d", "e"}), Int(2));
  EXPECT_EQ(Cmd({"EXISTS", "a", "b", "c", "d"}), Int(0));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"DEL"}), ArityError("del"));
  EXPECT_EQ(Cmd({"UNLINK"}), ArityError("unlink"));
  EXPECT_EQ(Cmd({"EXISTS"}), ArityError("exists"));
}

TEST_F(KeysTest, TypeAndTouch) {
  EXPECT_EQ(Cmd({"SET", "s", "v"}), kOk);
  EXPECT_EQ(Cmd({"TYPE", "s"}), Status("string"));
  EXPECT_EQ(Cmd({"TYPE", "missing"}), Status("none"));
  EXPECT_EQ(Cmd({"TOUCH", "s", "missing", "s"}), Int(2));
  EXPECT_EQ(Cmd({"TOUCH", "missing"}), Int(0));
  EXPECT_EQ(Cmd({"TYPE"}), ArityError("type"));
  EXPECT_EQ(Cmd({"TOUCH"}), ArityError("touch"));
}

TEST_F(KeysTest, Rename) {
  EXPECT_EQ(Cmd({"RENAME", "missing", "x"}), Error("ERR no such key"));
  EXPECT_EQ(Cmd({"SET", "a", "1"}), kOk);
  EXPECT_EQ(Cmd({"RENAME", "a", "b"}), kOk);
  EXPECT_EQ(Cmd({"MGET", "a", "b"}), Array({Nil(), Bulk("1")}));
  EXPECT_EQ(Cmd({"RENAME", "b", "b"}), kOk);
  EXPECT_EQ(Cmd({"GET", "b"}), Bulk("1"));

  // The destination is overwritten, and the TTL travels with the value.
  EXPECT_EQ(Cmd({"SET", "c", "3", "EX", "1000"}), kOk);
  EXPECT_EQ(Cmd({"RENAME", "b", "c"}), kOk);
  EXPECT_EQ(Cmd({"GET", "c"}), Bulk("1"));
  EXPECT_EQ(Cmd({"TTL", "c"}), Int(-1));
  EXPECT_EQ(Cmd({"SET", "t", "v", "EX", "1000"}), kOk);
  EXPECT_EQ(Cmd({"RENAME", "t", "u"}), kOk);
  const Reply ttl = Cmd({"TTL", "u"});
  EXPECT_TRUE(ttl.type == Reply::Type::kInteger && ttl.integer > 990) << ttl;
  EXPECT_EQ(Cmd({"TTL", "t"}), Int(-2));
  EXPECT_EQ(Cmd({"RENAME", "u"}), ArityError("rename"));
}

TEST_F(KeysTest, RenameNx) {
  EXPECT_EQ(Cmd({"RENAMENX", "missing", "x"}), Error("ERR no such key"));
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Cmd({"RENAMENX", "a", "b"}), Int(0));
  EXPECT_EQ(Cmd({"MGET", "a", "b"}), Array({Bulk("1"), Bulk("2")}));
  EXPECT_EQ(Cmd({"RENAMENX", "a", "c"}), Int(1));
  EXPECT_EQ(Cmd({"MGET", "a", "c"}), Array({Nil(), Bulk("1")}));
  EXPECT_EQ(Cmd({"RENAMENX", "c", "c"}), Int(0));
  EXPECT_EQ(Cmd({"RENAMENX", "c"}), ArityError("renamenx"));
}

TEST_F(KeysTest, TtlFamily) {
  EXPECT_EQ(Cmd({"TTL", "missing"}), Int(-2));
  EXPECT_EQ(Cmd({"PTTL", "missing"}), Int(-2));
  EXPECT_EQ(Cmd({"EXPIRETIME", "missing"}), Int(-2));
  EXPECT_EQ(Cmd({"PEXPIRETIME", "missing"}), Int(-2));
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"PTTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"EXPIRETIME", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"PEXPIRETIME", "k"}), Int(-1));

  EXPECT_EQ(Cmd({"EXPIRE", "k", "100"}), Int(1));
  ExpectTtl("k", 100);
  const Reply pttl = Cmd({"PTTL", "k"});
  EXPECT_TRUE(pttl.type == Reply::Type::kInteger && pttl.integer > 99000 && pttl.integer <= 100000)
      << pttl;
  const int64_t pexpiretime = Cmd({"PEXPIRETIME", "k"}).integer;
  EXPECT_NEAR(static_cast<double>(pexpiretime), static_cast<double>(UnixMillis() + 100000), 2000);
  EXPECT_EQ(Cmd({"EXPIRETIME", "k"}), Int((pexpiretime + 500) / 1000));

  EXPECT_EQ(Cmd({"PEXPIRE", "k", "50000"}), Int(1));
  const int64_t p = Cmd({"PTTL", "k"}).integer;
  EXPECT_TRUE(p > 49000 && p <= 50000) << p;

  const int64_t at = UnixMillis() / 1000 + 3000;
  EXPECT_EQ(Cmd({"EXPIREAT", "k", std::to_string(at)}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRETIME", "k"}), Int(at));
  const int64_t pat = UnixMillis() + 4000000;
  EXPECT_EQ(Cmd({"PEXPIREAT", "k", std::to_string(pat)}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIRETIME", "k"}), Int(pat));

  EXPECT_EQ(Cmd({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(Cmd({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(Cmd({"PERSIST", "missing"}), Int(0));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"EXPIRE", "missing", "100"}), Int(0));
  EXPECT_EQ(Cmd({"PEXPIREAT", "missing", std::to_string(pat)}), Int(0));
  EXPECT_EQ(Cmd({"EXISTS", "missing"}), Int(0));
}

TEST_F(KeysTest, ExpireInThePastDeletes) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRE", "a", "0"}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIRE", "b", "-100"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIREAT", "c", "1"}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIREAT", "d", "1000"}), Int(1));
  EXPECT_EQ(Cmd({"EXISTS", "a", "b", "c", "d"}), Int(0));
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
}

TEST_F(KeysTest, ExpireOptions) {
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  // No TTL yet: XX and GT fail (no TTL counts as infinite), NX and LT succeed.
  EXPECT_EQ(Cmd({"EXPIRE", "k", "100", "XX"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "100", "GT"}), Int(0));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "100", "NX"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "200", "NX"}), Int(0));
  ExpectTtl("k", 100);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "200", "XX"}), Int(1));
  ExpectTtl("k", 200);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "100", "GT"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "300", "GT"}), Int(1));
  ExpectTtl("k", 300);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "400", "LT"}), Int(0));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "150", "LT"}), Int(1));
  ExpectTtl("k", 150);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "160", "XX", "GT"}), Int(1));
  ExpectTtl("k", 160);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "100", "xx", "lt"}), Int(1)) << "options are case-insensitive";

  EXPECT_EQ(Cmd({"SET", "p", "v"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRE", "p", "100", "LT"}), Int(1));
  EXPECT_EQ(Cmd({"PERSIST", "p"}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIRE", "p", "100000", "NX"}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIRE", "p", "200000", "GT"}), Int(1));
  const int64_t pat = UnixMillis() + 50000;
  EXPECT_EQ(Cmd({"PEXPIREAT", "p", std::to_string(pat), "GT"}), Int(0));
  EXPECT_EQ(Cmd({"PEXPIREAT", "p", std::to_string(pat), "LT"}), Int(1));
  EXPECT_EQ(Cmd({"PEXPIRETIME", "p"}), Int(pat));
  const int64_t at = UnixMillis() / 1000 + 10;
  EXPECT_EQ(Cmd({"EXPIREAT", "p", std::to_string(at), "XX"}), Int(1));
  EXPECT_EQ(Cmd({"EXPIRETIME", "p"}), Int(at));
  EXPECT_EQ(Cmd({"EXPIREAT", "p", std::to_string(at + 10), "NX"}), Int(0));
}

TEST_F(KeysTest, ExpireErrors) {
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  const Reply nx_xx = Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "NX", "XX"}), nx_xx);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "NX", "GT"}), nx_xx);
  EXPECT_EQ(Cmd({"PEXPIRE", "k", "10", "NX", "LT"}), nx_xx);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "GT", "LT"}),
            Error("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "10", "FOO"}), Error("ERR Unsupported option FOO"));
  EXPECT_EQ(Cmd({"EXPIRE", "k", "abc"}), kNotInteger);
  EXPECT_EQ(Cmd({"PEXPIREAT", "k", "1.5"}), kNotInteger);
  EXPECT_EQ(Cmd({"EXPIRE", "k", "99999999999999999"}),
            Error("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Cmd({"EXPIREAT", "k", "9223372036854775807"}),
            Error("ERR invalid expire time in 'expireat' command"));
  EXPECT_EQ(Cmd({"TTL", "k"}), Int(-1)) << "a rejected EXPIRE must not set a TTL";
  EXPECT_EQ(Cmd({"EXPIRE", "k"}), ArityError("expire"));
  EXPECT_EQ(Cmd({"PEXPIRE", "k"}), ArityError("pexpire"));
  EXPECT_EQ(Cmd({"TTL"}), ArityError("ttl"));
  EXPECT_EQ(Cmd({"PERSIST"}), ArityError("persist"));
  EXPECT_EQ(Cmd({"EXPIRETIME", "a", "b"}), ArityError("expiretime"));
}

TEST_F(KeysTest, ExpiredKeysAreGoneOnAccess) {
  EXPECT_EQ(Cmd({"SET", "k", "v", "PX", "30"}), kOk);
  EXPECT_EQ(Cmd({"SET", "j", "v"}), kOk);
  EXPECT_EQ(Cmd({"PEXPIRE", "j", "30"}), Int(1));
  // Poll with TTL-free commands only, so that what follows sees the keys as they are.
  const int64_t deadline = UnixMillis() + 30;
  EXPECT_TRUE(WaitUntil([&] { return UnixMillis() > deadline + 20; }, std::chrono::seconds(5)));
  EXPECT_EQ(Cmd({"GET", "k"}), Nil());
  EXPECT_EQ(Cmd({"EXISTS", "k", "j"}), Int(0));
  EXPECT_EQ(Cmd({"TYPE", "j"}), Status("none"));
  EXPECT_EQ(Cmd({"RENAME", "j", "x"}), Error("ERR no such key"));
  EXPECT_EQ(Cmd({"SET", "k", "v2", "NX"}), kOk) << "an expired key does not block NX";
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v2"));
}

TEST_F(KeysTest, KeysPatterns) {
  for (const char* k : {"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other", "h?llo"}) {
    ASSERT_EQ(Cmd({"SET", k, "1"}), kOk);
  }
  auto keys = [&](const std::string& pattern) {
    const Reply r = Cmd({"KEYS", pattern});
    EXPECT_EQ(r.type, Reply::Type::kArray) << r;
    return Sorted(r.Strings());
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("h?llo"), (V{"h*llo", "h?llo", "hallo", "hello", "hxllo"}));
  EXPECT_EQ(keys("h*llo"), (V{"h*llo", "h?llo", "hallo", "heeeello", "hello", "hllo", "hxllo"}));
  EXPECT_EQ(keys("h[ae]llo"), (V{"hallo", "hello"}));
  EXPECT_EQ(keys("h[^e]llo"), (V{"h*llo", "h?llo", "hallo", "hxllo"}));
  EXPECT_EQ(keys("h[a-b]llo"), (V{"hallo"}));
  EXPECT_EQ(keys("h\\*llo"), (V{"h*llo"}));
  EXPECT_EQ(keys("h\\?llo"), (V{"h?llo"}));
  EXPECT_EQ(keys("*"),
            (V{"h*llo", "h?llo", "hallo", "heeeello", "hello", "hllo", "hxllo", "other"}));
  EXPECT_EQ(keys("other"), (V{"other"}));
  EXPECT_EQ(keys("nomatch*"), V{});
  EXPECT_EQ(Cmd({"KEYS"}), ArityError("keys"));
}

TEST_F(KeysTest, ScanBasics) {
  std::set<std::string> all;
  for (int i = 0; i < 300; ++i) {
    const std::string key = (i % 3 == 0 ? "user:" : "item:") + std::to_string(i);
    ASSERT_EQ(Cmd({"SET", key, "v"}), kOk);
    all.insert(key);
  }
  auto scan_all = [&](std::vector<std::string> options) {
    std::multiset<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      std::vector<std::string> argv = {"SCAN", cursor};
      argv.insert(argv.end(), options.begin(), options.end());
      const Reply r = Cmd(argv);
      EXPECT_EQ(r.type, Reply::Type::kArray) << r;
      if (r.type != Reply::Type::kArray || r.elements.size() != 2) return seen;
      cursor = r.elements[0].str;
      for (const auto& k : r.elements[1].Strings()) seen.insert(k);
    } while (cursor != "0" && ++calls < 10000);
    return seen;
  };
  const auto everything = scan_all({});
  EXPECT_EQ(std::set<std::string>(everything.begin(), everything.end()), all);
  const auto small_steps = scan_all({"COUNT", "7"});
  EXPECT_EQ(std::set<std::string>(small_steps.begin(), small_steps.end()), all);

  const auto users = scan_all({"MATCH", "user:*", "COUNT", "20"});
  EXPECT_EQ(users.size(), 100u);
  for (const auto& k : users) EXPECT_EQ(k.rfind("user:", 0), 0u) << k;

  const auto strings = scan_all({"TYPE", "string"});
  EXPECT_EQ(std::set<std::string>(strings.begin(), strings.end()), all);
  EXPECT_TRUE(scan_all({"TYPE", "list"}).empty());
  EXPECT_TRUE(scan_all({"MATCH", "nothing*"}).empty());
}

TEST_F(KeysTest, ScanErrors) {
  EXPECT_EQ(Cmd({"SCAN", "abc"}), Error("ERR invalid cursor"));
  EXPECT_EQ(Cmd({"SCAN", "0", "COUNT", "0"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"SCAN", "0", "COUNT", "x"}), kNotInteger);
  EXPECT_EQ(Cmd({"SCAN", "0", "MATCH"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"SCAN", "0", "FOO", "bar"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"SCAN"}), ArityError("scan"));
  // An empty database returns no keys and the iteration ends (SCAN may take more than one
  // call to say so: a non-zero cursor with no keys is within its contract).
  std::string cursor = "0";
  int calls = 0;
  do {
    const Reply r = Cmd({"SCAN", cursor});
    ASSERT_EQ(r.type, Reply::Type::kArray) << r;
    ASSERT_EQ(r.elements.size(), 2u) << r;
    EXPECT_EQ(r.elements[1], Array({})) << "SCAN of an empty database";
    cursor = r.elements[0].str;
  } while (cursor != "0" && ++calls < 1000);
  EXPECT_EQ(cursor, "0");
}

TEST_F(KeysTest, RandomKey) {
  EXPECT_EQ(Cmd({"RANDOMKEY"}), Nil());
  EXPECT_EQ(Cmd({"SET", "only", "v"}), kOk);
  EXPECT_EQ(Cmd({"RANDOMKEY"}), Bulk("only"));
  std::set<std::string> keys = {"only"};
  for (int i = 0; i < 20; ++i) {
    keys.insert("k" + std::to_string(i));
    ASSERT_EQ(Cmd({"SET", "k" + std::to_string(i), "v"}), kOk);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const Reply r = Cmd({"RANDOMKEY"});
    ASSERT_EQ(r.type, Reply::Type::kBulk) << r;
    EXPECT_TRUE(keys.count(r.str)) << r.str;
    seen.insert(r.str);
  }
  EXPECT_GT(seen.size(), 5u) << "RANDOMKEY should not keep returning the same few keys";
  EXPECT_EQ(Cmd({"RANDOMKEY", "x"}), ArityError("randomkey"));
}

}  // namespace
}  // namespace ringside::testing
