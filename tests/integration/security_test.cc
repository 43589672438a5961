// What docs/security.md promises about connections, users and secrets, end to end: protected
// mode against a client from another address of this host, the unix socket as Redis shows it,
// logins under a brute-force attack, the limits on what an unauthenticated client may send or
// leave unread, and passwords that never appear in replies or in the server's output.
//
// Everything here but the DENIED wording, the debug-log and the upstream tests holds for
// redis-server 7.0 too (RINGSIDE_TEST_TARGET=redis).

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/transport.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kNoAuth = "-NOAUTH Authentication required.\r\n";
const std::string kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const std::string kUnauthenticatedMultibulk =
    "-ERR Protocol error: unauthenticated multibulk length\r\n";
const std::string kUnauthenticatedBulk = "-ERR Protocol error: unauthenticated bulk length\r\n";
const std::string kNoPermConfigGet =
    "NOPERM this user has no permissions to run the 'config|get' command";
constexpr const char* kNoOtherAddress =
    "this host has no IPv4 address besides the loopback to connect from";
constexpr const char* kPassword = "right-password-5c1e";

// An IPv4 address of this host outside 127.0.0.0/8, on an interface that is up, with `port`. A
// connection to it from here comes from that address, so the server sees a client that is not
// on the loopback.
std::optional<sockaddr_in> OtherAddressOfThisHost(int port) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<sockaddr_in> found;
  for (const ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0) continue;
    sockaddr_in addr = *reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (ntohl(addr.sin_addr.s_addr) >> 24 == 127) continue;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    found = addr;
  }
  freeifaddrs(list);
  return found;
}

std::unique_ptr<RawClient> ConnectTo(const sockaddr_in& addr) {
  return std::make_unique<RawClient>(reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
}

std::unique_ptr<RawClient> ConnectToUnixSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  return std::make_unique<RawClient>(reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
}

// Everything the server sends on `c` until it closes the connection or is silent for 5 s.
std::string ReadUntilClosed(RawClient& c) {
  std::string said;
  while (auto reply = c.ReadReply(seconds(5))) said += *reply;
  return said;
}

// The server answers `c` with `reply` alone and closes the connection.
void ExpectRefusedAndClosed(RawClient& c, const std::string& reply) {
  EXPECT_EQ(ReadUntilClosed(c), reply);
  EXPECT_TRUE(c.WaitClosed(milliseconds(100))) << "the connection stays open";
}

// The text of a raw bulk reply, or the raw reply itself when it is not a bulk.
std::string BulkText(const std::string& raw) {
  const size_t header = raw.find("\r\n");
  if (raw.empty() || raw[0] != '$' || header == std::string::npos || raw.size() < header + 4) {
    return raw;
  }
  return raw.substr(header + 2, raw.size() - header - 4);
}

// The line of CLIENT LIST output that starts with "id=<id> ", or "".
std::string ClientLine(const std::string& list, const std::string& id) {
  std::istringstream lines(list);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("id=" + id + " ", 0) == 0) return line;
  }
  return "";
}

// One field of an ACL LOG entry (a flat list of names and values), as text.
std::string LogField(const Reply& entry, const std::string& name) {
  for (size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
    if (entry.elements[i].str != name) continue;
    const Reply& value = entry.elements[i + 1];
    return value.type == Reply::Type::kInteger ? std::to_string(value.integer) : value.str;
  }
  return "";
}

std::string Printed(const Reply& r) {
  std::ostringstream out;
  out << r;
  return out.str();
}

// 1 MiB and a bit: a distinctive start, then a pattern that is no run of one byte.
std::string MegabytePassword() {
  std::string password = "huge-secret-";
  while (password.size() < (1u << 20)) password += "0123456789abcdef";
  return password;
}

