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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/aof_buffer.h"
#include "backend/aof_manifest.h"

namespace ringside::proxy {

struct AofRewrite {
  enum class Phase {
    kRotate,    // waiting for the shard's writer to be quiet enough to move to the new file
    kCopy,      // copying slots into the base file
    kSyncBase,  // the base file is being fsynced
  };
  Phase phase = Phase::kRotate;
  backend::AofFileEntry base, incr;
  int base_fd = -1, incr_fd = -1;
  uint64_t base_written = 0;
  // copied[db][slot - first slot]: the slot is in the base file (or being put there).
  std::vector<std::vector<bool>> copied;
  // The cursor of the copy in slot order; slots a command touched first are skipped.
  int db = 0;
  uint32_t slot = 0;
  bool copied_all = false;
  bool copying = false;        // inside a slot copy: touches of the store are the copy's own
  backend::AofBuffer encoder;  // SET records of copied keys, with SELECTs
  std::string chunk;           // bytes being written to the base file
  size_t chunk_done = 0;
  bool in_flight = false;  // a write or fsync of the base file
  bool failed = false;
  int64_t started_ms = 0;
};

}  // namespace ringside::proxy
