#include "proxy/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <future>

#include "proxy/config_directives.h"
#include "shards/clock.h"

namespace ringside::proxy {

void ApplyLogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
    case LogLevel::kVerbose:
      spdlog::set_level(spdlog::level::debug);
      break;
    case LogLevel::kNotice:
      spdlog::set_level(spdlog::level::info);
      break;
    case LogLevel::kWarning:
      spdlog::set_level(spdlog::level::warn);
      break;
  }
}

Server::Server(ServerConfig cfg, std::string config_file)
    : config_(std::move(cfg)), config_file_(std::move(config_file)) {}

Server::~Server() {
  for (auto* all : {&listeners_, &tls_listeners_}) {
    for (auto& fds : *all) {
      for (int fd : fds) close(fd);
    }
  }
  for (int fd : port_locks_) close(fd);
  if (!unix_socket_path_.empty()) unlink(unix_socket_path_.c_str());
}

ServerConfig Server::ConfigSnapshot() {
  std::lock_guard<std::mutex> lock(config_mu_);
  return config_;
}

bool Server::SetConfig(Worker& from, std::span<const std::string_view> pairs, std::string* error,
                       std::function<void()> applied) {
  ServerConfig updated;
  {
    std::lock_guard<std::mutex> lock(config_mu_);
    updated = config_;
    for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
      if (updated.auth_mode == AuthMode::kUpstream &&
          config_internal::EqualsNoCase(pairs[i], "requirepass")) {
        *error =
            "ERR CONFIG SET failed (possibly related to argument 'requirepass') - with "
            "auth-mode upstream the users are the upstream's";
        return false;
      }
    }
    if (!ConfigSet(&updated, pairs, error)) return false;
    if (!tls_.Reconfigure(updated, pairs, error)) return false;
    config_ = updated;
  }
  ApplyLogLevel(updated.loglevel);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (config_internal::EqualsNoCase(pairs[i], "requirepass")) {
      users_.SetDefaultPassword(updated.requirepass);
    }
  }
  users_.set_all_channels(updated.acl_pubsub_default == AclPubsubDefault::kAllChannels);
  // `fn` shares its copy of `updated` read-only with every worker; `applied` runs back on `from`.
  from.ForEachWorker<int>(
      [updated](Worker& w) {
        w.ApplyConfig(updated);
        return 0;
      },
      [applied = std::move(applied)](std::vector<int>&) { applied(); });
  return true;
}

bool Server::TryAddClient(int64_t max_clients) {
  int64_t cur = clients_.load(std::memory_order_relaxed);
  do {
    if (cur >= max_clients) return false;
  } while (!clients_.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
  return true;
}

void Server::RequestShutdown() {
  // The main thread waits for this signal; every thread has it blocked.
  kill(getpid(), SIGTERM);
}

std::vector<int> Server::TakeListeners(int i) {
  std::vector<int> fds;
  fds.swap(listeners_[static_cast<size_t>(i)]);
  return fds;
}

std::vector<int> Server::TakeTlsListeners(int i) {
  std::vector<int> fds;
  if (static_cast<size_t>(i) < tls_listeners_.size())
    fds.swap(tls_listeners_[static_cast<size_t>(i)]);
  return fds;
}

bool Server::WaitUntilAllStarted() {
  std::unique_lock<std::mutex> lock(start_mu_);
  start_cv_.wait(lock, [this] { return start_state_ != 0; });
  return start_state_ > 0;
}

void Server::WorkerDrained() {
  drained_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& w : workers_) w->reactor().Wake();
}

bool Server::AllDrained() const {
  return drained_.load(std::memory_order_acquire) >= static_cast<int>(workers_.size());
}

