#include "backend/shard_backend.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ringside::backend {

ShardBackend::ShardBackend(Options options, Host* host, AofManifest* manifest, shards::Store* store,
                           UnackedKeys::KeysOf keys_of)
    : options_(std::move(options)),
      auto_rewrite_percentage_(options_.auto_rewrite_percentage),
      auto_rewrite_min_size_(options_.auto_rewrite_min_size),
      host_(host),
      manifest_(manifest),
      store_(store),
      keys_of_(std::move(keys_of)) {}

ShardBackend::~ShardBackend() {
  // Work still waiting captures what the parts below hold; the connections go before the
  // protocols they drive.
  durability_.Clear();
  journal_.reset();
  relays_.reset();
  read_through_.reset();
  upstream_.reset();
  rewriter_.reset();
  aof_.reset();
}

bool ShardBackend::Load(const AofApply& apply, std::string* error) {
  if (manifest_ == nullptr) return true;
  return LoadShardAof(*manifest_, options_.shard, {options_.databases, options_.aof_load_truncated},
                      *store_, apply, &loaded_, error);
}

bool ShardBackend::Open(std::string* error) {
  if (!OpenAof(error) || !OpenUpstream(error)) return false;
  // The link before the journal: the journal goes by the link's record ids, and a link that
  // starts spilling notes where in the journal the record it does not keep will be.
  if (aof_) fan_out_.sinks.push_back(aof_.get());
  if (link_) {
    fan_out_.sinks.push_back(link_.get());
    unacked_ = std::make_unique<UnackedKeys>(link_.get(), keys_of_);
    fan_out_.sinks.push_back(unacked_.get());
  }
  if (journal_) fan_out_.sinks.push_back(journal_.get());
  if (fan_out_.sinks.size() == 1) {
    sink_ = fan_out_.sinks[0];
  } else if (fan_out_.sinks.size() > 1) {
    sink_ = &fan_out_;
  }
  return true;
}

bool ShardBackend::OpenAof(std::string* error) {
  if (manifest_ == nullptr) return true;
  // The server gave every shard a file before the workers started; Load opened the last.
  if (loaded_.fd < 0) {
    *error = "shard " + std::to_string(options_.shard) + " has no append-only file in the manifest";
    return false;
  }
  aof_ = std::make_unique<ShardAof>(loaded_.fd, loaded_.size, loaded_.loaded - loaded_.size,
                                    &host_->file_io(), options_.fsync,
                                    [h = host_] { return h->NowMs(); });
  loaded_.fd = -1;
  aof_->set_on_synced([this](uint64_t synced) { durability_.AofSynced(synced); });
  durability_.set_aof(aof_.get());
  rewriter_ = std::make_unique<AofRewriter>(options_.shard, manifest_, aof_.get(), store_,
                                            &host_->file_io(), [h = host_] { return h->NowMs(); });
  aof_->set_on_status([this](bool ok, int err) {
    if (ok) {
      spdlog::warn("shard {}: the append-only file is written again", options_.shard);
    } else {
      spdlog::warn(
          "shard {}: error writing the append-only file: {}; write commands are "
          "refused until it can be written again",
          options_.shard, std::strerror(err));
    }
    host_->FileStatusChanged(ok, err);
  });
  return true;
}

bool ShardBackend::OpenUpstream(std::string* error) {
  if (options_.upstream.empty()) return true;
  link_ = std::make_unique<UpstreamLink>(options_.user, options_.password);
  upstream_ = host_->dialer().Dial("upstream", link_.get());
  link_->set_on_acked([this](uint64_t acked) {
    if (unacked_) unacked_->Release(acked);
    durability_.Acked(acked);
  });
  durability_.set_link(link_.get());
  durability_.set_sync(options_.sync);
  link_->set_keep_errors(options_.sync);
  link_->set_db_base(options_.db_base);
  // Shard 0 counts the links at each gate and opens it on all once all are there.
  link_->set_on_gate([this](uint64_t gate) { ReportGate(gate); });
  UpstreamJournal::Options journal;
  journal.dir = options_.journal_dir;
  journal.shard = options_.shard;
  journal.shards = options_.shards;
  journal.databases = options_.databases;
  journal.policy = options_.fsync;
  journal.rewrite_size = options_.journal_rewrite_size;
  journal.queue_memory = options_.queue_memory;
  journal_ = std::make_unique<UpstreamJournal>(std::move(journal), link_.get(), &host_->file_io(),
                                               &durability_, [h = host_] { return h->NowMs(); });
  journal_->set_report_gate([this](uint64_t gate) { ReportGate(gate); });
  journal_->set_on_status([this](bool ok, int err) { host_->FileStatusChanged(ok, err); });
  if (!journal_->Open(error)) return false;
  if (options_.read_through) {
    relays_ = std::make_unique<RelayPool>(
        &host_->dialer(), RelayPool::Options{options_.user, options_.password, options_.db_base});
    read_through_ = std::make_unique<ReadThrough>(
        ReadThrough::Options{options_.shard, options_.shards, options_.databases,
                             options_.timeout_ms, options_.read_through_max_size, options_.user,
                             options_.password},
        store_, link_.get(), [h = host_] { return h->NowMs(); });
    read_through_->Open(&host_->dialer());
  }
  upstream_->Tick(host_->NowMs());
  return true;
}

