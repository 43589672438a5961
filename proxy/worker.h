// A worker is one thread: its reactor, the connections it accepted, and shard i of the key
// space. Only the worker's own thread touches its store and its connections; other workers
// reach them by submitting tasks into its mailboxes.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/shard_backend.h"
#include "proxy/bigbulk.h"
#include "proxy/command.h"
#include "proxy/config.h"
#include "proxy/io/client_socket.h"
#include "proxy/io/reactor.h"
#include "proxy/io/tls_reactor.h"
#include "proxy/key_claims.h"
#include "proxy/owned_args.h"
#include "proxy/task.h"
#include "proxy/tracking.h"
#include "proxy/upstream.h"
#include "proxy/worker_stats.h"
#include "shards/clock.h"
#include "shards/mailbox.h"
#include "shards/store.h"

namespace ringside::proxy {

class Server;
class Worker;

// The ShardAof policy for an appendfsync setting.
backend::FsyncPolicy FsyncPolicyOf(AppendFsync f);
class Connection;

class Worker : private backend::ShardBackend::Host {
 public:
  Worker(Server* server, int index, int num_workers);
  ~Worker() override;

  // Creates the reactor of `backend` (kIoUring or kLibevent, already resolved) on the calling
  // thread (the ring's single issuer), then serves until the server shuts down. Reports
  // start-up success through `started`.
  void Run(IoBackend backend, std::function<void(bool ok, const std::string& error)> started);
  // The reactor settings the configuration asks for.
  static ReactorOptions ReactorOptionsFor(const ServerConfig& cfg);

  int index() const { return index_; }
  int num_workers() const { return num_workers_; }
  Server& server() { return *server_; }
  shards::Store& store() { return *store_; }
  TlsReactor& reactor() { return *reactor_; }
  const ServerConfig& config() const { return config_; }
  WorkerStats& stats() { return stats_; }

  // Runs `task` on worker `target`'s thread (inline when target is this worker). Call only on
  // this worker's thread.
  void Submit(int target, TaskPtr task);
  // Thread-safe entry point for non-worker threads (signal handling): queued and woken.
  void Post(TaskPtr task);

  // Runs `fn` on every worker, then `done` here with the results in worker order. `fn` is
  // shared read-only by all workers and must not capture anything a worker would mutate.
  template <class R>
  void ForEachWorker(std::function<R(Worker&)> fn, std::function<void(std::vector<R>&)> done);
  // The same where a worker's result may come later: `fn` gets a function to call with it,
  // once, on that worker's thread.
  template <class R>
  void ForEachWorkerLater(std::function<void(Worker&, std::function<void(R)> reply)> fn,
                          std::function<void(std::vector<R>&)> done);
  // The same for a write: runs `fn` on every worker, then `done` here once what each one
  // recorded is durable (AfterDurable), with the error the upstream refused one of those
  // records with under upstream-write-policy sync ("" when it took them all).
  void WriteOnEveryWorker(std::function<void(Worker&)> fn,
                          std::function<void(const std::string& refused)> done);

  // Connection bookkeeping, all on this thread.
  void MarkDirty(Connection* c);
  void ConnectionClosed(Connection* c);
  std::vector<ClientInfo> Clients() const;
  // One of this worker's connections, as CLIENT LIST shows it.
  ClientInfo InfoOf(const Connection& c) const;
  ClientInfo InfoOf(const Connection& c, int64_t now_ms) const;
  // Closes clients matching the filter; returns how many.
  int KillClients(const std::function<bool(const ClientInfo&)>& match, Connection* self,
                  bool skip_self);
  uint64_t ops_per_sec() const { return ops_per_sec_; }

  // Keys claimed by an MSETNX in flight on this shard (see keyspace.cc).
  KeyClaims& claims() { return claims_; }

  // The shard's persistence and upstream (backend/shard_backend.h), from Run on.
  backend::ShardBackend& backend() { return *backend_; }
  const backend::ShardBackend& backend() const { return *backend_; }
  // The sink of this shard's propagation records (its append-only file and its upstream
  // link, and while clients track keys, the tracking table), or null when nothing takes them.
  backend::PropagationSink* propagation() {
    return tracking_.active() ? &write_tap_ : backend_->sink();
  }
  // Runs `handler` on this shard for `who`: the changes it makes count as that client's (for
  // NOLOOP), and with `who.track` the keys a read-only `row` reads are remembered for it.
  // Sets ctx's propagation and counters.
  void RunHandler(const CommandRow& row, Handler handler, CommandContext& ctx, const Caller& who);

  // CLIENT TRACKING (tracking.h): this shard's table of tracked keys and BCAST prefixes.
  TrackingTable& tracking() { return tracking_; }
  // A BCAST client's prefixes go from every worker's table.
  void ForgetBcastClient(uint64_t id);
  // One of this worker's connections by id, or null.
  Connection* FindClient(uint64_t id) const;
  // Tells this worker's clients what changed (from the tables of every shard).
  void DeliverInvalidations(std::vector<Invalidation> list);
  // A FLUSHALL or FLUSHDB ran: every tracking client of this worker is told.
  void DeliverFlush();
  // Sends `message` to client `id`, on whichever worker `home` it is (a redirect target);
  // when it is gone, `origin` on this worker learns its redirect broke.
  void PushToRedirect(uint64_t origin, uint64_t id, int home, std::string message);

