// Connection and server commands end to end: PING ECHO QUIT HELLO SELECT CLIENT COMMAND INFO
// DBSIZE FLUSHDB FLUSHALL TIME CONFIG.

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {
namespace {

using ServerCommandsTest = ServerTest;

const Reply kOk = Status("OK");

// Field -> value of a flat RESP2 map such as HELLO's reply.
std::map<std::string, Reply> FlatMap(const Reply& r) {
  std::map<std::string, Reply> m;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) m[r.elements[i].str] = r.elements[i + 1];
  return m;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(ServerCommandsTest, PingAndEcho) {
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
  EXPECT_EQ(Cmd({"PING", "hello world"}), Bulk("hello world"));
  EXPECT_EQ(Cmd({"PING", ""}), Bulk(""));
  EXPECT_EQ(Cmd({"PING", "a", "b"}), ArityError("ping"));
  EXPECT_EQ(Cmd({"ECHO", std::string("bin\0ary\r\n", 9)}), Bulk(std::string("bin\0ary\r\n", 9)));
  EXPECT_EQ(Cmd({"ECHO"}), ArityError("echo"));
  EXPECT_EQ(Cmd({"ECHO", "a", "b"}), ArityError("echo"));
}

TEST_F(ServerCommandsTest, QuitRepliesOkAndCloses) {
  RawClient raw(port());
  EXPECT_EQ(raw.Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(raw.Call({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(Cmd({"PING"}), Status("PONG")) << "other connections are not affected";
}

TEST_F(ServerCommandsTest, QuitAfterPipelinedCommandsSendsEveryReply) {
  RawClient raw(port());
  raw.SendRaw(EncodeCommand({"SET", "k", "v"}) + EncodeCommand({"GET", "k"}) +
              EncodeCommand({"QUIT"}) + EncodeCommand({"SET", "after", "quit"}));
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_EQ(raw.ReadReply(), "$1\r\nv\r\n");
  EXPECT_EQ(raw.ReadReply(), "+OK\r\n");
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(Cmd({"EXISTS", "after"}), Int(0)) << "nothing after QUIT runs";
}

TEST_F(ServerCommandsTest, Hello) {
  const int64_t id = Cmd({"CLIENT", "ID"}).integer;
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"HELLO"}, std::vector<std::string>{"HELLO", "2"}}) {
    const Reply r = Cmd(argv);
    ASSERT_EQ(r.type, Reply::Type::kArray) << r;
    auto m = FlatMap(r);
    for (const char* field : {"server", "version", "proto", "id", "mode", "role", "modules"}) {
      EXPECT_TRUE(m.count(field)) << "HELLO has no " << field << ": " << r;
    }
    EXPECT_EQ(m["proto"], Int(2));
    EXPECT_EQ(m["id"], Int(id));
    EXPECT_EQ(m["mode"], Bulk("standalone"));
    EXPECT_EQ(m["role"], Bulk("master"));
    EXPECT_EQ(m["version"].type, Reply::Type::kBulk);
  }
  const Reply named = Cmd({"HELLO", "2", "SETNAME", "hello-client"});
  EXPECT_EQ(named.type, Reply::Type::kArray) << named;
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Bulk("hello-client"));
  EXPECT_EQ(Cmd({"HELLO", "4"}), Error("NOPROTO unsupported protocol version"));
  EXPECT_EQ(Cmd({"HELLO", "1"}), Error("NOPROTO unsupported protocol version"));
  EXPECT_EQ(Cmd({"HELLO", "abc"}), Error("ERR Protocol version is not an integer or out of range"));
  EXPECT_EQ(Cmd({"PING"}), Status("PONG")) << "the connection stays on RESP2";
}

TEST_F(ServerCommandsTest, Hello3SwitchesEveryLaterReplyAndHello2SwitchesBack) {
  RawClient raw(port());
  EXPECT_EQ(raw.Call({"HELLO", "3"}).substr(0, 4), "%7\r\n");
  // Keys spread over the shards, so replies made on other threads are RESP3 too.
  std::vector<std::string> mget = {"MGET"};
  for (int i = 0; i < 16; ++i) {
    const std::string key = "hello3:" + std::to_string(i);
    if (i % 2 == 0) {
      EXPECT_EQ(raw.Call({"SET", key, "v"}), "+OK\r\n");
    }
    mget.push_back(key);
  }
  std::string want = "*16\r\n";
  for (int i = 0; i < 16; ++i) want += i % 2 == 0 ? "$1\r\nv\r\n" : "_\r\n";
  EXPECT_EQ(raw.Call(mget), want);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(raw.Call({"GET", "hello3:" + std::to_string(i)}),
              i % 2 == 0 ? "$1\r\nv\r\n" : "_\r\n");
  }
  EXPECT_EQ(raw.Call({"CONFIG", "GET", "databases"}), "%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n");
  const std::string hello2 = raw.Call({"HELLO", "2"});
  EXPECT_EQ(hello2.substr(0, 5), "*14\r\n");
  EXPECT_NE(hello2.find("$5\r\nproto\r\n:2\r\n"), std::string::npos) << hello2;
  EXPECT_EQ(raw.Call({"GET", "hello3:1"}), "$-1\r\n");
  EXPECT_EQ(raw.Call({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(raw.Call({"GET", "hello3:1"}), "$-1\r\n");
}

TEST_F(ServerCommandsTest, SelectIsolatesDatabases) {
  EXPECT_EQ(Cmd({"SET", "k", "db0"}), kOk);
  EXPECT_EQ(Cmd({"SELECT", "3"}), kOk);
  EXPECT_EQ(Cmd({"GET", "k"}), Nil());
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"MSET", "k", "db3", "x", "1", "y", "2"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(3));
  EXPECT_EQ(Cmd({"GET", "k"}), Bulk("db3"));
  {
    const Reply keys = Cmd({"KEYS", "*"});
    auto v = keys.Strings();
    std::sort(v.begin(), v.end());
    EXPECT_EQ(v, (std::vector<std::string>{"k", "x", "y"}));
    std::vector<std::string> s;
    std::string cursor = "0";
    int calls = 0;
    do {
      const Reply scan = Cmd({"SCAN", cursor, "COUNT", "1000"});
      ASSERT_EQ(scan.type, Reply::Type::kArray) << scan;
      ASSERT_EQ(scan.elements.size(), 2u) << scan;
      cursor = scan.elements[0].str;
      for (const auto& k : scan.elements[1].Strings()) s.push_back(k);
    } while (cursor != "0" && ++calls < 1000);
    std::sort(s.begin(), s.end());
    EXPECT_EQ(s, (std::vector<std::string>{"k", "x", "y"}));
  }

  // Another connection starts in database 0.
  auto other = NewClient();
  EXPECT_EQ(other->Cmd({"GET", "k"}), Bulk("db0"));
  EXPECT_EQ(other->Cmd({"DBSIZE"}), Int(1));

  // INFO keyspace lists every non-empty database.
  const auto fields = ParseInfo(Cmd({"INFO", "keyspace"}).str);
  ASSERT_TRUE(fields.count("db0"));
  ASSERT_TRUE(fields.count("db3"));
  EXPECT_EQ(fields.at("db0").rfind("keys=1,expires=0", 0), 0u) << fields.at("db0");
  EXPECT_EQ(fields.at("db3").rfind("keys=3,expires=0", 0), 0u) << fields.at("db3");

  // FLUSHDB empties the selected database only; FLUSHALL empties all.
  EXPECT_EQ(Cmd({"FLUSHDB"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(other->Cmd({"DBSIZE"}), Int(1));
  EXPECT_EQ(Cmd({"SET", "again", "1"}), kOk);
  EXPECT_EQ(Cmd({"SELECT", "15"}), kOk);
  EXPECT_EQ(Cmd({"SET", "last", "1"}), kOk);
  EXPECT_EQ(Cmd({"FLUSHALL"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(other->Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"SELECT", "3"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
}

TEST_F(ServerCommandsTest, SelectErrors) {
  EXPECT_EQ(Cmd({"SELECT", "16"}), Error("ERR DB index is out of range"));
  EXPECT_EQ(Cmd({"SELECT", "-1"}), Error("ERR DB index is out of range"));
  EXPECT_EQ(Cmd({"SELECT", "abc"}), Error("ERR value is not an integer or out of range"));
  EXPECT_EQ(Cmd({"SELECT"}), ArityError("select"));
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  auto other = NewClient();
  EXPECT_EQ(other->Cmd({"GET", "k"}), Bulk("v")) << "a failed SELECT leaves the database as it was";
}

TEST_F(ServerCommandsTest, FlushAsyncAndErrors) {
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Cmd({"SET", "k" + std::to_string(i), "v"}), kOk);
  EXPECT_EQ(Cmd({"FLUSHALL", "ASYNC"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"GET", "k1"}), Nil());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(Cmd({"SET", "k" + std::to_string(i), "v"}), kOk);
  EXPECT_EQ(Cmd({"FLUSHDB", "ASYNC"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Cmd({"FLUSHALL", "SYNC"}), kOk);
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(0));
  EXPECT_EQ(Cmd({"FLUSHALL", "FOO"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"FLUSHDB", "FOO"}), Error("ERR syntax error"));
  EXPECT_EQ(Cmd({"DBSIZE", "x"}), ArityError("dbsize"));
}

TEST_F(ServerCommandsTest, ClientNameAndId) {
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Nil());
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "worker-1"}), kOk);
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Bulk("worker-1"));
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "bad name"}),
            Error("ERR Client names cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "bad\nname"}),
            Error("ERR Client names cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Bulk("worker-1"));
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", ""}), kOk) << "an empty name clears it";
  EXPECT_EQ(Cmd({"CLIENT", "GETNAME"}), Nil());

  const Reply id1 = Cmd({"CLIENT", "ID"});
  ASSERT_EQ(id1.type, Reply::Type::kInteger);
  EXPECT_GT(id1.integer, 0);
  auto other = NewClient();
  const Reply id2 = other->Cmd({"CLIENT", "ID"});
  ASSERT_EQ(id2.type, Reply::Type::kInteger);
  EXPECT_NE(id1.integer, id2.integer);
  EXPECT_EQ(Cmd({"CLIENT", "ID"}), id1);

  EXPECT_EQ(Cmd({"CLIENT", "NOSUCH"}), Error("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."));
  EXPECT_EQ(Cmd({"CLIENT"}), ArityError("client"));
}

TEST_F(ServerCommandsTest, ClientListAndInfo) {
  EXPECT_EQ(Cmd({"CLIENT", "SETNAME", "lister"}), kOk);
  auto other = NewClient();
  EXPECT_EQ(other->Cmd({"CLIENT", "SETNAME", "other"}), kOk);
  EXPECT_EQ(other->Cmd({"SELECT", "2"}), kOk);
  const int64_t my_id = Cmd({"CLIENT", "ID"}).integer;
  const int64_t other_id = other->Cmd({"CLIENT", "ID"}).integer;

  const Reply list = Cmd({"CLIENT", "LIST"});
  ASSERT_EQ(list.type, Reply::Type::kBulk) << list;
  std::map<std::string, std::string> lines;  // name -> line
  std::istringstream in(list.str);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++count;
    const size_t at = line.find(" name=");
    ASSERT_NE(at, std::string::npos) << line;
    const size_t end = line.find(' ', at + 6);
    lines[line.substr(at + 6, end - at - 6)] = line;
  }
  EXPECT_EQ(count, 2) << list.str;
  ASSERT_TRUE(lines.count("lister")) << list.str;
  ASSERT_TRUE(lines.count("other")) << list.str;
  EXPECT_EQ(lines["lister"].rfind("id=" + std::to_string(my_id) + " ", 0), 0u) << lines["lister"];
  // A unix-socket client has no address of its own: Redis shows the socket's path for it.
  const std::string addr =
      UnixTransport() ? " addr=" + UnixSocketPath(port()) + ":0 " : " addr=127.0.0.1:";
  EXPECT_TRUE(Contains(lines["lister"], addr)) << lines["lister"];
  EXPECT_TRUE(Contains(lines["lister"], " db=0 ")) << lines["lister"];
  EXPECT_TRUE(Contains(lines["lister"], " cmd=client|list")) << lines["lister"];
  EXPECT_EQ(lines["other"].rfind("id=" + std::to_string(other_id) + " ", 0), 0u);
  EXPECT_TRUE(Contains(lines["other"], " db=2 ")) << lines["other"];

  const Reply mine = Cmd({"CLIENT", "INFO"});
  ASSERT_EQ(mine.type, Reply::Type::kBulk) << mine;
  EXPECT_EQ(mine.str.rfind("id=" + std::to_string(my_id) + " ", 0), 0u) << mine.str;
  EXPECT_TRUE(Contains(mine.str, " name=lister ")) << mine.str;
  EXPECT_EQ(std::count(mine.str.begin(), mine.str.end(), '\n'), 1) << "one line for one client";
}

TEST_F(ServerCommandsTest, ClientKill) {
  RawClient victim(port());
  ASSERT_EQ(victim.Call({"CLIENT", "SETNAME", "victim"}), "+OK\r\n");
  const std::string id_reply = victim.Call({"CLIENT", "ID"});
  ASSERT_EQ(id_reply.substr(0, 1), ":");
  const std::string id = id_reply.substr(1, id_reply.size() - 3);

  EXPECT_EQ(Cmd({"CLIENT", "KILL", "ID", "999999"}), Int(0));
  EXPECT_EQ(Cmd({"CLIENT", "KILL", "ID", id}), Int(1));
  EXPECT_TRUE(victim.WaitClosed());
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));

  // The old form takes an address as CLIENT LIST shows it.
  RawClient second(port());
  ASSERT_EQ(second.Call({"CLIENT", "SETNAME", "second"}), "+OK\r\n");
  const std::string info = second.Call({"CLIENT", "INFO"});
  const size_t at = info.find(" addr=");
  ASSERT_NE(at, std::string::npos) << info;
  const std::string addr = info.substr(at + 6, info.find(' ', at + 6) - at - 6);
  EXPECT_EQ(Cmd({"CLIENT", "KILL", addr}), kOk);
  EXPECT_TRUE(second.WaitClosed());
  if (UnixTransport()) {
    // Every unix-socket client shows the socket's path as its address, so the old form closes
    // them all, the caller too once it has its reply, as in Redis.
    EXPECT_EQ(addr, UnixSocketPath(port()) + ":0");
    EXPECT_EQ(Cmd({"PING"}).type, Reply::Type::kIoError);
    client_ = NewClient();
  }
  EXPECT_EQ(Cmd({"CLIENT", "KILL", "1.2.3.4:5"}), Error("ERR No such client"));
  EXPECT_EQ(Cmd({"CLIENT", "KILL", "ID", "abc"}), Error("ERR client-id should be greater than 0"));

  const Reply list = Cmd({"CLIENT", "LIST"});
  EXPECT_FALSE(Contains(list.str, "name=victim")) << list.str;
  EXPECT_FALSE(Contains(list.str, "name=second")) << list.str;
}

TEST_F(ServerCommandsTest, CommandCountInfoDocs) {
  struct Row {
    const char* name;
    int arity, first, last, step;
  };
  // Redis 7.0's arity and key positions for every command ringside serves.
  const Row rows[] = {
      {"get", 2, 1, 1, 1},       {"set", -3, 1, 1, 1},       {"setnx", 3, 1, 1, 1},
      {"setex", 4, 1, 1, 1},     {"psetex", 4, 1, 1, 1},     {"getset", 3, 1, 1, 1},
      {"getdel", 2, 1, 1, 1},    {"getex", -2, 1, 1, 1},     {"mget", -2, 1, -1, 1},
      {"mset", -3, 1, -1, 2},    {"msetnx", -3, 1, -1, 2},   {"append", 3, 1, 1, 1},
      {"strlen", 2, 1, 1, 1},    {"getrange", 4, 1, 1, 1},   {"setrange", 4, 1, 1, 1},
      {"substr", 4, 1, 1, 1},    {"incr", 2, 1, 1, 1},       {"decr", 2, 1, 1, 1},
      {"incrby", 3, 1, 1, 1},    {"decrby", 3, 1, 1, 1},     {"incrbyfloat", 3, 1, 1, 1},
      {"del", -2, 1, -1, 1},     {"unlink", -2, 1, -1, 1},   {"exists", -2, 1, -1, 1},
      {"type", 2, 1, 1, 1},      {"touch", -2, 1, -1, 1},    {"rename", 3, 1, 2, 1},
      {"renamenx", 3, 1, 2, 1},  {"expire", -3, 1, 1, 1},    {"pexpire", -3, 1, 1, 1},
      {"expireat", -3, 1, 1, 1}, {"pexpireat", -3, 1, 1, 1}, {"ttl", 2, 1, 1, 1},
      {"pttl", 2, 1, 1, 1},      {"expiretime", 2, 1, 1, 1}, {"pexpiretime", 2, 1, 1, 1},
      {"persist", 2, 1, 1, 1},   {"keys", 2, 0, 0, 0},       {"scan", -2, 0, 0, 0},
      {"randomkey", 1, 0, 0, 0}, {"ping", -1, 0, 0, 0},      {"echo", 2, 0, 0, 0},
      {"quit", -1, 0, 0, 0},     {"hello", -1, 0, 0, 0},     {"select", 2, 0, 0, 0},
      {"client", -2, 0, 0, 0},   {"command", -1, 0, 0, 0},   {"info", -1, 0, 0, 0},
      {"dbsize", 1, 0, 0, 0},    {"flushdb", -1, 0, 0, 0},   {"flushall", -1, 0, 0, 0},
      {"time", 1, 0, 0, 0},      {"config", -2, 0, 0, 0},    {"shutdown", -1, 0, 0, 0}};

  const Reply count = Cmd({"COMMAND", "COUNT"});
  ASSERT_EQ(count.type, Reply::Type::kInteger) << count;
  EXPECT_GE(count.integer, static_cast<int64_t>(std::size(rows)));

  for (const Row& row : rows) {
    const Reply r = Cmd({"COMMAND", "INFO", row.name});
    ASSERT_EQ(r.type, Reply::Type::kArray) << row.name << ": " << r;
    ASSERT_EQ(r.elements.size(), 1u) << row.name;
    const Reply& info = r.elements[0];
    ASSERT_EQ(info.type, Reply::Type::kArray) << row.name << " is missing: " << r;
    ASSERT_GE(info.elements.size(), 6u) << row.name << ": " << info;
    EXPECT_EQ(info.elements[0], Bulk(row.name));
    EXPECT_EQ(info.elements[1], Int(row.arity)) << row.name;
    EXPECT_EQ(info.elements[2].type, Reply::Type::kArray) << row.name << " flags";
    EXPECT_EQ(info.elements[3], Int(row.first)) << row.name;
    EXPECT_EQ(info.elements[4], Int(row.last)) << row.name;
    EXPECT_EQ(info.elements[5], Int(row.step)) << row.name;
  }

  // Flags clients rely on to route reads and writes.
  auto flags = [&](const std::string& name) {
    const Reply r = Cmd({"COMMAND", "INFO", name});
    std::set<std::string> out;
    if (r.elements.size() == 1 && r.elements[0].elements.size() > 2) {
      for (const auto& f : r.elements[0].elements[2].elements) out.insert(f.str);
    }
    return out;
  };
  EXPECT_TRUE(flags("get").count("readonly"));
  EXPECT_TRUE(flags("set").count("write"));
  EXPECT_TRUE(flags("del").count("write"));
  EXPECT_TRUE(flags("mget").count("readonly"));

  // Several names at once, an unknown one answered with nil, any case.
  EXPECT_EQ(Cmd({"COMMAND", "INFO", "GET", "nosuchcommand", "set"}).elements.size(), 3u);
  EXPECT_EQ(Cmd({"COMMAND", "INFO", "nosuchcommand"}), Array({Nil()}));

  const Reply docs = Cmd({"COMMAND", "DOCS", "get"});
  ASSERT_EQ(docs.type, Reply::Type::kArray) << docs;
  ASSERT_EQ(docs.elements.size(), 2u) << docs;
  EXPECT_EQ(docs.elements[0], Bulk("get"));
  auto doc = FlatMap(docs.elements[1]);
  ASSERT_TRUE(doc.count("summary")) << docs;
  EXPECT_EQ(doc["summary"].type, Reply::Type::kBulk);
  EXPECT_FALSE(doc["summary"].str.empty());
  EXPECT_TRUE(doc.count("group")) << docs;
}

TEST_F(ServerCommandsTest, InfoSections) {
  EXPECT_EQ(Cmd({"SET", "k", "v"}), kOk);
  const Reply all = Cmd({"INFO"});
  ASSERT_EQ(all.type, Reply::Type::kBulk) << all;
  const auto sections = InfoSections(all.str);
  for (const char* s : {"Server", "Clients", "Memory", "Stats", "Keyspace"}) {
    EXPECT_NE(std::find(sections.begin(), sections.end(), s), sections.end())
        << "INFO lacks # " << s << "\n"
        << all.str;
  }
  EXPECT_NE(all.str.find("\r\n"), std::string::npos) << "INFO lines end in CRLF as in Redis";

  const auto fields = ParseInfo(all.str);
  for (const char* f :
       {"redis_version", "process_id", "tcp_port", "uptime_in_seconds", "connected_clients",
        "used_memory", "used_memory_rss", "total_commands_processed", "instantaneous_ops_per_sec",
        "keyspace_hits", "keyspace_misses", "expired_keys", "db0"}) {
    EXPECT_TRUE(fields.count(f)) << "INFO lacks " << f;
  }
  if (fields.count("tcp_port")) {
    EXPECT_EQ(fields.at("tcp_port"), std::to_string(port()));
  }
  if (fields.count("process_id")) {
    EXPECT_EQ(fields.at("process_id"), std::to_string(server_->pid()));
  }

  // One section only, in any case.
  const Reply clients = Cmd({"INFO", "CLIENTS"});
  EXPECT_EQ(InfoSections(clients.str), std::vector<std::string>{"Clients"}) << clients.str;
  const Reply server = Cmd({"info", "server"});
  EXPECT_EQ(InfoSections(server.str), std::vector<std::string>{"Server"});
  EXPECT_EQ(InfoSections(Cmd({"INFO", "memory"}).str), std::vector<std::string>{"Memory"});
  EXPECT_EQ(InfoSections(Cmd({"INFO", "stats"}).str), std::vector<std::string>{"Stats"});
  EXPECT_EQ(InfoSections(Cmd({"INFO", "keyspace"}).str), std::vector<std::string>{"Keyspace"});
  EXPECT_EQ(Cmd({"INFO", "nosuchsection"}), Bulk(""));
}

TEST_F(ServerCommandsTest, InfoCounters) {
  EXPECT_EQ(Cmd({"CONFIG", "RESETSTAT"}), kOk);
  EXPECT_EQ(InfoInt("stats", "keyspace_hits"), 0);
  EXPECT_EQ(InfoInt("stats", "keyspace_misses"), 0);
  EXPECT_EQ(Cmd({"SET", "a", "1"}), kOk);
  EXPECT_EQ(Cmd({"GET", "a"}), Bulk("1"));
  EXPECT_EQ(Cmd({"GET", "a"}), Bulk("1"));
  EXPECT_EQ(Cmd({"GET", "nope"}), Nil());
  EXPECT_EQ(Cmd({"MGET", "a", "nope", "nope2"}), Array({Bulk("1"), Nil(), Nil()}));
  EXPECT_EQ(InfoInt("stats", "keyspace_hits"), 3);
  EXPECT_EQ(InfoInt("stats", "keyspace_misses"), 3);
  // RESETSTAT, 2 INFO, SET, 3 GET, MGET, this INFO: at least 9 (Redis counts the INFO running).
  EXPECT_GE(InfoInt("stats", "total_commands_processed"), 9);

  auto a = NewClient();
  auto b = NewClient();
  ASSERT_EQ(a->Cmd({"PING"}), Status("PONG"));
  ASSERT_EQ(b->Cmd({"PING"}), Status("PONG"));
  EXPECT_EQ(InfoInt("clients", "connected_clients"), 3);
  b.reset();
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 2; }));
  EXPECT_GT(InfoInt("memory", "used_memory"), 0);
  EXPECT_GT(InfoInt("memory", "used_memory_rss"), 0);
}

