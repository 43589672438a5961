#include "backend/aof_loader.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "backend/aof_reader.h"
#include "backend/file_write.h"

namespace ringside::backend {

int SelectedDatabase(std::string_view arg, int databases) {
  // A canonical non-negative integer, as Redis writes it.
  if (arg.empty() || arg.size() > 10 || (arg.size() > 1 && arg[0] == '0')) return -1;
  int64_t n = 0;
  for (char c : arg) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n < databases ? static_cast<int>(n) : -1;
}

std::string ReplayAofCommand(std::span<const std::string_view> args, int databases,
                             shards::Store& store, const AofApply& apply, int* db) {
  if (IsCommand(args[0], "select")) {
    const int n = args.size() == 2 ? SelectedDatabase(args[1], databases) : -1;
    if (n < 0) {
      return "SELECT of a database this server does not have (databases " +
             std::to_string(databases) + ")";
    }
    *db = n;
    return "";
  }
  if (IsCommand(args[0], "flushall")) {
    store.FlushAll();
    return "";
  }
  if (IsCommand(args[0], "flushdb")) {
    store.FlushDb(*db);
    return "";
  }
  if (IsCommand(args[0], "swapdb")) {
    const int a = args.size() == 3 ? SelectedDatabase(args[1], databases) : -1;
    const int b = args.size() == 3 ? SelectedDatabase(args[2], databases) : -1;
    if (a < 0 || b < 0) {
      return "SWAPDB of a database this server does not have (databases " +
             std::to_string(databases) + ")";
    }
    store.SwapDb(a, b);
    return "";
  }
  // Redis wraps transactions in MULTI/EXEC; their commands apply one by one all the same.
  if (IsCommand(args[0], "multi") || IsCommand(args[0], "exec")) return "";
  return apply(*db, args);
}

bool LoadShardAof(const AofManifest& manifest, int shard, const AofLoadOptions& options,
                  shards::Store& store, const AofApply& apply, AofLoaded* out, std::string* error) {
  const std::vector<AofFileEntry> files = manifest.FilesOf(shard);
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = manifest.PathOf(files[i].file);
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
      *error = ErrnoText("cannot open the append-only file", path);
      if (fd >= 0) close(fd);
      return false;
    }
    auto size = static_cast<size_t>(st.st_size);
    void* map = nullptr;
    if (size > 0) {
      map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map == MAP_FAILED) {
        *error = ErrnoText("cannot map the append-only file", path);
        close(fd);
        return false;
      }
      madvise(map, size, MADV_SEQUENTIAL);
    }
    int db = 0;
    const AofScanResult scan =
        ScanAof(std::string_view(static_cast<const char*>(map), size),
                [&](std::span<const std::string_view> args) {
                  return ReplayAofCommand(args, options.databases, store, apply, &db);
                });
    if (map != nullptr) munmap(map, size);
    const bool last = i + 1 == files.size();
    if (scan.status == AofScanResult::kCorrupt) {
      *error = "Bad file format reading the append only file " + path + " at byte offset " +
               std::to_string(scan.offset) + ": " + scan.error +
               ". `redis-check-aof --fix` can cut the file there, dropping everything after it.";
      close(fd);
      return false;
    }
    if (scan.status == AofScanResult::kTruncated) {
      if (!last || !options.load_truncated) {
        *error = "The append only file " + path + " ends inside a command at byte offset " +
                 std::to_string(scan.offset) + " of " + std::to_string(size) +
                 (last ? ". Start with aof-load-truncated yes to load it up to there, or cut it "
                         "with `redis-check-aof --fix`."
                       : ", and it is not the shard's last file.");
        close(fd);
        return false;
      }
      spdlog::warn(
          "The append only file {} ends inside a command at byte offset {} of {} (a write cut "
          "short by a crash?). Loaded the {} commands before it and truncated the file there, "
          "as aof-load-truncated yes asks.",
          path, scan.offset, size, scan.commands);
      if (ftruncate(fd, static_cast<off_t>(scan.offset)) != 0) {
        *error = ErrnoText("cannot truncate", path);
        close(fd);
        return false;
      }
      size = scan.offset;
    }
    out->loaded += size;
    if (last) {
      out->fd = fd;
      out->size = size;
    } else {
      close(fd);
    }
  }
  if (out->loaded > 0) {
    spdlog::info("shard {}: loaded {} bytes from {} append-only file{}", shard, out->loaded,
                 files.size(), files.size() == 1 ? "" : "s");
  }
  return true;
}

}  // namespace ringside::backend