  // MONITOR: `c` (of this worker) sees every command from now on, until it goes.
  void AddMonitor(Connection* c);
  void RemoveMonitor(Connection* c);
  // Shows a command `from` sent to every monitoring client, whatever worker it is on (sent at
  // the end of the loop iteration).
  void FeedMonitors(const Connection& from, std::span<const std::string_view> args);

  // CLIENT PAUSE: `c` holds a command until the pause ends; ResumePaused lets them try again.
  void NotePaused(Connection* c);
  void ResumePaused();

  // Read-through (backend/read_through.h); null without it.
  backend::ReadThrough* read_through() { return read_through_; }
  bool ReadThrough() const { return read_through_ != nullptr; }
  // Whether a part of a command on `key` may run now (always without read-through); when not,
  // a load of the key is under way and the part must go through RunParts (key_parts.h).
  bool KeyReady(int db, std::string_view key, bool overwrites) {
    return read_through_ == nullptr || read_through_->KeyReady(db, key, overwrites);
  }
  using KeyCase = backend::KeyCase;
  // For steps of multi-shard commands (RENAME, MSETNX) that read a key: runs `fn` here once the
  // key is known, at once when it is.
  using KeyKnownFn = std::function<void(Worker& w, KeyCase how, std::string_view error)>;
  void WhenKeyKnown(int db, std::string_view key, KeyKnownFn fn);
  // Sends a command to the upstream on this shard's write-through connection, after the
  // records made so far, and gives its reply (RESP, as the upstream sent it) to `done` here.
  // `resend`: it may run twice (a read), so a connection lost meanwhile does not fail it.
  // Only with read-through (read_through() set).
  void PassThrough(int db, std::span<const std::string_view> argv, bool resend,
                   std::function<void(Worker& w, std::string reply)> done);
  // Runs `task` here once the upstream acknowledged every record this shard made so far (at
  // once without an upstream).
  void AfterUpstreamAcked(TaskPtr task);
  // The relays of this shard (backend/relay_pool.h); null without read-through.
  backend::RelayPool* relays() { return backend_->relays(); }
  // maxmemory (memory.cc). Evicts keys of this shard while it is past its share of maxmemory
  // (maxmemory / threads), or while all shards together are past maxmemory and this one has
  // keys that may go; with an upstream, only keys the upstream acknowledged every write to.
  // kFull: all shards together are past maxmemory and nothing here may go (writes that add
  // data then fail with OOM); kEvicting: it stopped after a bounded amount of work and goes on
  // from the loop. Cheap without maxmemory.
  enum class MemoryState : uint8_t { kUnder, kEvicting, kFull };
  MemoryState ReclaimMemory() {
    return config_.maxmemory > 0 ? ReclaimMemorySlow() : MemoryState::kUnder;
  }
  // This shard's used_memory as the other shards last saw it.
  int64_t published_used() const { return published_used_.load(std::memory_order_relaxed); }
  // Runs `task` here once every record this shard made so far is durable as appendfsync asks
  // and, with upstream-write-policy sync, acknowledged by the upstream: at once, unless some
  // record is still on its way. Tasks run in the order given.
  void AfterDurable(TaskPtr task);
  // Under upstream-write-policy sync, whether the upstream refused one of the records with
  // ids in (from, to] (see ShardBackend::SyncRefused).
  bool SyncRefused(uint64_t from, uint64_t to, std::string* error) {
    return backend_->SyncRefused(from, to, error);
  }
  // The id of the last record this shard made (0 without an upstream), to take a command's
  // range for SyncRefused.
  uint64_t RecordMark() const { return backend_->RecordMark(); }
  // Whether a reply made on this shard may have to wait (appendfsync always, or
  // upstream-write-policy sync).
  bool RepliesWaitForDisk() const { return durability_->MayWait(); }
  // Whether some record made on this shard still holds replies back.
  bool HasUndurable() const { return durability_->Waiting(); }
  // The rewrite of the shard's append-only file (BGREWRITEAOF, and after flushes); null with
  // appendonly no.
  backend::AofRewriter* rewriter() { return backend_->rewriter(); }

  void ApplyConfig(const ServerConfig& cfg);
  // CONFIG RESETSTAT on this worker.
  void ResetStats();
  void BeginShutdown();

 private:
  // persistence.cc: the shard's backend, made, loaded and opened.
  bool LoadBackend(std::string* error);
  bool OpenBackend(std::string* error);
  // backend::ShardBackend::Host
  backend::FileIo& file_io() override { return *reactor_; }
  backend::Dialer& dialer() override { return *dialer_; }
  void OnShard(int shard, std::function<void(backend::ShardBackend&)> fn) override;
  void FileStatusChanged(bool ok, int err) override;
  int64_t NowMs() const override { return clock_.NowMs(); }
  // memory.cc.
  MemoryState ReclaimMemorySlow();
  // Applies the eviction settings and type limits of config_ to the store, and starts or stops
  // keeping track of the keys the upstream has not acknowledged.
  void ApplyStoreSettings();
  // The *-max-* encoding limits alone (before the append-only file loads, too).
  void ApplyTypeLimits();

