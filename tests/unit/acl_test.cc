// The ACL layer against Redis 7.0: every expected string below is what redis-server 7.0 prints
// for the same rules (ACL SETUSER then ACL LIST, ACL GETUSER, ACL DRYRUN, ACL LOAD, ACL LOG),
// so a user moving from Redis sees the same rules, errors and verdicts.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/acl/catalog.h"
#include "proxy/acl/user.h"
#include "proxy/acl/users.h"

namespace ringside::proxy::acl {
namespace {

// SHA-256 of the passwords the tests use, as ACL LIST prints them.
constexpr std::string_view kHashHello =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr std::string_view kHashPass =
    "d74ff0ee8da3b9806b18c877dbf29bbde50b5bd8e4dad7a3a725000feb82e8f1";
constexpr std::string_view kHashPw =
    "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
constexpr std::string_view kHashFoo =
    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
constexpr std::string_view kHashBar =
    "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
constexpr std::string_view kHashA =
    "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
constexpr std::string_view kHashB =
    "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
constexpr std::string_view kHashX =
    "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";

std::string S(std::string_view v) { return std::string(v); }

// A new user (acl-pubsub-default resetchannels unless told) after ACL SETUSER with `rules`.
User Make(const std::vector<std::string_view>& rules, bool all_channels = false) {
  User u = NewUser("u", all_channels);
  std::string error;
  EXPECT_TRUE(ApplyRules(&u, rules, all_channels, &error)) << error;
  return u;
}

// What ACL LIST prints after "user u " for a new user given `rules`.
std::string Listed(const std::vector<std::string_view>& rules, bool all_channels = false) {
  return DescribeRules(Make(rules, all_channels));
}

// The error ACL SETUSER replies for `rules`; "" when they apply.
std::string SetError(const std::vector<std::string_view>& rules) {
  User u = NewUser("u", false);
  std::string error;
  if (ApplyRules(&u, rules, false, &error)) return "";
  return error;
}

std::string Flat(const std::vector<std::string_view>& flags) {
  std::string out;
  for (std::string_view f : flags) out += (out.empty() ? "" : " ") + S(f);
  return out;
}

// A command as the permission check sees it: its catalog id and the keys and channels the
// dispatcher found in its arguments, each key with the access Redis's key specs give it.
CommandAccess Cmd(std::string_view name, std::vector<KeyAccess> keys = {},
                  std::vector<ChannelAccess> channels = {}, std::string_view first_arg = "") {
  CommandAccess a;
  a.id = Catalog::Get().Find(name);
  EXPECT_GE(a.id, 0) << name;
  a.no_auth = a.id >= 0 && (Catalog::Get().entry(a.id).marks & kCatalogNoAuth) != 0;
  a.keys = std::move(keys);
  a.channels = std::move(channels);
  a.first_arg = first_arg;
  return a;
}

// --- Catalog ---------------------------------------------------------------------------------

TEST(AclCatalog, CategoriesAreInAclCatOrder) {
  // ACL CAT.
  const std::vector<std::string_view> expected = {
      "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
      "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
      "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
  const auto names = CategoryNames();
  ASSERT_EQ(names.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(names[i], expected[i]) << i;
  EXPECT_EQ(FindCategory("READ"), kRead);
  EXPECT_EQ(FindCategory("nosuch"), -1);
}

TEST(AclCatalog, HoldsEveryCommandAndSubcommandOfRedis70) {
  // COMMAND LIST on redis-server 7.0: 240 commands plus their subcommands, 366 names.
  const Catalog& c = Catalog::Get();
  EXPECT_EQ(c.size(), 366u);
  const int get = c.Find("GET");
  ASSERT_GE(get, 0);
  EXPECT_EQ(c.name(get), "get");
  // COMMAND INFO get: @read @string @fast, one key read.
  EXPECT_TRUE(c.InCategory(get, kRead));
  EXPECT_TRUE(c.InCategory(get, kString));
  EXPECT_TRUE(c.InCategory(get, kFast));
  EXPECT_FALSE(c.InCategory(get, kWrite));
  EXPECT_STREQ(c.entry(get).key_access, "R");
  const int config = c.Find("config");
  const int config_get = c.Find("Config|Get");
  ASSERT_GE(config_get, 0);
  EXPECT_EQ(c.Parent(config_get), config);
  EXPECT_EQ(c.FindSub(config, "GET"), config_get);
  EXPECT_EQ(c.FindSub(config, "nosuch"), -1);
  EXPECT_EQ(c.Find("nosuch"), -1);
}

TEST(AclCatalog, ConnectionCategoryMatchesAclCat) {
  // ACL CAT connection, sorted.
  const std::string expected =
      "asking auth client|caching client|getname client|getredir client|help client|id "
      "client|info client|kill client|list client|no-evict client|pause client|reply "
      "client|setname client|tracking client|trackinginfo client|unblock "
      "client|unpause command command|count command|docs command|getkeys "
      "command|getkeysandflags command|help command|info command|list echo hello ping "
      "quit readonly readwrite reset select wait";
  const Catalog& c = Catalog::Get();
  std::vector<std::string> names;
  for (size_t id = 0; id < c.size(); ++id) {
    if (c.InCategory(static_cast<int>(id), kConnection)) {
      names.push_back(S(c.name(static_cast<int>(id))));
    }
  }
  std::sort(names.begin(), names.end());
  std::string got;
  for (const std::string& n : names) got += (got.empty() ? "" : " ") + n;
  EXPECT_EQ(got, expected);
}

// --- Rules and their errors ------------------------------------------------------------------

TEST(AclRules, NewUserIsOffWithNothingAllowed) {
  // ACL SETUSER fresh; with acl-pubsub-default allchannels the user starts with &*.
  EXPECT_EQ(DescribeRules(NewUser("fresh", false)), "off resetchannels -@all");
  EXPECT_EQ(DescribeRules(NewUser("fresh", true)), "off &* -@all");
  EXPECT_FALSE(NewUser("fresh", false).unrestricted);
}

TEST(AclRules, BadRulesGiveRedisErrors) {
  const struct {
    std::vector<std::string_view> rules;
    std::string error;
  } cases[] = {
      {{"bogus"}, "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"},
      {{"+notacommand"},
       "ERR Error in ACL SETUSER modifier '+notacommand': Unknown command or category name in "
       "ACL"},
      {{"+@notacat"},
       "ERR Error in ACL SETUSER modifier '+@notacat': Unknown command or category name in ACL"},
      {{"#abc"},
       "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
       "characters and contain only lowercase hexadecimal characters"},
      {{"#2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"},
       "ERR Error in ACL SETUSER modifier "
       "'#2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824': The password hash "
       "must be exactly 64 characters and contain only lowercase hexadecimal characters"},
      {{"<nothere"},
       "ERR Error in ACL SETUSER modifier '<nothere': The password you are trying to remove "
       "from the user does not exist"},
      {{"allkeys", "~foo"},
       "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the "
       "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
       "with an empty list of patterns"},
      {{"allchannels", "&foo"},
       "ERR Error in ACL SETUSER modifier '&foo': Adding a pattern after the * pattern (or the "
       "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to "
       "start with an empty list of channels"},
      {{"%X~foo"}, "ERR Error in ACL SETUSER modifier '%X~foo': Syntax error"},
      {{"%RR~a"}, "ERR Error in ACL SETUSER modifier '%RR~a': Syntax error"},
      {{"%Rx~a"}, "ERR Error in ACL SETUSER modifier '%Rx~a': Syntax error"},
      {{"%~a"}, "ERR Error in ACL SETUSER modifier '%~a': Syntax error"},
      {{"+config|get|foo"},
       "ERR Error in ACL SETUSER modifier '+config|get|foo': Allowing first-arg of a "
       "subcommand is not supported"},
      {{"+config|nosuch"},
       "ERR Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name "
       "in ACL"},
      {{"-select|0"},
       "ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in "
       "ACL"},
      {{"(~a +get"}, "ERR Unmatched parenthesis in acl selector starting at '(~a +get'."},
      {{"(", "~a", "+get"}, "ERR Unmatched parenthesis in acl selector starting at '('."},
      {{"(~a bogus)"}, "ERR Error in ACL SETUSER modifier '(~a bogus)': Syntax error"},
      {{"on", "+get", "bogus"}, "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SetError(c.rules), c.error) << c.rules.front();
  }
}

TEST(AclRules, FailedRulesLeaveTheUserUnchanged) {
  // ACL SETUSER u1 bogus: the earlier rules of the same call do not apply either.
  User u = Make({"on", ">pass", "~key:*", "+get"});
  const std::string before = DescribeRules(u);
  const std::string_view rules[] = {"+set", "off", "nopass", "bogus"};
  std::string error;
  EXPECT_FALSE(ApplyRules(&u, rules, false, &error));
  EXPECT_EQ(DescribeRules(u), before);
  EXPECT_EQ(before, "on #" + S(kHashPass) + " ~key:* resetchannels -@all +get");
}

TEST(AclRules, RuleNamesIgnoreCase) {
  // ACL SETUSER fi ON NOPASS ALLKEYS RESETCHANNELS ALLCOMMANDS; patterns keep their case.
  EXPECT_EQ(Listed({"ON", "NOPASS", "ALLKEYS", "RESETCHANNELS", "ALLCOMMANDS"}),
            "on nopass ~* resetchannels +@all");
  EXPECT_EQ(Listed({"on", "nopass", "+GET", "~K", "&C"}),
            "on nopass ~K resetchannels &C -@all +get");
}

TEST(AclRules, EmptyRulesAreIgnored) {
  EXPECT_EQ(Listed({"", "on", ""}), "on resetchannels -@all");
}

TEST(AclRules, ValidUserNames) {
  EXPECT_TRUE(ValidUserName("alice"));
  EXPECT_FALSE(ValidUserName("a b"));
  EXPECT_FALSE(ValidUserName(std::string_view("a\0b", 3)));
}

// --- DescribeRules: ACL LIST -----------------------------------------------------------------

TEST(AclDescribe, MatchesAclListForUsers) {
  EXPECT_EQ(Listed({"on", ">pass", "~key:*", "+get"}),
            "on #" + S(kHashPass) + " ~key:* resetchannels -@all +get");
  EXPECT_EQ(Listed({"%R~ro:*", "%W~wo:*", "%RW~rw:*", "~x", "&chan:*", "+@read"}),
            "off %R~ro:* %W~wo:* ~rw:* ~x resetchannels &chan:* -@all +@read");
  EXPECT_EQ(Listed({"on", "nopass", "allkeys", "allchannels", "allcommands", "-@dangerous"}),
            "on nopass ~* &* +@all -@dangerous");
  EXPECT_EQ(Listed({"+@all", "-flushall"}), "off resetchannels +@all -flushall");
  EXPECT_EQ(Listed({"on", "#" + S(kHashHello), "(~a:* +get)", "(%R~b:* +@read)"}),
            "on #" + S(kHashHello) +
                " resetchannels -@all (~a:* resetchannels -@all +get) (%R~b:* resetchannels "
                "-@all +@read)");
}

TEST(AclDescribe, CommandRulesAsRedisSummarisesThem) {
  // ACL SETUSER cN reset <rules>, then ACL LIST.
  const struct {
    std::vector<std::string_view> rules;
    std::string listed;
  } cases[] = {
      {{"reset", "+@read", "+@write"}, "off sanitize-payload resetchannels -@all +@write +@read"},
      {{"reset", "+@string"}, "off sanitize-payload resetchannels -@all +@string"},
      {{"reset", "+@hash", "+@set"}, "off sanitize-payload resetchannels -@all +@set +@hash"},
      {{"reset", "+@all", "-@write"}, "off sanitize-payload resetchannels +@all -@write"},
      {{"reset", "+@all", "-@dangerous", "-@admin"},
       "off sanitize-payload resetchannels +@all -@dangerous"},
      {{"reset", "+@string", "+@list", "-append"},
       "off sanitize-payload resetchannels -@all +@list +@string -append"},
      {{"reset", "+@fast"}, "off sanitize-payload resetchannels -@all +@fast"},
      {{"reset", "+@slow"}, "off sanitize-payload resetchannels -@all +@slow"},
      {{"reset", "+@pubsub"}, "off sanitize-payload resetchannels -@all +@pubsub"},
      {{"reset", "+@keyspace"}, "off sanitize-payload resetchannels -@all +@keyspace"},
      {{"reset", "+@connection", "+@transaction"},
       "off sanitize-payload resetchannels -@all +@connection +@transaction"},
      {{"reset", "+@all", "-@read", "-@write"},
       "off sanitize-payload resetchannels +@all -@write -@read"},
      {{"reset", "+@scripting"}, "off sanitize-payload resetchannels -@all +@scripting"},
      {{"reset", "+@all", "-@all", "+get"}, "off sanitize-payload resetchannels -@all +get"},
      {{"reset", "+client"}, "off sanitize-payload resetchannels -@all +client"},
      {{"reset", "+client|id"}, "off sanitize-payload resetchannels -@all +client|id"},
      {{"reset", "+config|get"}, "off sanitize-payload resetchannels -@all +config|get"},
      {{"reset", "+acl", "-acl|setuser"},
       "off sanitize-payload resetchannels -@all +acl -acl|setuser"},
      {{"reset", "-@all", "+@admin"}, "off sanitize-payload resetchannels -@all +@admin"},
      {{"reset", "+@geo", "+@stream"}, "off sanitize-payload resetchannels -@all +@stream +@geo"},
      {{"reset", "+@dangerous"}, "off sanitize-payload resetchannels -@all +@dangerous"},
      {{"reset", "+@blocking", "-blpop"},
       "off sanitize-payload resetchannels -@all +@blocking -blpop"},
      {{"reset", "allcommands", "-@all"}, "off sanitize-payload resetchannels -@all"},
      {{"reset", "nocommands"}, "off sanitize-payload resetchannels -@all"},
      {{"reset", "+@all", "nocommands", "+get"}, "off sanitize-payload resetchannels -@all +get"},
  };
  for (const auto& c : cases) {
    std::string rules;
    for (std::string_view r : c.rules) rules += S(r) + " ";
    EXPECT_EQ(Listed(c.rules), c.listed) << rules;
  }
}

TEST(AclDescribe, FirstArgumentRules) {
  EXPECT_EQ(Listed({"+select|0"}), "off resetchannels -@all +select|0");
  EXPECT_EQ(Listed({"+select|0", "+select|1"}), "off resetchannels -@all +select|0 +select|1");
  // Allowing the whole command, before or after, leaves no first-argument rule.
  EXPECT_EQ(Listed({"+select|0", "+select"}), "off resetchannels -@all +select");
  EXPECT_EQ(Listed({"+select", "+select|0"}), "off resetchannels -@all +select");
  // Removing the command or a category holding it drops its first-argument rules.
  EXPECT_EQ(Listed({"+select|0", "-select"}), "off resetchannels -@all");
  EXPECT_EQ(Listed({"+select|0", "-@all"}), "off resetchannels -@all");
  EXPECT_EQ(Listed({"+select|0", "+@connection"}), "off resetchannels -@all +@connection");
  // The argument is kept as written (it is compared without regard to case).
  EXPECT_EQ(Listed({"+SELECT|AbC"}), "off resetchannels -@all +select|AbC");
}

TEST(AclDescribe, KeyPatterns) {
  const struct {
    std::vector<std::string_view> rules;
    std::string listed;
  } cases[] = {
      {{"~a", "~b", "allkeys"}, "off ~* resetchannels -@all"},
      {{"%R~*", "%W~*"}, "off ~* resetchannels -@all"},
      {{"%R~a", "%W~a"}, "off ~a resetchannels -@all"},
      {{"%RW~a"}, "off ~a resetchannels -@all"},
      {{"%WR~a"}, "off ~a resetchannels -@all"},
      {{"%R~a", "~a"}, "off ~a resetchannels -@all"},
      {{"%R~*", "~x"}, "off %R~* ~x resetchannels -@all"},
      {{"%R~a", "%R~a"}, "off %R~a resetchannels -@all"},
      {{"~a", "~a"}, "off ~a resetchannels -@all"},
      {{"~a", "resetkeys", "~b"}, "off ~b resetchannels -@all"},
      {{"%r~a", "%w~b"}, "off %R~a %W~b resetchannels -@all"},
      {{"%R"}, "off %R~ resetchannels -@all"},
      {{"~"}, "off ~ resetchannels -@all"},
  };
  for (const auto& c : cases) EXPECT_EQ(Listed(c.rules), c.listed) << c.rules.front();
}

TEST(AclDescribe, ChannelPatterns) {
  EXPECT_EQ(Listed({"&a", "&b", "&a"}), "off resetchannels &a &b -@all");
  EXPECT_EQ(Listed({"&a", "allchannels"}), "off &* -@all");
  EXPECT_EQ(Listed({"&a", "resetchannels", "&b"}), "off resetchannels &b -@all");
  EXPECT_EQ(Listed({"&"}), "off resetchannels & -@all");
  // acl-pubsub-default allchannels: a new user and `reset` both give &*.
  EXPECT_EQ(Listed({"on"}, true), "on &* -@all");
  EXPECT_EQ(Listed({"resetchannels", "reset"}, true), "off sanitize-payload &* -@all");
}

TEST(AclDescribe, FlagsAndPasswords) {
  EXPECT_EQ(Listed({"on", "nopass", ">x"}), "on #" + S(kHashX) + " resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">a", ">b", "nopass"}), "on nopass resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">a", ">b", "<a"}), "on #" + S(kHashB) + " resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">a", ">b"}),
            "on #" + S(kHashA) + " #" + S(kHashB) + " resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">a", "resetpass"}), "on resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">a", ">a"}), "on #" + S(kHashA) + " resetchannels -@all");
  EXPECT_EQ(Listed({"on", ">hello", "!" + S(kHashHello)}), "on resetchannels -@all");
  EXPECT_EQ(Listed({"skip-sanitize-payload"}), "off skip-sanitize-payload resetchannels -@all");
  EXPECT_EQ(Listed({"on", "off"}), "off resetchannels -@all");
  EXPECT_EQ(Listed({"on", "nopass", "~*", "+@all", "reset"}),
            "off sanitize-payload resetchannels -@all");
}

TEST(AclDescribe, SelectorsAreListedInOrder) {
  EXPECT_EQ(Listed({"on", "nopass", "~a:*", "+get", "(~b:* +set)", "(&ch %R~c:* +publish)"}),
            "on nopass ~a:* resetchannels -@all +get (~b:* resetchannels -@all +set) "
            "(%R~c:* resetchannels &ch -@all +publish)");
  // Identical selectors are both kept.
  EXPECT_EQ(Listed({"(+get ~x)", "(+get ~x)"}),
            "off resetchannels -@all (~x resetchannels -@all +get) (~x resetchannels -@all "
            "+get)");
  // A selector may span arguments, up to the one ending in ')'.
  EXPECT_EQ(Listed({"(", "~x", "+get", ")"}),
            "off resetchannels -@all (~x resetchannels -@all +get)");
  EXPECT_EQ(Listed({"(~x", "+get)"}), "off resetchannels -@all (~x resetchannels -@all +get)");
  EXPECT_EQ(Listed({"on", "(+get ~x)", "reset"}), "off sanitize-payload resetchannels -@all");
  EXPECT_EQ(Listed({"~a:*", "+get", "(~b:* +set)", "clearselectors"}),
            "off ~a:* resetchannels -@all +get");
  // Under acl-pubsub-default allchannels a selector starts with &* too.
  EXPECT_EQ(Listed({"(~x +get)"}, true), "off &* -@all (~x &* -@all +get)");
}

TEST(AclDescribe, GetUserParts) {
  // ACL GETUSER: commands, keys and channels of each selector, and the flags.
  const User u = Make({"%R~ro:*", "%W~wo:*", "%RW~rw:*", "~x", "&chan:*", "+@read"});
  EXPECT_EQ(DescribeCommands(u.root), "-@all +@read");
  EXPECT_EQ(DescribeKeys(u.root), "%R~ro:* %W~wo:* ~rw:* ~x");
  EXPECT_EQ(DescribeChannels(u.root), "&chan:*");
  EXPECT_EQ(Flat(Flags(u)), "off");

  const User empty = Make({"+@all", "-flushall"});
  EXPECT_EQ(DescribeCommands(empty.root), "+@all -flushall");
  EXPECT_EQ(DescribeKeys(empty.root), "");
  EXPECT_EQ(DescribeChannels(empty.root), "");

  const User sel = Make({"on", "#" + S(kHashHello), "(~a:* +get)", "(%R~b:* +@read)"});
  EXPECT_EQ(sel.passwords, std::vector<std::string>{S(kHashHello)});
  EXPECT_EQ(DescribeCommands(sel.root), "-@all");
  ASSERT_EQ(sel.selectors.size(), 2u);
  EXPECT_EQ(DescribeCommands(sel.selectors[0]), "-@all +get");
  EXPECT_EQ(DescribeKeys(sel.selectors[0]), "~a:*");
  EXPECT_EQ(DescribeChannels(sel.selectors[0]), "");
  EXPECT_EQ(DescribeCommands(sel.selectors[1]), "-@all +@read");
  EXPECT_EQ(DescribeKeys(sel.selectors[1]), "%R~b:*");

  const User reset = Make({"reset", "%R~*", "%W~*"});
  EXPECT_EQ(Flat(Flags(reset)), "off sanitize-payload");
  EXPECT_EQ(DescribeKeys(reset.root), "~*");
  EXPECT_EQ(Flat(Flags(Make({"on", "nopass", "skip-sanitize-payload"}))),
            "on nopass skip-sanitize-payload");
}

// --- Check: ACL DRYRUN -----------------------------------------------------------------------

TEST(AclCheck, CommandsAllowedAndDenied) {
  const User u = Make({"on", "nopass", "~*", "+select|0", "+config|get"});
  EXPECT_EQ(Check(u, Cmd("select", {}, {}, "0")).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("select", {}, {}, "1")).denied, Denied::kCommand);
  EXPECT_EQ(Check(u, Cmd("select")).denied, Denied::kCommand);
  EXPECT_EQ(Check(u, Cmd("config|get", {}, {}, "maxmemory")).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("config|set", {}, {}, "maxmemory")).denied, Denied::kCommand);
  EXPECT_EQ(Check(u, Cmd("get", {{"a", kKeyRead}})).denied, Denied::kCommand);
  // AUTH and HELLO run whatever the user's command rules say.
  EXPECT_EQ(Check(u, Cmd("auth")).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("hello")).denied, Denied::kNone);
  // First arguments compare without regard to case.
  const User cased = Make({"on", "nopass", "+SELECT|AbC"});
  EXPECT_EQ(Check(cased, Cmd("select", {}, {}, "ABC")).denied, Denied::kNone);
}

