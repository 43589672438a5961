// The rewrite of one shard's append-only file, run by the shard's own thread a slice at a time
// so the shard keeps serving: copy the store slot by slot into a new base file (each key as
// SET with its absolute expiry), keeping meanwhile every record of an already-copied key; then
// write those records into a new incremental file, fsync both, and switch the manifest and the
// shard's writer over. Records keep going to the old file until the switch, so a crash at any
// point leaves a manifest whose files hold every acknowledged write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backend/aof_buffer.h"
#include "backend/aof_manifest.h"

namespace ringside::proxy {

struct AofRewrite {
  backend::AofFileEntry base, incr;
  int base_fd = -1;
  uint64_t base_written = 0;
  // The copy's cursor: the next database and slot to copy. Keys before it are copied.
  int db = 0;
  uint32_t slot = 0;
  bool copied_all = false;
  backend::AofBuffer encoder;  // SET records of copied keys, with SELECTs
  std::string chunk;           // bytes being written to the base file
  size_t chunk_done = 0;
  bool write_in_flight = false;
  bool sync_in_flight = false;
  bool base_durable = false;
  bool failed = false;
  int64_t started_ms = 0;

  // Whether `key` of database `d` was already copied into the base file.
  bool Copied(int d, std::string_view key) const;
};

}  // namespace ringside::proxy
