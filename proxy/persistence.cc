// The worker's side of persistence: loading the shard's append-only files at start-up, opening
// the last one for appending, and holding replies back until what they depend on is durable
// (appendfsync always).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "backend/aof_loader.h"
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

bool Worker::LoadAof(std::string* error) {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr) return true;
  backend::AofLoaded loaded;
  const bool ok = backend::LoadShardAof(
      *manifest, index_, {config_.databases, config_.aof_load_truncated}, *store_,
      [this](int db, std::span<const std::string_view> args) { return Replay(db, args, *store_); },
      &loaded, error);
  aof_fd_ = loaded.fd;
  aof_size_ = loaded.size;
  aof_loaded_ = loaded.loaded;
  return ok;
}

bool Worker::OpenAof(std::string* error) {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr) return true;
  // The server gave every shard a file before the workers started; LoadAof opened the last.
  if (aof_fd_ < 0) {
    *error = "shard " + std::to_string(index_) + " has no append-only file in the manifest";
    return false;
  }
  aof_ = std::make_unique<backend::ShardAof>(aof_fd_, aof_size_, aof_loaded_ - aof_size_,
                                             reactor_.get(), FsyncPolicyOf(config_.appendfsync),
                                             [this] { return clock_.NowMs(); });
  aof_fd_ = -1;
  aof_->set_on_synced([this](uint64_t synced) { durability_.AofSynced(synced); });
  durability_.set_aof(aof_.get());
  rewriter_ = std::make_unique<backend::AofRewriter>(index_, manifest, aof_.get(), store_.get(),
                                                     reactor_.get(),
                                                     [this] { return clock_.NowMs(); });
  aof_->set_on_status([this](bool ok, int err) {
    if (ok) {
      spdlog::warn("shard {}: the append-only file is written again", index_);
    } else {
      spdlog::warn(
          "shard {}: error writing the append-only file: {}; write commands are "
          "refused until it can be written again",
          index_, std::strerror(err));
    }
    server_->AofStatusChanged(ok, err);
  });
  return true;
}

void Worker::AfterDurable(TaskPtr task) {
  if (!durability_.Waiting()) return task->Run(*this);
  durability_.After([this, task = std::move(task)] { task->Run(*this); });
}

void Worker::ReleaseAcked(uint64_t acked) {
  if (unacked_) unacked_->Release(acked);
  durability_.Acked(acked);
}

bool Worker::SyncRefused(uint64_t from, uint64_t to, std::string* error) {
  if (!UpstreamSync() || to <= from) return false;
  std::vector<backend::UpstreamLink::RecordError> refused = link_->TakeErrors(from, to);
  if (refused.empty()) return false;
  *error = refused.front().error;
  for (const auto& r : refused) {
    // Without read-through the local copy is all there is, and it stays.
    if (read_through_ && !r.key.empty()) read_through_->ForgetKey(r.key);
  }
  return true;
}