// A server with a unix socket in a directory of the test's own beside its TCP port.
class SecurityUnixSocket : public ServerTest {
 protected:
  // These servers listen on a unix socket of the test's own, which the unix transport's
  // socket would replace; the transport's run has nothing to add here.
  void SetUp() override {
    if (UnixTransport()) GTEST_SKIP() << "listens on a unix socket of its own";
    ServerTest::SetUp();
  }
  std::vector<std::string> ServerArgs() const override { return {"--unixsocket", socket_path()}; }
  // The server goes before its directory does.
  void TearDown() override {
    client_.reset();
    server_.reset();
  }
  std::string socket_path() const { return dir_.path() + "/s.sock"; }

  TempDir dir_{"ringside-security"};
};

// As above, listening on every IPv4 address, with protected mode at its default (on) and no
// password.
class SecurityProtectedMode : public SecurityUnixSocket {
 protected:
  std::vector<std::string> ServerArgs() const override {
    std::vector<std::string> args = SecurityUnixSocket::ServerArgs();
    args.insert(args.end(), {"--bind", "0.0.0.0"});
    return args;
  }
};

// A server whose default user has kPassword; client() logged in before it was set.
class SecurityPassword : public ServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ServerTest::SetUp());
    ASSERT_EQ(Cmd({"CONFIG", "SET", "requirepass", kPassword}), kOk);
  }
  std::unique_ptr<RawClient> LoggedIn() {
    auto c = std::make_unique<RawClient>(port());
    EXPECT_EQ(c->Call({"AUTH", kPassword}), "+OK\r\n");
    return c;
  }
  void ExpectNotInServerOutput(const std::string& secret) {
    EXPECT_EQ(server_->Output().find(secret), std::string::npos)
        << "the server's output shows \"" << secret << "\":\n"
        << server_->Output();
  }
};

TEST_F(SecurityProtectedMode, DeniesAClientFromAnotherAddressAndServesTheLoopback) {
  const auto other = OtherAddressOfThisHost(port());
  if (!other) GTEST_SKIP() << kNoOtherAddress;
  const int64_t rejected = InfoInt("stats", "rejected_connections");
  auto outsider = ConnectTo(*other);
  ASSERT_TRUE(outsider->connected());
  // One -DENIED line unasked, then the close. The wording after "-DENIED " is each server's own.
  const std::string said = ReadUntilClosed(*outsider);
  EXPECT_EQ(said.rfind("-DENIED ", 0), 0u) << said;
  EXPECT_EQ(said.find("\r\n"), said.size() - 2) << "not one line: " << said;
  EXPECT_TRUE(outsider->WaitClosed(milliseconds(100))) << "the connection stays open";
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), rejected + 1);

  RawClient local(port());
  EXPECT_EQ(local.Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), rejected + 1);
}

TEST_F(SecurityProtectedMode, DeniedLineSaysItIsRingside) {
  RINGSIDE_ONLY();  // redis-server's line starts "-DENIED Redis is running in protected mode"
  const auto other = OtherAddressOfThisHost(port());
  if (!other) GTEST_SKIP() << kNoOtherAddress;
  auto outsider = ConnectTo(*other);
  const std::string said = ReadUntilClosed(*outsider);
  EXPECT_EQ(said.rfind("-DENIED ringside is running in protected mode", 0), 0u) << said;
}

TEST_F(SecurityProtectedMode, ServesAnotherAddressOnceTheDefaultUserHasAPassword) {
  const auto other = OtherAddressOfThisHost(port());
  if (!other) GTEST_SKIP() << kNoOtherAddress;
  ASSERT_EQ(Cmd({"CONFIG", "SET", "requirepass", "x"}), kOk);
  auto outsider = ConnectTo(*other);
  EXPECT_EQ(outsider->Call({"PING"}), kNoAuth);
  EXPECT_EQ(outsider->Call({"AUTH", "x"}), "+OK\r\n");
  EXPECT_EQ(outsider->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), 0);

  // Without the password again, a new client from there is denied; the one in stays.
  ASSERT_EQ(Cmd({"CONFIG", "SET", "requirepass", ""}), kOk);
  auto next = ConnectTo(*other);
  EXPECT_EQ(ReadUntilClosed(*next).rfind("-DENIED ", 0), 0u);
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), 1);
  EXPECT_EQ(outsider->Call({"PING"}), "+PONG\r\n");
}

