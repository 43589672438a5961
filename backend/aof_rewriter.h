// The rewrite of one shard's append-only file, run by the shard's own thread a slice at a time
// so the shard keeps serving, with the effect of a snapshot taken when it starts:
//
// 1. Records move to a new incremental file, listed in the manifest after the old files, so
//    the old files plus the new one still replay to the shard's data.
// 2. The store is copied slot by slot into a new base file (each key as SET with its absolute
//    expiry). A slot is copied before anything touches it after step 1, on demand when a
//    command gets there first, so the base holds each slot as it was at step 1 and the new
//    incremental file holds every change since.
// 3. Once the base is written and fsynced, the manifest lists base + new incremental file
//    alone, and the old files are deleted.
//
// A crash at any point leaves a manifest whose files hold every acknowledged write. Nothing is
// written twice and nothing waits for the copy, so the rewrite always ends.
//
// Owned by the shard's ShardBackend and used on its thread only. The manifest (shared by every
// shard, locked inside), the shard's ShardAof, its store and its FileIo outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/aof_buffer.h"
#include "backend/aof_manifest.h"
#include "backend/file_io.h"
#include "backend/shard_aof.h"
#include "shards/store.h"

namespace ringside::backend {

struct RewriteStats {
  bool in_progress = false;
  bool scheduled = false;
  bool last_ok = true;
  int64_t last_ms = -1;
  int64_t current_ms = -1;
  uint64_t rewrites = 0;
};

class AofRewriter {
 public:
  AofRewriter(int shard, AofManifest* manifest, ShardAof* aof, shards::Store* store, FileIo* io,
              std::function<int64_t()> now_ms);
  ~AofRewriter();

  // BGREWRITEAOF: false when a rewrite is already running. A rewrite that cannot create its
  // files counts as started (and failed: last_ok turns false).
  bool Start();
  // Starts a rewrite at the next MaybeStart (after FLUSHDB / FLUSHALL, so the files never
  // carry a flush that would wipe other shards' keys when they are replayed one after
  // another).
  void Request() { pending_ = true; }
  // From the tick: a requested rewrite, or an automatic one once the files grew by
  // `percentage` % (0: never) past `min_size` bytes.
  void MaybeStart(int64_t percentage, int64_t min_size);
  // One step, from the loop hook.
  void Step();
  // Shutting down: drops a rewrite in progress (the manifest stays as faithful as ever).
  void Abort(std::string_view why);
  bool running() const { return job_ != nullptr; }
  // A write or fsync of the base file is on its way: the worker may not go yet.
  bool busy() const;
  RewriteStats stats() const;

 private:
  struct Job;
  void Rotate();
  // Copies slot `slot` of `db` (and the empty slots after it) into the base, unless done.
  void CopySlot(int db, uint32_t slot);
  void CopySlice();
  void WriteChunk();
  void Finish();

  const int shard_;
  AofManifest* manifest_;
  ShardAof* aof_;
  shards::Store* store_;
  FileIo* io_;
  std::function<int64_t()> now_ms_;
  std::unique_ptr<Job> job_;
  bool pending_ = false;
  uint64_t rewrites_ = 0;
  bool last_ok_ = true;
  int64_t last_ms_ = -1;
};

}  // namespace ringside::backend
