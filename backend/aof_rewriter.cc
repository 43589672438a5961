#include "backend/aof_rewriter.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "backend/entry_record.h"
#include "shards/slot.h"

namespace ringside::backend {

namespace {

// Bytes of base file produced per slice: one write op, and a bound on how long a slice keeps
// the shard from its clients.
constexpr size_t kSliceBytes = 4u << 20;

}  // namespace

struct AofRewriter::Job {
  enum class Phase {
    kRotate,    // waiting for the shard's writer to be quiet enough to move to the new file
    kCopy,      // copying slots into the base file
    kSyncBase,  // the base file is being fsynced
  };
  Phase phase = Phase::kRotate;
  AofFileEntry base, incr;
  int base_fd = -1, incr_fd = -1;
  uint64_t base_written = 0;
  // copied[db][slot - first slot]: the slot is in the base file (or being put there).
  std::vector<std::vector<bool>> copied;
  // The cursor of the copy in slot order; slots a command touched first are skipped.
  int db = 0;
  uint32_t slot = 0;
  bool copied_all = false;
  bool copying = false;  // inside a slot copy: touches of the store are the copy's own
  AofBuffer encoder;     // SET records of copied keys, with SELECTs
  std::string chunk;     // bytes being written to the base file
  size_t chunk_done = 0;
  bool in_flight = false;  // a write or fsync of the base file
  bool failed = false;
  int64_t started_ms = 0;
};

AofRewriter::AofRewriter(int shard, AofManifest* manifest, ShardAof* aof, shards::Store* store,
                         FileIo* io, std::function<int64_t()> now_ms)
    : shard_(shard),
      manifest_(manifest),
      aof_(aof),
      store_(store),
      io_(io),
      now_ms_(std::move(now_ms)) {}

AofRewriter::~AofRewriter() = default;

bool AofRewriter::busy() const { return job_ != nullptr && job_->in_flight; }

bool AofRewriter::Start() {
  if (job_) return false;
  auto job = std::make_unique<Job>();
  std::string error;
  // The base is created first so its sequence number puts it before the incremental file.
  if (!manifest_->CreateFile(shard_, "base", &job->base, &error) ||
      !manifest_->CreateFile(shard_, "incr", &job->incr, &error)) {
    spdlog::warn("shard {}: cannot start an AOF rewrite: {}", shard_, error);
    last_ok_ = false;
    return true;
  }
  job->base_fd = open(manifest_->PathOf(job->base.file).c_str(), O_WRONLY | O_CLOEXEC);
  job->incr_fd = open(manifest_->PathOf(job->incr.file).c_str(), O_WRONLY | O_CLOEXEC);
  job->started_ms = now_ms_();
  job->slot = store_->first_slot();
  job->copied.assign(static_cast<size_t>(store_->num_dbs()),
                     std::vector<bool>(store_->end_slot() - store_->first_slot(), false));
  const bool opened = job->base_fd >= 0 && job->incr_fd >= 0;
  job_ = std::move(job);
  if (!opened) {
    Abort(std::string("cannot open its files: ") + std::strerror(errno));
    return true;
  }
  aof_->RequestRotation();
  return true;
}

void AofRewriter::Abort(std::string_view why) {
  if (!job_) return;
  spdlog::warn("shard {}: AOF rewrite abandoned: {}", shard_, why);
  store_->SetTouchHook(nullptr);
  aof_->CancelRotation();
  if (job_->base_fd >= 0) close(job_->base_fd);
  unlink(manifest_->PathOf(job_->base.file).c_str());
  // Once the writer moved to the new incremental file it stays listed and in use; before
  // that it is still ours to drop.
  if (job_->phase == Job::Phase::kRotate) {
    if (job_->incr_fd >= 0) close(job_->incr_fd);
    unlink(manifest_->PathOf(job_->incr.file).c_str());
  }
  job_.reset();
  last_ok_ = false;
}

void AofRewriter::Step() {
  if (!job_) return;
  Job& job = *job_;
  if (job.in_flight) return;
  if (job.failed) return Abort("the base file could not be written");
  switch (job.phase) {
    case Job::Phase::kRotate:
      if (aof_->ReadyToRotate()) Rotate();
      return;
    case Job::Phase::kCopy:
      if (job.chunk_done < job.chunk.size()) return WriteChunk();
      if (!job.copied_all || job.encoder.size() > 0) {
        CopySlice();
        if (!job.chunk.empty()) return WriteChunk();
        if (!job.copied_all) return;
      }
      job.phase = Job::Phase::kSyncBase;
      job.in_flight = true;
      io_->SyncFile(job.base_fd, [this](int res) {
        job_->in_flight = false;
        if (res < 0) {
          job_->failed = true;
        } else {
          Finish();
        }
      });
      return;
    case Job::Phase::kSyncBase:
      return;
  }
}

void AofRewriter::Rotate() {
  Job& job = *job_;
  const std::vector<AofFileEntry> old_files = manifest_->FilesOf(shard_);
  std::vector<AofFileEntry> files = old_files;
  files.push_back(job.incr);
  std::string error;
  if (!manifest_->ReplaceShard(shard_, files, &error)) return Abort(error);
  if (!aof_->RotateTo(job.incr_fd, &error)) {
    std::string undo_error;
    if (!manifest_->ReplaceShard(shard_, old_files, &undo_error)) {
      // The new file stays listed, empty, after the old ones: still a faithful manifest.
      spdlog::warn("shard {}: {}", shard_, undo_error);
      job.phase = Job::Phase::kCopy;  // so the abort keeps the listed file
      close(job.incr_fd);
      job.incr_fd = -1;
    }
    return Abort(error);
  }
  job.incr_fd = -1;  // the writer owns it now
  job.phase = Job::Phase::kCopy;
  // From now on a slot is copied before its first touch, so the copy shows it as it is now.
  store_->SetTouchHook([this](int db, uint32_t slot) { CopySlot(db, slot); });
}

void AofRewriter::CopySlot(int db, uint32_t slot) {
  Job& job = *job_;
  const uint32_t first = store_->first_slot();
  if (job.copying || job.copied[static_cast<size_t>(db)][slot - first]) return;
  // Scan walks whole slots from `slot` until it found a key: the keys of [slot, next).
  std::vector<std::string> keys;
  job.copying = true;
  const uint32_t next = store_->Scan(db, slot, 1, "*", std::nullopt, &keys);
  auto& done = job.copied[static_cast<size_t>(db)];
  for (const std::string& key : keys) {
    if (done[shards::KeySlot(key) - first]) continue;
    if (const shards::Entry* e = store_->Find(db, key)) RecordEntry(&job.encoder, db, key, *e, /*replace=*/false);
  }
  for (uint32_t s = slot; s < next && s < store_->end_slot(); ++s) done[s - first] = true;
  job.copying = false;
}

void AofRewriter::WriteChunk() {
  Job& job = *job_;
  job.in_flight = true;
  io_->WriteFile(job.base_fd, std::string_view(job.chunk).substr(job.chunk_done), job.base_written,
                 [this](int64_t res) {
                   Job& j = *job_;
                   j.in_flight = false;
                   if (res <= 0) {
                     j.failed = true;
                     return;
                   }
                   j.chunk_done += static_cast<size_t>(res);
                   j.base_written += static_cast<uint64_t>(res);
                 });
}

void AofRewriter::CopySlice() {
  Job& job = *job_;
  const uint32_t first = store_->first_slot();
  while (job.encoder.size() < kSliceBytes && !job.copied_all) {
    if (!job.copied[static_cast<size_t>(job.db)][job.slot - first]) CopySlot(job.db, job.slot);
    if (++job.slot >= store_->end_slot()) {
      job.slot = first;
      if (++job.db == store_->num_dbs()) job.copied_all = true;
    }
  }
  job.chunk = job.encoder.Take();
  job.chunk_done = 0;
}

void AofRewriter::Finish() {
  Job& job = *job_;
  std::string error;
  if (!manifest_->ReplaceShard(shard_, {job.base, job.incr}, &error)) return Abort(error);
  store_->SetTouchHook(nullptr);
  aof_->SetOtherFiles(job.base_written);
  close(job.base_fd);
  const int64_t took = now_ms_() - job.started_ms;
  spdlog::info("shard {}: AOF rewrite done in {} ms: a base file of {} bytes", shard_, took,
               job.base_written);
  ++rewrites_;
  last_ok_ = true;
  last_ms_ = took;
  job_.reset();
}

RewriteStats AofRewriter::stats() const {
  RewriteStats s;
  s.in_progress = job_ != nullptr;
  s.scheduled = pending_;
  s.last_ok = last_ok_;
  s.last_ms = last_ms_;
  s.current_ms = job_ ? now_ms_() - job_->started_ms : -1;
  s.rewrites = rewrites_;
  return s;
}

void AofRewriter::MaybeStart(int64_t percentage, int64_t min_size) {
  if (job_) return;
  if (pending_) {
    pending_ = false;
    Start();
    return;
  }
  if (percentage <= 0) return;
  const AofStats s = aof_->stats();
  if (s.current_size < static_cast<uint64_t>(min_size)) return;
  const uint64_t base = s.base_size == 0 ? 1 : s.base_size;
  const uint64_t growth = (s.current_size - std::min(s.current_size, s.base_size)) * 100 / base;
  if (growth >= static_cast<uint64_t>(percentage)) {
    spdlog::info("shard {}: starting an automatic AOF rewrite ({}% growth, {} bytes)", shard_,
                 growth, s.current_size);
    Start();
  }
}

}  // namespace ringside::backend
