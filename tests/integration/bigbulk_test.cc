// BigBulk ingest end to end: a bulk argument of at least bigbulk-threshold bytes whose body is
// still arriving gets its own buffer, filled straight from the socket (io_uring direct reads
// past bigbulk-direct-read) and adopted by the stored value. Whatever path a command takes,
// replies and data must be those of redis-server, replies must leave in request order, a peer
// that goes away mid-body must cost nothing and disturb no one, and the copy counters in
// `INFO bigbulk` must show the path was taken without copying.
//
// Splits are made real with sock_diag: after each piece the test waits until the server's side
// of the connection has nothing left to read, so the next piece is a separate read.

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Argv = std::vector<std::string>;

constexpr int kShards = 4;

// A value whose bytes depend on `seed` and position, so a misplaced chunk shows; CRLF, '$'
// and '*' turn up in it like any other byte.
std::string Pattern(size_t size, uint32_t seed) {
  std::string v(size, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < size; i += 4) {
    const uint32_t r = rng();
    for (size_t b = 0; b < 4 && i + b < size; ++b) v[i + b] = static_cast<char>(r >> (8 * b));
  }
  return v;
}

std::string KeyOnShard(const std::string& prefix, int shard) {
  for (int n = 0;; ++n) {
    std::string key = prefix + std::to_string(n);
    if (KeyShard(key, kShards) == shard) return key;
  }
}

std::string Frame(const std::vector<Argv>& commands) {
  std::string out;
  for (const auto& argv : commands) out += EncodeCommand(argv);
  return out;
}

// Where each bulk argument of a frame starts (its "$N" header), where its body starts, and
// its length.
struct BulkAt {
  size_t header;
  size_t body;
  size_t size;
};

std::vector<BulkAt> Layout(const std::vector<Argv>& commands) {
  std::vector<BulkAt> out;
  size_t pos = 0;
  for (const auto& argv : commands) {
    pos += 3 + std::to_string(argv.size()).size();  // "*N\r\n"
    for (const auto& arg : argv) {
      const size_t header = 3 + std::to_string(arg.size()).size();
      out.push_back({pos, pos + header, arg.size()});
      pos += header + arg.size() + 2;
    }
  }
  return out;
}

// How many of the two-piece splits of a frame leave an argument of at least `threshold` bytes
// with its header received and its body not: each of them must promote it. Commands after an
// MSETNX are left out: the connection does not parse them until its chain of hops is done, and
// by then the rest may have arrived.
int PromotingSplits(const std::vector<Argv>& commands, size_t threshold) {
  int n = 0;
  const auto bulks = Layout(commands);
  size_t i = 0;
  for (const auto& argv : commands) {
    for (size_t a = 0; a < argv.size(); ++a, ++i) {
      if (bulks[i].size >= threshold) n += static_cast<int>(bulks[i].size);  // cut in the body
    }
    if (argv[0] == "MSETNX") break;
  }
  return n;
}