TEST_F(SecurityProtectedMode, ServesAnotherAddressWhenTurnedOff) {
  const auto other = OtherAddressOfThisHost(port());
  if (!other) GTEST_SKIP() << kNoOtherAddress;
  ASSERT_EQ(Cmd({"CONFIG", "SET", "protected-mode", "no"}), kOk);
  auto outsider = ConnectTo(*other);
  EXPECT_EQ(outsider->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(outsider->Call({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), 0);

  ASSERT_EQ(Cmd({"CONFIG", "SET", "protected-mode", "yes"}), kOk);
  auto next = ConnectTo(*other);
  EXPECT_EQ(ReadUntilClosed(*next).rfind("-DENIED ", 0), 0u);
  EXPECT_EQ(outsider->Call({"GET", "k"}), "$1\r\nv\r\n") << "a client let in stays in";
}

TEST_F(SecurityProtectedMode, ServesTheUnixSocket) {
  auto local = ConnectToUnixSocket(socket_path());
  ASSERT_TRUE(local->connected());
  EXPECT_EQ(local->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(local->Call({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(InfoInt("stats", "rejected_connections"), 0);
}

TEST_F(SecurityUnixSocket, ClientListShowsTheSocketPathAndFlagU) {
  auto local = ConnectToUnixSocket(socket_path());
  ASSERT_TRUE(local->connected());
  const std::string id_reply = local->Call({"CLIENT", "ID"});
  ASSERT_EQ(id_reply[0], ':') << id_reply;
  const std::string id = id_reply.substr(1, id_reply.size() - 3);
  const std::string list = BulkText(local->Call({"CLIENT", "LIST"}));
  const std::string line = ClientLine(list, id);
  ASSERT_NE(line, "") << "no line for client " << id << " in:\n" << list;
  const std::string path = socket_path();
  EXPECT_NE(line.find(" addr=" + path + ":0 laddr=" + path + ":0 "), std::string::npos) << line;
  EXPECT_NE(line.find(" flags=U "), std::string::npos) << line;

  const std::string tcp = Cmd({"CLIENT", "INFO"}).str;
  EXPECT_NE(tcp.find(" addr=127.0.0.1:"), std::string::npos) << tcp;
  EXPECT_NE(tcp.find(" laddr=127.0.0.1:" + std::to_string(port()) + " "), std::string::npos) << tcp;
  EXPECT_NE(tcp.find(" flags=N "), std::string::npos) << tcp;
}

TEST_F(SecurityUnixSocket, MonitorShowsASocketClientAsUnixPath) {
  RawClient monitor(port());
  ASSERT_EQ(monitor.Call({"MONITOR"}), "+OK\r\n");
  auto local = ConnectToUnixSocket(socket_path());
  EXPECT_EQ(local->Call({"ECHO", "over the socket"}), "$15\r\nover the socket\r\n");
  // "+<seconds>.<micros> [0 unix:<path>] "ECHO" "over the socket""
  const std::string line = monitor.ReadReply().value_or("(no line within 10 s)");
  const size_t after_time = line.find(' ');
  ASSERT_NE(after_time, std::string::npos) << line;
  EXPECT_EQ(line.substr(after_time),
            " [0 unix:" + socket_path() + "] \"ECHO\" \"over the socket\"\r\n");
}

TEST_F(SecurityPassword, AuthBruteForceDoesNotHoldUpOtherClients) {
  constexpr int kAttempts = 50000;
  // Redis closes an unauthenticated client whose unsent replies outgrow its 16 KB reply buffer
  // by 1 KB, so the attacker reads each batch's replies (under 16 KB) before the next.
  constexpr int kBatch = 200;
  constexpr size_t kLogMax = 16;
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  ASSERT_EQ(Cmd({"CONFIG", "SET", "acllog-max-len", std::to_string(kLogMax)}), kOk);
  std::unique_ptr<RawClient> bystander = LoggedIn();

  // Half the guesses are the default user's password, half log in as users that do not exist,
  // each a different one, so without acllog-max-len ACL LOG would keep 25,001 entries.
  std::atomic<bool> attack_over = false;
  int wrongpass_replies = 0;
  std::string unexpected;  // the first reply that was not WRONGPASS
  std::thread attacker([&] {
    RawClient a(port());
    for (int first = 0; first < kAttempts && unexpected.empty(); first += kBatch) {
      std::string batch;
      for (int i = first; i < first + kBatch; ++i) {
        const std::string guess = "guess-" + std::to_string(i);
        batch += i % 2 == 0 ? EncodeCommand({"AUTH", guess})
                            : EncodeCommand({"AUTH", "user-" + std::to_string(i), guess});
      }
      a.SendRaw(batch);
      for (int i = 0; i < kBatch && unexpected.empty(); ++i) {
        const std::string reply = a.ReadReply().value_or("(no reply within 10 s)");
        if (reply == kWrongPass) {
          ++wrongpass_replies;
        } else {
          unexpected = reply;
        }
      }
      if (std::chrono::steady_clock::now() > deadline) unexpected = "(past the deadline)";
    }
    attack_over = true;
  });

  // Round trips while the attack goes on (and a hundred at least), each within RawClient's
  // 10 s reply timeout.
  int round_trips = 0;
  std::string wrong;
  while ((!attack_over || round_trips < 100) && wrong.empty()) {
    const std::string value = "v" + std::to_string(round_trips);
    const std::string set = bystander->Call({"SET", "bystander", value});
    const std::string get = bystander->Call({"GET", "bystander"});
    const std::string ping = bystander->Call({"PING"});
    if (set != "+OK\r\n" || BulkText(get) != value || ping != "+PONG\r\n") {
      wrong = "round trip " + std::to_string(round_trips) + ": " + set + get + ping;
    }
    if (std::chrono::steady_clock::now() > deadline) wrong = "past the deadline";
    ++round_trips;
  }
  attacker.join();
  EXPECT_EQ(wrongpass_replies, kAttempts) << "then: " << unexpected;
  EXPECT_EQ(wrong, "");

  const Reply log = Cmd({"ACL", "LOG", std::to_string(kLogMax * 10)});
  ASSERT_EQ(log.type, Reply::Type::kArray) << log;
  EXPECT_EQ(log.elements.size(), kLogMax);
  ASSERT_FALSE(log.elements.empty());
  EXPECT_EQ(LogField(log.elements[0], "username"), "user-" + std::to_string(kAttempts - 1));
  bool default_kept = false;  // its repeats move its one entry to the front each time
  for (const Reply& entry : log.elements) {
    EXPECT_EQ(LogField(entry, "reason"), "auth") << entry;
    default_kept |= LogField(entry, "username") == "default";
  }
  EXPECT_TRUE(default_kept) << log;

  RawClient after(port());
  EXPECT_EQ(after.Call({"AUTH", "default", kPassword}), "+OK\r\n");
  EXPECT_EQ(after.Call({"GET", "bystander"}), bystander->Call({"GET", "bystander"}));
}

TEST_F(SecurityPassword, MoreThanTenArgumentsBeforeAuthenticationAreRefused) {
  std::unique_ptr<RawClient> bystander = LoggedIn();
  ASSERT_EQ(bystander->Call({"SET", "bystander", "1"}), "+OK\r\n");
  const std::vector<std::string> ten = {"EXISTS", "a", "b", "c", "d", "e", "f", "g", "h", "i"};
  const std::vector<std::string> eleven = {"MSET", "a", "1", "b", "2", "c",
                                           "3",    "d", "4", "e", "5"};

  RawClient at_limit(port());
  EXPECT_EQ(at_limit.Call(ten), kNoAuth) << "ten arguments are allowed";
  RawClient over(port());
  over.SendRaw(EncodeCommand(eleven));
  ExpectRefusedAndClosed(over, kUnauthenticatedMultibulk);

  // One command announcing a million arguments, as much of them sent as the server takes: it
  // is refused at its header.
  RawClient huge(port());
  huge.SendRaw("*1000000\r\n");
  std::string arguments;
  for (int i = 0; i < 100000; ++i) arguments += "$1\r\na\r\n";
  huge.SendFor(arguments, seconds(5));
  ExpectRefusedAndClosed(huge, kUnauthenticatedMultibulk);

  EXPECT_EQ(bystander->Call({"GET", "bystander"}), "$1\r\n1\r\n");
  EXPECT_EQ(bystander->Call(eleven), "+OK\r\n") << "the limit ends with authentication";
  EXPECT_EQ(Cmd(ten), Int(5));
}

TEST_F(SecurityPassword, BulkOver16KiBBeforeAuthenticationIsRefusedUnread) {
  std::unique_ptr<RawClient> bystander = LoggedIn();
  ASSERT_EQ(bystander->Call({"SET", "bystander", "1"}), "+OK\r\n");
  RawClient at_limit(port());
  EXPECT_EQ(at_limit.Call({"ECHO", std::string(16384, 'e')}), kNoAuth) << "16 KiB is allowed";

  // A 32 MiB value announced and sent for as long as the server takes it: it is refused at its
  // header, so the server neither holds it nor reads it all.
  constexpr size_t kBig = 32u << 20;
  const int64_t rss_before = InfoInt("memory", "used_memory_rss");
  RawClient big(port());
  big.SendRaw("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + std::to_string(kBig) + "\r\n");
  const size_t sent = big.SendFor(std::string(kBig, 'v'), seconds(10));
  const int64_t rss_after = InfoInt("memory", "used_memory_rss");
  ExpectRefusedAndClosed(big, kUnauthenticatedBulk);
  EXPECT_LT(sent, kBig) << "the server read the whole value";
  EXPECT_LT(rss_after - rss_before, static_cast<int64_t>(kBig / 2))
      << "resident memory went from " << rss_before << " to " << rss_after;

  EXPECT_EQ(Cmd({"EXISTS", "big"}), Int(0));
  EXPECT_EQ(bystander->Call({"GET", "bystander"}), "$1\r\n1\r\n");
  const std::string over_limit(16385, 'e');
  EXPECT_EQ(bystander->Call({"ECHO", over_limit}), "$16385\r\n" + over_limit + "\r\n")
      << "the limit ends with authentication";
}

// Redis closes an unauthenticated client once its unsent replies pass 1 KB beyond its 16 KB
// reply buffer, so one that pipelines and never reads cannot make the server hold its replies.
TEST_F(SecurityPassword, UnauthenticatedClientLeavingRepliesUnreadIsClosed) {
  std::unique_ptr<RawClient> bystander = LoggedIn();
  ASSERT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 2; }));
  RawClient flood(port());
  std::string pings;
  for (int i = 0; i < 200000; ++i) pings += EncodeCommand({"PING"});
  const size_t sent = flood.SendFor(pings, seconds(10));

  // Each PING's NOAUTH is 34 bytes: 6.8 MB for all of them, more than the socket buffers hold.
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 2; }))
      << "the flooding client (" << sent << " bytes sent) is still connected:\n"
      << BulkText(bystander->Call({"CLIENT", "LIST"}));
  int noauth = 0;
  while (auto reply = flood.ReadReply(seconds(1))) {
    if (*reply != kNoAuth) {
      ADD_FAILURE() << "reply " << noauth << ": " << *reply;
      break;
    }
    ++noauth;
  }
  EXPECT_LT(noauth, 200000) << "the server kept every reply for a client that read none";
  EXPECT_EQ(bystander->Call({"PING"}), "+PONG\r\n");
}

TEST_F(SecurityPassword, UnknownUserIsWrongpassForAuthAndHello) {
  RawClient c(port());
  EXPECT_EQ(c.Call({"AUTH", "nosuchuser", "pw-for-nobody-1"}), kWrongPass);
  EXPECT_EQ(c.Call({"HELLO", "3", "AUTH", "nosuchuser", "pw-for-nobody-2"}), kWrongPass);
  EXPECT_EQ(c.Call({"PING"}), kNoAuth) << "still not logged in, and still RESP2";
  EXPECT_EQ(c.Call({"AUTH", kPassword}), "+OK\r\n");
  // Logged in, a failed login leaves the connection logged in as before.
  EXPECT_EQ(c.Call({"AUTH", "nosuchuser", "pw-for-nobody-3"}), kWrongPass);
  EXPECT_EQ(c.Call({"HELLO", "3", "AUTH", "nosuchuser", "pw-for-nobody-4"}), kWrongPass);
  EXPECT_EQ(c.Call({"PING"}), "+PONG\r\n");

  // One entry per command, the newest first, each counting its two failures.
  const Reply log = Cmd({"ACL", "LOG"});
  ASSERT_EQ(log.elements.size(), 2u) << log;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(LogField(log.elements[i], "object"), i == 0 ? "HELLO" : "AUTH") << log;
    EXPECT_EQ(LogField(log.elements[i], "username"), "nosuchuser") << log;
    EXPECT_EQ(LogField(log.elements[i], "reason"), "auth") << log;
    EXPECT_EQ(LogField(log.elements[i], "count"), "2") << log;
  }
  EXPECT_EQ(Printed(Cmd({"ACL", "LOG"})).find("pw-for-nobody"), std::string::npos);
  ExpectNotInServerOutput("pw-for-nobody");
}