void Server::AofStatusChanged(bool ok, int err) {
  if (ok) {
    aof_failing_shards_.fetch_sub(1, std::memory_order_acq_rel);
  } else {
    aof_last_errno_.store(err, std::memory_order_relaxed);
    aof_failing_shards_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void Server::Pause(int64_t until_ms, bool all) {
  std::lock_guard<std::mutex> lock(pause_mu_);
  const int64_t now = shards::SystemClock().NowMs();
  const bool active = pause_until_ms_.load(std::memory_order_relaxed) > now;
  pause_all_.store(all || (active && pause_all_.load(std::memory_order_relaxed)),
                   std::memory_order_relaxed);
  if (!active || until_ms > pause_until_ms_.load(std::memory_order_relaxed)) {
    pause_until_ms_.store(until_ms, std::memory_order_relaxed);
  }
}

bool Server::AofWritesFailing(int* err) const {
  if (aof_failing_shards_.load(std::memory_order_acquire) <= 0) return false;
  *err = aof_last_errno_.load(std::memory_order_relaxed);
  return true;
}

bool Server::OpenAofDirectory(int shards) {
  if (!config_.appendonly) return true;
  if (mkdir(config_.dir.c_str(), 0750) != 0 && errno != EEXIST) {
    spdlog::critical("cannot create dir {}: {}", config_.dir, std::strerror(errno));
    return false;
  }
  aof_manifest_ = std::make_unique<backend::AofManifest>(config_.dir + "/" + config_.appenddirname,
                                                         config_.appendfilename);
  std::string error;
  if (!aof_manifest_->Load(&error)) {
    spdlog::critical("{}", error);
    return false;
  }
  if (aof_manifest_->HasForeignEntries()) {
    spdlog::critical(
        "{} lists files that name no shard (written by redis-server?); ringside loads only the "
        "append-only files it wrote itself",
        aof_manifest_->manifest_path());
    return false;
  }
  const int named = aof_manifest_->ShardsNamed();
  if (named != 0 && named != shards) {
    spdlog::critical(
        "the append-only files in {} belong to {} shards, but ringside runs {} threads; start it "
        "with threads {} (moving keys between shards while loading is not supported yet)",
        aof_manifest_->dir(), named, shards, named);
    return false;
  }
  // A shard without a file gets one now, in shard order, so a fresh folder always has the same
  // names.
  for (int i = 0; i < shards; ++i) {
    if (!aof_manifest_->FilesOf(i).empty()) continue;
    backend::AofFileEntry entry;
    if (!aof_manifest_->CreateFile(i, "incr", &entry, &error) ||
        !aof_manifest_->ReplaceShard(i, {entry}, &error)) {
      spdlog::critical("{}", error);
      return false;
    }
  }
  return true;
}

bool Server::OpenListeners(std::string* error) {
  if (!OpenTcpListeners(config_.port, &listeners_, error)) return false;
  if (config_.tls_port != 0 && !OpenTcpListeners(config_.tls_port, &tls_listeners_, error)) {
    return false;
  }
  return OpenUnixSocket(error);
}

bool Server::OpenTcpListeners(int tcp_port, std::vector<std::vector<int>>* out,
                              std::string* error) {
  const int n = num_workers();
  out->assign(static_cast<size_t>(n), {});
  for (const std::string& addr : config_.bind) {
    // SO_REUSEPORT would also let a second ringside share the port and silently take half the
    // clients. An abstract unix socket named after the address works as a lock that the
    // kernel drops when this process ends (a plain bind would also trip over connections
    // that a previous instance left in FIN_WAIT).
    int lock_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un lock_addr{};
    lock_addr.sun_family = AF_UNIX;
    const std::string lock_name = "ringside:" + addr + ":" + std::to_string(tcp_port);
    std::memcpy(lock_addr.sun_path + 1, lock_name.data(),
                std::min(lock_name.size(), sizeof(lock_addr.sun_path) - 2));
    const socklen_t lock_len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 +
                               std::min(lock_name.size(), sizeof(lock_addr.sun_path) - 2));
    if (bind(lock_fd, reinterpret_cast<sockaddr*>(&lock_addr), lock_len) < 0) {
      *error = "Could not create server TCP listening socket " + addr + ":" +
               std::to_string(tcp_port) + ": another ringside is listening there";
      close(lock_fd);
      return false;
    }
    port_locks_.push_back(lock_fd);
    for (int i = 0; i < n; ++i) {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
      addrinfo* res = nullptr;
      const std::string port = std::to_string(tcp_port);
      int rc = getaddrinfo(addr == "*" ? nullptr : addr.c_str(), port.c_str(), &hints, &res);
      if (rc != 0) {
        *error = "Invalid bind address '" + addr + "': " + gai_strerror(rc);
        return false;
      }
      int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      // One listener per worker on the same address: the kernel spreads connections.
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
      if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, config_.tcp_backlog) < 0) {
        *error = "Could not create server TCP listening socket " + addr + ":" + port + ": " +
                 strerror(errno);
        close(fd);
        freeaddrinfo(res);
        return false;
      }
      freeaddrinfo(res);
      (*out)[static_cast<size_t>(i)].push_back(fd);
    }
  }
  return true;
}