void ShardBackend::FenceAtStart(uint64_t most_flushes) {
  if (journal_) journal_->FenceAtStart(most_flushes);
}

void ShardBackend::Close() {
  // Replies still waiting for the disk have no client left to go to.
  durability_.Clear();
  if (rewriter_) rewriter_->Abort("shutting down");
  if (journal_) journal_->Close();
  if (aof_) {
    std::string aof_error;
    if (!aof_->FinishBlocking(&aof_error)) {
      spdlog::error("shard {}: the last writes could not be saved to the append-only file: {}",
                    options_.shard, aof_error);
    }
  }
}

bool ShardBackend::SyncRefused(uint64_t from, uint64_t to, std::string* error) {
  if (!durability_.sync() || to <= from) return false;
  std::vector<UpstreamLink::RecordError> refused = link_->TakeErrors(from, to);
  if (refused.empty()) return false;
  *error = refused.front().error;
  for (const auto& r : refused) {
    // Without read-through the local copy is all there is, and it stays.
    if (read_through_ && !r.key.empty()) read_through_->ForgetKey(r.key);
  }
  return true;
}

void ShardBackend::SetTrackUnacked(bool on) {
  if (unacked_) unacked_->SetTracking(on);
}

void ShardBackend::SetFsyncPolicy(FsyncPolicy policy) {
  if (aof_) aof_->set_policy(policy);
  if (journal_) journal_->set_policy(policy);
}

void ShardBackend::SetTimeout(int64_t ms) {
  if (read_through_) read_through_->set_timeout_ms(ms);
}

void ShardBackend::SetReadThroughMaxSize(int64_t bytes) {
  if (read_through_) read_through_->set_max_size(bytes);
}

void ShardBackend::Flush(bool closing_down) {
  // What this iteration's commands recorded goes to the file in one write.
  if (aof_) {
    rewriter_->Step();
    aof_->Flush();
  }
  if (journal_) journal_->Flush();
  if (upstream_) upstream_->Flush();
  if (relays_) relays_->Tend(false, closing_down, host_->NowMs());
}

void ShardBackend::Tick(bool closing_down) {
  const int64_t now = host_->NowMs();
  if (aof_) {
    aof_->Tick();
    rewriter_->MaybeStart(auto_rewrite_percentage_, auto_rewrite_min_size_);
  }
  if (journal_) journal_->Tick();
  if (upstream_) {
    upstream_->Tick(now);
    const uint64_t last = link_->recorded();
    if (last > link_->acked() && (record_times_.empty() || record_times_.back().first < last)) {
      record_times_.emplace_back(last, now);
    }
    while (!record_times_.empty() && record_times_.front().first <= link_->acked()) {
      record_times_.pop_front();
    }
  }
  if (read_through_) {
    read_through_->Tick(now);
    if (relays_) relays_->Tend(true, closing_down, now);
  }
}

bool ShardBackend::Busy() const {
  return (aof_ && !aof_->Idle()) || (journal_ && !journal_->Idle()) ||
         (rewriter_ && rewriter_->busy());
}

int64_t ShardBackend::upstream_lag_ms() const {
  // The oldest unacknowledged record was made by the tick of the first sample past the acked
  // id (or since the last tick, when none is).
  if (!link_ || !link_->HasUnacked()) return 0;
  for (const auto& [id, at] : record_times_) {
    if (id > link_->acked()) return std::max<int64_t>(0, host_->NowMs() - at);
  }
  return 0;
}

void ShardBackend::ReportGate(uint64_t gate) {
  host_->OnShard(0, [gate](ShardBackend& b) { b.GateReached(gate); });
}

void ShardBackend::GateReached(uint64_t gate) {
  // Each shard reports a gate when its link gets there and, for a gate after a flush (gates
  // come in pairs around each flush, so those are the odd ones), again once its journal marks
  // the flush as done, which it is asked to when all links are there.
  const bool after_flush = gate % 2 == 1;
  const int reports = ++gate_arrivals_[gate];
  if (after_flush && reports == options_.shards) {
    for (int i = 0; i < options_.shards; ++i) {
      host_->OnShard(i, [gate](ShardBackend& b) { b.journal_->MarkFlushDone(gate); });
    }
    return;
  }
  if (reports < (after_flush ? 2 : 1) * options_.shards) return;
  gate_arrivals_.erase(gate);
  for (int i = 0; i < options_.shards; ++i) {
    host_->OnShard(i, [](ShardBackend& b) { b.link_->OpenGate(); });
  }
}

}  // namespace ringside::backend