TEST_F(SecurityPassword, MegabytePasswordIsWrongpassOnceAuthenticated) {
  const std::string password = MegabytePassword();
  std::unique_ptr<RawClient> c = LoggedIn();
  EXPECT_EQ(c->Call({"AUTH", "default", password}), kWrongPass);
  EXPECT_EQ(c->Call({"AUTH", password}), kWrongPass);
  EXPECT_EQ(c->Call({"HELLO", "3", "AUTH", "default", password}), kWrongPass);
  EXPECT_EQ(c->Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Printed(Cmd({"ACL", "LOG"})).find("huge-secret"), std::string::npos);
  ExpectNotInServerOutput(password.substr(0, 20));
}

TEST_F(SecurityPassword, MegabytePasswordBeforeAuthenticationIsRefusedByTheLimit) {
  const std::string password = MegabytePassword();
  RawClient c(port());
  c.SendFor(EncodeCommand({"AUTH", "default", password}), seconds(10));
  ExpectRefusedAndClosed(c, kUnauthenticatedBulk);
  RawClient d(port());
  d.SendFor(EncodeCommand({"HELLO", "3", "AUTH", "default", password}), seconds(10));
  ExpectRefusedAndClosed(d, kUnauthenticatedBulk);
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
  ExpectNotInServerOutput(password.substr(0, 20));
}

