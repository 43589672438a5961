#include "proxy/aof_rewrite.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/command.h"
#include "proxy/server.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Bytes of base file produced per slice: one write op, and a bound on how long a slice keeps
// the shard from its clients.
constexpr size_t kSliceBytes = 4u << 20;

}  // namespace

bool Worker::StartAofRewrite() {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr || !aof_ || rewrite_) return false;
  auto rw = std::make_unique<AofRewrite>();
  std::string error;
  // The base is created first so its sequence number puts it before the incremental file.
  if (!manifest->CreateFile(index_, "base", &rw->base, &error) ||
      !manifest->CreateFile(index_, "incr", &rw->incr, &error)) {
    spdlog::warn("shard {}: cannot start an AOF rewrite: {}", index_, error);
    last_rewrite_ok_ = false;
    return true;
  }
  rw->base_fd = open(manifest->PathOf(rw->base.file).c_str(), O_WRONLY | O_CLOEXEC);
  rw->incr_fd = open(manifest->PathOf(rw->incr.file).c_str(), O_WRONLY | O_CLOEXEC);
  rw->started_ms = clock_.NowMs();
  rw->slot = store_->first_slot();
  rw->copied.assign(static_cast<size_t>(store_->num_dbs()),
                    std::vector<bool>(store_->end_slot() - store_->first_slot(), false));
  const bool opened = rw->base_fd >= 0 && rw->incr_fd >= 0;
  rewrite_ = std::move(rw);
  if (!opened) {
    AbortAofRewrite(std::string("cannot open its files: ") + std::strerror(errno));
    return true;
  }
  aof_->RequestRotation();
  return true;
}

void Worker::AbortAofRewrite(std::string_view why) {
  backend::AofManifest* manifest = server_->aof_manifest();
  spdlog::warn("shard {}: AOF rewrite abandoned: {}", index_, why);
  store_->SetTouchHook(nullptr);
  aof_->CancelRotation();
  if (rewrite_->base_fd >= 0) close(rewrite_->base_fd);
  unlink(manifest->PathOf(rewrite_->base.file).c_str());
  // Once the writer moved to the new incremental file it stays listed and in use; before
  // that it is still ours to drop.
  if (rewrite_->phase == AofRewrite::Phase::kRotate) {
    if (rewrite_->incr_fd >= 0) close(rewrite_->incr_fd);
    unlink(manifest->PathOf(rewrite_->incr.file).c_str());
  }
  rewrite_.reset();
  last_rewrite_ok_ = false;
}

void Worker::AofRewriteStep() {
  if (!rewrite_) return;
  AofRewrite& rw = *rewrite_;
  if (rw.in_flight) return;
  if (rw.failed) return AbortAofRewrite("the base file could not be written");
  switch (rw.phase) {
    case AofRewrite::Phase::kRotate:
      if (aof_->ReadyToRotate()) RotateForRewrite();
      return;
    case AofRewrite::Phase::kCopy:
      if (rw.chunk_done < rw.chunk.size()) return RewriteWrite();
      if (!rw.copied_all || rw.encoder.size() > 0) {
        CopySlice();
        if (!rw.chunk.empty()) return RewriteWrite();
        if (!rw.copied_all) return;
      }
      rw.phase = AofRewrite::Phase::kSyncBase;
      rw.in_flight = true;
      reactor_->SyncFile(rw.base_fd, [this](int res) {
        rewrite_->in_flight = false;
        if (res < 0) {
          rewrite_->failed = true;
        } else {
          FinishAofRewrite();
        }
      });
      return;
    case AofRewrite::Phase::kSyncBase:
      return;
  }
}

void Worker::RotateForRewrite() {
  backend::AofManifest* manifest = server_->aof_manifest();
  AofRewrite& rw = *rewrite_;
  const std::vector<backend::AofFileEntry> old_files = manifest->FilesOf(index_);
  std::vector<backend::AofFileEntry> files = old_files;
  files.push_back(rw.incr);
  std::string error;
  if (!manifest->ReplaceShard(index_, files, &error)) return AbortAofRewrite(error);
  if (!aof_->RotateTo(rw.incr_fd, &error)) {
    std::string undo_error;
    if (!manifest->ReplaceShard(index_, old_files, &undo_error)) {
      // The new file stays listed, empty, after the old ones: still a faithful manifest.
      spdlog::warn("shard {}: {}", index_, undo_error);
      rw.phase = AofRewrite::Phase::kCopy;  // so the abort keeps the listed file
      close(rw.incr_fd);
      rw.incr_fd = -1;
    }
    return AbortAofRewrite(error);
  }
  rw.incr_fd = -1;  // the writer owns it now
  rw.phase = AofRewrite::Phase::kCopy;
  // From now on a slot is copied before its first touch, so the copy shows it as it is now.
  store_->SetTouchHook([this](int db, uint32_t slot) { CopySlot(db, slot); });
}