void Worker::WriteOnEveryWorker(std::function<void(Worker&)> fn,
                                std::function<void(const std::string& refused)> done) {
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

bool Worker::OpenUpstream(std::string* error) {
  if (!config_.upstream.empty()) {
    UpstreamAddress address;
    if (!ParseUpstreamAddress(config_.upstream, &address)) {
      *error = "upstream " + config_.upstream + " is not host:port or a socket path";
      return false;
    }
    link_ =
        std::make_unique<backend::UpstreamLink>(config_.upstream_user, config_.upstream_password);
    upstream_ = std::make_unique<Upstream>(reactor_.get(), index_, "upstream", config_.upstream,
                                           address, link_.get());
    upstream_->set_connect_timeout_ms(config_.upstream_connect_timeout);
    link_->set_on_acked([this](uint64_t acked) { ReleaseAcked(acked); });
    durability_.set_link(link_.get());
    durability_.set_sync(config_.upstream_write_policy == UpstreamWritePolicy::kSync);
    link_->set_keep_errors(config_.upstream_write_policy == UpstreamWritePolicy::kSync);
    link_->set_db_base(config_.upstream_db);
    // Worker 0 counts the links at each gate and opens it on all once all are there.
    link_->set_on_gate([this](uint64_t gate) { ReportUpstreamGate(gate); });
    backend::UpstreamJournal::Options journal;
    journal.dir = config_.dir;
    journal.shard = index_;
    journal.shards = num_workers_;
    journal.databases = config_.databases;
    journal.policy = FsyncPolicyOf(config_.appendfsync);
    journal.rewrite_size = static_cast<uint64_t>(config_.upstream_journal_rewrite_size);
    journal.queue_memory = static_cast<uint64_t>(config_.upstream_queue_memory);
    journal_ = std::make_unique<backend::UpstreamJournal>(std::move(journal), link_.get(),
                                                          reactor_.get(), &durability_,
                                                          [this] { return clock_.NowMs(); });
    journal_->set_report_gate([this](uint64_t gate) { ReportUpstreamGate(gate); });
    journal_->set_on_status([this](bool ok, int err) { server_->AofStatusChanged(ok, err); });
    if (!journal_->Open(error)) return false;
    server_->NoteJournalFlushes(journal_->flushes_read());
    if (config_.upstream_read_through) {
      dialer_ = std::make_unique<UpstreamDialer>(reactor_.get(), index_, config_.upstream, address,
                                                 config_.upstream_connect_timeout);
      relays_ = std::make_unique<backend::RelayPool>(
          dialer_.get(), backend::RelayPool::Options{config_.upstream_user,
                                                     config_.upstream_password,
                                                     config_.upstream_db});
      read_through_ = std::make_unique<backend::ReadThrough>(
          backend::ReadThrough::Options{index_, num_workers_, config_.databases,
                                        config_.upstream_timeout, config_.upstream_user,
                                        config_.upstream_password},
          store_.get(), link_.get(), [this] { return clock_.NowMs(); });
      read_through_->Open(dialer_.get());
    }
    upstream_->Tick(clock_.NowMs());
  }
  // The link before the journal: the journal goes by the link's record ids, and a link that
  // starts spilling notes where in the journal the record it does not keep will be.
  if (aof_) fan_out_.sinks.push_back(aof_.get());
  if (upstream_) {
    fan_out_.sinks.push_back(link_.get());
    unacked_ = std::make_unique<backend::UnackedKeys>(
        link_.get(), [](std::span<const std::string_view> argv, std::vector<size_t>* positions) {
          const CommandRow* row = CommandTable::Get().Find(argv[0]);
          if (row == nullptr) return false;
          *positions = KeyPositions(*row, argv.size());
          return true;
        });
    fan_out_.sinks.push_back(unacked_.get());
  }
  if (journal_) fan_out_.sinks.push_back(journal_.get());
  if (fan_out_.sinks.size() == 1) {
    sink_ = fan_out_.sinks[0];
  } else if (fan_out_.sinks.size() > 1) {
    sink_ = &fan_out_;
  }
  // The upstream expires its keys itself, at the same absolute times: an expiry here is only
  // for the local file. Sent upstream, it could delete a value someone else just wrote. An
  // eviction only drops this shard's copy.
  PropagateRemovals(*store_, upstream_ ? aof_.get() : sink_);
  ApplyEviction();
  return true;
}

void Worker::UpstreamGateReached(uint64_t gate) {
  // Each shard reports a gate when its link gets there and, for a gate after a flush (gates
  // come in pairs around each flush, so those are the odd ones), again once its journal marks
  // the flush as done, which it is asked to when all links are there.
  const bool after_flush = gate % 2 == 1;
  const int reports = ++gate_arrivals_[gate];
  if (after_flush && reports == num_workers_) {
    for (int i = 0; i < num_workers_; ++i) {
      Submit(i, MakeTask([gate](Worker& w) { w.journal_->MarkFlushDone(gate); }));
    }
    return;
  }
  if (reports < (after_flush ? 2 : 1) * num_workers_) return;
  gate_arrivals_.erase(gate);
  for (int i = 0; i < num_workers_; ++i) {
    Submit(i, MakeTask([](Worker& w) { w.link_->OpenGate(); }));
  }
}

void Worker::ReportUpstreamGate(uint64_t gate) {
  Submit(0, MakeTask([gate](Worker& w) { w.UpstreamGateReached(gate); }));
}

}  // namespace ringside::proxy
