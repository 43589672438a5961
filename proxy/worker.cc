#include "proxy/worker.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

#include "proxy/commands/args.h"
#include "proxy/connection.h"
#include "proxy/io/client_socket.h"
#include "proxy/server.h"
#include "proxy/upstream_auth.h"

namespace ringside::proxy {

namespace {

constexpr size_t kMailboxCapacity = 4096;
// Redis's tracking-table-max-keys default: keys remembered for tracking clients, in all.
constexpr size_t kTrackedKeysMax = 1000000;
constexpr unsigned kTickMs = 100;

}  // namespace

Worker::Worker(Server* server, int index, int num_workers)
    : server_(server),
      index_(index),
      num_workers_(num_workers),
      config_(server->ConfigSnapshot()),
      overflow_(static_cast<size_t>(num_workers)),
      sender_waiting_(new std::atomic<bool>[static_cast<size_t>(num_workers)]),
      // Redis's default tracking-table-max-keys, shared out between the shards.
      tracking_(num_workers, kTrackedKeysMax / static_cast<size_t>(num_workers)),
      monitor_out_(static_cast<size_t>(num_workers)) {
  write_tap_.worker = this;
  removal_tap_.worker = this;
  for (int i = 0; i < num_workers; ++i) sender_waiting_[static_cast<size_t>(i)].store(false);
  store_ = std::make_unique<shards::Store>(index, num_workers, config_.databases, &clock_);
  for (int i = 0; i < num_workers; ++i) {
    inbox_.push_back(std::make_unique<shards::SpscQueue<TaskPtr>>(kMailboxCapacity));
  }
}

Worker::~Worker() {
  // Connections unregister from the reactor's handler table; drop them before the reactor.
  connections_.clear();
  backend_.reset();
  reactor_.reset();
}

ReactorOptions Worker::ReactorOptionsFor(const ServerConfig& cfg) {
  ReactorOptions opts;
  opts.ring_entries = static_cast<unsigned>(cfg.io_uring_entries);
  opts.recv_buffers = static_cast<unsigned>(cfg.recv_buffers);
  opts.recv_buffer_size = static_cast<unsigned>(cfg.recv_buffer_size);
  return opts;
}

void Worker::Run(IoBackend backend, std::function<void(bool, const std::string&)> started) {
  const ReactorOptions opts = ReactorOptionsFor(config_);
  std::string error;
  // Every worker loads its own shard's files, all at the same time.
  if (!LoadBackend(&error)) {
    started(false, error);
    return;
  }
  std::unique_ptr<Reactor> io = backend == IoBackend::kLibevent ? MakeEventReactor(opts, &error)
                                                                : MakeUringReactor(opts, &error);
  if (!io) {
    started(false, "worker " + std::to_string(index_) + " could not start its " +
                       (backend == IoBackend::kLibevent ? "libevent" : "io_uring") +
                       " reactor: " + error);
    return;
  }
  reactor_ = std::make_unique<TlsReactor>(std::move(io));
  if (!OpenBackend(&error)) {
    started(false, error);
    return;
  }
  started(true, "");
  // No worker accepts a client before every worker's reactor exists: the first command may
  // already need to wake another shard.
  if (!server_->WaitUntilAllStarted()) return;
  // A flush some other shard's journal still holds and this one's no longer does.
  backend_->FenceAtStart(server_->journal_flushes());
  for (int fd : server_->TakeListeners(index_)) {
    reactor_->Listen(fd, [this](int cfd) { OnAccept(cfd, false); });
  }
  for (int fd : server_->TakeTlsListeners(index_)) {
    reactor_->Listen(fd, [this](int cfd) { OnAccept(cfd, true); });
  }
  reactor_->SetLoopHook([this] { LoopHook(); });
  const unsigned expire_ms = std::max(1u, 1000u / static_cast<unsigned>(std::max(1, config_.hz)));
  reactor_->AddTimer(std::min(kTickMs, expire_ms), [this] { Tick(); });
  last_sample_ms_ = clock_.NowMs();
  reactor_->Run();
  connections_.clear();
  backend_->Close();
}

void Worker::Submit(int target, TaskPtr task) {
  if (target == index_) {
    task->Run(*this);
    return;
  }
  auto& pending = overflow_[static_cast<size_t>(target)];
  Worker& dst = server_->worker(target);
  if (pending.empty() && dst.inbox_[static_cast<size_t>(index_)]->TryPush(task)) {
    dst.reactor_->Wake();
    return;
  }
  // The ring is full: keep order by queueing behind what is already waiting, and ask the
  // receiver to wake this worker once it has made room.
  pending.push_back(std::move(task));
  dst.sender_waiting_[static_cast<size_t>(index_)].store(true);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  FlushOverflow(target);
}

void Worker::FlushOverflow(int target) {
  auto& pending = overflow_[static_cast<size_t>(target)];
  Worker& dst = server_->worker(target);
  auto& ring = *dst.inbox_[static_cast<size_t>(index_)];
  bool pushed = false;
  while (!pending.empty() && ring.TryPush(pending.front())) {
    pending.pop_front();
    pushed = true;
  }
  if (pushed) dst.reactor_->Wake();
}

void Worker::Post(TaskPtr task) {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted_.push_back(std::move(task));
  }
  has_posted_.store(true, std::memory_order_release);
  reactor_->Wake();
}