void Worker::CopySlot(int db, uint32_t slot) {
  AofRewrite& rw = *rewrite_;
  const uint32_t first = store_->first_slot();
  if (rw.copying || rw.copied[static_cast<size_t>(db)][slot - first]) return;
  // Scan walks whole slots from `slot` until it found a key: the keys of [slot, next).
  std::vector<std::string> keys;
  rw.copying = true;
  const uint32_t next = store_->Scan(db, slot, 1, "*", std::nullopt, &keys);
  auto& done = rw.copied[static_cast<size_t>(db)];
  for (const std::string& key : keys) {
    if (done[shards::KeySlot(key) - first]) continue;
    if (const shards::Entry* e = store_->Find(db, key)) RecordEntryAsSet(&rw.encoder, db, key, *e);
  }
  for (uint32_t s = slot; s < next && s < store_->end_slot(); ++s) done[s - first] = true;
  rw.copying = false;
}

void Worker::RewriteWrite() {
  AofRewrite& rw = *rewrite_;
  rw.in_flight = true;
  reactor_->WriteFile(rw.base_fd, std::string_view(rw.chunk).substr(rw.chunk_done), rw.base_written,
                      [this](int64_t res) {
                        AofRewrite& r = *rewrite_;
                        r.in_flight = false;
                        if (res <= 0) {
                          r.failed = true;
                          return;
                        }
                        r.chunk_done += static_cast<size_t>(res);
                        r.base_written += static_cast<uint64_t>(res);
                      });
}

void Worker::CopySlice() {
  AofRewrite& rw = *rewrite_;
  const uint32_t first = store_->first_slot();
  while (rw.encoder.size() < kSliceBytes && !rw.copied_all) {
    if (!rw.copied[static_cast<size_t>(rw.db)][rw.slot - first]) CopySlot(rw.db, rw.slot);
    if (++rw.slot >= store_->end_slot()) {
      rw.slot = first;
      if (++rw.db == store_->num_dbs()) rw.copied_all = true;
    }
  }
  rw.chunk = rw.encoder.Take();
  rw.chunk_done = 0;
}

void Worker::FinishAofRewrite() {
  backend::AofManifest* manifest = server_->aof_manifest();
  AofRewrite& rw = *rewrite_;
  std::string error;
  if (!manifest->ReplaceShard(index_, {rw.base, rw.incr}, &error)) return AbortAofRewrite(error);
  store_->SetTouchHook(nullptr);
  aof_->SetOtherFiles(rw.base_written);
  close(rw.base_fd);
  const int64_t took = clock_.NowMs() - rw.started_ms;
  spdlog::info("shard {}: AOF rewrite done in {} ms: a base file of {} bytes", index_, took,
               rw.base_written);
  ++aof_rewrites_;
  last_rewrite_ok_ = true;
  last_rewrite_ms_ = took;
  rewrite_.reset();
}

Worker::RewriteStats Worker::rewrite_stats() const {
  RewriteStats s;
  s.in_progress = rewrite_ != nullptr;
  s.scheduled = rewrite_pending_;
  s.last_ok = last_rewrite_ok_;
  s.last_ms = last_rewrite_ms_;
  s.current_ms = rewrite_ ? clock_.NowMs() - rewrite_->started_ms : -1;
  s.rewrites = aof_rewrites_;
  return s;
}

void Worker::MaybeStartAofRewrite() {
  if (!aof_ || rewrite_) return;
  if (rewrite_pending_) {
    rewrite_pending_ = false;
    StartAofRewrite();
    return;
  }
  if (config_.auto_aof_rewrite_percentage <= 0) return;
  const backend::AofStats s = aof_->stats();
  if (s.current_size < static_cast<uint64_t>(config_.auto_aof_rewrite_min_size)) return;
  const uint64_t base = s.base_size == 0 ? 1 : s.base_size;
  const uint64_t growth = (s.current_size - std::min(s.current_size, s.base_size)) * 100 / base;
  if (growth >= static_cast<uint64_t>(config_.auto_aof_rewrite_percentage)) {
    spdlog::info("shard {}: starting an automatic AOF rewrite ({}% growth, {} bytes)", index_,
                 growth, s.current_size);
    StartAofRewrite();
  }
}

}  // namespace ringside::proxy
