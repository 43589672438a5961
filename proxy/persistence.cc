// The worker's side of its backend: making the ShardBackend from the configuration, replaying
// what its files hold through the command table, the Host it runs on, and tasks that wait for
// the shard's records to be durable.
#include <algorithm>

#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

// Applies one command read back from a shard's file to database `db` of its store, through
// its row's handler (SELECT, MULTI/EXEC and the flushes are the loader's); returns why it
// cannot be replayed, or "".
std::string Replay(int db, std::span<const std::string_view> args, shards::Store& store) {
  const CommandRow* row = CommandTable::Get().Find(args[0]);
  if (row == nullptr || !(row->flags & kWrite) ||
      (row->exec != Exec::kSingleKey && row->exec != Exec::kMultiKey)) {
    return "'" + LowerName(args[0]) + "' cannot be replayed from an append-only file";
  }
  if (!ArityOk(*row, args.size())) {
    return "wrong number of arguments for '" + LowerName(args[0]) + "'";
  }
  resp::Output reply;
  resp::Writer out(&reply);
  if (row->exec == Exec::kSingleKey) {
    CommandContext ctx{args, db, &store, &out};
    row->handler(ctx);
    return "";
  }
  const size_t step = static_cast<size_t>(row->key_step);
  std::string_view group[3] = {args[0], {}, {}};
  for (size_t k : KeyPositions(*row, args.size())) {
    for (size_t i = 0; i < step; ++i) group[1 + i] = args[k + i];
    CommandContext ctx{std::span<const std::string_view>(group, 1 + step), db, &store, &out};
    row->handler(ctx);
  }
  return "";
}

}  // namespace

backend::FsyncPolicy FsyncPolicyOf(AppendFsync f) {
  switch (f) {
    case AppendFsync::kAlways:
      return backend::FsyncPolicy::kAlways;
    case AppendFsync::kEverysec:
      return backend::FsyncPolicy::kEverysec;
    case AppendFsync::kNo:
      break;
  }
  return backend::FsyncPolicy::kNo;
}

bool Worker::LoadBackend(std::string* error) {
  backend::ShardBackend::Options o;
  o.shard = index_;
  o.shards = num_workers_;
  o.databases = config_.databases;
  o.fsync = FsyncPolicyOf(config_.appendfsync);
  o.aof_load_truncated = config_.aof_load_truncated;
  o.auto_rewrite_percentage = config_.auto_aof_rewrite_percentage;
  o.auto_rewrite_min_size = config_.auto_aof_rewrite_min_size;
  o.upstream = config_.upstream;
  o.user = config_.upstream_user;
  o.password = config_.upstream_password;
  o.sync = config_.upstream_write_policy == UpstreamWritePolicy::kSync;
  o.db_base = config_.upstream_db;
  o.read_through = config_.upstream_read_through;
  o.timeout_ms = config_.upstream_timeout;
  o.read_through_max_size = config_.upstream_read_through_max_size;
  o.journal_dir = config_.dir;
  o.journal_rewrite_size = static_cast<uint64_t>(config_.upstream_journal_rewrite_size);
  o.queue_memory = static_cast<uint64_t>(config_.upstream_queue_memory);
  backend_ = std::make_unique<backend::ShardBackend>(
      std::move(o), static_cast<backend::ShardBackend::Host*>(this), server_->aof_manifest(),
      store_.get(), [](std::span<const std::string_view> argv, std::vector<size_t>* positions) {
        const CommandRow* row = CommandTable::Get().Find(argv[0]);
        if (row == nullptr) return false;
        *positions = KeyPositions(*row, argv.size());
        return true;
      });
  durability_ = &backend_->durability();
  ApplyTypeLimits();  // loaded collections take the configured encodings
  return backend_->Load(
      [this](int db, std::span<const std::string_view> args) { return Replay(db, args, *store_); },
      error);
}

bool Worker::OpenBackend(std::string* error) {
  if (!config_.upstream.empty()) {
    UpstreamAddress address;
    if (!ParseUpstreamAddress(config_.upstream, &address)) {
      *error = "upstream " + config_.upstream + " is not host:port or a socket path";
      return false;
    }
    UpstreamTls tls;
    if (config_.upstream_tls) {
      tls.contexts = &server_->tls();
      tls.server_name = UpstreamTlsServerName(config_);
      tls.verify = config_.upstream_tls_verify;
    }
    dialer_ = std::make_unique<UpstreamDialer>(reactor_.get(), index_, config_.upstream, address,
                                               config_.upstream_connect_timeout, std::move(tls));
  }
  if (!backend_->Open(error)) return false;
  if (!config_.upstream.empty()) server_->NoteJournalFlushes(backend_->journal_flushes_read());
  read_through_ = backend_->read_through();
  // The upstream expires its keys itself, at the same absolute times: an expiry here is only
  // for the local file. Sent upstream, it could delete a value someone else just wrote. An
  // eviction only drops this shard's copy.
  write_tap_.next = backend_->sink();
  removal_tap_.next = backend_->removals_sink();
  // Expiries and evictions also pass the tracking table, which tells clients that cached the
  // keys.
  PropagateRemovals(*store_, &removal_tap_);
  if (read_through_ != nullptr) {
    read_through_->set_on_invalidated([this](std::span<const std::string_view> keys, bool all) {
      if (!tracking_.active()) return;
      if (all) return tracking_.ChangedAll();
      for (std::string_view k : keys) tracking_.Changed(k, 0);
    });
  }
  ApplyStoreSettings();
  return true;
}

void Worker::OnShard(int shard, std::function<void(backend::ShardBackend&)> fn) {
  // Captures `fn` alone, which carries copies only (a gate number).
  Submit(shard, MakeTask([fn = std::move(fn)](Worker& w) { fn(*w.backend_); }));
}

void Worker::FileStatusChanged(bool ok, int err) { server_->AofStatusChanged(ok, err); }

void Worker::AfterDurable(TaskPtr task) {
  if (!durability_->Waiting()) return task->Run(*this);
  durability_->After([this, task = std::move(task)] { task->Run(*this); });
}

void Worker::WriteOnEveryWorker(std::function<void(Worker&)> fn,
                                std::function<void(const std::string& refused)> done) {
  // `fn` is shared read-only by every worker (the caller's contract); `reply` carries only the
  // refusal back, and `done` runs here.
  ForEachWorkerLater<std::string>(
      [fn = std::move(fn)](Worker& w, std::function<void(std::string)> reply) {
        const uint64_t from = w.RecordMark();
        fn(w);
        const uint64_t to = w.RecordMark();
        w.AfterDurable(MakeTask([reply = std::move(reply), from, to](Worker& at) {
          std::string refused;
          at.SyncRefused(from, to, &refused);
          reply(std::move(refused));
        }));
      },
      [done = std::move(done)](std::vector<std::string>& refusals) {
        const auto first = std::find_if(refusals.begin(), refusals.end(),
                                        [](const std::string& r) { return !r.empty(); });
        done(first == refusals.end() ? std::string() : *first);
      });
}

}  // namespace ringside::proxy
