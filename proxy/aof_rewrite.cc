#include "proxy/aof_rewrite.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/server.h"
#include "proxy/worker.h"
#include "shards/slot.h"

namespace ringside::proxy {

namespace {

// Bytes of base file produced per slice: one write op, and a bound on how long a slice keeps
// the shard from its clients.
constexpr size_t kSliceBytes = 4u << 20;
// Keys a single Scan call examines.
constexpr size_t kScanKeys = 256;

}  // namespace

bool AofRewrite::Copied(int d, std::string_view key) const {
  if (copied_all) return true;
  return d < db || (d == db && shards::KeySlot(key) < slot);
}

bool Worker::StartAofRewrite() {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr || !aof_ || rewrite_) return false;
  auto rw = std::make_unique<AofRewrite>();
  std::string error;
  if (!manifest->CreateFile(index_, "base", &rw->base, &error) ||
      !manifest->CreateFile(index_, "incr", &rw->incr, &error)) {
    spdlog::warn("shard {}: cannot start an AOF rewrite: {}", index_, error);
    last_rewrite_ok_ = false;
    return true;
  }
  rw->base_fd = open(manifest->PathOf(rw->base.file).c_str(), O_WRONLY | O_CLOEXEC);
  if (rw->base_fd < 0) {
    spdlog::warn("shard {}: cannot open {}: {}", index_, rw->base.file, std::strerror(errno));
    unlink(manifest->PathOf(rw->base.file).c_str());
    unlink(manifest->PathOf(rw->incr.file).c_str());
    last_rewrite_ok_ = false;
    return true;
  }
  rw->slot = store_->first_slot();
  rw->started_ms = clock_.NowMs();
  AofRewrite* raw = rw.get();
  aof_->BeginRewrite([raw](int db, std::string_view key) { return raw->Copied(db, key); });
  rewrite_ = std::move(rw);
  return true;
}

void Worker::AbortAofRewrite(std::string_view why) {
  backend::AofManifest* manifest = server_->aof_manifest();
  spdlog::warn("shard {}: AOF rewrite abandoned: {}", index_, why);
  aof_->EndRewrite();
  if (rewrite_->base_fd >= 0) close(rewrite_->base_fd);
  unlink(manifest->PathOf(rewrite_->base.file).c_str());
  unlink(manifest->PathOf(rewrite_->incr.file).c_str());
  rewrite_.reset();
  last_rewrite_ok_ = false;
}

void Worker::AofRewriteStep() {
  if (!rewrite_) return;
  AofRewrite& rw = *rewrite_;
  if (rw.write_in_flight || rw.sync_in_flight) return;
  if (rw.failed) return AbortAofRewrite("the base file could not be written");
  if (aof_->rewrite_spoiled()) {
    // A FLUSHDB or FLUSHALL went by: what was copied may be gone. Start over.
    AbortAofRewrite("the data was flushed meanwhile; starting again");
    rewrite_pending_ = true;
    return;
  }
  if (rw.chunk_done == rw.chunk.size() && !rw.copied_all) CopySlice();
  if (rw.chunk_done < rw.chunk.size()) {
    rw.write_in_flight = true;
    reactor_->WriteFile(rw.base_fd, std::string_view(rw.chunk).substr(rw.chunk_done),
                        rw.base_written, [this](int64_t res) {
                          AofRewrite& r = *rewrite_;
                          r.write_in_flight = false;
                          if (res <= 0) {
                            r.failed = true;
                            return;
                          }
                          r.chunk_done += static_cast<size_t>(res);
                          r.base_written += static_cast<uint64_t>(res);
                        });
    return;
  }
  if (!rw.copied_all) return;
  if (!rw.base_durable) {
    rw.sync_in_flight = true;
    reactor_->SyncFile(rw.base_fd, [this](int res) {
      rewrite_->sync_in_flight = false;
      if (res < 0) {
        rewrite_->failed = true;
      } else {
        rewrite_->base_durable = true;
      }
    });
    return;
  }
  // The switch needs the old file quiet: nothing of it in flight.
  if (aof_->Idle()) FinishAofRewrite();
}

void Worker::CopySlice() {
  AofRewrite& rw = *rewrite_;
  std::vector<std::string> keys;
  while (rw.encoder.size() < kSliceBytes && !rw.copied_all) {
    keys.clear();
    const uint32_t next = store_->Scan(rw.db, rw.slot, kScanKeys, "*", std::nullopt, &keys);
    for (const std::string& key : keys) {
      const shards::Entry* e = store_->Find(rw.db, key);
      if (e == nullptr) continue;
      if (e->expire_at == shards::kNoExpiry) {
        const std::string_view argv[] = {"SET", key, e->value()};
        rw.encoder.Record(rw.db, argv);
      } else {
        const std::string when = std::to_string(e->expire_at);
        const std::string_view argv[] = {"SET", key, e->value(), "PXAT", when};
        rw.encoder.Record(rw.db, argv);
      }
    }
    rw.slot = next;
    if (rw.slot >= store_->end_slot()) {
      rw.slot = store_->first_slot();
      if (++rw.db == store_->num_dbs()) rw.copied_all = true;
    }
  }
  rw.chunk = rw.encoder.Take();
  rw.chunk_done = 0;
}

void Worker::FinishAofRewrite() {
  backend::AofManifest* manifest = server_->aof_manifest();
  AofRewrite& rw = *rewrite_;
  // Records of keys copied while the copy ran, and any made since: they start the new
  // incremental file. Written here, on the shard's thread, because the switch must not let
  // another record in between; they are a few writes' worth.
  const std::string tail = aof_->TakeRewriteTail();
  const std::string incr_path = manifest->PathOf(rw.incr.file);
  const int fd = open(incr_path.c_str(), O_WRONLY | O_CLOEXEC);
  size_t done = 0;
  bool ok = fd >= 0;
  while (ok && done < tail.size()) {
    const ssize_t n = pwrite(fd, tail.data() + done, tail.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fdatasync(fd) == 0;
  std::string error =
      ok ? "" : std::string("cannot write ") + incr_path + ": " + std::strerror(errno);
  if (ok && !manifest->ReplaceShard(index_, {rw.base, rw.incr}, &error)) ok = false;
  if (!ok) {
    if (fd >= 0) close(fd);
    return AbortAofRewrite(error);
  }
  aof_->SwitchFile(fd, tail.size(), rw.base_written);
  aof_->EndRewrite();
  close(rw.base_fd);
  const int64_t took = clock_.NowMs() - rw.started_ms;
  spdlog::info(
      "shard {}: AOF rewrite done in {} ms: {} bytes of base, {} of records made during it", index_,
      took, rw.base_written, tail.size());
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