bool Server::OpenUnixSocket(std::string* error) {
  if (config_.unixsocket.empty()) return true;
  const std::string& path = config_.unixsocket;
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    *error = "unixsocket '" + path + "' is longer than a unix socket path may be";
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  // As Redis does, a file left at the path (a socket of an earlier run) is replaced.
  unlink(path.c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    *error = "Failed opening Unix socket: bind: " + std::string(strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  unix_socket_path_ = path;
  const mode_t perm = static_cast<mode_t>(std::strtol(config_.unixsocketperm.c_str(), nullptr, 8));
  if ((perm != 0 && chmod(path.c_str(), perm) < 0) || listen(fd, config_.tcp_backlog) < 0) {
    *error = "Failed opening Unix socket: " + std::string(strerror(errno));
    close(fd);
    return false;
  }
  // Every worker accepts from the one socket: each gets its own descriptor of it, and the
  // kernel hands each connection to one of them.
  for (size_t i = 0; i < listeners_.size(); ++i) {
    listeners_[i].push_back(i == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0));
  }
  return true;
}

bool Server::ConfigureUsers(std::string* error) {
  if (!config_.aclfile.empty() && !config_.users.empty()) {
    *error =
        "Configuring ringside with users defined in the configuration and at the same time an "
        "ACL file path is invalid. This setup is very likely to lead to configuration errors "
        "and security holes, please define either an ACL file or declare users directly in "
        "the configuration, but not both.";
    return false;
  }
  if (config_.auth_mode == AuthMode::kUpstream) {
    if (config_.upstream.empty() || !config_.upstream_read_through) {
      *error =
          "auth-mode upstream checks logins with the upstream: set upstream, with "
          "upstream-read-through yes";
      return false;
    }
    if (!config_.requirepass.empty() || !config_.users.empty() || !config_.aclfile.empty()) {
      *error =
          "auth-mode upstream takes the users from the upstream: remove requirepass, user "
          "lines and aclfile from the configuration";
      return false;
    }
  }
  const bool all_channels = config_.acl_pubsub_default == AclPubsubDefault::kAllChannels;
  if (!users_.Configure(config_.requirepass, config_.users, all_channels, error)) {
    *error = "Error in user declaration: " + *error;
    return false;
  }
  if (!config_.aclfile.empty() && !users_.LoadFile(config_.aclfile, error)) return false;
  if (config_.auth_mode == AuthMode::kUpstream) {
    // Until the upstream's default user is known, commands wait (AuthPending) and a client
    // that sends none of them yet is as one that must log in.
    users_.ReplaceDefault(NeedsLoginDefault());
    auth_pending_.store(true);
  }
  return true;
}

acl::User Server::NeedsLoginDefault() {
  acl::User u = acl::NewUser("default", false);
  u.enabled = true;
  return u;
}

void Server::MirrorDefault(const UpstreamAuthResult& r) {
  if (r.user != nullptr) {
    users_.ReplaceDefault(*r.user);
  } else if (r.answered) {
    spdlog::warn(
        "auth-mode upstream: the upstream's default user could not be read ({}); "
        "clients must log in",
        r.error);
    users_.ReplaceDefault(NeedsLoginDefault());
  }
  // Also when the upstream was not reached: commands stop waiting, and clients log in (and
  // fail to while it is away); the next attempt comes at the next refresh.
  auth_pending_.store(false);
}

bool Server::ResolveIoBackend(IoBackend* backend) {
  *backend = config_.io_backend;
  if (*backend == IoBackend::kLibevent) return true;
  std::string reason;
  if (ProbeUring(Worker::ReactorOptionsFor(config_), &reason)) {
    *backend = IoBackend::kIoUring;
    return true;
  }
  if (*backend == IoBackend::kIoUring) {
    spdlog::critical("io-backend io_uring cannot run here: {}. Set io-backend to auto or libevent.",
                     reason);
    return false;
  }
  spdlog::warn("io_uring is unavailable ({}); serving with libevent", reason);
  *backend = IoBackend::kLibevent;
  return true;
}

int Server::Run() {
  const int n = ResolveThreads(config_);
  start_time_ms_ = shards::SystemClock().NowMs();

  // Signals are taken synchronously by this thread only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit makes a write fail with EFBIG (reported like a full disk), not kill us.
  signal(SIGXFSZ, SIG_IGN);

  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(this, i, n));
  std::string error;
  if (!ConfigureUsers(&error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  if (!tls_.Configure(config_, &error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  if (!OpenListeners(&error)) {
    spdlog::critical("{}", error);
    return 1;
  }

  IoBackend backend;
  if (!ResolveIoBackend(&backend)) return 1;
  if (!OpenAofDirectory(n)) return 1;
  const char* backend_name = backend == IoBackend::kLibevent ? "libevent" : "io_uring";

  std::vector<std::promise<std::string>> ready(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this, i, backend, &ready] {
      workers_[static_cast<size_t>(i)]->Run(backend, [&ready, i](bool ok, const std::string& err) {
        ready[static_cast<size_t>(i)].set_value(ok ? std::string() : err);
      });
    });
  }
  bool failed = false;
  for (int i = 0; i < n; ++i) {
    std::string err = ready[static_cast<size_t>(i)].get_future().get();
    if (!err.empty()) {
      spdlog::critical("{}", err);
      failed = true;
    }
  }
  {
    std::lock_guard<std::mutex> lock(start_mu_);
    start_state_ = failed ? -1 : 1;
  }
  start_cv_.notify_all();
  if (failed) {
    for (auto& t : threads_) t.join();
    return 1;
  }
  spdlog::info("ringside {} ready: {} threads, {} on port {}{}", RINGSIDE_VERSION, n, backend_name,
               config_.port,
               config_.tls_port != 0 ? ", TLS on port " + std::to_string(config_.tls_port) : "");

  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP received; configuration reload is not supported yet");
      continue;
    }
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    break;
  }
  // Captures nothing; Post is the way in from this non-worker thread, and workers outlive the join.
  for (auto& w : workers_) w->Post(MakeTask([](Worker& wk) { wk.BeginShutdown(); }));
  for (auto& t : threads_) t.join();
  spdlog::info("ringside is now ready to exit, bye bye...");
  return 0;
}

}  // namespace ringside::proxy
