// auth-mode upstream: clients log in with the upstream's own users and passwords, which
// ringside's configuration does not hold, and act with the rights the upstream gives them.
// Each test starts a redis-server with users of its own and ringside in front of it, logged
// in upstream as its own user; replies are compared with what the upstream says itself.

#include <string>
#include <vector>

#include "tests/support/raw_client.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

constexpr char kUpstreamPassword[] = "upstream-secret";
constexpr char kRingsidePassword[] = "ringside-secret";
constexpr char kAppPassword[] = "app-secret";

class UpstreamAuthTest : public UpstreamTest {
 protected:
  void SetUp() override {
    UpstreamTest::SetUp();
    StartUpstream();
    ASSERT_EQ(Upstream().Cmd({"ACL", "SETUSER", "ringside", "on",
                              std::string(">") + kRingsidePassword, "~*", "&*", "+@all"}),
              kOk);
    ASSERT_EQ(Upstream().Cmd({"ACL", "SETUSER", "app", "on", std::string(">") + kAppPassword,
                              "~app:*", "+@all", "-@dangerous"}),
              kOk);
  }

  // A connection to the upstream as its default user (logged in once the password is set).
  Client& Upstream() {
    if (upstream_client_ == nullptr) upstream_client_ = std::make_unique<Client>(upstream_port_);
    return *upstream_client_;
  }

  void RequireUpstreamPassword() {
    ASSERT_EQ(Upstream().Cmd({"CONFIG", "SET", "requirepass", kUpstreamPassword}), kOk);
  }

  // ringside checking logins with the upstream; no password of a client is in its arguments.
  void StartAuthProxy(int cache_ttl_s = 60) {
    StartProxy({"--auth-mode", "upstream", "--auth-cache-ttl", std::to_string(cache_ttl_s),
                "--upstream-user", "ringside", "--upstream-password", kRingsidePassword});
  }

  // A new client of ringside, and one of the upstream, each sent `login` first.
  std::unique_ptr<Client> ProxyClient(const std::vector<std::string>& login) {
    auto c = std::make_unique<Client>(ringside_->port());
    if (!login.empty()) last_login_ = c->Cmd(login);
    return c;
  }
  Reply UpstreamSays(const std::vector<std::string>& login, const std::vector<std::string>& cmd) {
    Client c(upstream_port_);
    const Reply l = c.Cmd(login);
    return cmd.empty() ? l : c.Cmd(cmd);
  }

  std::unique_ptr<Client> upstream_client_;
  Reply last_login_;
};

TEST_F(UpstreamAuthTest, UpstreamPasswordLogsInWithoutBeingInRingsidesConfiguration) {
  RequireUpstreamPassword();
  StartAuthProxy();
  EXPECT_EQ(proxy().Cmd({"GET", "k"}), Error("NOAUTH Authentication required."));
  EXPECT_EQ(proxy().Cmd({"AUTH", kUpstreamPassword}), kOk);
  EXPECT_EQ(proxy().Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(proxy().Cmd({"ACL", "WHOAMI"}), Bulk("default"));
  ASSERT_TRUE(CaughtUp(proxy()));
  EXPECT_EQ(Upstream().Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(ringside_->Output().find(kUpstreamPassword), std::string::npos);
}

TEST_F(UpstreamAuthTest, WrongPasswordsGetTheUpstreamsReply) {
  RequireUpstreamPassword();
  StartAuthProxy();
  const std::vector<std::vector<std::string>> logins = {
      {"AUTH", "wrong"},
      {"AUTH", "app", "wrong"},
      {"AUTH", "nosuchuser", "x"},
  };
  for (const auto& login : logins) {
    auto c = ProxyClient(login);
    EXPECT_EQ(last_login_, UpstreamSays(login, {})) << login[1];
    EXPECT_EQ(c->Cmd({"GET", "k"}), Error("NOAUTH Authentication required.")) << login[1];
  }
  auto h = ProxyClient({"HELLO", "3", "AUTH", "app", "wrong"});
  EXPECT_EQ(last_login_, Error("WRONGPASS invalid username-password pair or user is disabled."));
  // The failures are in ringside's ACL LOG as well as the upstream's.
  auto admin = ProxyClient({"AUTH", kUpstreamPassword});
  const Reply log = admin->Cmd({"ACL", "LOG"});
  ASSERT_EQ(log.type, Reply::Type::kArray) << log;
  EXPECT_GE(log.elements.size(), 2u) << log;
}

TEST_F(UpstreamAuthTest, ClientsActWithTheirUpstreamUsersRights) {
  RequireUpstreamPassword();
  StartAuthProxy();
  const std::vector<std::string> login = {"AUTH", "app", kAppPassword};
  auto app = ProxyClient(login);
  ASSERT_EQ(last_login_, kOk);
  EXPECT_EQ(app->Cmd({"ACL", "WHOAMI"}), Bulk("app"));
  EXPECT_EQ(app->Cmd({"SET", "app:1", "x"}), kOk);
  EXPECT_EQ(app->Cmd({"GET", "app:1"}), Bulk("x"));
  // Served by ringside, refused as the upstream refuses it.
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"SET", "other", "x"},
                                              {"GET", "other"},
                                              {"FLUSHALL"},
                                              {"CONFIG", "GET", "maxmemory"}}) {
    const Reply want = UpstreamSays(login, cmd);
    ASSERT_TRUE(want.IsError()) << want;
    EXPECT_EQ(app->Cmd(cmd), want) << cmd[0];
  }
}

