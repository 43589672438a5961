#include "proxy/config.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ringside::proxy {
namespace {

// Runs ParseCommandLine over a list of arguments (argv[0] is supplied).
ConfigAction ParseArgs(std::initializer_list<std::string> args, ServerConfig* cfg,
                       std::string* message) {
  std::vector<std::string> storage = {"ringside"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(storage.size()), argv.data(), cfg, message);
}

std::map<std::string, std::string> GetAll(const ServerConfig& cfg) {
  const std::string_view all[] = {"*"};
  std::map<std::string, std::string> out;
  for (auto& [name, value] : ConfigGet(cfg, all)) out[name] = value;
  return out;
}

std::string Get(const ServerConfig& cfg, std::string_view name) {
  const std::string_view patterns[] = {name};
  auto got = ConfigGet(cfg, patterns);
  EXPECT_EQ(got.size(), 1u) << name;
  return got.empty() ? "" : got[0].second;
}

bool Set(ServerConfig* cfg, std::initializer_list<std::string_view> pairs, std::string* error) {
  std::vector<std::string_view> v(pairs);
  return ConfigSet(cfg, v, error);
}

// A temporary file removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    char name[] = "/tmp/ringside_config_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigDefaults, MatchTheDocumentedDefaults) {
  ServerConfig cfg;
  EXPECT_EQ(cfg.bind, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(cfg.port, 6380);
  EXPECT_EQ(cfg.threads, 0);
  EXPECT_EQ(cfg.loglevel, LogLevel::kNotice);
  EXPECT_EQ(cfg.logfile, "");
  EXPECT_EQ(cfg.maxclients, 10000);
  EXPECT_EQ(cfg.timeout, 0);
  EXPECT_EQ(cfg.tcp_backlog, 511);
  EXPECT_EQ(cfg.tcp_keepalive, 300);
  EXPECT_EQ(cfg.proto_max_bulk_len, 512LL * 1024 * 1024);
  EXPECT_EQ(cfg.io_backend, IoBackend::kAuto);
  EXPECT_EQ(cfg.databases, 16);
  EXPECT_EQ(cfg.dir, "./");
  EXPECT_EQ(cfg.pidfile, "");
  EXPECT_FALSE(cfg.daemonize);
  EXPECT_EQ(cfg.save, "");
  EXPECT_FALSE(cfg.appendonly);
  EXPECT_EQ(cfg.hz, 10);
  EXPECT_EQ(cfg.io_uring_entries, 1024);
  EXPECT_EQ(cfg.recv_buffers, 256);
  EXPECT_EQ(cfg.recv_buffer_size, 16384);
  EXPECT_EQ(cfg.maxmemory, 0);
  EXPECT_EQ(cfg.upstream_db, 0);
  EXPECT_EQ(cfg.upstream_connect_timeout, 2000);
  EXPECT_EQ(cfg.maxmemory_policy, shards::EvictionPolicy::kNoEviction);
  EXPECT_EQ(cfg.maxmemory_samples, 5);
  EXPECT_EQ(cfg.lfu_log_factor, 10);
  EXPECT_EQ(cfg.lfu_decay_time, 1);
}

TEST(ConfigTable, NamesAreUniqueLowercaseAndDocumented) {
  std::set<std::string_view> names;
  for (const DirectiveInfo& d : AllDirectives()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    for (char c : d.name) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << d.name;
    EXPECT_FALSE(d.meaning.empty()) << d.name;
    EXPECT_FALSE(d.default_text.empty()) << d.name;
  }
  EXPECT_EQ(names.size(), 86u);
}

TEST(ConfigTable, OnlyTheRuntimeDirectivesAreMutable) {
  // clang-format off
  const std::set<std::string_view> expected = {
      "loglevel", "maxclients", "timeout", "proto-max-bulk-len", "client-query-buffer-limit",
      "tcp-keepalive", "hz", "save", "appendfsync", "aof-load-truncated",
      "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size", "bigbulk-threshold",
      "bigbulk-direct-read", "upstream-timeout", "maxmemory", "maxmemory-policy",
      "maxmemory-samples", "lfu-log-factor", "lfu-decay-time", "protected-mode", "requirepass",
      "acllog-max-len", "acl-pubsub-default", "auth-cache-ttl",
      "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file", "tls-ca-cert-dir",
      "tls-dh-params-file", "tls-auth-clients", "tls-protocols", "tls-ciphers",
      "tls-ciphersuites", "tls-prefer-server-ciphers", "tls-session-caching",
      "tls-session-cache-size", "tls-session-cache-timeout", "upstream-tls-ca-cert-file",
      "upstream-tls-ca-cert-dir", "upstream-tls-cert-file", "upstream-tls-key-file",
      "upstream-tls-key-file-pass", "upstream-tls-protocols", "upstream-tls-ciphers",
      "upstream-tls-ciphersuites", "hash-max-listpack-entries", "hash-max-listpack-value",
      "set-max-intset-entries", "upstream-read-through-max-size", "list-max-listpack-size",
      "list-compress-depth"};
  // clang-format on
  std::set<std::string_view> mutable_names;
  for (const DirectiveInfo& d : AllDirectives()) {
    if (d.mutable_at_runtime) mutable_names.insert(d.name);
  }
  EXPECT_EQ(mutable_names, expected);
}

TEST(ConfigTable, EveryDefaultTextLoadsAndIsTheDefault) {
  const ServerConfig defaults;
  for (const DirectiveInfo& d : AllDirectives()) {
    ServerConfig cfg;
    std::string error;
    const std::string line = std::string(d.name) + " " + std::string(d.default_text);
    ASSERT_TRUE(LoadConfigText(line, "t.conf", &cfg, &error)) << error;
    EXPECT_EQ(GetAll(cfg), GetAll(defaults)) << line;
  }
}

TEST(ConfigFile, ParsesCommentsQuotesCaseAndUnits) {
  const std::string text =
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      "PORT 7000\r\n"
      "  bind 127.0.0.1 ::1  \n"
      "logfile \"/tmp/ring side.log\"\n"
      "pidfile '/run/it\\'s.pid'\n"
      "dir \"a\\x41\\tb\"\n"
      "loglevel WARNING\n"
      "threads 4\n"
      "daemonize NO\n"
      "proto-max-bulk-len 1gb\n"
      "recv-buffer-size 32kb\n"
      "io-backend io_uring\n"
      "save \"\"\n"
      "timeout 30";  // no final newline
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText(text, "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.port, 7000);
  EXPECT_EQ(cfg.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(cfg.logfile, "/tmp/ring side.log");
  EXPECT_EQ(cfg.pidfile, "/run/it's.pid");
  EXPECT_EQ(cfg.dir, "aA\tb");
  EXPECT_EQ(cfg.loglevel, LogLevel::kWarning);
  EXPECT_EQ(cfg.threads, 4);
  EXPECT_EQ(cfg.proto_max_bulk_len, 1024LL * 1024 * 1024);
  EXPECT_EQ(cfg.recv_buffer_size, 32 * 1024);
  EXPECT_EQ(cfg.timeout, 30);
  EXPECT_EQ(cfg.maxclients, 10000);  // untouched directives keep their defaults
}

TEST(ConfigFile, LaterLinesWin) {
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText("port 7000\nport 7001\n", "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.port, 7001);
}

TEST(ConfigFile, MemoryUnitsAreRedisUnits) {
  const std::pair<std::string, int64_t> cases[] = {
      {"1048576", 1048576},         {"1048576b", 1048576}, {"2000k", 2000 * 1000},
      {"1024kb", 1024 * 1024},      {"2m", 2000 * 1000},   {"3MB", 3 * 1024 * 1024},
      {"1g", 1000LL * 1000 * 1000}, {"2Gb", 2LL << 30}};
  for (const auto& [text, bytes] : cases) {
    ServerConfig cfg;
    std::string error;
    ASSERT_TRUE(LoadConfigText("proto-max-bulk-len " + text, "t.conf", &cfg, &error)) << error;
    EXPECT_EQ(cfg.proto_max_bulk_len, bytes) << text;
  }
}

TEST(ConfigFile, ThreadsTakesAutoOrACount) {
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText("threads 3", "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.threads, 3);
  EXPECT_EQ(ResolveThreads(cfg), 3);
  ASSERT_TRUE(LoadConfigText("threads AUTO", "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.threads, 0);
  EXPECT_EQ(Get(cfg, "threads"), "auto");
}

TEST(ConfigFile, HzIsClampedLikeRedis) {
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText("hz 0", "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.hz, 1);
  ASSERT_TRUE(LoadConfigText("hz 1000", "t.conf", &cfg, &error)) << error;
  EXPECT_EQ(cfg.hz, 500);
  EXPECT_FALSE(LoadConfigText("hz -1", "t.conf", &cfg, &error));
}

struct BadLine {
  std::string line;
  std::string reason;  // a part of the message that says what is wrong
};

TEST(ConfigFile, EveryKindOfBadValueNamesFileLineAndDirective) {
  const BadLine cases[] = {
      {"port 99999", "argument must be between 0 and 65535 inclusive"},
      {"port abc", "argument couldn't be parsed into an integer"},
      {"port 1.5", "argument couldn't be parsed into an integer"},
      {"port", "wrong number of arguments"},
      {"port 1 2", "wrong number of arguments"},
      {"maxclients 0", "argument must be between 1 and"},
      {"timeout -1", "argument must be between 0 and"},
      {"threads -2", "argument must be between 0 and"},
      {"proto-max-bulk-len 1k", "argument must be between 1048576 and"},
      {"proto-max-bulk-len 1.5mb", "argument must be a memory value"},
      {"proto-max-bulk-len -1mb", "argument must be a memory value"},
      {"proto-max-bulk-len 5tb", "argument must be a memory value"},
      {"loglevel loud", "one of the following: debug, verbose, notice, warning"},
      {"io-backend epoll", "one of the following: io_uring, libevent, auto"},
      {"appendonly maybe", "argument must be 'yes' or 'no'"},
      {"appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"},
      {"appendfilename dir/file.aof", "a file name is needed, not a path"},
      {"daemonize yes", "daemonize yes is not supported"},
      {"save 900 1", "only save \"\" is accepted"},
      {"bind 999.1.1.1", "'999.1.1.1' is not a numeric IPv4 or IPv6 address"},
      {"bind localhost", "is not a numeric IPv4 or IPv6 address"},
      {"bind \"\"", "at least one address"},
      {"recv-buffers 100", "power of two"},
      {"io-uring-entries 0", "argument must be between 1 and 32768 inclusive"},
      {"no-such-directive 1", "Bad directive"},
      {"logfile \"unterminated", "Unbalanced quotes"},
      {"logfile \"a\"b", "Unbalanced quotes"},
  };
  for (const BadLine& c : cases) {
    ServerConfig cfg;
    const ServerConfig before = cfg;
    std::string error;
    const std::string text = "# ok\nport 7000\n" + c.line + "\ntimeout 5\n";
    EXPECT_FALSE(LoadConfigText(text, "conf/bad.conf", &cfg, &error)) << c.line;
    EXPECT_NE(error.find("FATAL CONFIG FILE ERROR"), std::string::npos) << error;
    EXPECT_NE(error.find("'conf/bad.conf'"), std::string::npos) << error;
    EXPECT_NE(error.find("at line 3"), std::string::npos) << error;
    EXPECT_NE(error.find(">>> '" + c.line + "'"), std::string::npos) << error;
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.line << "\n" << error;
    // Nothing from a failed file is applied, not even the good lines before the bad one.
    EXPECT_EQ(GetAll(cfg), GetAll(before)) << c.line;
  }
}

TEST(CommandLine, NoArgumentsGivesDefaults) {
  ServerConfig cfg;
  std::string message;
  EXPECT_EQ(ParseArgs({}, &cfg, &message), ConfigAction::kRun) << message;
  EXPECT_EQ(GetAll(cfg), GetAll(ServerConfig()));
}

TEST(CommandLine, OverridesTheFile) {
  TempFile file("port 7000\nloglevel warning\ntimeout 9\n");
  ServerConfig cfg;
  std::string message;
  ASSERT_EQ(ParseArgs({file.path(), "--port", "7001", "--LogLevel", "debug", "--bind", "127.0.0.1",
                       "::1", "--tcp-keepalive 60"},
                      &cfg, &message),
            ConfigAction::kRun)
      << message;
  EXPECT_EQ(cfg.port, 7001);
  EXPECT_EQ(cfg.loglevel, LogLevel::kDebug);
  EXPECT_EQ(cfg.timeout, 9);  // from the file
  EXPECT_EQ(cfg.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(cfg.tcp_keepalive, 60);  // name and value in one argument, as redis-server allows
}

TEST(CommandLine, ValuesMayLookLikeOptions) {
  ServerConfig cfg;
  std::string message;
  // The value after a bare --name is taken as it is; here it is then rejected by the range.
  EXPECT_EQ(ParseArgs({"--timeout", "-1"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("argument must be between 0 and"), std::string::npos) << message;
  // A bare --save means save "", as with redis-server.
  cfg = ServerConfig();
  EXPECT_EQ(ParseArgs({"--save", "--port", "7005"}, &cfg, &message), ConfigAction::kRun) << message;
  EXPECT_EQ(cfg.port, 7005);
  EXPECT_EQ(ParseArgs({"--save"}, &cfg, &message), ConfigAction::kRun) << message;
  EXPECT_EQ(cfg.save, "");
}

TEST(CommandLine, BadValueSaysCommandLineAndDirective) {
  TempFile file("port 7000\n");
  ServerConfig cfg;
  std::string message;
  ASSERT_EQ(ParseArgs({file.path(), "--maxclients", "many"}, &cfg, &message),
            ConfigAction::kExitError);
  EXPECT_NE(message.find("command line"), std::string::npos) << message;
  EXPECT_NE(message.find("--maxclients many"), std::string::npos) << message;
  EXPECT_NE(message.find("couldn't be parsed into an integer"), std::string::npos) << message;
  EXPECT_EQ(message.find(file.path()), std::string::npos) << message;
}

TEST(CommandLine, UnknownDirectiveAndMissingValue) {
  ServerConfig cfg;
  std::string message;
  EXPECT_EQ(ParseArgs({"--no-such", "1"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("--no-such 1"), std::string::npos) << message;
  EXPECT_NE(message.find("Bad directive"), std::string::npos) << message;
  EXPECT_EQ(ParseArgs({"--port"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("wrong number of arguments"), std::string::npos) << message;
}

TEST(CommandLine, StrayArgumentIsAnError) {
  ServerConfig cfg;
  std::string message;
  EXPECT_EQ(ParseArgs({"--port", "7000", "7001"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_EQ(ParseArgs({"-x"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("-x"), std::string::npos) << message;
}

TEST(CommandLine, BadFileNamesFileAndLine) {
  TempFile file("port 7000\n\nport 99999\n");
  ServerConfig cfg;
  std::string message;
  ASSERT_EQ(ParseArgs({file.path(), "--port", "7001"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("'" + file.path() + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("at line 3"), std::string::npos) << message;
  EXPECT_NE(message.find(">>> 'port 99999'"), std::string::npos) << message;
}

TEST(CommandLine, MissingFileIsNamed) {
  ServerConfig cfg;
  std::string message;
  ASSERT_EQ(ParseArgs({"/nonexistent/ringside.conf"}, &cfg, &message), ConfigAction::kExitError);
  EXPECT_NE(message.find("'/nonexistent/ringside.conf'"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(CommandLine, HelpListsEveryDirective) {
  for (const char* flag : {"--help", "-h"}) {
    ServerConfig cfg;
    std::string message;
    ASSERT_EQ(ParseArgs({flag}, &cfg, &message), ConfigAction::kExitOk) << flag;
    EXPECT_NE(message.find("Usage: ringside"), std::string::npos) << message;
    for (const DirectiveInfo& d : AllDirectives()) {
      EXPECT_NE(message.find(std::string(d.name)), std::string::npos) << d.name;
    }
  }
  // Also after a config file, before anything is read.
  ServerConfig cfg;
  std::string message;
  EXPECT_EQ(ParseArgs({"/nonexistent.conf", "--help"}, &cfg, &message), ConfigAction::kExitOk);
}

TEST(CommandLine, VersionPrintsTheVersion) {
  for (const char* flag : {"--version", "-v"}) {
    ServerConfig cfg;
    std::string message;
    ASSERT_EQ(ParseArgs({flag}, &cfg, &message), ConfigAction::kExitOk) << flag;
    EXPECT_NE(message.find("ringside"), std::string::npos) << message;
    EXPECT_NE(message.find(RINGSIDE_VERSION), std::string::npos) << message;
  }
}

TEST(ResolveThreads, AutoCountsTheCpusInTheAffinityMask) {
  ServerConfig cfg;
  ASSERT_EQ(cfg.threads, 0);
  EXPECT_GE(ResolveThreads(cfg), 1);
  // Pinned to one CPU, auto means one thread.
  int resolved = -1;
  std::thread t([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    int first = 0;
    while (!CPU_ISSET(first, &set)) ++first;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
    resolved = ResolveThreads(cfg);
  });
  t.join();
  EXPECT_EQ(resolved, 1);
}

TEST(ConfigGet, ExactNamesAndPatterns) {
  ServerConfig cfg;
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  std::vector<std::string_view> port = {"port"};
  EXPECT_EQ(ConfigGet(cfg, port), (Pairs{{"port", "6380"}}));
  // An exact lookup answers under the name as given, like Redis 7.0.
  std::vector<std::string_view> upper = {"PORT"};
  EXPECT_EQ(ConfigGet(cfg, upper), (Pairs{{"PORT", "6380"}}));
  std::vector<std::string_view> none = {"nothing", "nothing*"};
  EXPECT_TRUE(ConfigGet(cfg, none).empty());

  std::vector<std::string_view> max = {"*MAX*"};
  std::set<std::string> names;
  for (auto& [name, value] : ConfigGet(cfg, max)) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "maxclients", "proto-max-bulk-len", "maxmemory", "maxmemory-policy",
                       "maxmemory-samples", "acllog-max-len", "hash-max-listpack-entries",
                       "hash-max-listpack-value", "set-max-intset-entries",
                       "upstream-read-through-max-size", "list-max-listpack-size"}));

  std::vector<std::string_view> tcp = {"tcp-?ee[a-z]alive", "tcp-b*"};
  names.clear();
  for (auto& [name, value] : ConfigGet(cfg, tcp)) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"tcp-keepalive", "tcp-backlog"}));
}

TEST(ConfigGet, EachDirectiveOnceEvenWhenSeveralPatternsMatch) {
  ServerConfig cfg;
  std::vector<std::string_view> patterns = {"timeout", "TIMEOUT", "time*", "*"};
  auto got = ConfigGet(cfg, patterns);
  EXPECT_EQ(got.size(), AllDirectives().size());
  std::set<std::string> lowered;
  for (auto [name, value] : got) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(lowered.insert(name).second) << name;
  }
}

TEST(ConfigGet, FormatsValuesAsRedisDoes) {
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText("bind 127.0.0.1 ::1\nrecv-buffer-size 32kb", "t", &cfg, &error));
  EXPECT_EQ(Get(cfg, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(Get(cfg, "recv-buffer-size"), "32768");
  EXPECT_EQ(Get(cfg, "appendonly"), "no");
  EXPECT_EQ(Get(cfg, "daemonize"), "no");
  EXPECT_EQ(Get(cfg, "save"), "");
  EXPECT_EQ(Get(cfg, "logfile"), "");
  EXPECT_EQ(Get(cfg, "bind"), "127.0.0.1 ::1");
  EXPECT_EQ(Get(cfg, "loglevel"), "notice");
  EXPECT_EQ(Get(cfg, "io-backend"), "auto");
  EXPECT_EQ(Get(cfg, "threads"), "auto");
  EXPECT_EQ(Get(cfg, "dir"), "./");
}

TEST(ConfigSet, ChangesMutableDirectives) {
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(
      Set(&cfg,
          {"maxclients", "50", "LOGLEVEL", "WARNING", "proto-max-bulk-len", "1gb", "timeout", "7",
           "tcp-keepalive", "0", "hz", "1000", "save", "", "appendfsync", "always"},
          &error))
      << error;
  EXPECT_EQ(cfg.maxclients, 50);
  EXPECT_EQ(cfg.loglevel, LogLevel::kWarning);
  EXPECT_EQ(cfg.proto_max_bulk_len, 1LL << 30);
  EXPECT_EQ(cfg.timeout, 7);
  EXPECT_EQ(cfg.tcp_keepalive, 0);
  EXPECT_EQ(cfg.hz, 500);
}

TEST(ConfigSet, RedisErrorTexts) {
  ServerConfig cfg;
  std::string error;
  EXPECT_FALSE(Set(&cfg, {"foo", "bar"}, &error));
  EXPECT_EQ(error, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_FALSE(Set(&cfg, {"port", "7000"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  EXPECT_FALSE(Set(&cfg, {"maxclients", "abc"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer");
  EXPECT_FALSE(Set(&cfg, {"maxclients", "0"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
  EXPECT_FALSE(Set(&cfg, {"proto-max-bulk-len", "abc"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be a memory value");
  EXPECT_FALSE(Set(&cfg, {"loglevel", "xyz"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must "
            "be one of the following: debug, verbose, notice, warning");
  EXPECT_FALSE(Set(&cfg, {"aof-load-truncated", "maybe"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'aof-load-truncated') - argument "
            "must be 'yes' or 'no'");
  EXPECT_FALSE(Set(&cfg, {"appendfsync", "maybe"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
            "must be one of the following: everysec, always, no");
  EXPECT_FALSE(Set(&cfg, {"appenddirname", "x"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'appenddirname') - can't set "
            "immutable config");
  EXPECT_FALSE(Set(&cfg, {"save", "abc"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
  EXPECT_FALSE(Set(&cfg, {"maxclients", "100", "MAXCLIENTS", "200"}, &error));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate "
            "parameter");
  EXPECT_FALSE(Set(&cfg, {"maxclients", "10", "foo"}, &error));
  EXPECT_EQ(error, "ERR syntax error");
  EXPECT_FALSE(Set(&cfg, {}, &error));
  EXPECT_EQ(error, "ERR wrong number of arguments for 'config|set' command");
}

TEST(ConfigSet, NamesAreCheckedBeforeValues) {
  ServerConfig cfg;
  std::string error;
  EXPECT_FALSE(Set(&cfg, {"timeout", "abc", "foo", "bar"}, &error));
  EXPECT_EQ(error, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_FALSE(Set(&cfg, {"timeout", "abc", "daemonize", "yes"}, &error));
  EXPECT_NE(error.find("'daemonize') - can't set immutable config"), std::string::npos);
}

TEST(ConfigSet, AllOrNothing) {
  ServerConfig cfg;
  std::string error;
  EXPECT_FALSE(Set(&cfg, {"maxclients", "50", "hz", "20", "timeout", "abc"}, &error));
  EXPECT_NE(error.find("'timeout'"), std::string::npos) << error;
  EXPECT_EQ(GetAll(cfg), GetAll(ServerConfig()));
}

TEST(ConfigSet, NoSnapshotsAndAppendonlyOnlyAtStartUp) {
  ServerConfig cfg;
  std::string error;
  EXPECT_FALSE(Set(&cfg, {"appendonly", "yes"}, &error));
  EXPECT_NE(error.find("can't set immutable config"), std::string::npos) << error;
  EXPECT_FALSE(Set(&cfg, {"save", "3600 1 300 100"}, &error));
  EXPECT_NE(error.find("no RDB snapshots"), std::string::npos) << error;
  EXPECT_TRUE(Set(&cfg, {"save", ""}, &error)) << error;
  EXPECT_FALSE(cfg.appendonly);
  EXPECT_EQ(cfg.save, "");
}

TEST(ConfigSet, EveryDirectiveFollowsItsMutability) {
  for (const DirectiveInfo& d : AllDirectives()) {
    ServerConfig cfg;
    std::string error;
    const std::string value = Get(cfg, d.name);
    const bool ok = Set(&cfg, {d.name, value}, &error);
    EXPECT_EQ(ok, d.mutable_at_runtime) << d.name << ": " << error;
    if (!d.mutable_at_runtime) {
      EXPECT_NE(error.find("can't set immutable config"), std::string::npos) << error;
    }
    EXPECT_EQ(Get(cfg, d.name), value) << d.name;
  }
}

// The shipped conf/ringside.conf: the directive lines of a file, with the line before each.
struct ConfLine {
  std::string name;
  std::string previous;
};

std::vector<ConfLine> DirectiveLines(const std::string& text) {
  std::vector<ConfLine> out;
  std::istringstream in(text);
  std::string line, previous;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name;
    if ((words >> name) && name[0] != '#') out.push_back({name, previous});
    previous = line;
  }
  return out;
}

std::string ReadShippedConf() {
  std::ifstream in(std::string(RINGSIDE_SOURCE_DIR) + "/conf/ringside.conf");
  EXPECT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ShippedConf, ParsesToTheDefaultsWithPersistenceOn) {
  const std::string text = ReadShippedConf();
  ServerConfig cfg;
  std::string error;
  ASSERT_TRUE(LoadConfigText(text, "conf/ringside.conf", &cfg, &error)) << error;
  // It keeps its data: appendonly on, in a folder of the working directory.
  EXPECT_TRUE(cfg.appendonly);
  EXPECT_EQ(cfg.dir, "./data");
  ServerConfig expected;
  expected.appendonly = true;
  expected.dir = "./data";
  EXPECT_EQ(GetAll(cfg), GetAll(expected));
  // The README's first command starts ringside with this file.
  EXPECT_EQ(cfg.bind, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(cfg.port, 6380);
}

TEST(ShippedConf, SetsEveryDirectiveOnceWithAComment) {
  const std::vector<ConfLine> lines = DirectiveLines(ReadShippedConf());
  std::map<std::string, int> count;
  for (const ConfLine& l : lines) {
    ++count[l.name];
    EXPECT_TRUE(l.previous.starts_with("#")) << l.name << " has no comment line above it";
  }
  for (const DirectiveInfo& d : AllDirectives()) {
    EXPECT_EQ(count[std::string(d.name)], 1) << d.name;
  }
  EXPECT_EQ(count.size(), AllDirectives().size());
}

}  // namespace
}  // namespace ringside::proxy
