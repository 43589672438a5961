// The append-only files' manifest: which files hold which shard's records, in what order. It
// is Redis 7's manifest format (`file <name> seq <n> type i`), with a `shard <n>` key Redis
// ignores, so redis-server and redis-check-aof read a ringside directory as they read their
// own: every file is an incremental AOF, loaded in sequence order, and the shards' keys never
// overlap.
//
// One AofManifest serves every shard of the process; its methods are thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::backend {

struct AofFileEntry {
  std::string file;  // a name inside the AOF directory
  int64_t seq = 0;
  char type = 'i';  // 'b' base, 'i' incremental, 'h' history (Redis's letters)
  int shard = -1;   // -1 when the manifest does not say (a directory redis-server wrote)
};

// Parses manifest text. False (with *error naming the line) on a malformed line.
bool ParseManifest(std::string_view text, std::vector<AofFileEntry>* entries, std::string* error);
// The manifest text for `entries`, in sequence order.
std::string FormatManifest(std::vector<AofFileEntry> entries);

class AofManifest {
 public:
  // `dir` is the AOF directory (dir/appenddirname); `basename` is appendfilename.
  AofManifest(std::string dir, std::string basename);

  // Creates the directory if needed and reads the manifest if there is one.
  bool Load(std::string* error);
  const std::string& dir() const { return dir_; }
  std::string PathOf(const std::string& file) const { return dir_ + "/" + file; }
  std::string manifest_path() const { return dir_ + "/" + basename_ + ".manifest"; }

  // Every entry, in sequence order (history entries left out).
  std::vector<AofFileEntry> Entries() const;
  // The shard's files in load order.
  std::vector<AofFileEntry> FilesOf(int shard) const;
  // Shards named in the manifest: the highest shard number plus one, 0 when none is named.
  int ShardsNamed() const;
  // True when some entry names no shard or a base in Redis's RDB format.
  bool HasForeignEntries() const;

  // Creates an empty incremental file for `shard`, fsyncs the directory, and returns its entry
  // (not yet in the manifest).
  bool CreateFile(int shard, std::string_view kind, AofFileEntry* entry, std::string* error);
  // Makes `files` the shard's whole list and writes the manifest durably (a new file, fsync,
  // rename over the old one, fsync of the directory). Files the shard no longer lists are
  // deleted afterwards. On failure the manifest on disk is unchanged.
  bool ReplaceShard(int shard, std::vector<AofFileEntry> files, std::string* error);

 private:
  bool WriteLocked(const std::vector<AofFileEntry>& entries, std::string* error);

  const std::string dir_;
  const std::string basename_;
  mutable std::mutex mu_;
  std::vector<AofFileEntry> entries_;
  int64_t next_seq_ = 1;
};

}  // namespace ringside::backend
