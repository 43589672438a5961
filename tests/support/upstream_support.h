// Helpers for end-to-end tests of the upstream link: ringside with three shards forwarding to a
// real redis-server. Reading every database of a server, comparing two such dumps, waiting for
// the link to catch up, a redis-server that can be restarted on the port ringside expects, and
// a fixture that starts and stops both.
//
// Everything here runs on the test's thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"
#include "tests/support/temp_dir.h"

namespace ringside::testing {

inline const Reply kOk = Status("OK");
// The shards (threads) every ringside of these tests runs.
inline constexpr int kShards = 3;
inline constexpr int kDbs = 16;
// How far a PTTL may be off between two dumps taken moments apart.
inline constexpr int64_t kTtlToleranceMs = 2000;
inline constexpr auto kCatchUpDeadline = std::chrono::seconds(30);

// One field of ringside's `# Upstream` INFO section; "" when missing.
std::string Up(Client& c, const std::string& field);
// The whole `INFO upstream` text, for failure messages.
std::string UpstreamSection(Client& c);
// Waits (kCatchUpDeadline) until the link is up and every forwarded record is acknowledged.
bool CaughtUp(Client& c);

// One failure listing how `got` (the upstream) differs from `want` (named `want_name` in the
// message): keys, values byte for byte, PTTLs (-1 exactly, positive ones within
// kTtlToleranceMs).
void ExpectSameData(const std::vector<Db>& want, const std::vector<Db>& got,
                    const std::string& want_name = "ringside");

// GETs every key of `expected` (db 0) on `port`, pipelined; one failure listing wrong ones.
void ExpectKeys(int port, const std::map<std::string, std::string>& expected);

// What an upstream must end up holding, as a test works it out from the writes it makes: per
// database, key -> value and expiry deadline (Unix ms, -1 for none).
struct ExpectedData {
  std::vector<std::map<std::string, std::pair<std::string, int64_t>>> dbs{kDbs};

  void Set(int db, const std::string& key, const std::string& value, int64_t deadline = -1) {
    dbs[db][key] = {value, deadline};
  }
  // As DumpAll would show it now: deadlines become PTTLs.
  std::vector<Db> Now() const;
};

// Commands pipelined on one connection, each with the reply it must get. Holds on to the
// client until destroyed.
class CheckedPipeline {
 public:
  explicit CheckedPipeline(Client& c) : c_(c) {}
  void Send(std::vector<std::string> cmd, Reply want);
  // Reads the replies to everything sent; a failure for each of the first few wrong ones.
  // True when all were right.
  bool Check();

 private:
  Client& c_;
  std::vector<std::pair<std::vector<std::string>, Reply>> sent_;
};

// redis-server on a port of the caller's choosing, which ServerProcess (a fresh port each time)
// cannot do: starts or restarts the upstream where ringside expects it. Killed with the test
// binary (PDEATHSIG); stopped by the destructor, which prints its log when the test failed.
class RedisOnPort {
 public:
  // `extra` directives follow the defaults (no RDB saves, log to `log`, the TransportArgs).
  RedisOnPort(int port, const std::vector<std::string>& extra, std::string log);
  ~RedisOnPort();
  RedisOnPort(const RedisOnPort&) = delete;
  RedisOnPort& operator=(const RedisOnPort&) = delete;

  // True once its log says it accepts connections (after loading its AOF) within 20 s.
  bool Ready() const;
  std::string Log() const;
  pid_t pid() const { return pid_; }
  // SIGKILL, waited for. True when it died of it.
  bool Kill();

 private:
  std::string log_;
  pid_t pid_ = -1;
};

// Starts its own upstream redis-server and ringside per test; TearDown stops ringside (which
// must exit cleanly) and the upstream. ringside keeps its files (the upstream journal) in
// proxy_dir(), a directory of this test's own.
class UpstreamTest : public OwnServersTest {
 protected:
  // redis-server on a free port as the upstream, with `extra` directives.
  void StartUpstream(std::vector<std::string> extra = {});
  // The upstream with a password for the default user. Set after the start, which waits for an
  // unauthenticated PING; connections made before it stay logged in.
  void StartUpstreamWithPassword(const std::string& password);
  // ringside with kShards shards forwarding to 127.0.0.1:upstream_port_ (or over TLS to
  // upstream_tls_port_, with upstream_tls_args_), plus `extra`; proxy() is a connection to it.
  void StartProxy(std::vector<std::string> extra = {});
  void TearDown() override;
  Client& proxy() { return *proxy_; }
  std::string proxy_dir() const { return dir_.path() + "/ringside"; }

  TempDir dir_{"ringside-upstream"};
  std::string upstream_host_ = "127.0.0.1";  // what StartProxy gives as the upstream's host
  bool read_through_ = true;                 // StartProxy's upstream-read-through
  int upstream_port_ = 0;
  // Set: ringside reaches the upstream over TLS on this port (the .tls runs set it to the
  // upstream's TlsPortFor); the tests still use the plain upstream_port_ themselves.
  int upstream_tls_port_ = 0;
  std::vector<std::string> upstream_tls_args_;  // empty: UpstreamTlsArgs()
  std::unique_ptr<ServerProcess> upstream_;
  std::unique_ptr<ServerProcess> ringside_;
  std::unique_ptr<Client> proxy_;
};

}  // namespace ringside::testing