TEST(AclCheck, SubcommandRules) {
  const User u = Make({"on", "nopass", "+client|id"});
  EXPECT_EQ(Check(u, Cmd("client|id")).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("client|list")).denied, Denied::kCommand);
  const User all = Make({"on", "nopass", "+acl", "-acl|setuser"});
  EXPECT_EQ(Check(all, Cmd("acl|list")).denied, Denied::kNone);
  EXPECT_EQ(Check(all, Cmd("acl|setuser")).denied, Denied::kCommand);
}

TEST(AclCheck, CategoryRules) {
  const User u = Make({"on", "nopass", "~*", "+@all", "-@dangerous"});
  EXPECT_EQ(Check(u, Cmd("get", {{"k", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("flushall")).denied, Denied::kCommand);
  EXPECT_EQ(Check(u, Cmd("config|set")).denied, Denied::kCommand);
  EXPECT_FALSE(u.unrestricted);
  const User read = Make({"on", "nopass", "~*", "+@read"});
  EXPECT_EQ(Check(read, Cmd("mget", {{"a", kKeyRead}, {"b", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(read, Cmd("set", {{"a", kKeyWrite}})).denied, Denied::kCommand);
}

TEST(AclCheck, ReadAndWriteKeyPatterns) {
  // ACL SETUSER k1 on nopass %R~r:* %W~w:* ~rw:* &news.* +@all, then ACL DRYRUN k1 ...
  const User u = Make({"on", "nopass", "%R~r:*", "%W~w:*", "~rw:*", "&news.*", "+@all"});
  EXPECT_EQ(Check(u, Cmd("get", {{"r:1", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("get", {{"w:1", kKeyRead}})).denied, Denied::kKey);
  EXPECT_EQ(Check(u, Cmd("set", {{"w:1", kKeyWrite}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("set", {{"r:1", kKeyWrite}})).denied, Denied::kKey);
  EXPECT_EQ(Check(u, Cmd("get", {{"rw:1", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("set", {{"rw:1", kKeyWrite}})).denied, Denied::kNone);
  // SET ... GET reads the key too.
  EXPECT_EQ(Check(u, Cmd("set", {{"w:1", kKeyReadWrite}})).denied, Denied::kKey);
  // COPY reads its source and writes its destination; LMOVE reads and writes its source.
  EXPECT_EQ(Check(u, Cmd("copy", {{"r:1", kKeyRead}, {"w:2", kKeyWrite}})).denied, Denied::kNone);
  const Verdict copy = Check(u, Cmd("copy", {{"w:1", kKeyRead}, {"r:2", kKeyWrite}}));
  EXPECT_EQ(copy.denied, Denied::kKey);
  EXPECT_EQ(copy.index, 0);
  EXPECT_EQ(Check(u, Cmd("lmove", {{"r:1", kKeyReadWrite}, {"w:1", kKeyWrite}})).denied,
            Denied::kKey);
  // EXISTS only looks at its key: any pattern that matches will do.
  EXPECT_EQ(Check(u, Cmd("exists", {{"w:1", 0}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("get", {{"other", kKeyRead}})).denied, Denied::kKey);
  // The key denied is the first that fails: MGET rw:1 r:1 w:1 names 'w:1'.
  const Verdict mget =
      Check(u, Cmd("mget", {{"rw:1", kKeyRead}, {"r:1", kKeyRead}, {"w:1", kKeyRead}}));
  EXPECT_EQ(mget.denied, Denied::kKey);
  EXPECT_EQ(mget.index, 2);
}

TEST(AclCheck, ChannelPatterns) {
  const User u = Make({"on", "nopass", "%R~r:*", "%W~w:*", "~rw:*", "&news.*", "+@all"});
  EXPECT_EQ(Check(u, Cmd("publish", {}, {{"news.x"}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("publish", {}, {{"sports"}})).denied, Denied::kChannel);
  EXPECT_EQ(Check(u, Cmd("subscribe", {}, {{"news.a"}, {"news.b"}})).denied, Denied::kNone);
  const Verdict sub = Check(u, Cmd("subscribe", {}, {{"news.a"}, {"sports"}}));
  EXPECT_EQ(sub.denied, Denied::kChannel);
  EXPECT_EQ(sub.index, 1);
  // PSUBSCRIBE's pattern must be one of the user's patterns as written, not match one.
  EXPECT_EQ(Check(u, Cmd("psubscribe", {}, {{"news.*", true}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("psubscribe", {}, {{"news.a*", true}})).denied, Denied::kChannel);
  // With allchannels anything goes; with resetchannels nothing does.
  const User all = Make({"on", "nopass", "allchannels", "+@all"});
  EXPECT_EQ(Check(all, Cmd("psubscribe", {}, {{"x*", true}})).denied, Denied::kNone);
  const User none = Make({"on", "nopass", "resetchannels", "+@all"});
  EXPECT_EQ(Check(none, Cmd("publish", {}, {{"x"}})).denied, Denied::kChannel);
}

TEST(AclCheck, SelectorsAllowWhatAnyOneOfThemAllowsWhole) {
  // ACL SETUSER s1 on nopass ~a:* +get (~b:* +set) (&ch +publish %R~c:* +get), then DRYRUN.
  const User u =
      Make({"on", "nopass", "~a:*", "+get", "(~b:* +set)", "(&ch +publish %R~c:* +get)"});
  EXPECT_EQ(Check(u, Cmd("get", {{"a:1", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("set", {{"b:1", kKeyWrite}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("get", {{"c:1", kKeyRead}})).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("publish", {}, {{"ch"}})).denied, Denied::kNone);
  // Denied everywhere: the reply names the most telling reason, channel over key over
  // command.
  EXPECT_EQ(Check(u, Cmd("get", {{"b:1", kKeyRead}})).denied, Denied::kKey);
  EXPECT_EQ(Check(u, Cmd("set", {{"a:1", kKeyWrite}})).denied, Denied::kKey);
  EXPECT_EQ(Check(u, Cmd("set", {{"c:1", kKeyWrite}})).denied, Denied::kKey);
  EXPECT_EQ(Check(u, Cmd("publish", {}, {{"other"}})).denied, Denied::kChannel);
  EXPECT_EQ(Check(u, Cmd("del", {{"a:1", kKeyWrite}})).denied, Denied::kCommand);
  EXPECT_EQ(Check(u, Cmd("mget", {{"a:1", kKeyRead}, {"c:1", kKeyRead}})).denied, Denied::kCommand);
  // A command no one selector allows whole is refused even if each key is allowed somewhere.
  const Verdict split = Check(u, Cmd("get", {{"a:1", kKeyRead}, {"c:1", kKeyRead}}));
  EXPECT_EQ(split.denied, Denied::kKey);
  EXPECT_EQ(split.index, 1);
  // Without the selectors only the root rules count.
  const User cleared = Make({"on", "nopass", "~a:*", "+get", "(~b:* +set)", "clearselectors"});
  EXPECT_EQ(Check(cleared, Cmd("set", {{"b:1", kKeyWrite}})).denied, Denied::kCommand);
}

TEST(AclCheck, UnrestrictedUsers) {
  const User u = Make({"on", "nopass", "~*", "&*", "+@all"});
  EXPECT_TRUE(u.unrestricted);
  EXPECT_EQ(Check(u, Cmd("flushall")).denied, Denied::kNone);
  EXPECT_EQ(Check(u, Cmd("psubscribe", {}, {{"any*", true}})).denied, Denied::kNone);
}

// --- Passwords -------------------------------------------------------------------------------

TEST(AclPasswords, Sha256Hex) {
  EXPECT_EQ(Sha256Hex("hello"), kHashHello);
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("pass"), kHashPass);
  EXPECT_EQ(Sha256Hex("a"), kHashA);
}

TEST(AclPasswords, PasswordMatches) {
  // AUTH u <password>.
  const User plain = Make({"on", ">a", ">b"});
  EXPECT_TRUE(PasswordMatches(plain, "a"));
  EXPECT_TRUE(PasswordMatches(plain, "b"));
  EXPECT_FALSE(PasswordMatches(plain, "c"));
  EXPECT_FALSE(PasswordMatches(plain, ""));
  const User removed = Make({"on", ">a", ">b", "<a"});
  EXPECT_FALSE(PasswordMatches(removed, "a"));
  EXPECT_TRUE(PasswordMatches(removed, "b"));
  const User hashed = Make({"on", "#" + S(kHashHello)});
  EXPECT_TRUE(PasswordMatches(hashed, "hello"));
  EXPECT_FALSE(PasswordMatches(hashed, S(kHashHello)));
  const User nopass = Make({"on", ">a", "nopass"});
  EXPECT_TRUE(PasswordMatches(nopass, "anything"));
  EXPECT_TRUE(PasswordMatches(nopass, ""));
  // resetpass: no password and not nopass, so no password works.
  const User reset = Make({"on", "nopass", "resetpass"});
  EXPECT_FALSE(PasswordMatches(reset, ""));
  EXPECT_FALSE(PasswordMatches(reset, "a"));
  // A disabled user never logs in, not even with nopass.
  EXPECT_FALSE(PasswordMatches(Make({"off", "nopass"}), "x"));
  EXPECT_FALSE(PasswordMatches(Make({"off", ">a"}), "a"));
}

// --- Users -----------------------------------------------------------------------------------

std::string ListedUser(const Users& users, std::string_view name) {
  const auto u = users.Find(name);
  return u == nullptr ? "<none>" : DescribeRules(*u);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AclUsers, DefaultUserIsOnWithoutPassword) {
  Users users;
  ASSERT_NE(users.Default(), nullptr);
  EXPECT_EQ(users.Default()->name, "default");
  EXPECT_EQ(ListedUser(users, "default"), "on nopass ~* &* +@all");
  EXPECT_TRUE(users.Default()->unrestricted);
  EXPECT_TRUE(PasswordMatches(*users.Default(), "whatever"));
  EXPECT_EQ(users.All().size(), 1u);
  EXPECT_EQ(ListedUser(users, "nosuch"), "<none>");
}

TEST(AclUsers, ConfigureWithRequirepass) {
  // redis-server --requirepass foo
  Users users;
  std::string error;
  ASSERT_TRUE(users.Configure("foo", {}, false, &error)) << error;
  EXPECT_EQ(ListedUser(users, "default"), "on #" + S(kHashFoo) + " ~* &* +@all");
  EXPECT_TRUE(PasswordMatches(*users.Default(), "foo"));
  EXPECT_FALSE(PasswordMatches(*users.Default(), ""));
}

TEST(AclUsers, ConfigureWithUserLines) {
  // redis-server --requirepass foo --user alice on >pw ~k +get
  Users users;
  std::string error;
  const std::vector<std::vector<std::string>> lines = {{"alice", "on", ">pw", "~k", "+get"}};
  ASSERT_TRUE(users.Configure("foo", lines, false, &error)) << error;
  EXPECT_EQ(ListedUser(users, "alice"), "on #" + S(kHashPw) + " ~k resetchannels -@all +get");
  EXPECT_EQ(ListedUser(users, "default"), "on #" + S(kHashFoo) + " ~* &* +@all");
}

TEST(AclUsers, ConfiguredDefaultLineReplacesRequirepass) {
  // redis-server --requirepass foo --user default on >bar ~* +@all
  Users users;
  std::string error;
  const std::vector<std::vector<std::string>> lines = {{"default", "on", ">bar", "~*", "+@all"}};
  ASSERT_TRUE(users.Configure("foo", lines, false, &error)) << error;
  EXPECT_EQ(ListedUser(users, "default"),
            "on sanitize-payload #" + S(kHashBar) + " ~* resetchannels +@all");
  EXPECT_FALSE(PasswordMatches(*users.Default(), "foo"));
  EXPECT_TRUE(PasswordMatches(*users.Default(), "bar"));
}

TEST(AclUsers, ConfigureWithAllChannelsDefault) {
  // redis-server --acl-pubsub-default allchannels --user alice on
  Users users;
  std::string error;
  const std::vector<std::vector<std::string>> lines = {{"alice", "on"}};
  ASSERT_TRUE(users.Configure("", lines, true, &error)) << error;
  EXPECT_EQ(ListedUser(users, "alice"), "on &* -@all");
  EXPECT_EQ(ListedUser(users, "default"), "on nopass ~* &* +@all");
  EXPECT_TRUE(users.all_channels());
}

TEST(AclUsers, ConfigureRejectsBadLines) {
  // redis-server --user alice on bogus: "Error in user declaration 'alice': Syntax error".
  Users users;
  std::string error;
  const std::vector<std::vector<std::string>> bad = {{"alice", "on", "bogus"}};
  EXPECT_FALSE(users.Configure("", bad, false, &error));
  EXPECT_NE(error.find("Syntax error"), std::string::npos) << error;
  // redis-server --user alice on --user alice ~x +get: "Duplicate user found. A user can only
  // be defined once in config files".
  const std::vector<std::vector<std::string>> twice = {{"alice", "on"}, {"alice", "~x", "+get"}};
  error.clear();
  EXPECT_FALSE(users.Configure("", twice, false, &error));
  EXPECT_EQ(ListedUser(users, "alice"), "<none>");
}

TEST(AclUsers, SetDefaultPassword) {
  // CONFIG SET requirepass foo, then CONFIG SET requirepass "".
  Users users;
  users.SetDefaultPassword("foo");
  EXPECT_EQ(ListedUser(users, "default"), "on #" + S(kHashFoo) + " ~* &* +@all");
  users.SetDefaultPassword("");
  EXPECT_EQ(ListedUser(users, "default"), "on nopass ~* &* +@all");
}

TEST(AclUsers, SetUserCreatesAndUpdates) {
  Users users;
  const uint64_t before = users.generation();
  std::string error;
  const std::string_view create[] = {"on", ">pass", "~key:*", "+get"};
  ASSERT_TRUE(users.SetUser("u1", create, &error)) << error;
  EXPECT_NE(users.generation(), before);
  const auto snapshot = users.Find("u1");
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(DescribeRules(*snapshot), "on #" + S(kHashPass) + " ~key:* resetchannels -@all +get");
  // Later rules add to the user; a snapshot already handed out stays as it was.
  const std::string_view more[] = {"+set"};
  ASSERT_TRUE(users.SetUser("u1", more, &error)) << error;
  EXPECT_EQ(DescribeRules(*snapshot), "on #" + S(kHashPass) + " ~key:* resetchannels -@all +get");
  EXPECT_EQ(Check(*users.Find("u1"), Cmd("set", {{"key:1", kKeyWrite}})).denied, Denied::kNone);
  EXPECT_EQ(users.All().size(), 2u);
}

TEST(AclUsers, SetUserErrors) {
  Users users;
  std::string error;
  const std::string_view bad[] = {"on", "bogus"};
  EXPECT_FALSE(users.SetUser("e1", bad, &error));
  EXPECT_EQ(error, "ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
  // A failed ACL SETUSER does not create the user.
  EXPECT_EQ(ListedUser(users, "e1"), "<none>");
  const std::string_view on[] = {"on"};
  error.clear();
  EXPECT_FALSE(users.SetUser("a b", on, &error));
  EXPECT_EQ(error, "ERR Usernames can't contain spaces or null characters");
}

TEST(AclUsers, SetUserFollowsAclPubsubDefault) {
  Users users;
  users.set_all_channels(true);
  std::string error;
  const std::string_view on[] = {"on"};
  ASSERT_TRUE(users.SetUser("u", on, &error)) << error;
  EXPECT_EQ(ListedUser(users, "u"), "on &* -@all");
}

TEST(AclUsers, DelUsers) {
  Users users;
  std::string error;
  const std::string_view on[] = {"on"};
  for (std::string_view n : {"u1", "u2", "u3"}) ASSERT_TRUE(users.SetUser(n, on, &error));
  // ACL DELUSER u1 nosuch u2 → 2.
  int deleted = -1;
  const std::string_view names[] = {"u1", "nosuch", "u2"};
  ASSERT_TRUE(users.DelUsers(names, &deleted, &error)) << error;
  EXPECT_EQ(deleted, 2);
  EXPECT_EQ(ListedUser(users, "u1"), "<none>");
  EXPECT_EQ(ListedUser(users, "u2"), "<none>");
  // ACL DELUSER u3 default: refused whole, u3 stays.
  const std::string_view with_default[] = {"u3", "default"};
  EXPECT_FALSE(users.DelUsers(with_default, &deleted, &error));
  EXPECT_EQ(error, "ERR The 'default' user cannot be removed");
  EXPECT_NE(users.Find("u3"), nullptr);
  EXPECT_NE(users.Default(), nullptr);
}

class AclFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ringside-acl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    path_ = root_ + "/users.acl";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(std::string_view text) { std::ofstream(path_) << text; }

  std::string root_;
  std::string path_;
};

TEST_F(AclFiles, SaveWritesOneUserLinePerUserByName) {
  // ACL SAVE after loading alice and adding bob.
  Users users;
  std::string error;
  const std::string_view alice[] = {"on", ">pw", "~a:*", "+get"};
  const std::string_view bob[] = {"on", "%R~b:*", "(+set ~s:*)"};
  ASSERT_TRUE(users.SetUser("bob", bob, &error)) << error;
  ASSERT_TRUE(users.SetUser("alice", alice, &error)) << error;
  ASSERT_TRUE(users.SaveFile(path_, &error)) << error;
  EXPECT_EQ(Read(path_), "user alice on #" + S(kHashPw) +
                             " ~a:* resetchannels -@all +get\n"
                             "user bob on %R~b:* resetchannels -@all (~s:* resetchannels -@all "
                             "+set)\n"
                             "user default on nopass ~* &* +@all\n");
}

TEST_F(AclFiles, SaveThenLoadRoundTrips) {
  Users users;
  std::string error;
  const std::string hash = "#" + S(kHashHello);
  const std::string_view alice[] = {"on",      ">pw",   hash,          "%R~r:*",     "%W~w:*",
                                    "&news.*", "+@all", "-@dangerous", "(~s:* +set)"};
  const std::string_view bob[] = {"off", "skip-sanitize-payload", "+select|0", "+client|id"};
  const std::string_view def[] = {">foo"};
  ASSERT_TRUE(users.SetUser("alice", alice, &error)) << error;
  ASSERT_TRUE(users.SetUser("bob", bob, &error)) << error;
  ASSERT_TRUE(users.SetUser("default", def, &error)) << error;
  ASSERT_TRUE(users.SaveFile(path_, &error)) << error;

  Users loaded;
  ASSERT_TRUE(loaded.LoadFile(path_, &error)) << error;
  ASSERT_EQ(loaded.All().size(), 3u);
  for (std::string_view name : {"alice", "bob", "default"}) {
    EXPECT_EQ(ListedUser(loaded, name), ListedUser(users, name)) << name;
  }
  EXPECT_TRUE(PasswordMatches(*loaded.Find("alice"), "pw"));
  EXPECT_TRUE(PasswordMatches(*loaded.Find("alice"), "hello"));
  EXPECT_EQ(Check(*loaded.Find("alice"), Cmd("set", {{"s:1", kKeyWrite}})).denied, Denied::kNone);
}

TEST_F(AclFiles, LoadReplacesEveryUser) {
  // ACL LOAD of "user carol on": the users not in the file are gone, and the default user,
  // not in the file either, is on, nopass and allowed everything.
  Users users;
  std::string error;
  const std::string_view on[] = {"on"};
  ASSERT_TRUE(users.SetUser("alice", on, &error));
  users.SetDefaultPassword("foo");
  Write("user carol on\n");
  ASSERT_TRUE(users.LoadFile(path_, &error)) << error;
  EXPECT_EQ(ListedUser(users, "alice"), "<none>");
  EXPECT_EQ(ListedUser(users, "carol"), "on resetchannels -@all");
  EXPECT_EQ(ListedUser(users, "default"), "on nopass ~* &* +@all");
  // Blank lines are skipped; rules apply as ACL SETUSER's.
  Write("\n  \nuser carol on >a\n");
  ASSERT_TRUE(users.LoadFile(path_, &error)) << error;
  EXPECT_EQ(ListedUser(users, "carol"), "on #" + S(kHashA) + " resetchannels -@all");
}

TEST_F(AclFiles, LoadOfABadRuleChangesNothing) {
  Users users;
  std::string error;
  const std::string_view alice[] = {"on", ">pw", "~a:*", "+get"};
  ASSERT_TRUE(users.SetUser("alice", alice, &error));
  const std::string before = ListedUser(users, "alice");
  Write("user default on nopass ~* &* +@all\nuser carol on bogus\n");
  EXPECT_FALSE(users.LoadFile(path_, &error));
  // ACL LOAD replies "ERR " and this.
  EXPECT_EQ(error, path_ +
                       ":2: Syntax error. WARNING: ACL errors detected, no change to the "
                       "previously active ACL rules was performed");
  EXPECT_EQ(ListedUser(users, "alice"), before);
  EXPECT_EQ(ListedUser(users, "carol"), "<none>");
  EXPECT_EQ(users.All().size(), 2u);
}

TEST_F(AclFiles, LoadSplitsOnSpacesOnly) {
  // Lines may end in CR LF; a tab inside a line is part of the rule, which then fails.
  Users users;
  std::string error;
  Write("user default on nopass ~* &* +@all\r\nuser carol on >a ~x\r\n");
  ASSERT_TRUE(users.LoadFile(path_, &error)) << error;
  EXPECT_EQ(ListedUser(users, "carol"), "on #" + S(kHashA) + " ~x resetchannels -@all");
  Write("user default on nopass ~* &* +@all\nuser dave on\t~x\n");
  EXPECT_FALSE(users.LoadFile(path_, &error));
  EXPECT_EQ(error, path_ +
                       ":2: Syntax error. WARNING: ACL errors detected, no change to the "
                       "previously active ACL rules was performed");
  EXPECT_EQ(ListedUser(users, "dave"), "<none>");
}

TEST_F(AclFiles, LoadOfALineWithoutUserKeywordChangesNothing) {
  Users users;
  Write("user default on nopass ~* &* +@all\nnotuser carol on\n");
  std::string error;
  EXPECT_FALSE(users.LoadFile(path_, &error));
  EXPECT_EQ(error, path_ +
                       ":2 should start with user keyword followed by the username. WARNING: "
                       "ACL errors detected, no change to the previously active ACL rules was "
                       "performed");
  EXPECT_EQ(users.All().size(), 1u);
}

TEST_F(AclFiles, LoadOfADuplicateUserChangesNothing) {
  Users users;
  Write("user default on nopass ~* &* +@all\nuser carol on\nuser carol off\n");
  std::string error;
  EXPECT_FALSE(users.LoadFile(path_, &error));
  EXPECT_EQ(error,
            "WARNING: Duplicate user 'carol' found on line 3. WARNING: ACL errors detected, no "
            "change to the previously active ACL rules was performed");
  EXPECT_EQ(ListedUser(users, "carol"), "<none>");
}

TEST_F(AclFiles, LoadOfAMissingFile) {
  Users users;
  std::string error;
  EXPECT_FALSE(users.LoadFile(path_, &error));
  EXPECT_EQ(error, "Error loading ACLs, opening file '" + path_ + "': No such file or directory");
  EXPECT_NE(users.Default(), nullptr);
}

// --- ACL LOG ---------------------------------------------------------------------------------

LogEntry Entry(std::string reason, std::string object, std::string user, int64_t ms) {
  LogEntry e;
  e.reason = std::move(reason);
  e.context = "toplevel";
  e.object = std::move(object);
  e.username = std::move(user);
  e.created_ms = ms;
  e.client_info = "id=" + std::to_string(ms);
  return e;
}

TEST(AclLog, RepeatsCountUpAndMoveToTheFront) {
  // Denied GET b, SET a v, GET b: two entries, the key one counted twice and newest.
  Users users;
  users.AddLog(Entry("key", "b", "lg", 1000), 128);
  users.AddLog(Entry("command", "set", "lg", 2000), 128);
  users.AddLog(Entry("key", "b", "lg", 3000), 128);
  const auto log = users.Log(10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].reason, "key");
  EXPECT_EQ(log[0].object, "b");
  EXPECT_EQ(log[0].count, 2);
  EXPECT_EQ(log[0].created_ms, 3000);
  EXPECT_EQ(log[0].client_info, "id=3000");
  EXPECT_EQ(log[1].reason, "command");
  EXPECT_EQ(log[1].count, 1);
}

TEST(AclLog, OnlyTheSameEventWithinAMinuteMerges) {
  Users users;
  users.AddLog(Entry("key", "b", "lg", 1000), 128);
  users.AddLog(Entry("key", "b", "other", 2000), 128);   // another user
  users.AddLog(Entry("channel", "b", "lg", 3000), 128);  // another reason
  users.AddLog(Entry("key", "c", "lg", 4000), 128);      // another object
  LogEntry multi = Entry("key", "b", "lg", 5000);
  multi.context = "multi";  // another context
  users.AddLog(multi, 128);
  EXPECT_EQ(users.Log(10).size(), 5u);
  users.AddLog(Entry("key", "b", "lg", 1000 + 59000), 128);
  EXPECT_EQ(users.Log(10).size(), 5u);
  EXPECT_EQ(users.Log(1)[0].count, 2);
  // More than a minute after the latest occurrence: a new entry.
  users.AddLog(Entry("key", "b", "lg", 60000 + 61000), 128);
  const auto log = users.Log(10);
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log[0].count, 1);
  EXPECT_EQ(log[1].count, 2);
}

TEST(AclLog, AMinuteApartStillMerges) {
  // Redis merges unless the occurrences are more than ACL_LOG_GROUPING_MAX_TIME_DELTA (60000
  // ms) apart.
  Users users;
  users.AddLog(Entry("key", "b", "lg", 1000), 128);
  users.AddLog(Entry("key", "b", "lg", 61000), 128);
  const auto log = users.Log(10);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].count, 2);
}

TEST(AclLog, KeepsAtMostMaxLenEntries) {
  // CONFIG SET acllog-max-len 2, then three different denials: the oldest goes.
  Users users;
  users.AddLog(Entry("key", "b", "lg", 1000), 2);
  users.AddLog(Entry("command", "set", "lg", 2000), 2);
  users.AddLog(Entry("key", "c", "lg", 3000), 2);
  const auto log = users.Log(10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].object, "c");
  EXPECT_EQ(log[1].object, "set");
}

TEST(AclLog, CountAndReset) {
  Users users;
  for (int i = 0; i < 5; ++i) users.AddLog(Entry("key", "k" + std::to_string(i), "u", 1000), 128);
  const auto newest = users.Log(2);
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].object, "k4");
  EXPECT_EQ(newest[1].object, "k3");
  EXPECT_EQ(users.Log(0).size(), 0u);
  users.ResetLog();
  EXPECT_TRUE(users.Log(10).empty());
}

}  // namespace
}  // namespace ringside::proxy::acl