TEST_F(SecurityPassword, RequirepassIsShownOnlyToUsersAllowedConfigGet) {
  EXPECT_EQ(Cmd({"CONFIG", "GET", "requirepass"}), BulkArray({"requirepass", kPassword}));
  ASSERT_EQ(Cmd({"ACL", "SETUSER", "noadmin", "on", ">pw", "~*", "&*", "+@all", "-@admin"}), kOk);
  ASSERT_EQ(Cmd({"ACL", "SETUSER", "noconfigget", "on", ">pw", "~*", "&*", "+@all", "-config|get"}),
            kOk);
  for (const std::string user : {"noadmin", "noconfigget"}) {
    SCOPED_TRACE(user);
    RawClient c(port());
    ASSERT_EQ(c.Call({"AUTH", user, "pw"}), "+OK\r\n");
    EXPECT_EQ(c.Call({"CONFIG", "GET", "requirepass"}), "-" + kNoPermConfigGet + "\r\n");
    EXPECT_EQ(c.Call({"CONFIG", "GET", "*"}), "-" + kNoPermConfigGet + "\r\n");
    EXPECT_EQ(c.Call({"SET", "k", user}), "+OK\r\n") << "the user is otherwise allowed";
    const Reply log = Cmd({"ACL", "LOG", "1"});
    ASSERT_EQ(log.elements.size(), 1u) << log;
    EXPECT_EQ(LogField(log.elements[0], "reason"), "command") << log;
    EXPECT_EQ(LogField(log.elements[0], "object"), "config|get") << log;
    EXPECT_EQ(LogField(log.elements[0], "username"), user) << log;
  }
}