TEST_F(UpstreamAuthTest, SelectorsAndReadWriteKeyPatternsCarryOver) {
  RequireUpstreamPassword();
  ASSERT_EQ(
      Upstream().Cmd({"ACL", "SETUSER", "reports", "on", ">reports-pw", "%R~report:*", "%W~out:*",
                      "resetchannels", "&news", "+@read", "+@write", "+publish", "(~sel:* +get)"}),
      kOk);
  StartAuthProxy();
  const std::vector<std::string> login = {"AUTH", "reports", "reports-pw"};
  auto c = ProxyClient(login);
  ASSERT_EQ(last_login_, kOk);
  ASSERT_EQ(Upstream().Cmd({"SET", "sel:1", "s"}), kOk);
  EXPECT_EQ(c->Cmd({"GET", "sel:1"}), Bulk("s"));
  EXPECT_EQ(c->Cmd({"SET", "out:1", "x"}), kOk);
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"SET", "sel:1", "x"},
                                              {"GET", "out:1"},
                                              {"SET", "report:1", "x"},
                                              {"PUBLISH", "other", "m"}}) {
    const Reply want = UpstreamSays(login, cmd);
    ASSERT_TRUE(want.IsError()) << cmd[0] << " " << cmd[1] << ": " << want;
    EXPECT_EQ(c->Cmd(cmd), want) << cmd[0] << " " << cmd[1];
  }
}