  void OnAccept(int fd, bool tls);
  // Serves an accepted client here (or refuses it: shutting down, maxclients, protected mode).
  void Adopt(int fd, PeerInfo peer);
  // auth-mode upstream: reads the upstream's default user into the local one.
  void RefreshUpstreamDefault();
  void LoopHook();
  // Sends what the tracking table gathered to the workers of the clients concerned.
  void SendInvalidations();
  void SendMonitorLines();
  void Tick();
  void DrainMailboxes();
  void FlushOverflow(int target);

  Server* server_;
  const int index_;
  const int num_workers_;
  ServerConfig config_;
  shards::SystemClock clock_;
  std::unique_ptr<shards::Store> store_;
  std::unique_ptr<TlsReactor> reactor_;
  // Connections to the upstream on reactor_, for the backend; null without an upstream.
  std::unique_ptr<UpstreamDialer> dialer_;
  // Destroyed before reactor_, whose handlers its connections are.
  std::unique_ptr<backend::ShardBackend> backend_;
  // Looked up once (read on every command): parts of backend_, null when it has none.
  backend::ReadThrough* read_through_ = nullptr;
  backend::Durability* durability_ = nullptr;
  std::atomic<int64_t> published_used_{0};
  // inbox_[src]: tasks from worker src to this worker.
  std::vector<std::unique_ptr<shards::SpscQueue<TaskPtr>>> inbox_;
  // Tasks that did not fit a full ring, per target, retried every loop iteration.
  std::vector<std::deque<TaskPtr>> overflow_;
  // sender_waiting_[src]: worker src has tasks for this worker that found the ring full.
  std::unique_ptr<std::atomic<bool>[]> sender_waiting_;
  // Tasks from non-worker threads.
  std::mutex post_mu_;
  std::vector<TaskPtr> posted_;
  std::atomic<bool> has_posted_{false};

  KeyClaims claims_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::unordered_map<uint64_t, Connection*> by_id_;
  TrackingTable tracking_;
  // Records pass through the tracking table on their way to `next` while it is active.
  struct TrackingTap final : backend::PropagationSink {
    Worker* worker = nullptr;
    backend::PropagationSink* next = nullptr;
    void Record(int db, std::span<const std::string_view> argv) override {
      if (worker->tracking_.active())
        worker->tracking_.ChangedRecord(argv, worker->current_client_);
      if (next != nullptr) next->Record(db, argv);
    }
  };
  TrackingTap write_tap_;    // in front of the backend's sink
  TrackingTap removal_tap_;  // in front of what expiries and evictions are recorded to
  // The client whose command is running here (RunHandler), for NOLOOP.
  uint64_t current_client_ = 0;
  std::vector<Connection*> monitors_;
  std::atomic<int> monitor_count_{0};     // monitors_.size(), read by other workers
  std::vector<std::string> monitor_out_;  // lines for each worker's monitors
  std::vector<Connection*> paused_;
  std::vector<Connection*> dirty_;
  WorkerStats stats_;
  uint64_t ops_per_sec_ = 0;
  uint64_t last_commands_ = 0;
  int64_t last_sample_ms_ = 0;
  int tick_count_ = 0;
  // auth-mode upstream, worker 0: when the upstream's default user is read again.
  bool default_refresh_in_flight_ = false;
  int64_t next_default_refresh_ms_ = 0;
  bool shutting_down_ = false;
  bool drained_ = false;
  int64_t shutdown_deadline_ms_ = 0;

  friend class Server;
};

template <class R>
void Worker::ForEachWorker(std::function<R(Worker&)> fn,
                           std::function<void(std::vector<R>&)> done) {
  ForEachWorkerLater<R>(
      [fn = std::move(fn)](Worker& w, std::function<void(R)> reply) { reply(fn(w)); },
      std::move(done));
}

template <class R>
void Worker::ForEachWorkerLater(std::function<void(Worker&, std::function<void(R)> reply)> fn,
                                std::function<void(std::vector<R>&)> done) {
  // Owned by this worker; other workers only carry the pointer back here.
  struct Gather {
    std::vector<R> results;
    int remaining;
    std::function<void(std::vector<R>&)> done;
  };
  auto* g = new Gather{std::vector<R>(num_workers_), num_workers_, std::move(done)};
  auto shared_fn =
      std::make_shared<const std::function<void(Worker&, std::function<void(R)>)>>(std::move(fn));
  const int home = index_;
  for (int i = 0; i < num_workers_; ++i) {
    Submit(i, MakeTask([g, shared_fn, home, i](Worker& w) {
             (*shared_fn)(w, [g, home, i, &w](R r) {
               w.Submit(home, MakeTask([g, i, r = std::move(r)](Worker&) mutable {
                          g->results[i] = std::move(r);
                          if (--g->remaining == 0) {
                            g->done(g->results);
                            delete g;
                          }
                        }));
             });
           }));
  }
}

}  // namespace ringside::proxy