void Worker::RunHandler(const CommandRow& row, Handler handler, CommandContext& ctx,
                        const Caller& who) {
  ctx.bulk = &stats_.bulk;
  ctx.propagation = propagation();
  current_client_ = who.id;
  handler(ctx);
  current_client_ = 0;
  if (who.track && (row.flags & kReadOnly)) {
    for (size_t i : KeyPositions(row, ctx.args.size())) {
      tracking_.Remember(ctx.args[i], TrackingTable::Client{who.id, who.home});
    }
  }
}

void Worker::ForgetBcastClient(uint64_t id) {
  for (int i = 0; i < num_workers_; ++i) {
    Submit(i, MakeTask([id](Worker& w) { w.tracking_.RemoveClient(id); }));
  }
}

Connection* Worker::FindClient(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void Worker::SendInvalidations() {
  for (int home = 0; home < num_workers_; ++home) {
    std::vector<Invalidation> list = tracking_.Take(home);
    if (list.empty()) continue;
    Submit(home, MakeTask([list = std::move(list)](Worker& w) mutable {
             w.DeliverInvalidations(std::move(list));
           }));
  }
}

void Worker::DeliverInvalidations(std::vector<Invalidation> list) {
  // A client hears of each key its reads are remembered for in a message of its own, and of
  // the keys under its BCAST prefixes in one message per delivery, as Redis sends them.
  std::unordered_map<uint64_t, std::vector<std::string>> bcast;
  std::vector<uint64_t> order;
  for (Invalidation& inv : list) {
    Connection* c = FindClient(inv.client);
    if (c == nullptr || !c->open() || c->closing()) continue;
    const ClientTracking& t = c->tracking();
    if (!t.on || t.bcast != inv.bcast) continue;
    if (t.noloop && inv.by == inv.client) continue;
    if (inv.bcast) {
      auto [it, added] = bcast.try_emplace(inv.client);
      if (added) order.push_back(inv.client);
      it->second.push_back(std::move(inv.key));
      continue;
    }
    c->PushInvalidation(std::span<const std::string>(&inv.key, 1), false);
  }
  for (uint64_t id : order) {
    if (Connection* c = FindClient(id)) c->PushInvalidation(bcast[id], false);
  }
}

void Worker::DeliverFlush() {
  for (auto& [c, owned] : connections_) {
    if (c->open() && !c->closing() && c->tracking().on) c->PushInvalidation({}, true);
  }
}

void Worker::PushToRedirect(uint64_t origin, uint64_t id, int home, std::string message) {
  const int from = index_;
  Submit(home, MakeTask([origin, id, from, message = std::move(message)](Worker& w) {
           Connection* target = w.FindClient(id);
           if (target != nullptr && target->open() && !target->closing()) {
             // A RESP2 target would have to be subscribed to __redis__:invalidate.
             if (target->protocol() == resp::Protocol::kResp3) target->Push(message);
             return;
           }
           w.Submit(from, MakeTask([origin](Worker& back) {
                      if (Connection* c = back.FindClient(origin)) c->RedirectBroke();
                    }));
         }));
}

void Worker::AddMonitor(Connection* c) {
  c->set_monitoring(true);
  monitors_.push_back(c);
  monitor_count_.fetch_add(1, std::memory_order_relaxed);
  server_->CountMonitors(1);
}

void Worker::RemoveMonitor(Connection* c) {
  if (!c->monitoring()) return;
  c->set_monitoring(false);
  monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), c), monitors_.end());
  monitor_count_.fetch_sub(1, std::memory_order_relaxed);
  server_->CountMonitors(-1);
}

