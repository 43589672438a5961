#include "backend/durability.h"

namespace ringside::backend {

void Durability::After(Job job) {
  From(aof_ && aof_->HasUndurable() ? aof_->appended() : 0,
       journal_ && journal_->HasUndurable() ? journal_->appended() : 0,
       sync() && link_->HasUnacked() ? link_->recorded() : 0, std::move(job));
}

void Durability::From(uint64_t aof_at, uint64_t journal_at, uint64_t ack_id, Job job) {
  if (aof_at > 0 && aof_->synced() < aof_at) {
    aof_waiters_.emplace_back(aof_at, [this, journal_at, ack_id, job = std::move(job)]() mutable {
      From(0, journal_at, ack_id, std::move(job));
    });
    return;
  }
  if (journal_at > 0 && journal_->synced() < journal_at) {
    journal_waiters_.emplace_back(journal_at, [this, ack_id, job = std::move(job)]() mutable {
      From(0, 0, ack_id, std::move(job));
    });
    return;
  }
  if (ack_id > 0) return AfterAck(ack_id, std::move(job));
  job();
}

void Durability::AfterAcked(Job job) {
  if (link_ == nullptr) return job();
  AfterAck(link_->recorded(), std::move(job));
}

void Durability::AfterAck(uint64_t id, Job job) {
  if (link_->acked() >= id) return job();
  ack_waiters_.emplace_back(id, std::move(job));
}

void Durability::AfterJournalSynced(uint64_t at, Job job) {
  journal_waiters_.emplace_back(at, std::move(job));
}

void Durability::RunUpTo(Waiters& waiters, uint64_t reached) {
  while (!waiters.empty() && waiters.front().first <= reached) {
    Job job = std::move(waiters.front().second);
    waiters.pop_front();
    job();
  }
}

void Durability::Clear() {
  aof_waiters_.clear();
  journal_waiters_.clear();
  ack_waiters_.clear();
}

}  // namespace ringside::backend
