// Every command ringside knows, checked against redis-server 7.0: the arity and key positions
// COMMAND INFO reports, and the exact error for a call with the wrong number of arguments.
// The command list comes from the running ringside, so a new row is covered the moment it is
// added to the table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/raw_client.h"
#include "tests/support/redis_client.h"
#include "tests/support/server_process.h"

namespace ringside::testing {
namespace {

class CommandTableDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ringside_ = ServerProcess::StartRingside({"--threads", "4"});
    redis_ = ServerProcess::StartRedis();
    ASSERT_NE(ringside_, nullptr);
    ASSERT_NE(redis_, nullptr);
    Client c(ringside_->port());
    for (const std::string& name : c.Cmd({"COMMAND", "LIST"}).Strings()) names_.push_back(name);
    ASSERT_GT(names_.size(), 50u);
  }

  std::unique_ptr<ServerProcess> ringside_, redis_;
  std::vector<std::string> names_;
};

TEST_F(CommandTableDiffTest, ArityAndKeyPositionsMatchRedis) {
  Client ours(ringside_->port()), ref(redis_->port());
  for (const std::string& name : names_) {
    SCOPED_TRACE(name);
    const Reply a = ours.Cmd({"COMMAND", "INFO", name});
    const Reply b = ref.Cmd({"COMMAND", "INFO", name});
    ASSERT_EQ(a.elements.size(), 1u);
    ASSERT_EQ(b.elements.size(), 1u);
    const Reply& x = a.elements[0];
    const Reply& y = b.elements[0];
    ASSERT_GE(x.elements.size(), 6u);
    ASSERT_GE(y.elements.size(), 6u) << "redis-server does not know " << name;
    EXPECT_EQ(x.elements[0], y.elements[0]);  // name
    EXPECT_EQ(x.elements[1], y.elements[1]);  // arity
    EXPECT_EQ(x.elements[3], y.elements[3]);  // first key
    EXPECT_EQ(x.elements[4], y.elements[4]);  // last key
    EXPECT_EQ(x.elements[5], y.elements[5]);  // key step
    // The flags the dispatcher acts on: write (MISCONF refusals) and denyoom (OOM refusals).
    auto has = [](const Reply& flags, const std::string& flag) {
      for (const Reply& f : flags.elements) {
        if (f.str == flag) return true;
      }
      return false;
    };
    for (const std::string flag : {"write", "denyoom"}) {
      EXPECT_EQ(has(x.elements[2], flag), has(y.elements[2], flag)) << flag;
    }
  }
}

TEST_F(CommandTableDiffTest, WrongArityErrorsMatchRedisByteForByte) {
  RawClient ours(ringside_->port()), ref(redis_->port());
  Client info(redis_->port());
  int checked = 0;
  for (const std::string& name : names_) {
    const Reply r = info.Cmd({"COMMAND", "INFO", name});
    ASSERT_EQ(r.elements.size(), 1u);
    const int64_t arity = r.elements[0].elements.at(1).integer;
    // A fixed arity N is wrong with N+1 arguments; a minimum of N is wrong with N-1.
    std::vector<std::string> argv{name};
    if (arity > 0) {
      argv.resize(static_cast<size_t>(arity) + 1, "x");
    } else if (-arity >= 2) {
      argv.resize(static_cast<size_t>(-arity) - 1, "x");
    } else {
      continue;  // takes any number of arguments
    }
    SCOPED_TRACE(name);
    EXPECT_EQ(ours.Call(argv), ref.Call(argv));
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST_F(CommandTableDiffTest, UnknownCommandsAndSubcommandsMatchRedis) {
  RawClient ours(ringside_->port()), ref(redis_->port());
  const std::vector<std::vector<std::string>> cases = {
      {"NOSUCHCOMMAND"},
      {"nosuch", "a", "b"},
      {"nosuch", std::string(200, 'a'), "b"},
      {"CLIENT", "NOSUCH"},
      {"CONFIG", "NOSUCH"},
      {"COMMAND", "NOSUCH"},
      {"CLIENT", "SETNAME"},
      {"CONFIG", "GET"},
      {"CONFIG", "SET", "port"},
  };
  for (const auto& argv : cases) {
    SCOPED_TRACE(argv[0] + " " + (argv.size() > 1 ? argv[1] : ""));
    EXPECT_EQ(ours.Call(argv), ref.Call(argv));
  }
}

}  // namespace
}  // namespace ringside::testing
