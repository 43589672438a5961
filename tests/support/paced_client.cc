#include "tests/support/paced_client.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/support/transport.h"

namespace ringside::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Pattern(size_t size, uint32_t seed) {
  std::string v(size, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < size; i += 4) {
    const uint32_t r = rng();
    for (size_t b = 0; b < 4 && i + b < size; ++b) v[i + b] = static_cast<char>(r >> (8 * b));
  }
  return v;
}

std::string KeyOnShard(const std::string& prefix, int shard, int num_shards) {
  for (int n = 0;; ++n) {
    std::string key = prefix + std::to_string(n);
    if (KeyShard(key, num_shards) == shard) return key;
  }
}

std::string Frame(const std::vector<Argv>& commands) {
  std::string out;
  for (const auto& argv : commands) out += EncodeCommand(argv);
  return out;
}

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

std::string Show(std::string_view bytes, size_t limit) {
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

PacedClient::PacedClient(int port) : raw_(port), server_port_(port) {
  if (UnixTransport()) return;
  const std::string info = raw_.Call({"CLIENT", "INFO"});
  const size_t addr = info.find("addr=127.0.0.1:");
  if (addr != std::string::npos) client_port_ = std::atoi(info.c_str() + addr + 15);
  EXPECT_GT(client_port_, 0) << "CLIENT INFO -> " << info;
}

int64_t PacedClient::Unread() {
  if (!UnixTransport()) return ServerUnread(server_port_, client_port_);
  int queued = 0;
  return ioctl(raw_.fd(), SIOCOUTQ, &queued) == 0 ? queued : 0;
}

bool PacedClient::SendAndWaitRead(std::string_view bytes) {
  raw_.SendRaw(bytes);
  const bool read = WaitUntil([&] { return Unread() == 0; }, seconds(20), milliseconds(0));
  unpaced_ += read ? 0 : 1;
  return read;
}

std::vector<std::string> PacedClient::Send(std::string_view frame, const std::vector<size_t>& cuts,
                                           size_t reply_count) {
  std::vector<std::string> replies;
  // Joined below, before `replies` and raw_ are touched again on this thread.
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

std::string RoundTtl(const std::string& raw) {
  if (raw.size() < 4 || raw[0] != ':') return raw;
  const int64_t ttl = std::stoll(raw.substr(1));
  return ttl <= 0 ? raw : ":" + std::to_string((ttl + 5) / 10 * 10) + " (rounded)\r\n";
}

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

std::vector<Argv> RandomCommands(const std::string& prefix, int num_shards, int count,
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
  for (int i = 0; i < 6 * num_shards; ++i) {
    keys.push_back(KeyOnShard(prefix + "k" + std::to_string(i) + ":", i % num_shards, num_shards));
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

BareSocket::BareSocket(int port) : fd_(ConnectToServer(port)) {
  EXPECT_GE(fd_, 0) << "connect to " << ServerAddress(port) << ": " << std::strerror(errno);
}

BareSocket::~BareSocket() { Close(); }

void BareSocket::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void BareSocket::Reset() {
  const linger lin{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  Close();
}

void BareSocket::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::string InfoField(Client& c, const std::string& section, const std::string& field) {
  const Reply r = c.Cmd({"INFO", section});
  if (r.type != Reply::Type::kBulk) return "";
  const auto fields = ParseInfo(r.str);
  const auto it = fields.find(field);
  return it == fields.end() ? "" : it->second;
}

int64_t InfoNumber(Client& c, const std::string& section, const std::string& field) {
  const std::string v = InfoField(c, section, field);
  return v.empty() ? -1 : std::stoll(v);
}

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

namespace {

// A collection's content as one comparable text: its members (a hash's as field=value) sorted,
// a list's elements in order, each quoted with its length so that no member can look like two.
std::string CanonicalCollection(const std::string& type, const std::vector<std::string>& items,
                                bool pairs) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < items.size(); i += pairs ? 2 : 1) {
    std::string p = std::to_string(items[i].size()) + ":" + items[i];
    if (pairs) p += "=" + std::to_string(items[i + 1].size()) + ":" + items[i + 1];
    parts.push_back(std::move(p));
  }
  if (type != "list") std::sort(parts.begin(), parts.end());
  std::string out = "<" + type + ">";
  for (const auto& p : parts) out += " " + p;
  return out;
}

}  // namespace

std::vector<Db> DumpAll(int port, int databases) {
  Client c(port, seconds(30));
  std::vector<Db> dbs(static_cast<size_t>(databases));
  for (int db = 0; db < databases; ++db) {
    EXPECT_EQ(c.Cmd({"SELECT", std::to_string(db)}), Status("OK"));
    const Reply keys = c.Cmd({"KEYS", "*"});
    EXPECT_EQ(keys.type, Reply::Type::kArray) << keys;
    const std::vector<std::string> names = keys.Strings();
    for (const auto& key : names) c.Append({"TYPE", key});
    std::vector<std::string> types;
    for (size_t i = 0; i < names.size(); ++i) types.push_back(c.GetReply().str);
    for (size_t i = 0; i < names.size(); ++i) {
      if (types[i] == "hash") {
        c.Append({"HGETALL", names[i]});
      } else if (types[i] == "set") {
        c.Append({"SMEMBERS", names[i]});
      } else if (types[i] == "list") {
        c.Append({"LRANGE", names[i], "0", "-1"});
      } else {
        c.Append({"GET", names[i]});
      }
      c.Append({"PTTL", names[i]});
    }
    for (size_t i = 0; i < names.size(); ++i) {
      const Reply value = c.GetReply();
      const Reply pttl = c.GetReply();
      std::string text = value.str;
      if (types[i] == "hash" || types[i] == "set" || types[i] == "list") {
        EXPECT_EQ(value.type, Reply::Type::kArray)
            << types[i] << " " << names[i] << " in db " << db;
        text = CanonicalCollection(types[i], value.Strings(), types[i] == "hash");
      } else {
        EXPECT_EQ(value.type, Reply::Type::kBulk) << "GET " << names[i] << " in db " << db;
      }
      dbs[db][names[i]] = {std::move(text), pttl.integer};
    }
  }
  return dbs;
}

int64_t VmRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

void OwnServersTest::SetUp() { RINGSIDE_ONLY(); }

std::unique_ptr<ServerProcess> OwnServersTest::Start(std::vector<std::string> args) {
  return ServerProcess::StartRingside(std::move(args));
}

void OwnServersTest::ExpectCleanExit(std::unique_ptr<ServerProcess>& server) {
  const int status = server->Stop();
  EXPECT_EQ(status, 0) << "ringside exit status " << status << "; output:\n" << server->Output();
}

}  // namespace ringside::testing
