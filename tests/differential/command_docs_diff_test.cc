// COMMAND DOCS argument trees checked against redis-server 7.0 for every command ringside
// knows, so redis-cli builds the same argument hints against both. The comparison keeps what
// describes the syntax (name, type, token, flags, nested arguments) and drops what ringside
// has no equivalent for (since, key_spec_index, ...). Container commands are skipped: Redis
// documents them per subcommand, ringside with one generic line.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/redis_client.h"
#include "tests/support/server_process.h"

namespace ringside::testing {
namespace {

// The value of `field` in a flat field/value array, or nullptr.
const Reply* Field(const Reply& map, const std::string& field) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].type == Reply::Type::kBulk && map.elements[i].str == field) {
      return &map.elements[i + 1];
    }
  }
  return nullptr;
}

// One line per argument, nested arguments indented; flags keep their RESP kind ('+' for the
// status strings redis-cli expects).
void Normalise(const Reply& args, int depth, std::string* out) {
  for (const Reply& arg : args.elements) {
    out->append(static_cast<size_t>(depth) * 2, ' ');
    for (const char* name : {"name", "type", "token"}) {
      const Reply* v = Field(arg, name);
      *out += std::string(name) + "=" + (v ? v->str : "-") + " ";
    }
    *out += "flags=";
    if (const Reply* flags = Field(arg, "flags")) {
      for (const Reply& f : flags->elements) {
        *out += (f.type == Reply::Type::kStatus ? "+" : "$") + f.str + ",";
      }
    }
    *out += "\n";
    if (const Reply* nested = Field(arg, "arguments")) Normalise(*nested, depth + 1, out);
  }
}

// COMMAND DOCS <name>'s arguments, normalised; "" for a command documented without any.
std::string Arguments(Client& c, const std::string& name) {
  const Reply r = c.Cmd({"COMMAND", "DOCS", name});
  EXPECT_EQ(r.type, Reply::Type::kArray) << r;
  if (r.elements.size() != 2) {
    ADD_FAILURE() << "no docs for " << name << ": " << r;
    return "";
  }
  EXPECT_EQ(r.elements[0], Bulk(name));
  const Reply* args = Field(r.elements[1], "arguments");
  std::string out;
  if (args != nullptr) Normalise(*args, 0, &out);
  return out;
}

class CommandDocsDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ringside_ = ServerProcess::StartRingside({"--threads", "2"});
    redis_ = ServerProcess::StartRedis();
    ASSERT_NE(ringside_, nullptr);
    ASSERT_NE(redis_, nullptr);
    Client c(ringside_->port());
    names_ = c.Cmd({"COMMAND", "LIST"}).Strings();
    ASSERT_GT(names_.size(), 50u);
  }

  const std::set<std::string> kContainers = {"client", "config", "command", "acl"};
  std::unique_ptr<ServerProcess> ringside_, redis_;
  std::vector<std::string> names_;
};

TEST_F(CommandDocsDiffTest, ArgumentsMatchRedis) {
  Client ours(ringside_->port()), ref(redis_->port());
  int with_args = 0;
  for (const std::string& name : names_) {
    if (kContainers.count(name)) continue;
    SCOPED_TRACE(name);
    const std::string expected = Arguments(ref, name);
    EXPECT_EQ(Arguments(ours, name), expected);
    with_args += !expected.empty();
  }
  EXPECT_GT(with_args, 40);
}

TEST_F(CommandDocsDiffTest, SummaryAndGroupStayAlongsideArguments) {
  Client ours(ringside_->port());
  const Reply r = ours.Cmd({"COMMAND", "DOCS", "set", "time"});
  ASSERT_EQ(r.elements.size(), 4u) << r;
  const Reply& set = r.elements[1];
  ASSERT_NE(Field(set, "summary"), nullptr);
  EXPECT_EQ(*Field(set, "group"), Bulk("string"));
  ASSERT_NE(Field(set, "arguments"), nullptr);
  EXPECT_EQ(Field(set, "arguments")->elements.size(), 5u);
  // A command without arguments has no "arguments" field, as in Redis.
  const Reply& time = r.elements[3];
  EXPECT_EQ(*Field(time, "group"), Bulk("server"));
  EXPECT_EQ(Field(time, "arguments"), nullptr);
}

TEST_F(CommandDocsDiffTest, EveryCommandIsDocumentedInOneCall) {
  Client ours(ringside_->port());
  const Reply all = ours.Cmd({"COMMAND", "DOCS"});
  ASSERT_EQ(all.elements.size(), names_.size() * 2) << all;
  std::set<std::string> documented;
  for (size_t i = 0; i < all.elements.size(); i += 2) documented.insert(all.elements[i].str);
  for (const std::string& name : names_) EXPECT_TRUE(documented.count(name)) << name;
}

}  // namespace
}  // namespace ringside::testing
