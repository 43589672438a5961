// The server: configuration, one worker thread per shard, listeners, signals and shutdown.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backend/aof_manifest.h"
#include "proxy/acl/users.h"
#include "proxy/config.h"
#include "proxy/tls_config.h"
#include "proxy/upstream_auth.h"
#include "proxy/worker.h"

namespace ringside::proxy {

// Sets spdlog's level from the loglevel directive.
void ApplyLogLevel(LogLevel level);

class Server {
 public:
  explicit Server(ServerConfig cfg, std::string config_file = "");
  ~Server();

  // Binds, starts the workers and serves until SIGTERM/SIGINT or SHUTDOWN. Returns the process
  // exit code.
  int Run();

  int num_workers() const { return static_cast<int>(workers_.size()); }
  Worker& worker(int i) { return *workers_[static_cast<size_t>(i)]; }

  // Any thread.
  ServerConfig ConfigSnapshot();
  // CONFIG SET: validates and applies to the shared config, then to every worker's copy.
  // `from` is the calling worker; `applied` runs there once every worker has the new values,
  // so that a reply sent then holds for any connection the client opens afterwards, whichever
  // worker takes it. On failure returns false with the reply text in *error; `applied` never
  // runs.
  bool SetConfig(Worker& from, std::span<const std::string_view> pairs, std::string* error,
                 std::function<void()> applied);
  void RequestShutdown();
  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }
  bool TryAddClient(int64_t max_clients);
  void RemoveClient() { clients_.fetch_sub(1, std::memory_order_relaxed); }
  // The worker the next unix-socket client goes to, in turn.
  int NextUnixWorker(int workers) {
    return static_cast<int>(next_unix_worker_.fetch_add(1, std::memory_order_relaxed) %
                            static_cast<uint64_t>(workers));
  }
  int64_t connected_clients() const { return clients_.load(std::memory_order_relaxed); }
  int64_t start_time_ms() const { return start_time_ms_; }
  const std::string& config_file() const { return config_file_; }
  const std::string& executable() const { return executable_; }
  void set_executable(std::string e) { executable_ = std::move(e); }

  // The ACL users, shared by every worker.
  acl::Users& users() { return users_; }
  // auth-mode upstream: logins the upstream accepted (upstream_auth.h).
  UpstreamAuthCache& auth_cache() { return auth_cache_; }
  // auth-mode upstream: the default user is the upstream's, read again every auth-cache-ttl
  // (Worker 0's tick). Until it is first read, commands wait.
  bool AuthPending() const { return auth_pending_.load(std::memory_order_relaxed); }
  void MirrorDefault(const UpstreamAuthResult& r);

  // CLIENT PAUSE: until `until_ms` (Unix ms), write commands (or, with `all`, every command)
  // wait. Overlapping pauses keep the later end and the wider mode, as Redis does.
  void Pause(int64_t until_ms, bool all);
  void Unpause() { pause_until_ms_.store(0, std::memory_order_relaxed); }
  // Whether a pause was set and not lifted: one load and no clock read, for every command.
  bool PauseSet() const { return pause_until_ms_.load(std::memory_order_relaxed) != 0; }
  // Whether a command (a write, or not) must wait for the pause to end at `now_ms`.
  bool Paused(bool write, int64_t now_ms) const {
    const int64_t until = pause_until_ms_.load(std::memory_order_relaxed);
    if (until == 0 || now_ms >= until) return false;
    return write || pause_all_.load(std::memory_order_relaxed);
  }

  // MONITOR clients on all workers.
  int monitors() const { return monitors_.load(std::memory_order_relaxed); }
  void CountMonitors(int delta) { monitors_.fetch_add(delta, std::memory_order_relaxed); }

  // Listener sockets for worker i (taken once, when the worker starts): plain (port and the
  // unix socket), and TLS (tls-port).
  std::vector<int> TakeListeners(int i);
  std::vector<int> TakeTlsListeners(int i);
  // The TLS contexts for clients and for the upstream, current as CONFIG SET leaves them.
  const TlsContexts& tls() const { return tls_; }
  // Blocks a worker until every worker has started; false when start-up failed.
  bool WaitUntilAllStarted();
  void WorkerDrained();
  bool AllDrained() const;

  // The manifest of the append-only files; null with appendonly no.
  backend::AofManifest* aof_manifest() { return aof_manifest_.get(); }
  // A shard's AOF could not be written (ok false, with the errno) or can be again (ok true).
  void AofStatusChanged(bool ok, int err);
  // While some shard cannot write its AOF: true, with the error Redis's MISCONF reply names.
  bool AofWritesFailing(int* err) const;
  // Start-up: the most flushes any shard's upstream journal holds (see upstream_journal.cc).
  void NoteJournalFlushes(uint64_t n) {
    uint64_t seen = journal_flushes_.load(std::memory_order_relaxed);
    while (n > seen && !journal_flushes_.compare_exchange_weak(seen, n)) {
    }
  }
  uint64_t journal_flushes() const { return journal_flushes_.load(std::memory_order_acquire); }

 private:
  bool OpenListeners(std::string* error);
  // One listener per worker on each bind address for `port`, into *out (by worker).
  bool OpenTcpListeners(int port, std::vector<std::vector<int>>* out, std::string* error);
  bool OpenUnixSocket(std::string* error);
  // The users from requirepass, `user` lines and aclfile; false with the reason.
  bool ConfigureUsers(std::string* error);
  // A default user that lets nothing run before a login.
  static acl::User NeedsLoginDefault();
  // io-backend auto becomes io_uring when ProbeUring passes, else libevent (with one warning);
  // io_uring that cannot work is logged as the reason start-up fails (false).
  bool ResolveIoBackend(IoBackend* backend);
  // appendonly yes: reads the manifest and checks it belongs to this many shards.
  bool OpenAofDirectory(int shards);

  std::mutex config_mu_;
  ServerConfig config_;
  std::string config_file_;
  std::string executable_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::vector<int>> listeners_;
  std::vector<std::vector<int>> tls_listeners_;
  TlsContexts tls_;
  std::vector<int> port_locks_;   // abstract unix sockets held while the ports are ours
  std::string unix_socket_path_;  // removed at exit; empty when none was created
  acl::Users users_;
  UpstreamAuthCache auth_cache_;
  std::atomic<bool> auth_pending_{false};
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<int> monitors_{0};  // MONITOR clients on all workers
  std::mutex pause_mu_;           // serializes Pause
  std::atomic<int64_t> pause_until_ms_{0};
  std::atomic<bool> pause_all_{false};
  std::atomic<int64_t> clients_{0};
  std::atomic<uint64_t> next_unix_worker_{0};
  std::atomic<int> drained_{0};
  std::mutex start_mu_;
  std::condition_variable start_cv_;
  int start_state_ = 0;  // 0 starting, 1 all started, -1 failed
  int64_t start_time_ms_ = 0;
  std::unique_ptr<backend::AofManifest> aof_manifest_;
  std::atomic<int> aof_failing_shards_{0};
  std::atomic<int> aof_last_errno_{0};
  std::atomic<uint64_t> journal_flushes_{0};
};

}  // namespace ringside::proxy