void Worker::FeedMonitors(const Connection& from, std::span<const std::string_view> args) {
  size_t redact_from = args.size();
  if (EqualsNoCase(args[0], "auth")) {
    redact_from = 1;
  } else if (EqualsNoCase(args[0], "hello")) {
    for (size_t i = 2; i + 1 < args.size(); ++i) {
      if (EqualsNoCase(args[i], "auth")) {
        redact_from = i + 1;
        break;
      }
    }
  }
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::string addr = from.addr();
  if (from.unix_socket()) addr = "unix:" + config_.unixsocket;
  const std::string line = MonitorLine(static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec,
                                       from.db(), addr, args, redact_from);
  for (int i = 0; i < num_workers_; ++i) {
    if (server_->worker(i).monitor_count_.load(std::memory_order_relaxed) == 0) continue;
    monitor_out_[static_cast<size_t>(i)] += line;
  }
}

void Worker::SendMonitorLines() {
  for (int i = 0; i < num_workers_; ++i) {
    std::string& text = monitor_out_[static_cast<size_t>(i)];
    if (text.empty()) continue;
    Submit(i, MakeTask([text = std::move(text)](Worker& w) {
             for (Connection* c : w.monitors_) c->Push(text);
           }));
    text.clear();
  }
}

void Worker::RefreshUpstreamDefault() {
  default_refresh_in_flight_ = true;
  auto finish = [this](const UpstreamAuthResult& r) {
    server_->MirrorDefault(r);
    default_refresh_in_flight_ = false;
    // An upstream that did not answer is asked again soon.
    const int64_t wait_ms = r.answered ? static_cast<int64_t>(config_.auth_cache_ttl) * 1000 : 1000;
    next_default_refresh_ms_ = clock_.NowMs() + wait_ms;
  };
  DescribeUserUpstream(*this, "default", [this, finish](UpstreamAuthResult r) {
    if (r.user != nullptr || !r.answered) return finish(r);
    // ringside's upstream-user may not read users: whether the default user needs a password
    // shows in whether an empty one is accepted, and its rights then in what it may read.
    CheckLoginUpstream(*this, "default", "", finish);
  });
}

void Worker::NotePaused(Connection* c) {
  if (std::find(paused_.begin(), paused_.end(), c) == paused_.end()) paused_.push_back(c);
}

void Worker::ResumePaused() {
  std::vector<Connection*> paused;
  paused.swap(paused_);
  for (Connection* c : paused) MarkDirty(c);
}

void Worker::DrainMailboxes() {
  // Retry tasks that found a full ring earlier.
  for (int t = 0; t < num_workers_; ++t) {
    if (overflow_[static_cast<size_t>(t)].empty()) continue;
    server_->worker(t).sender_waiting_[static_cast<size_t>(index_)].store(true);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    FlushOverflow(t);
  }
  if (has_posted_.exchange(false, std::memory_order_acq_rel)) {
    std::vector<TaskPtr> tasks;
    {
      std::lock_guard<std::mutex> lock(post_mu_);
      tasks.swap(posted_);
    }
    for (auto& t : tasks) t->Run(*this);
  }
  // Round-robin over the senders, a bounded number of tasks each per round, until every ring
  // is empty; a sender that found its ring full is woken once room was made.
  for (bool any = true; any;) {
    any = false;
    for (size_t src = 0; src < inbox_.size(); ++src) {
      auto& q = *inbox_[src];
      int popped = 0;
      for (; popped < 256; ++popped) {
        auto t = q.TryPop();
        if (!t) break;
        (*t)->Run(*this);
      }
      if (popped == 0) continue;
      any = true;
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (sender_waiting_[src].exchange(false))
        server_->worker(static_cast<int>(src)).reactor_->Wake();
    }
  }
}