TEST_F(UpstreamAuthTest, HelloAuthSwitchesProtocolAfterTheUpstreamAccepts) {
  RequireUpstreamPassword();
  StartAuthProxy();
  RawClient c(ringside_->port());
  const std::string hello = c.Call({"HELLO", "3", "AUTH", "app", kAppPassword, "SETNAME", "svc"});
  EXPECT_EQ(hello.rfind("%7\r\n", 0), 0u) << hello;
  EXPECT_NE(hello.find("$5\r\nproto\r\n:3\r\n"), std::string::npos) << hello;
  EXPECT_EQ(c.Call({"CLIENT", "GETNAME"}), "$3\r\nsvc\r\n");
  EXPECT_EQ(c.Call({"ACL", "WHOAMI"}), "$3\r\napp\r\n");
  // Refused: the protocol stays as it was, as the upstream leaves it.
  RawClient d(ringside_->port());
  EXPECT_EQ(d.Call({"HELLO", "3", "AUTH", "app", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(d.Call({"PING"}), "-NOAUTH Authentication required.\r\n");
}

TEST_F(UpstreamAuthTest, LoginIsReusedForTheCacheTimeThenCheckedAgain) {
  RequireUpstreamPassword();
  StartAuthProxy(/*cache_ttl_s=*/2);
  const std::vector<std::string> login = {"AUTH", "app", kAppPassword};
  ProxyClient(login);
  ASSERT_EQ(last_login_, kOk);
  ASSERT_EQ(Upstream().Cmd({"ACL", "SETUSER", "app", "resetpass", ">rotated"}), kOk);
  // Within the cache time the old password still logs in; past it, the upstream decides.
  ASSERT_TRUE(WaitUntil(
      [&] {
        ProxyClient(login);
        return last_login_.IsError();
      },
      std::chrono::seconds(20)))
      << last_login_;
  EXPECT_EQ(last_login_, Error("WRONGPASS invalid username-password pair or user is disabled."));
  ProxyClient({"AUTH", "app", "rotated"});
  EXPECT_EQ(last_login_, kOk);
}

TEST_F(UpstreamAuthTest, LoggedInClientsTakeOnChangedRightsAndGoWithTheirUser) {
  RequireUpstreamPassword();
  StartAuthProxy(/*cache_ttl_s=*/1);
  auto app = ProxyClient({"AUTH", "app", kAppPassword});
  ASSERT_EQ(last_login_, kOk);
  ASSERT_EQ(app->Cmd({"SET", "app:1", "x"}), kOk);
  ASSERT_EQ(Upstream().Cmd({"ACL", "SETUSER", "app", "resetkeys", "~cache:*"}), kOk);
  Reply r;
  ASSERT_TRUE(WaitUntil(
      [&] {
        r = app->Cmd({"GET", "app:1"});
        return r.IsError();
      },
      std::chrono::seconds(20)))
      << r;
  EXPECT_EQ(r.ErrorText().rfind("NOPERM", 0), 0u) << r;
  EXPECT_EQ(app->Cmd({"SET", "cache:1", "y"}), kOk);
  // A password change leaves it logged in, as the upstream leaves its own clients.
  ASSERT_EQ(Upstream().Cmd({"ACL", "SETUSER", "app", "resetpass", ">rotated"}), kOk);
  ASSERT_EQ(Upstream().Cmd({"ACL", "DELUSER", "nobody"}), Int(0));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WaitUntil([&] { return app->Cmd({"GET", "cache:1"}) == Bulk("y"); }));
  }
  // Deleting the user upstream closes its clients here, as ACL DELUSER does.
  ASSERT_EQ(Upstream().Cmd({"ACL", "DELUSER", "app"}), Int(1));
  ASSERT_TRUE(WaitUntil(
      [&] {
        r = app->Cmd({"GET", "cache:1"});
        return r.type == Reply::Type::kIoError;
      },
      std::chrono::seconds(20)))
      << r;
}

TEST_F(UpstreamAuthTest, DefaultUserIsTheUpstreams) {
  // No password upstream: clients need not log in, and AUTH says what the upstream says.
  StartAuthProxy();
  EXPECT_EQ(proxy().Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(proxy().Cmd({"ACL", "WHOAMI"}), Bulk("default"));
  EXPECT_EQ(proxy().Cmd({"AUTH", "x"}), UpstreamSays({"AUTH", "x"}, {}));
  EXPECT_EQ(proxy().Cmd({"AUTH", "app", kAppPassword}), kOk);
  EXPECT_EQ(proxy().Cmd({"SET", "k", "v"}),
            UpstreamSays({"AUTH", "app", kAppPassword}, {"SET", "k", "v"}));
}

TEST_F(UpstreamAuthTest, AnUnreachableUpstreamFailsTheLoginClearly) {
  RequireUpstreamPassword();
  StartAuthProxy();
  ASSERT_EQ(proxy().Cmd({"AUTH", kUpstreamPassword}), kOk);
  upstream_client_.reset();
  upstream_->Stop();
  auto c = ProxyClient({"AUTH", "app", kAppPassword});
  EXPECT_TRUE(last_login_.IsError()) << last_login_;
  EXPECT_EQ(last_login_.ErrorText().rfind("ERR the upstream could not be asked", 0), 0u)
      << last_login_;
  EXPECT_EQ(c->Cmd({"GET", "app:1"}), Error("NOAUTH Authentication required."));
  upstream_.reset();
}

TEST(UpstreamAuthConfig, RingsideRefusesToStartWithLocalUsersOrWithoutAnUpstream) {
  const std::string bin = ServerProcess::RingsideBinary();
  const RunResult no_upstream = RunToExit(bin, {"--port", "0", "--auth-mode", "upstream"});
  EXPECT_NE(no_upstream.exit_code, 0);
  EXPECT_NE(no_upstream.output.find("auth-mode upstream checks logins with the upstream"),
            std::string::npos)
      << no_upstream.output;
  const RunResult with_password =
      RunToExit(bin, {"--port", "0", "--auth-mode", "upstream", "--upstream", "127.0.0.1:1",
                      "--requirepass", "x"});
  EXPECT_NE(with_password.exit_code, 0);
  EXPECT_NE(with_password.output.find("remove requirepass"), std::string::npos)
      << with_password.output;
}

}  // namespace
}  // namespace ringside::testing