// ringside promises no password in its log at any level; redis-server at verbose shows the
// start of a refused query buffer, passwords included.
TEST(SecurityLog, PasswordsStayOutOfTheLogAtDebugLevel) {
  RINGSIDE_ONLY();
  auto server = ServerProcess::StartRingside({"--requirepass", kPassword, "--loglevel", "debug"});
  ASSERT_NE(server, nullptr);
  const std::string huge = MegabytePassword();
  {
    RawClient outsider(server->port());
    EXPECT_EQ(outsider.Call({"AUTH", "guessed-password-1"}), kWrongPass);
    EXPECT_EQ(outsider.Call({"HELLO", "3", "AUTH", "someone", "guessed-password-2"}), kWrongPass);
    RawClient c(server->port());
    EXPECT_EQ(c.Call({"AUTH", kPassword}), "+OK\r\n");
    EXPECT_EQ(c.Call({"AUTH", "default", huge}), kWrongPass);
    EXPECT_EQ(c.Call({"ACL", "SETUSER", "carol", "on", ">carols-password", "+@all"}), "+OK\r\n");
    EXPECT_EQ(c.Call({"AUTH", "carol", "carols-password"}), "+OK\r\n");
    EXPECT_EQ(c.Call({"CONFIG", "SET", "requirepass", "changed-password"}), "+OK\r\n");
    RawClient refused(server->port());
    refused.SendFor(EncodeCommand({"AUTH", "default", huge}), seconds(10));
    ExpectRefusedAndClosed(refused, kUnauthenticatedBulk);
  }
  EXPECT_EQ(server->Stop(), 0);
  const std::string output = server->Output();
  for (const std::string& secret :
       {std::string(kPassword), std::string("guessed-password"), std::string("carols-password"),
        std::string("changed-password"), huge.substr(0, 20)}) {
    EXPECT_EQ(output.find(secret), std::string::npos) << secret << " is in:\n" << output;
  }
}