TEST_F(ServerCommandsTest, InfoKeyspaceCountsExpires) {
  EXPECT_EQ(Cmd({"MSET", "a", "1", "b", "2", "c", "3"}), kOk);
  EXPECT_EQ(Cmd({"EXPIRE", "a", "1000"}), Int(1));
  const std::string db0 = Info("keyspace", "db0");
  EXPECT_EQ(db0.rfind("keys=3,expires=1,", 0), 0u) << db0;
  EXPECT_EQ(Cmd({"FLUSHALL"}), kOk);
  EXPECT_EQ(Info("keyspace", "db0"), "");
}

TEST_F(ServerCommandsTest, InfoShards) {
  RINGSIDE_ONLY();
  const Reply r = Cmd({"INFO", "shards"});
  ASSERT_EQ(r.type, Reply::Type::kBulk) << r;
  const auto sections = InfoSections(r.str);
  ASSERT_EQ(sections.size(), 1u) << r.str;
  std::string lower = sections[0];
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower, "shards");
  EXPECT_FALSE(ParseInfo(r.str).empty()) << r.str;
  const Reply everything = Cmd({"INFO"});
  const auto all = InfoSections(everything.str);
  EXPECT_NE(std::find(all.begin(), all.end(), sections[0]), all.end())
      << "plain INFO includes the shards section";
}

