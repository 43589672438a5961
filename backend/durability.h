// When a shard's replies may leave. A reply that depends on the shard's records waits until
// every record the shard made before it is durable as configured: fsynced in the append-only
// file and in the upstream journal under appendfsync always, and acknowledged by the upstream
// under upstream-write-policy sync. Work waiting here runs in the order it was given, on the
// shard's thread, from the streams' progress reports.
//
// Owned by the shard's ShardBackend, and declared before the streams it watches, so it
// outlives them; the journal, which may go first, detaches itself. Used on the shard's thread
// only.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "backend/job.h"
#include "backend/shard_aof.h"
#include "backend/upstream_link.h"

namespace ringside::backend {

class Durability {
 public:
  // The shard's streams, each null while the shard has none.
  void set_aof(const ShardAof* aof) { aof_ = aof; }
  void set_journal(const ShardAof* journal) { journal_ = journal; }
  void set_link(const UpstreamLink* link) { link_ = link; }
  // upstream-write-policy sync: replies wait for the upstream's acknowledgement too.
  void set_sync(bool sync) { sync_ = sync; }
  bool sync() const { return sync_ && link_ != nullptr; }

  // Whether a reply made here may ever have to wait (appendfsync always, or sync).
  bool MayWait() const {
    return (aof_ && aof_->policy() == FsyncPolicy::kAlways) ||
           (journal_ && journal_->policy() == FsyncPolicy::kAlways) || sync();
  }
  // Whether work given now would wait: some record made so far is not durable yet.
  bool Waiting() const {
    return (aof_ && aof_->HasUndurable()) || (journal_ && journal_->HasUndurable()) ||
           (sync() && link_->HasUnacked());
  }
  // Runs `job` once every record made so far is durable (at once when none waits). The
  // positions are taken now: it waits for the records before it, never for later ones.
  void After(Job job);
  // Runs `job` once the upstream acknowledged every record made so far, whatever the write
  // policy (at once without an upstream).
  void AfterAcked(Job job);
  // Runs `job` once the journal is fsynced up to byte `at` of its record stream.
  void AfterJournalSynced(uint64_t at, Job job);

  // Progress, from the streams' callbacks.
  void AofSynced(uint64_t synced) { RunUpTo(aof_waiters_, synced); }
  void JournalSynced(uint64_t synced) { RunUpTo(journal_waiters_, synced); }
  void Acked(uint64_t acked) { RunUpTo(ack_waiters_, acked); }

  // Shutting down: the work still waiting has nobody left to answer.
  void Clear();
  size_t waiting_jobs() const {
    return aof_waiters_.size() + journal_waiters_.size() + ack_waiters_.size();
  }

 private:
  using Waiters = std::deque<std::pair<uint64_t, Job>>;
  // The stages of After: the AOF's fsync up to `aof_at`, the journal's up to `journal_at`, the
  // upstream's acknowledgement up to `ack_id` (0: nothing to wait for), then `job`.
  void From(uint64_t aof_at, uint64_t journal_at, uint64_t ack_id, Job job);
  void AfterAck(uint64_t id, Job job);
  static void RunUpTo(Waiters& waiters, uint64_t reached);

  const ShardAof* aof_ = nullptr;
  const ShardAof* journal_ = nullptr;
  const UpstreamLink* link_ = nullptr;
  bool sync_ = false;
  Waiters aof_waiters_, journal_waiters_, ack_waiters_;
};

}  // namespace ringside::backend
