#include "tests/support/upstream_support.h"

#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/support/tls_support.h"
#include "tests/support/transport.h"

namespace ringside::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Up(Client& c, const std::string& field) { return InfoField(c, "upstream", field); }

std::string UpstreamSection(Client& c) { return c.Cmd({"INFO", "upstream"}).str; }

bool CaughtUp(Client& c) {
  return WaitUntil(
      [&] {
        return Up(c, "upstream_link_status") == "up" && Up(c, "upstream_pending_records") == "0";
      },
      kCatchUpDeadline, milliseconds(20));
}

void ExpectSameData(const std::vector<Db>& want, const std::vector<Db>& got,
                    const std::string& want_name) {
  std::vector<std::string> diffs;
  size_t keys = 0;
  for (int db = 0; db < kDbs; ++db) {
    const std::string in_db = " (db " + std::to_string(db) + ")";
    for (const auto& [key, w] : want[db]) {
      ++keys;
      const auto it = got[db].find(key);
      if (it == got[db].end()) {
        diffs.push_back("missing on the upstream: " + key + in_db);
        continue;
      }
      const auto& [value, pttl] = it->second;
      if (value != w.first) {
        diffs.push_back("value of " + key + in_db + ": " + ShowDifference(w.first, value));
      }
      const bool ttl_ok = w.second < 0 ? pttl == w.second
                                       : pttl > 0 && std::abs(pttl - w.second) <= kTtlToleranceMs;
      if (!ttl_ok) {
        diffs.push_back("PTTL of " + key + in_db + ": " + want_name + " " +
                        std::to_string(w.second) + ", upstream " + std::to_string(pttl));
      }
    }
    for (const auto& [key, unused] : got[db]) {
      if (!want[db].contains(key)) diffs.push_back("only on the upstream: " + key + in_db);
    }
  }
  if (diffs.empty()) return;
  std::string text;
  for (size_t i = 0; i < diffs.size() && i < 20; ++i) text += "  " + diffs[i] + "\n";
  ADD_FAILURE() << diffs.size() << " differences over " << keys << " keys:\n" << text;
}

void ExpectKeys(int port, const std::map<std::string, std::string>& expected) {
  Client c(port, seconds(30));
  for (const auto& [key, value] : expected) c.Append({"GET", key});
  std::vector<std::string> wrong;
  for (const auto& [key, value] : expected) {
    const Reply r = c.GetReply();
    if (r != Bulk(value))
      wrong.push_back(key + " -> " + (r.type == Reply::Type::kNil ? "(nil)" : Show(r.str, 40)));
  }
  if (wrong.empty()) return;
  std::string text;
  for (size_t i = 0; i < wrong.size() && i < 20; ++i) text += "  " + wrong[i] + "\n";
  ADD_FAILURE() << wrong.size() << " of " << expected.size() << " keys wrong on the upstream:\n"
                << text;
}

std::vector<Db> ExpectedData::Now() const {
  const int64_t now = UnixMillis();
  std::vector<Db> out(kDbs);
  for (int db = 0; db < kDbs; ++db) {
    for (const auto& [key, v] : dbs[db]) {
      out[db][key] = {v.first, v.second < 0 ? -1 : v.second - now};
    }
  }
  return out;
}

void CheckedPipeline::Send(std::vector<std::string> cmd, Reply want) {
  c_.Append(cmd);
  sent_.emplace_back(std::move(cmd), std::move(want));
}

bool CheckedPipeline::Check() {
  int wrong = 0;
  for (const auto& [cmd, want] : sent_) {
    const Reply got = c_.GetReply();
    if (got != want && ++wrong <= 5) {
      ADD_FAILURE() << ShowCommand(cmd) << " -> " << got << ", expected " << want;
    }
  }
  sent_.clear();
  return wrong == 0;
}

RedisOnPort::RedisOnPort(int port, const std::vector<std::string>& extra, std::string log)
    : log_(std::move(log)) {
  std::vector<std::string> args = {
      "redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port), "--save", "",
      "--daemonize",  "no",     "--logfile", log_};
  for (auto& a : TransportArgs(port)) args.push_back(std::move(a));
  if (UpstreamOverTls()) {
    for (auto& a : RedisTlsArgs(TlsPortFor(port))) args.push_back(std::move(a));
  }
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close_range(3, ~0u, 0);  // the test's client sockets stay with the test
    execvp(argv[0], argv.data());
    _exit(127);
  }
}

RedisOnPort::~RedisOnPort() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- redis-server log (" << log_ << ") ----\n" << Log() << "---- end ----\n";
  }
}

bool RedisOnPort::Ready() const {
  return pid_ > 0 &&
         WaitUntil([&] { return Log().find("Ready to accept connections") != std::string::npos; },
                   seconds(20), milliseconds(20));
}

std::string RedisOnPort::Log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool RedisOnPort::Kill() {
  if (pid_ <= 0 || kill(pid_, SIGKILL) != 0) return false;
  int status = 0;
  pid_t r;
  while ((r = waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return r > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

void UpstreamTest::StartUpstream(std::vector<std::string> extra) {
  upstream_ = ServerProcess::StartRedis(std::move(extra));
  ASSERT_NE(upstream_, nullptr);
  upstream_port_ = upstream_->port();
  if (UpstreamOverTls()) upstream_tls_port_ = TlsPortFor(upstream_port_);
}

void UpstreamTest::StartUpstreamWithPassword(const std::string& password) {
  ASSERT_NO_FATAL_FAILURE(StartUpstream());
  ASSERT_EQ(Client(upstream_port_).Cmd({"CONFIG", "SET", "requirepass", password}), kOk);
}

void UpstreamTest::StartProxy(std::vector<std::string> extra) {
  const int port = upstream_tls_port_ != 0 ? upstream_tls_port_ : upstream_port_;
  std::vector<std::string> args = {"--threads",
                                   std::to_string(kShards),
                                   "--upstream",
                                   upstream_host_ + ":" + std::to_string(port),
                                   "--dir",
                                   proxy_dir(),
                                   "--upstream-read-through",
                                   read_through_ ? "yes" : "no"};
  if (upstream_tls_port_ != 0) {
    const std::vector<std::string> tls =
        upstream_tls_args_.empty() ? UpstreamTlsArgs() : upstream_tls_args_;
    args.insert(args.end(), tls.begin(), tls.end());
  }
  args.insert(args.end(), extra.begin(), extra.end());
  ringside_ = Start(std::move(args));
  ASSERT_NE(ringside_, nullptr);
  proxy_ = std::make_unique<Client>(ringside_->port());
  ASSERT_TRUE(proxy_->ok()) << proxy_->error();
  // Until its connections are made (longer over TLS), ringside keeps no key it reads through
  // (nothing tracks it yet) and tests would see extra loads. A link that fails says so in
  // upstream_last_error, and the test goes on at once to see what it makes of that.
  WaitUntil(
      [&] {
        const std::string invalidation = Up(*proxy_, "upstream_invalidation_status");
        return (Up(*proxy_, "upstream_link_status") == "up" &&
                (invalidation == "up" || invalidation == "none")) ||
               !Up(*proxy_, "upstream_last_error").empty();
      },
      seconds(10), milliseconds(5));
}

void UpstreamTest::TearDown() {
  proxy_.reset();
  if (ringside_) ExpectCleanExit(ringside_);
  if (upstream_) upstream_->Stop();
}

}  // namespace ringside::testing