TEST_F(ServerCommandsTest, Time) {
  const Reply r = Cmd({"TIME"});
  ASSERT_EQ(r.type, Reply::Type::kArray) << r;
  ASSERT_EQ(r.elements.size(), 2u);
  ASSERT_EQ(r.elements[0].type, Reply::Type::kBulk);
  ASSERT_EQ(r.elements[1].type, Reply::Type::kBulk);
  const int64_t seconds = std::stoll(r.elements[0].str);
  const int64_t micros = std::stoll(r.elements[1].str);
  EXPECT_NEAR(static_cast<double>(seconds), static_cast<double>(UnixMillis() / 1000), 5);
  EXPECT_GE(micros, 0);
  EXPECT_LT(micros, 1000000);
  EXPECT_EQ(Cmd({"TIME", "x"}), ArityError("time"));
}

TEST_F(ServerCommandsTest, ConfigGetSet) {
  EXPECT_EQ(Cmd({"CONFIG", "GET", "port"}), BulkArray({"port", std::to_string(port())}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "bind"}), BulkArray({"bind", "127.0.0.1"}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "maxclients"}), BulkArray({"maxclients", "10000"}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "databases"}), BulkArray({"databases", "16"}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "proto-max-bulk-len"}),
            BulkArray({"proto-max-bulk-len", "536870912"}));
  EXPECT_EQ(Cmd({"CONFIG", "GET", "nosuchdirective"}), Array({}));

  EXPECT_EQ(Cmd({"CONFIG", "SET", "timeout", "300"}), kOk);
  EXPECT_EQ(Cmd({"CONFIG", "GET", "timeout"}), BulkArray({"timeout", "300"}));
  EXPECT_EQ(Cmd({"CONFIG", "SET", "maxclients", "500"}), kOk);
  EXPECT_EQ(Cmd({"CONFIG", "GET", "maxclients"}), BulkArray({"maxclients", "500"}));

  // A glob and several patterns at once.
  const Reply glob = Cmd({"CONFIG", "GET", "maxclient*"});
  EXPECT_EQ(glob, BulkArray({"maxclients", "500"}));
  const Reply two = Cmd({"CONFIG", "GET", "port", "timeout"});
  ASSERT_EQ(two.type, Reply::Type::kArray);
  auto m = FlatMap(two);
  EXPECT_EQ(m.size(), 2u) << two;
  EXPECT_EQ(m["timeout"], Bulk("300"));

  EXPECT_EQ(Cmd({"CONFIG", "SET", "nosuchdirective", "1"}),
            Error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuchdirective'"));
  const Reply bad = Cmd({"CONFIG", "SET", "timeout", "abc"});
  EXPECT_TRUE(bad.IsError()) << bad;
  EXPECT_EQ(bad.str.rfind("ERR CONFIG SET failed (possibly related to argument 'timeout')", 0), 0u)
      << bad;
  EXPECT_EQ(Cmd({"CONFIG", "GET", "timeout"}), BulkArray({"timeout", "300"}));
  EXPECT_EQ(Cmd({"CONFIG", "GET"}), ArityError("config|get"));
  EXPECT_EQ(Cmd({"CONFIG", "NOSUCH"}), Error("ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP."));
}

