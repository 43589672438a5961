// Loading a shard's append-only files at start-up, before the shard serves: every file the
// manifest lists for the shard, in order, mapped and scanned, SELECT, MULTI/EXEC and the
// flushes handled here as Redis's AOF format means them, every other command handed to the
// caller to apply to the store. A last file that ends inside a command is cut there when
// aof-load-truncated allows; the last file is left open for appending.
//
// Runs on the shard's thread; the manifest is shared (and locked inside).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "backend/aof_manifest.h"
#include "shards/store.h"

namespace ringside::backend {

struct AofLoadOptions {
  int databases = 16;
  bool load_truncated = true;  // aof-load-truncated
};

struct AofLoaded {
  int fd = -1;          // the shard's last file, open for appending (-1 when it has none)
  uint64_t size = 0;    // its length
  uint64_t loaded = 0;  // bytes of all the shard's files
};

// Applies one command of a file to database `db` of the store; returns "" or why it cannot be
// replayed, which stops the load as a corrupt file.
using AofApply = std::function<std::string(int db, std::span<const std::string_view> args)>;

// False with *error (naming the file and offset) when a file cannot be read or replayed.
bool LoadShardAof(const AofManifest& manifest, int shard, const AofLoadOptions& options,
                  shards::Store& store, const AofApply& apply, AofLoaded* out, std::string* error);

// Replays one command in Redis's AOF format on the store: SELECT moves *db, MULTI and EXEC
// frame commands that apply one by one all the same, FLUSHALL and FLUSHDB clear the store;
// anything else goes to `apply`. Returns "" or why it cannot be replayed.
std::string ReplayAofCommand(std::span<const std::string_view> args, int databases,
                             shards::Store& store, const AofApply& apply, int* db);

// The database a SELECT argument names, or -1 when it is not one of `databases`.
int SelectedDatabase(std::string_view arg, int databases);

}  // namespace ringside::backend