// Raw bytes for a failure message: the size and an escaped prefix.
std::string Show(std::string_view bytes, size_t limit = 100) {
  std::string out = "[" + std::to_string(bytes.size()) + " bytes] \"";
  for (size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const unsigned char ch = static_cast<unsigned char>(bytes[i]);
    if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out + (bytes.size() > limit ? "\"..." : "\"");
}

std::string ShowCommand(const Argv& argv) {
  std::string out;
  for (const auto& a : argv) {
    out += out.empty() ? "" : " ";
    out += a.size() > 24 ? "<" + std::to_string(a.size()) + " bytes>" : Show(a);
  }
  return out;
}

// Where two replies first differ, for big ones.
std::string ShowDifference(const std::string& expected, const std::string& got) {
  size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
  const size_t from = i > 16 ? i - 16 : 0;
  return "first difference at byte " + std::to_string(i) + "\n  expected " + Show(expected) +
         "\n       got " + Show(got) + "\n  around it, expected " +
         Show(std::string_view(expected).substr(std::min(from, expected.size())), 48) +
         "\n                 got " +
         Show(std::string_view(got).substr(std::min(from, got.size())), 48);
}

// Bytes the server has not read yet on its side of the connection from 127.0.0.1:client_port
// to 127.0.0.1:server_port (a sock_diag lookup of that one socket); 0 when it is gone.
int64_t ServerUnread(int server_port, int client_port) {
  const int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return 0;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;
  message.request.sdiag_family = AF_INET;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = ~0u;
  message.request.id.idiag_sport = htons(static_cast<uint16_t>(server_port));
  message.request.id.idiag_dport = htons(static_cast<uint16_t>(client_port));
  message.request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
  message.request.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  int64_t unread = 0;
  alignas(nlmsghdr) char answer[8192];
  if (send(fd, &message, sizeof(message), 0) == static_cast<ssize_t>(sizeof(message))) {
    const ssize_t n = recv(fd, answer, sizeof(answer), 0);
    const auto* h = reinterpret_cast<const nlmsghdr*>(answer);
    if (n > 0 && NLMSG_OK(h, static_cast<uint32_t>(n)) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      unread = static_cast<const inet_diag_msg*>(NLMSG_DATA(h))->idiag_rqueue;
    }
  }
  close(fd);
  return unread;
}

// A RawClient that can send a frame in pieces the server reads one at a time: after each piece
// it waits until the server's side of the connection has nothing left to read.
class PacedClient {
 public:
  explicit PacedClient(int port) : raw_(port), server_port_(port) {
    const std::string info = raw_.Call({"CLIENT", "INFO"});
    const size_t addr = info.find("addr=127.0.0.1:");
    if (addr != std::string::npos) client_port_ = std::atoi(info.c_str() + addr + 15);
    EXPECT_GT(client_port_, 0) << "CLIENT INFO -> " << info;
  }

  RawClient& raw() { return raw_; }
  std::string Call(const Argv& argv) { return raw_.Call(argv); }
  // Pieces the server did not read within the deadline.
  int unpaced() const { return unpaced_; }

  // Sends `bytes`; true once the server has read them all (20 s deadline).
  bool SendAndWaitRead(std::string_view bytes) {
    raw_.SendRaw(bytes);
    const bool read = WaitUntil([&] { return ServerUnread(server_port_, client_port_) == 0; },
                                seconds(20), milliseconds(0));
    unpaced_ += read ? 0 : 1;
    return read;
  }

  // Sends `frame` cut at the offsets `cuts`, each piece read by the server before the next
  // leaves, while another thread collects `reply_count` raw replies (a missing one is "").
  std::vector<std::string> Send(std::string_view frame, const std::vector<size_t>& cuts,
                                size_t reply_count) {
    std::vector<std::string> replies;
    std::thread reader([&] {
      for (size_t i = 0; i < reply_count; ++i) {
        auto r = raw_.ReadReply(seconds(30));
        if (!r) break;
        replies.push_back(std::move(*r));
      }
    });
    size_t pos = 0;
    for (size_t cut : cuts) {
      if (cut <= pos || cut >= frame.size()) continue;
      SendAndWaitRead(frame.substr(pos, cut - pos));
      pos = cut;
    }
    raw_.SendRaw(frame.substr(pos));
    reader.join();
    replies.resize(reply_count);
    return replies;
  }

 private:
  RawClient raw_;
  int server_port_;
  int client_port_ = 0;
  int unpaced_ = 0;
};

// Compares raw reply lists; adds one failure for the first difference. True when equal.
bool SameReplies(const std::vector<std::string>& expected, const std::vector<std::string>& got,
                 const std::vector<Argv>& commands, const std::string& context) {
  for (size_t i = 0; i < expected.size() || i < got.size(); ++i) {
    const std::string e = i < expected.size() ? expected[i] : "<none>";
    const std::string g = i < got.size() ? got[i] : "<none>";
    if (e == g) continue;
    ADD_FAILURE() << context << "\nreply " << i << " to "
                  << (i < commands.size() ? ShowCommand(commands[i]) : "?") << ": "
                  << ShowDifference(e, g);
    return false;
  }
  return true;
}

// A TTL reply rounded to ten seconds, so two servers started moments apart compare equal.
std::string RoundTtl(const std::string& raw) {
  if (raw.size() < 4 || raw[0] != ':') return raw;
  const int64_t ttl = std::stoll(raw.substr(1));
  return ttl <= 0 ? raw : ":" + std::to_string((ttl + 5) / 10 * 10) + " (rounded)\r\n";
}

// One INFO bigbulk field as an integer; -1 when it is missing.
int64_t Stat(Client& c, const std::string& field) {
  const Reply r = c.Cmd({"INFO", "bigbulk"});
  if (r.type != Reply::Type::kBulk) return -1;
  const auto fields = ParseInfo(r.str);
  const auto it = fields.find(field);
  if (it == fields.end() || it->second.empty()) return -1;
  return std::stoll(it->second);
}

std::string StatText(Client& c, const std::string& field) {
  const Reply r = c.Cmd({"INFO", "bigbulk"});
  const auto fields = ParseInfo(r.str);
  const auto it = fields.find(field);
  return it == fields.end() ? "" : it->second;
}

int64_t VmRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// A bare socket, for what RawClient cannot do: closing with a reset.
class BareSocket {
 public:
  explicit BareSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~BareSocket() { Close(); }
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Closes with RST instead of FIN.
  void Reset() {
    const linger lin{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
    Close();
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A command group for the differential tests: `setup` runs first (whole), then `commands` go
// out as one frame (split as the test says), then `readback` shows the data.
struct Case {
  std::string name;
  std::vector<Argv> setup;
  std::vector<Argv> commands;
  std::vector<Argv> readback;
};

struct Outcome {
  std::vector<std::string> replies;
  std::vector<std::string> readback;
};

Outcome RunCase(PacedClient& c, const Case& k, const std::vector<size_t>& cuts) {
  Outcome out;
  c.Call({"FLUSHALL"});
  for (const auto& argv : k.setup) c.Call(argv);
  out.replies = c.Send(Frame(k.commands), cuts, k.commands.size());
  for (const auto& argv : k.readback) {
    const std::string raw = c.Call(argv);
    out.readback.push_back(argv[0] == "TTL" ? RoundTtl(raw) : raw);
  }
  return out;
}

bool SameOutcome(const Case& k, const Outcome& expected, const Outcome& got,
                 const std::string& how) {
  return SameReplies(expected.replies, got.replies, k.commands, k.name + ", " + how) &&
         SameReplies(expected.readback, got.readback, k.readback,
                     k.name + ", " + how + ", read back");
}

// Commands with a value `v` and a different old value `w` in every place BigBulk must handle.
std::vector<Case> Corpus(const std::string& v, const std::string& w, const std::string& big_key) {
  const Argv get = {"GET", "k"};
  const Argv ttl = {"TTL", "k"};
  const Argv mget = {"MGET", "k1", "k2", "k3"};
  return {
      {"SET", {}, {{"SET", "k", v}}, {get, {"STRLEN", "k"}}},
      {"SET EX", {}, {{"SET", "k", v, "EX", "100"}}, {get, ttl}},
      {"SET GET", {{"SET", "k", w}}, {{"SET", "k", v, "GET"}}, {get}},
      {"SET XX GET missing", {}, {{"SET", "k", v, "XX", "GET"}}, {get}},
      {"SET bad EX", {}, {{"SET", "k", v, "EX", "nope"}, {"SET", "k", v, "EX", "0"}}, {get}},
      {"big key", {}, {{"SET", big_key, "v"}, {"GET", big_key}}, {{"STRLEN", big_key}}},
      {"MSET big first", {}, {{"MSET", "k1", v, "k2", "v2"}}, {mget}},
      {"MSET big middle", {}, {{"MSET", "k1", "v1", "k2", v, "k3", "v3"}}, {mget}},
      {"MSET odd", {}, {{"MSET", "k1", v, "k2"}}, {mget}},
      {"APPEND", {{"SET", "k", w}}, {{"APPEND", "k", v}}, {get}},
      {"APPEND new", {}, {{"APPEND", "k", v}, {"APPEND", "k", v}}, {get}},
      {"GETSET", {{"SET", "k", w}}, {{"GETSET", "k", v}}, {get}},
      {"SETEX", {}, {{"SETEX", "k", "100", v}}, {get, ttl}},
      {"SETEX arity", {}, {{"SETEX", "k", v}}, {get}},
      {"PSETEX", {}, {{"PSETEX", "k", "100000", v}}, {get, ttl}},
      {"SETNX", {{"SET", "k2", w}}, {{"SETNX", "k", v}, {"SETNX", "k2", v}}, {get, {"GET", "k2"}}},
      {"MSETNX", {}, {{"MSETNX", "k1", v, "k2", w}, {"MSETNX", "k2", v, "k3", v}}, {mget}},
      {"read backs",
       {{"SET", "k", v}},
       {{"GETRANGE", "k", "3", "20"}, {"STRLEN", "k"}, {"GET", "k"}, {"ECHO", v}},
       {get}},
      {"pipeline",
       {{"SET", "k3", w}},
       {{"SET", "k1", v},
        {"INCR", "n"},
        {"SET", "k2", w, "EX", "100"},
        {"GET", "k1"},
        {"MSET", "k", v, "x", "y"},
        {"APPEND", "k1", w},
        {"STRLEN", "k1"},
        {"GETSET", "k3", "small"},
        {"GET", "k3"},
        {"DEL", "k"}},
       {mget, get, {"TTL", "k2"}, {"GET", "x"}}},
  };
}

class BigBulkTest : public ::testing::Test {
 protected:
  void SetUp() override { RINGSIDE_ONLY(); }

  static std::unique_ptr<ServerProcess> Start(std::vector<std::string> args) {
    return ServerProcess::StartRingside(std::move(args));
  }

  // SIGTERM must end ringside with status 0; under AddressSanitizer a leak makes it non-zero.
  static void ExpectCleanExit(std::unique_ptr<ServerProcess>& server) {
    const int status = server->Stop();
    EXPECT_EQ(status, 0) << "ringside exit status " << status << "; output:\n" << server->Output();
  }
};

// (a) Every byte boundary of every frame of the corpus, over a real socket, with values just
// above a tiny threshold: the replies and the data are redis-server's.
TEST_F(BigBulkTest, EveryByteSplitMatchesRedis) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--bigbulk-threshold", "8", "--threads", "2"});
  ASSERT_TRUE(redis && server);
  const std::string v = "big\r\n$5\r\n*2\r\n" + Pattern(28, 1);
  const std::string w = "old\r\n" + Pattern(36, 2);
  const std::string big_key = "key:" + std::string(36, 'k');
  PacedClient ref(redis->port());
  auto c = std::make_unique<PacedClient>(server->port());
  int promoting = 0;
  for (const Case& k : Corpus(v, w, big_key)) {
    const Outcome expected = RunCase(ref, k, {});
    const size_t size = Frame(k.commands).size();
    promoting += PromotingSplits(k.commands, 8);
    int failures = 0;
    for (size_t cut = 1; cut < size && failures < 3; ++cut) {
      const Outcome got = RunCase(*c, k, {cut});
      if (!SameOutcome(k, expected, got, "split at byte " + std::to_string(cut))) {
        ++failures;
        c = std::make_unique<PacedClient>(server->port());  // it may have been closed
      }
    }
  }
  EXPECT_EQ(c->unpaced(), 0) << "pieces the server did not read within 20 s";
  Client info(server->port());
  // Pieces are paced, so every split inside a body of 8 bytes or more promotes that argument.
  EXPECT_GE(Stat(info, "bigbulk_promotions"), promoting);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), 0);
  ExpectCleanExit(server);
}

// Offsets inside and just after the header of every argument of at least `min_size` bytes,
// plus `uniform` random ones.
std::vector<size_t> RandomCuts(const std::vector<Argv>& commands, size_t min_size, int uniform,
                               std::mt19937& rng) {
  std::vector<size_t> cuts;
  for (const BulkAt& b : Layout(commands)) {
    if (b.size < min_size) continue;
    cuts.push_back(b.header + 1 + rng() % (b.body - b.header - 1));
    cuts.push_back(b.body + rng() % 64);
  }
  for (int i = 0; i < uniform; ++i) cuts.push_back(rng() % Frame(commands).size());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  return cuts;
}

// (a) Frames with 100 KiB - 1 MiB values at the default thresholds, cut at random places and
// around every header: redis-server's replies and data.
TEST_F(BigBulkTest, RandomChunkingsOfBigFramesMatchRedis) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(redis && server);
  std::mt19937 rng(20261124);
  auto size = [&] { return (100u << 10) + rng() % (924u << 10); };
  const std::string v = Pattern(size(), 3);
  const std::string w = Pattern(size(), 4);
  const std::string big_key = Pattern(size(), 5);
  PacedClient ref(redis->port());
  auto c = std::make_unique<PacedClient>(server->port());
  for (const Case& k : Corpus(v, w, big_key)) {
    const Outcome expected = RunCase(ref, k, {});
    for (int round = 0; round < 2; ++round) {
      const auto cuts = RandomCuts(k.commands, 1024, 1 + static_cast<int>(rng() % 8), rng);
      const Outcome got = RunCase(*c, k, cuts);
      if (!SameOutcome(k, expected, got, "random chunking " + std::to_string(round))) {
        c = std::make_unique<PacedClient>(server->port());
        break;
      }
    }
  }
  EXPECT_EQ(c->unpaced(), 0);
  Client info(server->port());
  EXPECT_GT(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  // bigbulk_reallocs is not checked here: while an MSETNX of the corpus waits for the
  // connection's earlier commands, later input (big bodies too) is held back in the input
  // buffer, which may grow around it; BodyEndAndNextCommandsInOneWrite and
  // BigValuesAreCopiedLessThanOncePerByte check that nothing else reallocates.
  ExpectCleanExit(server);
}

// (b) Big values written from many connections to keys of every shard read back byte for byte
// from many connections; most of them crossed shards as adopted buffers.
TEST_F(BigBulkTest, BigValuesOnEveryShardReadBackEverywhere) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  const int port = server->port();
  constexpr int kConnections = 8;
  const size_t sizes[] = {64u << 10, 300u << 10, 1u << 20};
  std::map<std::string, std::string> values;
  for (int w = 0; w < kConnections; ++w) {
    for (int s = 0; s < kShards; ++s) {
      values[KeyOnShard("w" + std::to_string(w) + "s" + std::to_string(s) + ":", s)] =
          Pattern(sizes[(w + s) % 3], static_cast<uint32_t>(w * 10 + s));
    }
  }
  std::vector<std::string> problems(kConnections);
  std::vector<std::thread> threads;
  for (int w = 0; w < kConnections; ++w) {
    threads.emplace_back([&, w] {
      PacedClient c(port);
      for (int s = 0; s < kShards; ++s) {
        const std::string key =
            KeyOnShard("w" + std::to_string(w) + "s" + std::to_string(s) + ":", s);
        const std::string frame = EncodeCommand({"SET", key, values[key]});
        // The header and a little of the body first, so the body is still arriving.
        const auto replies = c.Send(frame, {40 + static_cast<size_t>(w) * 100}, 1);
        if (replies[0] != "+OK\r\n") problems[w] += "SET " + key + " -> " + Show(replies[0]) + "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  for (const auto& p : problems) EXPECT_EQ(p, "");
  for (int r = 0; r < kConnections; ++r) {
    threads.emplace_back([&, r] {
      Client c(port, seconds(30));
      int n = 0;
      for (const auto& [key, value] : values) {
        const Reply len = c.Cmd({"STRLEN", key});
        if (len != Int(static_cast<int64_t>(value.size()))) {
          problems[r] += "STRLEN " + key + " wrong\n";
        }
        if (++n % 2 != r % 2) continue;
        const Reply got = c.Cmd({"GET", key});
        if (got.type != Reply::Type::kBulk || got.str != value) {
          problems[r] += "GET " + key + ": " + ShowDifference(value, got.str) + "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& p : problems) EXPECT_EQ(p, "");
  Client info(port);
  EXPECT_EQ(info.Cmd({"DBSIZE"}), Int(static_cast<int64_t>(values.size())));
  EXPECT_GE(Stat(info, "bigbulk_promotions"), static_cast<int64_t>(values.size()));
  EXPECT_GT(Stat(info, "bigbulk_cross_shard_handoffs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  ExpectCleanExit(server);
}

// A random mix of writes with and without options, big and small values, on keys of every
// shard under `prefix`, with reads in between.
std::vector<Argv> RandomCommands(const std::string& prefix, int count,
                                 const std::vector<size_t>& sizes, std::mt19937& rng) {
  // K: a key, V: a value, C: a counter.
  static const std::vector<Argv> kShapes = {{"SET", "K", "V"},
                                            {"SET", "K", "V", "EX", "1000"},
                                            {"SET", "K", "V", "NX"},
                                            {"SET", "K", "V", "PX", "2000000", "GET"},
                                            {"APPEND", "K", "V"},
                                            {"SET", "K", "V", "XX", "KEEPTTL"},
                                            {"GETSET", "K", "V"},
                                            {"MSET", "K", "V", "K", "V", "K", "V"},
                                            {"SETNX", "K", "V"},
                                            {"MSETNX", "K", "V", "K", "V"},
                                            {"SETEX", "K", "1000", "V"},
                                            {"PSETEX", "K", "2000000", "V"},
                                            {"GET", "K"},
                                            {"GETRANGE", "K", "100", "199"},
                                            {"STRLEN", "K"},
                                            {"EXISTS", "K", "K"},
                                            {"GETDEL", "K"},
                                            {"INCR", "C"}};
  std::vector<std::string> keys;
  for (int i = 0; i < 6 * kShards; ++i) {
    keys.push_back(KeyOnShard(prefix + "k" + std::to_string(i) + ":", i % kShards));
  }
  std::vector<Argv> out;
  for (int i = 0; i < count; ++i) {
    Argv argv = kShapes[rng() % kShapes.size()];
    for (std::string& a : argv) {
      if (a == "K") a = keys[rng() % keys.size()];
      if (a == "V") a = Pattern(sizes[rng() % sizes.size()], rng());
      if (a == "C") a = prefix + "counter";
    }
    out.push_back(std::move(argv));
  }
  return out;
}

// (c) Pipelines mixing big writes (the connection's own shard among them) with small commands
// on other shards, from several connections at once: replies in request order, as redis-server
// gives them.
TEST_F(BigBulkTest, RepliesLeaveInRequestOrder) {
  auto redis = ServerProcess::StartRedis();
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(redis && server);
  constexpr int kConnections = 6;
  const std::vector<size_t> sizes = {3, 100, 16383, 16384, 16385, 40000, 70000, 200000};
  std::vector<std::vector<Argv>> pipelines;
  std::vector<std::vector<size_t>> cuts;
  std::vector<std::vector<std::string>> expected;
  std::mt19937 rng(7);
  PacedClient ref(redis->port());
  for (int i = 0; i < kConnections; ++i) {
    pipelines.push_back(RandomCommands("c" + std::to_string(i) + ":", 60, sizes, rng));
    cuts.push_back(RandomCuts(pipelines.back(), 16384, 4, rng));
    expected.push_back(ref.Send(Frame(pipelines.back()), {}, 60));
  }
  std::vector<std::vector<std::string>> got(kConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      RawClient c(server->port());
      // Not paced: the pieces of six connections race each other.
      const std::string whole = Frame(pipelines[i]);
      std::thread reader([&] {
        for (size_t n = 0; n < pipelines[i].size(); ++n) {
          auto r = c.ReadReply(seconds(30));
          if (!r) break;
          got[i].push_back(std::move(*r));
        }
      });
      size_t pos = 0;
      for (size_t cut : cuts[i]) {
        c.SendRaw(std::string_view(whole).substr(pos, cut - pos));
        pos = cut;
      }
      c.SendRaw(std::string_view(whole).substr(pos));
      reader.join();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kConnections; ++i) {
    SameReplies(expected[i], got[i], pipelines[i], "connection " + std::to_string(i));
  }
  Client info(server->port());
  EXPECT_GT(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_GT(Stat(info, "bigbulk_cross_shard_handoffs"), 0);
  ExpectCleanExit(server);
}

// (c) A command that runs as a chain of hops between shards (MSETNX) does not overtake the
// writes before it on its connection, whether their values were promoted or not.
TEST_F(BigBulkTest, MsetnxDoesNotOvertakeEarlierWrites) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  int overtaken = 0;
  std::string example;
  for (int trial = 0; trial < 200; ++trial) {
    RawClient c(server->port());  // one connection per trial, so they land on every thread
    const std::string key = "m" + std::to_string(trial);
    const std::string value = trial % 2 ? Pattern(20000, trial) : "first";
    const std::vector<Argv> commands = {
        {"SET", key, value}, {"MSETNX", key, "second", "o" + key, "x"}, {"GET", key}};
    c.SendRaw(Frame(commands));
    std::vector<std::string> replies;
    for (size_t i = 0; i < commands.size(); ++i) replies.push_back(c.ReadReply().value_or(""));
    const std::vector<std::string> expected = {
        "+OK\r\n", ":0\r\n", "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n"};
    if (replies == expected) continue;
    if (++overtaken == 1) {
      example = "SET " + key + " <" + std::to_string(value.size()) + " bytes>; MSETNX " + key +
                " second o" + key + " x; GET " + key + " in one write -> " + Show(replies[0]) +
                ", " + Show(replies[1]) + ", " + Show(replies[2], 16);
    }
  }
  EXPECT_EQ(overtaken, 0) << "of 200 connections; the first: " << example;
  ExpectCleanExit(server);
}

// Every key with its value and PTTL, via SCAN.
std::map<std::string, std::pair<std::string, int64_t>> Dump(int port) {
  Client c(port, seconds(30));
  std::map<std::string, std::pair<std::string, int64_t>> out;
  std::string cursor = "0";
  do {
    const Reply r = c.Cmd({"SCAN", cursor, "COUNT", "100"});
    if (r.type != Reply::Type::kArray || r.elements.size() != 2) {
      ADD_FAILURE() << "SCAN -> " << r;
      break;
    }
    cursor = r.elements[0].str;
    for (const auto& key : r.elements[1].Strings()) {
      out[key] = {c.Cmd({"GET", key}).str, c.Cmd({"PTTL", key}).integer};
    }
  } while (cursor != "0");
  return out;
}

// (d) The same workload with BigBulk off and with low thresholds: the same replies and the
// same dataset.
TEST_F(BigBulkTest, OnAndOffGiveTheSameRepliesAndData) {
  const std::vector<size_t> sizes = {0, 7, 1023, 1024, 1025, 4095, 4096, 4097, 9000, 70000, 300000};
  std::mt19937 rng(99);
  std::vector<std::vector<Argv>> pipelines;
  std::vector<std::vector<size_t>> cuts;
  for (int i = 0; i < 6; ++i) {
    pipelines.push_back(RandomCommands("", 50, sizes, rng));
    cuts.push_back(RandomCuts(pipelines.back(), 1024, 6, rng));
  }
  struct Run {
    std::vector<std::vector<std::string>> replies;
    std::map<std::string, std::pair<std::string, int64_t>> data;
    int64_t promotions = -1;
  };
  auto run = [&](std::vector<std::string> args) {
    Run out;
    args.insert(args.end(), {"--threads", "4"});
    auto server = Start(args);
    if (!server) return out;
    PacedClient c(server->port());
    for (size_t i = 0; i < pipelines.size(); ++i) {
      out.replies.push_back(c.Send(Frame(pipelines[i]), cuts[i], pipelines[i].size()));
    }
    EXPECT_EQ(c.unpaced(), 0);
    out.data = Dump(server->port());
    Client info(server->port());
    out.promotions = Stat(info, "bigbulk_promotions");
    ExpectCleanExit(server);
    return out;
  };
  const Run off = run({"--bigbulk-threshold", "0"});
  const Run on = run({"--bigbulk-threshold", "1024", "--bigbulk-direct-read", "4096"});
  ASSERT_EQ(off.replies.size(), pipelines.size());
  ASSERT_EQ(on.replies.size(), pipelines.size());
  for (size_t i = 0; i < pipelines.size(); ++i) {
    SameReplies(off.replies[i], on.replies[i], pipelines[i],
                "pipeline " + std::to_string(i) + ": BigBulk off (expected) vs on (got)");
  }
  EXPECT_GT(off.data.size(), 10u);
  EXPECT_EQ(off.data.size(), on.data.size());
  for (const auto& [key, entry] : off.data) {
    const auto it = on.data.find(key);
    if (it == on.data.end()) {
      ADD_FAILURE() << "key " << Show(key) << " only with BigBulk off";
      continue;
    }
    if (it->second.first != entry.first) {
      ADD_FAILURE() << "key " << Show(key) << ": " << ShowDifference(entry.first, it->second.first);
    }
    const int64_t a = entry.second, b = it->second.second;
    EXPECT_TRUE(a < 0 ? a == b : (b > 0 && std::abs(a - b) < 10000))
        << "PTTL of " << Show(key) << ": off " << a << ", on " << b;
  }
  EXPECT_EQ(off.promotions, 0);
  EXPECT_GT(on.promotions, 0);
}

// (e) A peer that closes in the middle of a 1 MiB body: the promoted buffer is dropped and
// counted, other clients mid-pipeline on every shard carry on with their data intact.
TEST_F(BigBulkTest, PeerClosingMidBodyDisturbsNoOne) {
  auto server = Start({"--threads", "4"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  // Two clients stop half-way through a big value of their own.
  std::vector<std::unique_ptr<RawClient>> others;
  std::vector<std::string> frames;
  const std::string small_value = "small";
  for (int i = 0; i < 2; ++i) {
    others.push_back(std::make_unique<RawClient>(port));
    const std::string big = KeyOnShard("other" + std::to_string(i) + ":", i * 2 + 1);
    frames.push_back(Frame({{"SET", "s" + std::to_string(i), small_value},
                            {"SET", big, Pattern(300u << 10, 50 + i)},
                            {"GET", "s" + std::to_string(i)},
                            {"STRLEN", big}}));
    others[i]->SendRaw(std::string_view(frames[i]).substr(0, 150u << 10));
  }
  // Four peers, one per shard, announce 1 MiB, send half and go away.
  for (int s = 0; s < kShards; ++s) {
    PacedClient peer(port);
    const std::string frame = EncodeCommand({"SET", KeyOnShard("gone:", s), Pattern(1u << 20, s)});
    EXPECT_TRUE(peer.SendAndWaitRead(std::string_view(frame).substr(0, frame.size() / 2)));
  }
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") >= kShards; }, seconds(20)))
      << "bigbulk_aborted = " << Stat(info, "bigbulk_aborted");
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), kShards);
  for (int i = 0; i < 2; ++i) {
    others[i]->SendRaw(std::string_view(frames[i]).substr(150u << 10));
    EXPECT_EQ(others[i]->ReadReply(), "+OK\r\n");
    EXPECT_EQ(others[i]->ReadReply(), "+OK\r\n");
    EXPECT_EQ(others[i]->ReadReply(), "$5\r\nsmall\r\n");
    EXPECT_EQ(others[i]->ReadReply(), ":" + std::to_string(300u << 10) + "\r\n");
    const Reply got = info.Cmd({"GET", KeyOnShard("other" + std::to_string(i) + ":", i * 2 + 1)});
    EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == Pattern(300u << 10, 50 + i));
  }
  for (int s = 0; s < kShards; ++s) EXPECT_EQ(info.Cmd({"EXISTS", KeyOnShard("gone:", s)}), Int(0));
  // Healthy: a new client stores and reads a big value; the dead peers are gone.
  RawClient fresh(port);
  EXPECT_EQ(fresh.Call({"SET", "after", Pattern(1u << 20, 9)}), "+OK\r\n");
  EXPECT_EQ(fresh.Call({"STRLEN", "after"}), ":1048576\r\n");
  EXPECT_TRUE(WaitUntil([&] {
    return info.Cmd({"INFO", "clients"}).str.find("connected_clients:4\r\n") != std::string::npos;
  }));
  ExpectCleanExit(server);
}

// (e) A peer that goes away, with FIN or with RST, while a direct read into its buffer is in
// flight.
TEST_F(BigBulkTest, DisconnectDuringDirectRead) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  for (int reset = 0; reset < 2; ++reset) {
    const int64_t switches = Stat(info, "bigbulk_direct_read_switches");
    const int64_t aborted = Stat(info, "bigbulk_aborted");
    BareSocket peer(port);
    const std::string frame = EncodeCommand({"SET", "k", Pattern(1u << 20, 1)});
    peer.Send(std::string_view(frame).substr(0, 64u << 10));
    EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_direct_read_switches") > switches; }))
        << "no direct read started";
    if (reset) {
      peer.Reset();
    } else {
      peer.Close();
    }
    EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") == aborted + 1; }))
        << (reset ? "RST" : "FIN") << ": bigbulk_aborted " << aborted << " -> "
        << Stat(info, "bigbulk_aborted");
    EXPECT_EQ(info.Cmd({"EXISTS", "k"}), Int(0));
  }
  EXPECT_EQ(info.Cmd({"SET", "k", Pattern(1u << 20, 2)}), Status("OK"));
  EXPECT_EQ(info.Cmd({"STRLEN", "k"}), Int(1 << 20));
  ExpectCleanExit(server);
}

// (e) The end of a body, the rest of its command and the next commands in one write, with the
// rest of the body above and below bigbulk-direct-read: the bytes past the body are the next
// arguments and commands, and the input buffer never grows for them while a big one is about.
TEST_F(BigBulkTest, BodyEndAndNextCommandsInOneWrite) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  for (const size_t held_back : {size_t{100}, size_t{20000}, size_t{190000}}) {
    SCOPED_TRACE("last " + std::to_string(held_back) + " bytes of the body with the next commands");
    PacedClient c(port);
    const std::string value = Pattern(200000, static_cast<uint32_t>(held_back));
    const std::string second = Pattern(100000, 7);
    const std::vector<Argv> commands = {{"SET", "k1", value, "EX", "100"},
                                        {"SET", "k2", "small"},
                                        {"GET", "k2"},
                                        {"SET", "k3", second},
                                        {"STRLEN", "k3"},
                                        {"TTL", "k1"},
                                        {"PING"}};
    const BulkAt body = Layout(commands)[2];
    const size_t frame_size = Frame(commands).size();
    // The second write ends mid-way through the later commands, which complete in a third.
    const size_t end = body.body + body.size;
    const auto replies =
        c.Send(Frame(commands), {end - held_back, end + (frame_size - end) / 2}, commands.size());
    const std::vector<std::string> expected = {
        "+OK\r\n", "+OK\r\n", "$5\r\nsmall\r\n", "+OK\r\n", ":100000\r\n", ":100\r\n", "+PONG\r\n"};
    EXPECT_EQ(replies, expected);
    const Reply got = Client(port).Cmd({"GET", "k1"});
    EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == value)
        << ShowDifference(value, got.str);
    EXPECT_EQ(c.Call({"GET", "k3"}), "$100000\r\n" + second + "\r\n");
  }
  Client info(port);
  EXPECT_GE(Stat(info, "bigbulk_promotions"), 3);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_aborted"), 0);
  ExpectCleanExit(server);
}

// (f) A bulk longer than proto-max-bulk-len is refused at its header, as redis-server does;
// exactly proto-max-bulk-len is accepted.
TEST_F(BigBulkTest, BulkAboveProtoMaxBulkLenIsRefusedLikeRedis) {
  for (const bool custom : {false, true}) {
    const std::vector<std::string> limit =
        custom ? std::vector<std::string>{"--proto-max-bulk-len", "1mb"}
               : std::vector<std::string>{};
    const int64_t max = custom ? 1 << 20 : 512 << 20;
    auto redis = ServerProcess::StartRedis(limit);
    auto server = Start(limit);
    ASSERT_TRUE(redis && server);
    const int64_t rss_before = VmRssKb(server->pid());
    const std::string header = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(max + 1) + "\r\n";
    for (const auto* s : {redis.get(), server.get()}) {
      RawClient c(s->port());
      c.SendRaw(header + std::string(1000, 'x'));
      EXPECT_EQ(c.ReadReply(), "-ERR Protocol error: invalid bulk length\r\n")
          << (s == redis.get() ? "redis-server" : "ringside") << ", limit " << max;
      EXPECT_TRUE(c.WaitClosed());
    }
    EXPECT_LT(VmRssKb(server->pid()) - rss_before, 32 << 10);
    if (custom) {
      const std::string value = Pattern(static_cast<size_t>(max), 1);
      for (const auto* s : {redis.get(), server.get()}) {
        RawClient c(s->port());
        EXPECT_EQ(c.Call({"SET", "k", value}), "+OK\r\n");
        EXPECT_EQ(c.Call({"STRLEN", "k"}), ":" + std::to_string(max) + "\r\n");
      }
    }
    ExpectCleanExit(server);
  }
}

// (f) 400 MB announced and 1 MiB sent cost about 1 MiB, not 400 MB; the buffer goes with the
// client.
TEST_F(BigBulkTest, AnnouncedButUnsentBytesCostNoMemory) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  ASSERT_EQ(info.Cmd({"SET", "warm", Pattern(1u << 20, 1)}), Status("OK"));
  const int64_t rss_before = VmRssKb(server->pid());
  {
    PacedClient peer(port);
    peer.raw().SendRaw("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$400000000\r\n");
    EXPECT_TRUE(peer.SendAndWaitRead(Pattern(1u << 20, 2)));
    const int64_t grown = VmRssKb(server->pid()) - rss_before;
    EXPECT_LT(grown, 32 << 10) << "RSS grew by " << grown << " kB for 1 MiB received";
    EXPECT_GE(Stat(info, "bigbulk_promotions"), 1);
  }
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") == 1; }))
      << "bigbulk_aborted = " << Stat(info, "bigbulk_aborted");
  EXPECT_EQ(info.Cmd({"EXISTS", "big"}), Int(0));
  EXPECT_EQ(info.Cmd({"PING"}), Status("PONG"));
  ExpectCleanExit(server);
}

// (f) The promoted buffer counts against client-query-buffer-limit: a client that announces
// 4 MB and sends 2 MB is closed; a client in the middle of its own pipeline is untouched.
TEST_F(BigBulkTest, PromotedBufferCountsAgainstTheQueryBufferLimit) {
  auto server = Start({"--client-query-buffer-limit", "1mb", "--threads", "2"});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client info(port);
  RawClient normal(port);
  const std::string normal_value = Pattern(500u << 10, 3);
  const std::string normal_frame =
      Frame({{"SET", "n1", "v"}, {"SET", "n2", normal_value}, {"GET", "n1"}});
  normal.SendRaw(std::string_view(normal_frame).substr(0, 200u << 10));
  PacedClient big(port);
  // The header alone first: the body then arrives through the promoted buffer (and direct reads).
  big.SendAndWaitRead("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4000000\r\n");
  const std::string chunk(64u << 10, 'x');
  for (int i = 0; i < 32; ++i) big.raw().SendRaw(chunk);
  EXPECT_TRUE(big.raw().WaitClosed()) << "2 MB of a 4 MB value held, and still connected";
  EXPECT_TRUE(WaitUntil([&] { return Stat(info, "bigbulk_aborted") >= 1; }));
  normal.SendRaw(std::string_view(normal_frame).substr(200u << 10));
  EXPECT_EQ(normal.ReadReply(), "+OK\r\n");
  EXPECT_EQ(normal.ReadReply(), "+OK\r\n");
  EXPECT_EQ(normal.ReadReply(), "$1\r\nv\r\n");
  EXPECT_EQ(normal.Call({"GET", "n2"}),
            "$" + std::to_string(normal_value.size()) + "\r\n" + normal_value + "\r\n");
  EXPECT_EQ(info.Cmd({"EXISTS", "big"}), Int(0));
  ExpectCleanExit(server);
}

// (g) 200 SETs of 64 KiB at the default settings: the body mostly goes straight into the
// value's buffer (direct reads), with no input-buffer growth.
TEST_F(BigBulkTest, BigValuesAreCopiedLessThanOncePerByte) {
  auto server = Start({"--threads", "2"});
  ASSERT_TRUE(server);
  Client info(server->port());
  ASSERT_EQ(info.Cmd({"CONFIG", "RESETSTAT"}), Status("OK"));
  RawClient c(server->port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(c.Call({"SET", "k" + std::to_string(i), Pattern(64u << 10, i)}), "+OK\r\n") << i;
  }
  EXPECT_EQ(c.Call({"GET", "k7"}), "$65536\r\n" + Pattern(64u << 10, 7) + "\r\n");
  const int64_t promoted = Stat(info, "bigbulk_promoted_bytes");
  const int64_t copied = Stat(info, "bigbulk_copied_bytes");
  // The first 16 KiB receive buffer holds the header and not the whole body: all promoted.
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 200);
  EXPECT_EQ(promoted, 200 * (64 << 10));
  EXPECT_LE(copied * 10, promoted * 3) << copied << " bytes copied of " << promoted;
  EXPECT_EQ(Stat(info, "bigbulk_reallocs"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_switches"), 0);
  EXPECT_GT(Stat(info, "bigbulk_direct_read_bytes"), 0);
  const std::string per_byte = StatText(info, "bigbulk_copies_per_byte");
  ASSERT_FALSE(per_byte.empty());
  EXPECT_NEAR(std::stod(per_byte), promoted > 0 ? double(copied) / double(promoted) : 0, 0.011);
  ExpectCleanExit(server);
}

// (g) With BigBulk off the same load takes the ordinary path, which copies every value byte.
TEST_F(BigBulkTest, ThresholdZeroTurnsBigBulkOff) {
  auto server = Start({"--bigbulk-threshold", "0", "--threads", "2"});
  ASSERT_TRUE(server);
  Client info(server->port());
  RawClient c(server->port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(c.Call({"SET", "k" + std::to_string(i), Pattern(64u << 10, i)}), "+OK\r\n") << i;
  }
  EXPECT_EQ(Stat(info, "bigbulk_threshold"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_EQ(Stat(info, "bigbulk_promoted_bytes"), 0);
  EXPECT_GE(Stat(info, "plain_copied_bytes"), 200 * (64 << 10));
  EXPECT_GE(Stat(info, "plain_bytes"), 200 * (64 << 10));
  // Turned on at run time, the next big values are promoted; RESETSTAT zeroes the counters.
  EXPECT_EQ(info.Cmd({"CONFIG", "SET", "bigbulk-threshold", "16kb"}), Status("OK"));
  EXPECT_EQ(info.Cmd({"CONFIG", "GET", "bigbulk-threshold"}),
            BulkArray({"bigbulk-threshold", "16384"}));
  EXPECT_EQ(Stat(info, "bigbulk_threshold"), 16384);
  EXPECT_EQ(c.Call({"SET", "after", Pattern(1u << 20, 1)}), "+OK\r\n");
  EXPECT_GE(Stat(info, "bigbulk_promotions"), 1);
  ASSERT_EQ(info.Cmd({"CONFIG", "RESETSTAT"}), Status("OK"));
  EXPECT_EQ(Stat(info, "bigbulk_promotions"), 0);
  EXPECT_EQ(Stat(info, "plain_copied_bytes"), 0);
  ExpectCleanExit(server);
}

}  // namespace
}  // namespace ringside::testing