TEST_F(ServerCommandsTest, ConfigResetStat) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Cmd({"GET", "missing"}), Nil());
  EXPECT_GE(InfoInt("stats", "keyspace_misses"), 10);
  EXPECT_GE(InfoInt("stats", "total_commands_processed"), 10);
  EXPECT_EQ(Cmd({"CONFIG", "RESETSTAT"}), kOk);
  EXPECT_EQ(InfoInt("stats", "keyspace_misses"), 0);
  EXPECT_LE(InfoInt("stats", "total_commands_processed"), 2);
  EXPECT_EQ(InfoInt("stats", "expired_keys"), 0);
}

TEST_F(ServerCommandsTest, MaxClientsRefusesTheConnectionOverTheLimit) {
  ASSERT_EQ(Cmd({"CONFIG", "SET", "maxclients", "3"}), kOk);
  RawClient second(port());
  RawClient third(port());
  ASSERT_EQ(second.Call({"PING"}), "+PONG\r\n");
  ASSERT_EQ(third.Call({"PING"}), "+PONG\r\n");
  RawClient fourth(port());
  // The refused client gets the error without asking, then the connection closes.
  EXPECT_EQ(fourth.ReadReply(), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(fourth.WaitClosed());
  EXPECT_EQ(second.Call({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Cmd({"PING"}), Status("PONG"));
  // Room again once one leaves.
  third.SendRaw(EncodeCommand({"QUIT"}));
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_TRUE(WaitUntil([&] { return InfoInt("clients", "connected_clients") == 2; }));
  RawClient fifth(port());
  EXPECT_EQ(fifth.Call({"PING"}), "+PONG\r\n");
}

TEST_F(ServerCommandsTest, IdleTimeoutClosesIdleClientsOnly) {
  ASSERT_EQ(Cmd({"CONFIG", "SET", "timeout", "1"}), kOk);
  RawClient idle(port());
  ASSERT_EQ(idle.Call({"PING"}), "+PONG\r\n");
  RawClient busy(port());
  ASSERT_EQ(busy.Call({"PING"}), "+PONG\r\n");
  // Keep `busy` (and the fixture's client) active while `idle` says nothing.
  const auto start = std::chrono::steady_clock::now();
  bool idle_closed = false;
  while (!idle_closed && std::chrono::steady_clock::now() - start < std::chrono::seconds(15)) {
    ASSERT_EQ(busy.Call({"PING"}), "+PONG\r\n");
    ASSERT_EQ(Cmd({"PING"}), Status("PONG"));
    idle_closed = idle.WaitClosed(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(idle_closed) << "an idle client outlived `timeout 1` by 15 s";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900))
      << "closed before the timeout";
  EXPECT_EQ(busy.Call({"PING"}), "+PONG\r\n");
}

}  // namespace
}  // namespace ringside::testing
