// Invariants every row of the command table must keep; rows added later are covered too.
#include <cctype>
#include <set>
#include <string>

#include "command_harness.h"

namespace ringside::testing {
namespace {

using proxy::CommandRow;
using proxy::CommandTable;
using proxy::Exec;
using proxy::Merge;

bool Runnable(const CommandRow& row) {
  return row.exec == Exec::kSingleKey || row.exec == Exec::kMultiKey;
}

TEST(CommandTable, NamesAreUniqueAndLowerCase) {
  std::set<std::string_view> names;
  ASSERT_FALSE(CommandTable::Get().rows().empty());
  for (const CommandRow& row : CommandTable::Get().rows()) {
    EXPECT_FALSE(row.name.empty());
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate " << row.name;
    for (char c : row.name) {
      EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << row.name;
    }
    EXPECT_NE(row.handler, nullptr) << row.name;
    EXPECT_NE(row.arity, 0) << row.name;
  }
}

TEST(CommandTable, FindIsCaseInsensitive) {
  for (const CommandRow& row : CommandTable::Get().rows()) {
    std::string upper(row.name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(CommandTable::Get().Find(upper), &row);
    EXPECT_EQ(CommandTable::Get().Find(row.name), &row);
  }
  EXPECT_EQ(CommandTable::Get().Find("no-such-command"), nullptr);
}

// Rows of commands only an upstream serves are found by FindAny only, never share a name with
// a row served here, carry no handler, and each says what makes it need a row.
TEST(CommandTable, UpstreamRowsAreSeparate) {
  const CommandTable& table = CommandTable::Get();
  ASSERT_FALSE(table.upstream_rows().empty());
  std::set<std::string_view> served;
  for (const CommandRow& row : table.rows()) {
    served.insert(row.name);
    EXPECT_EQ(row.flags & proxy::kUpstreamOnly, 0u) << row.name;
  }
  std::set<std::string_view> names;
  for (const CommandRow& row : table.upstream_rows()) {
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate " << row.name;
    EXPECT_EQ(served.count(row.name), 0u) << row.name << " is also served here";
    EXPECT_NE(row.flags & proxy::kUpstreamOnly, 0u) << row.name;
    EXPECT_EQ(row.handler, nullptr) << row.name;
    EXPECT_NE(row.flags & (proxy::kRelay | proxy::kUpstreamRefused | proxy::kAnyKeys) ||
                  row.db_arg != proxy::DbArg::kNone,
              0u)
        << row.name << " needs no row";
    EXPECT_EQ(table.Find(row.name), nullptr) << row.name;
    std::string upper(row.name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(table.FindAny(upper), &row);
  }
  // A relay effect belongs to a command that opens or ends state on a relay, or is served here.
  for (const CommandRow& row : table.upstream_rows()) {
    if (row.relay != proxy::RelayEffect::kNone) {
      EXPECT_NE(row.flags & proxy::kRelay, 0u) << row.name;
    }
  }
}

TEST(CommandTable, ReadWriteFlagsAreExclusive) {
  for (const CommandRow& row : CommandTable::Get().rows()) {
    EXPECT_FALSE((row.flags & proxy::kWrite) && (row.flags & proxy::kReadOnly)) << row.name;
  }
}

TEST(CommandTable, KeyPositionsFitTheArity) {
  for (const CommandRow& row : CommandTable::Get().rows()) {
    const int min_argc = row.arity > 0 ? row.arity : -row.arity;
    if (row.first_key == 0) {
      EXPECT_EQ(row.last_key, 0) << row.name;
      continue;
    }
    EXPECT_GT(row.first_key, 0) << row.name;
    EXPECT_GE(row.key_step, 1) << row.name;
    EXPECT_LT(row.first_key, min_argc) << row.name;  // the first key is always present
    if (row.last_key > 0) {
      EXPECT_GE(row.last_key, row.first_key) << row.name;
      EXPECT_LT(row.last_key, min_argc) << row.name;
    } else {
      EXPECT_LT(row.arity, 0) << row.name << ": a last key counted from the end needs -N";
    }
    // Every position KeyPositions reports is a real argument.
    for (int argc = min_argc; argc < min_argc + 6; ++argc) {
      if (!proxy::ArityOk(row, static_cast<size_t>(argc))) continue;
      const auto keys = proxy::KeyPositions(row, static_cast<size_t>(argc));
      EXPECT_FALSE(keys.empty()) << row.name;
      for (size_t k : keys) EXPECT_LT(k, static_cast<size_t>(argc)) << row.name;
    }
  }
}

TEST(CommandTable, MultiKeyRowsMerge) {
  for (const CommandRow& row : CommandTable::Get().rows()) {
    if (row.exec != Exec::kMultiKey) continue;
    EXPECT_NE(row.merge, Merge::kNone) << row.name;
    EXPECT_GT(row.first_key, 0) << row.name;
  }
}

class CommandTableArity : public CommandHarness {};

TEST_F(CommandTableArity, TooFewArgumentsGiveTheArityError) {
  for (const CommandRow& row : CommandTable::Get().rows()) {
    if (!Runnable(row)) continue;
    const int min_argc = row.arity > 0 ? row.arity : -row.arity;
    for (int argc = 1; argc < min_argc; ++argc) {
      std::vector<std::string> args{std::string(row.name)};
      for (int i = 1; i < argc; ++i) args.push_back("arg" + std::to_string(i));
      EXPECT_EQ(Run(args), Err(proxy::ArityError(row.name))) << row.name << " argc=" << argc;
    }
    if (row.arity > 0) {  // exact arity: one more is also wrong
      std::vector<std::string> args{std::string(row.name)};
      for (int i = 1; i <= row.arity; ++i) args.push_back("arg" + std::to_string(i));
      EXPECT_EQ(Run(args), Err(proxy::ArityError(row.name))) << row.name << " too many";
    }
  }
}

TEST_F(CommandTableArity, UnknownCommand) {
  EXPECT_EQ(Run({"NOPE", "a", "b"}),
            "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n");
}

TEST_F(CommandTableArity, EveryRunnableRowRepliesWithOneValue) {
  // With the minimum number of plain arguments every handler must produce a reply.
  for (const CommandRow& row : CommandTable::Get().rows()) {
    if (!Runnable(row)) continue;
    const int min_argc = row.arity > 0 ? row.arity : -row.arity;
    std::vector<std::string> args{std::string(row.name)};
    for (int i = 1; i < min_argc; ++i) args.push_back("1");
    const std::string reply = Run(args);
    ASSERT_GE(reply.size(), 3u) << row.name;
    EXPECT_EQ(reply.substr(reply.size() - 2), "\r\n") << row.name;
    EXPECT_NE(std::string("+-:$*").find(reply[0]), std::string::npos) << row.name;
  }
}

}  // namespace
}  // namespace ringside::testing