void Worker::LoopHook() {
  store_->RefreshAccessClock();
  DrainMailboxes();
  if (tracking_.pending()) SendInvalidations();
  if (server_->monitors() > 0) SendMonitorLines();
  // Replies that arrived from other shards leave in one batch per connection.
  while (!dirty_.empty()) {
    std::vector<Connection*> dirty;
    dirty.swap(dirty_);
    for (Connection* c : dirty) {
      c->set_dirty(false);
      c->OnWake();
    }
  }
  // Evictions this iteration's writes made necessary, before their records go out.
  ReclaimMemory();
  // What this iteration's commands recorded goes out: to the files in one write each, and to
  // the upstream.
  backend_->Flush(shutting_down_);
  if (shutting_down_) {
    // A write or fsync in flight finishes first, deadline or not: its buffer must outlive it.
    const bool file_busy = backend_->Busy();
    // Records the upstream has not acknowledged yet are waited for while the link is up and
    // the deadline allows.
    const bool upstream_busy = backend_->UpstreamBusy() && clock_.NowMs() <= shutdown_deadline_ms_;
    bool busy = false;
    for (auto& [c, owned] : connections_) {
      // A connection closing after its replies stays open until the reactor has sent them;
      // until then (or the deadline) the worker is not drained.
      if (c->Idle() && c->open()) c->Kill();
      if (c->open() || c->outstanding() > 0) busy = true;
    }
    const bool overflow_empty =
        std::all_of(overflow_.begin(), overflow_.end(), [](const auto& d) { return d.empty(); });
    if (!file_busy && !upstream_busy &&
        ((!busy && overflow_empty) || clock_.NowMs() > shutdown_deadline_ms_)) {
      if (!drained_) {
        drained_ = true;
        server_->WorkerDrained();
      }
    }
    if (!file_busy && server_->AllDrained()) reactor_->Stop();
  }
}

void Worker::Tick() {
  // Clients held by CLIENT PAUSE try again once it may have ended.
  if (!paused_.empty() && !server_->Paused(true, clock_.NowMs()) && !server_->AuthPending()) {
    ResumePaused();
  }
  if (index_ == 0 && config_.auth_mode == AuthMode::kUpstream && !default_refresh_in_flight_ &&
      clock_.NowMs() >= next_default_refresh_ms_) {
    RefreshUpstreamDefault();
  }
  // Active expiry: keys that are never touched again still go away.
  store_->ActiveExpire(2000);
  backend_->Tick(shutting_down_);

  const int64_t now = clock_.NowMs();
  if (now - last_sample_ms_ >= 1000) {
    ops_per_sec_ =
        (stats_.commands - last_commands_) * 1000 / static_cast<uint64_t>(now - last_sample_ms_);
    last_commands_ = stats_.commands;
    last_sample_ms_ = now;
  }
  if (config_.timeout > 0 && ++tick_count_ % 10 == 0) {
    const int64_t limit = static_cast<int64_t>(config_.timeout) * 1000;
    std::vector<Connection*> idle;
    for (auto& [c, owned] : connections_) {
      if (c->Idle() && c->outstanding() == 0 && now - c->last_interaction_ms() > limit) {
        idle.push_back(c);
      }
    }
    for (Connection* c : idle) c->Kill();
  }
}

void Worker::OnAccept(int fd, bool tls) {
  PeerInfo peer = DescribePeer(fd);
  peer.tls = tls;
  // Every worker accepts on the one unix socket, but the kernel hands its connections to
  // whichever worker's accept is first in line, nearly always the same one: they are dealt
  // out in turn instead, as SO_REUSEPORT spreads the TCP ones.
  if (peer.unix_socket && num_workers_ > 1) {
    const int target = server_->NextUnixWorker(num_workers_);
    if (target != index_) {
      Submit(target, MakeTask([fd, peer = std::move(peer)](Worker& w) mutable {
               w.Adopt(fd, std::move(peer));
             }));
      return;
    }
  }
  Adopt(fd, std::move(peer));
}