class SecurityUpstreamSecrets : public UpstreamTest {};

TEST_F(SecurityUpstreamSecrets, UpstreamPasswordIsShownAsSetAndNeverLogged) {
  const std::string secret = "upstream-secret-9d2b";
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword(secret));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-password", secret, "--loglevel", "debug"}));
  ASSERT_EQ(proxy().Cmd({"SET", "k", "v"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-password"}),
            BulkArray({"upstream-password", "(set)"}));
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"CONFIG", "GET", "*"}, {"INFO", "everything"}, {"CLIENT", "LIST"}}) {
    const Reply r = proxy().Cmd(cmd);
    EXPECT_EQ(Printed(r).find(secret), std::string::npos) << cmd[0] << " " << cmd[1] << ": " << r;
  }
  proxy_.reset();
  ExpectCleanExit(ringside_);
  EXPECT_EQ(ringside_->Output().find(secret), std::string::npos) << ringside_->Output();
}

TEST_F(SecurityUpstreamSecrets, RefusedUpstreamPasswordIsNotLogged) {
  const std::string wrong = "wrong-upstream-secret-41aa";
  ASSERT_NO_FATAL_FAILURE(StartUpstreamWithPassword("the-upstream-password"));
  ASSERT_NO_FATAL_FAILURE(StartProxy({"--upstream-password", wrong, "--loglevel", "debug"}));
  ASSERT_TRUE(WaitUntil([&] { return !Up(proxy(), "upstream_last_error").empty(); }, seconds(15)))
      << UpstreamSection(proxy());
  EXPECT_EQ(UpstreamSection(proxy()).find(wrong), std::string::npos) << UpstreamSection(proxy());
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-password"}),
            BulkArray({"upstream-password", "(set)"}));
  proxy_.reset();
  ExpectCleanExit(ringside_);
  EXPECT_EQ(ringside_->Output().find(wrong), std::string::npos) << ringside_->Output();
}

}  // namespace
}  // namespace ringside::testing