void Worker::Adopt(int fd, PeerInfo peer) {
  stats_.connections_received++;
  if (peer.tls) stats_.tls_connections_received++;
  if (shutting_down_) {
    close(fd);
    return;
  }
  if (!server_->TryAddClient(config_.maxclients)) {
    stats_.rejected_connections++;
    static constexpr char kMsg[] = "-ERR max number of clients reached\r\n";
    // A TLS client would read the plaintext as a broken handshake: it just sees the close.
    if (!peer.tls) {
      [[maybe_unused]] ssize_t n = send(fd, kMsg, sizeof(kMsg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    close(fd);
    return;
  }
  // Protected mode as Redis applies it: with no password on the default user, only clients
  // on this host are served, whatever the listeners are bound to.
  if (config_.protected_mode && !peer.local && server_->users().Default()->nopass) {
    stats_.rejected_connections++;
    static constexpr char kDenied[] =
        "-DENIED ringside is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface and the unix socket. To serve clients on other hosts, do one of "
        "these: 1) set a password for the default user (requirepass, or a 'user default' line); "
        "2) send 'CONFIG SET protected-mode no' from the loopback interface, having made sure "
        "ringside cannot be reached from the internet; 3) set 'protected-mode no' in the "
        "configuration file and restart; 4) start ringside with '--protected-mode no'.\r\n";
    if (!peer.tls) {
      [[maybe_unused]] ssize_t n =
          send(fd, kDenied, sizeof(kDenied) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    close(fd);
    server_->RemoveClient();
    return;
  }
  PrepareClientSocket(fd, config_.tcp_keepalive);
  auto conn = std::make_unique<Connection>(this, fd, server_->NextClientId(), std::move(peer));
  Connection* raw = conn.get();
  by_id_.emplace(raw->id(), raw);
  connections_.emplace(raw, std::move(conn));
}

void Worker::MarkDirty(Connection* c) {
  if (c->dirty()) return;
  c->set_dirty(true);
  dirty_.push_back(c);
}

void Worker::ConnectionClosed(Connection* c) {
  if (c->dirty()) {
    dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), c), dirty_.end());
  }
  by_id_.erase(c->id());
  RemoveMonitor(c);
  paused_.erase(std::remove(paused_.begin(), paused_.end(), c), paused_.end());
  if (connections_.erase(c) > 0) server_->RemoveClient();
}

std::vector<ClientInfo> Worker::Clients() const {
  std::vector<ClientInfo> out;
  const int64_t now = clock_.NowMs();
  for (const auto& [c, owned] : connections_) {
    if (!c->open() || c->closing()) continue;
    out.push_back(InfoOf(*c, now));
  }
  return out;
}

namespace {

// CLIENT LIST's flags, in Redis's order.
std::string ClientFlags(const Connection& c) {
  std::string f;
  if (c.monitoring()) f += 'O';
  const ClientTracking& t = c.tracking();
  if (t.on) f += 't';
  if (t.on && t.broken_redirect) f += 'R';
  if (t.on && t.bcast) f += 'B';
  if (c.closing()) f += 'A';
  if (c.unix_socket()) f += 'U';
  if (c.no_evict()) f += 'e';
  if (c.no_touch()) f += 'T';
  if (f.empty()) f = "N";
  return f;
}

}  // namespace

ClientInfo Worker::InfoOf(const Connection& c, int64_t now_ms) const {
  return ClientInfo{c.id(),
                    c.addr(),
                    c.laddr(),
                    c.name(),
                    c.last_cmd(),
                    (now_ms - c.created_ms()) / 1000,
                    (now_ms - c.last_interaction_ms()) / 1000,
                    c.db(),
                    c.query_buffer_bytes(),
                    c.output_bytes(),
                    static_cast<int>(c.protocol()),
                    c.user().name,
                    ClientFlags(c),
                    c.tracking().on ? static_cast<int64_t>(c.tracking().redirect) : -1,
                    c.lib_name(),
                    c.lib_ver()};
}

ClientInfo Worker::InfoOf(const Connection& c) const { return InfoOf(c, clock_.NowMs()); }

int Worker::KillClients(const std::function<bool(const ClientInfo&)>& match, Connection* self,
                        bool skip_self) {
  int killed = 0;
  for (const ClientInfo& info : Clients()) {
    if (!match(info)) continue;
    for (auto& [c, owned] : connections_) {
      if (c->id() != info.id) continue;
      if (c == self) {
        if (skip_self) break;
        // Killing yourself closes after this reply, as Redis does.
        c->CloseAfterReplies();
      } else {
        c->Kill();
      }
      ++killed;
      break;
    }
  }
  return killed;
}

void Worker::ApplyConfig(const ServerConfig& cfg) {
  config_ = cfg;
  ApplyStoreSettings();
  backend_->SetFsyncPolicy(FsyncPolicyOf(cfg.appendfsync));
  backend_->SetTimeout(cfg.upstream_timeout);
  backend_->SetReadThroughMaxSize(cfg.upstream_read_through_max_size);
  backend_->SetAutoRewrite(cfg.auto_aof_rewrite_percentage, cfg.auto_aof_rewrite_min_size);
}

void Worker::ResetStats() {
  stats_ = WorkerStats{};
  store_->ResetStats();
  last_commands_ = 0;
  ops_per_sec_ = 0;
}

void Worker::BeginShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_deadline_ms_ = clock_.NowMs() + 5000;
  reactor_->StopListening();
  for (auto& [c, owned] : connections_) c->CloseAfterReplies();
  for (auto& [c, owned] : connections_) c->Flush();
}

}  // namespace ringside::proxy
