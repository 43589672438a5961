// The worker's side of persistence: loading the shard's append-only files at start-up, opening
// the last one for appending, and holding replies back until what they depend on is durable
// (appendfsync always).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backend/aof_reader.h"
#include "proxy/command.h"
#include "proxy/commands/args.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

// Applies one command read back from a shard's file to its store; returns why it cannot be
// replayed, or "". `db` carries SELECT from one command to the next.
std::string Replay(std::span<const std::string_view> args, shards::Store& store, int databases,
                   int* db) {
  const std::string name = LowerName(args[0]);
  if (name == "select") {
    int64_t n = -1;
    if (args.size() != 2 || !ParseInt64(args[1], &n) || n < 0 || n >= databases) {
      return "SELECT of a database this server does not have (databases " +
             std::to_string(databases) + ")";
    }
    *db = static_cast<int>(n);
    return "";
  }
  if (name == "flushall" || name == "flushdb") {
    if (name == "flushall") {
      store.FlushAll();
    } else {
      store.FlushDb(*db);
    }
    return "";
  }
  // Redis wraps transactions in MULTI/EXEC; their commands apply one by one all the same.
  if (name == "multi" || name == "exec") return "";
  const CommandRow* row = CommandTable::Get().Find(args[0]);
  if (row == nullptr || !(row->flags & kWrite) ||
      (row->exec != Exec::kSingleKey && row->exec != Exec::kMultiKey)) {
    return "'" + name + "' cannot be replayed from an append-only file";
  }
  if (!ArityOk(*row, args.size())) return "wrong number of arguments for '" + name + "'";
  resp::Output reply;
  resp::Writer out(&reply);
  if (row->exec == Exec::kSingleKey) {
    CommandContext ctx{args, *db, &store, &out};
    row->handler(ctx);
    return "";
  }
  const size_t step = static_cast<size_t>(row->key_step);
  std::string_view group[3] = {args[0], {}, {}};
  for (size_t k : KeyPositions(*row, args.size())) {
    for (size_t i = 0; i < step; ++i) group[1 + i] = args[k + i];
    CommandContext ctx{std::span<const std::string_view>(group, 1 + step), *db, &store, &out};
    row->handler(ctx);
  }
  return "";
}

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

backend::FsyncPolicy FsyncPolicyOf(AppendFsync f) {
  switch (f) {
    case AppendFsync::kAlways:
      return backend::FsyncPolicy::kAlways;
    case AppendFsync::kEverysec:
      return backend::FsyncPolicy::kEverysec;
    case AppendFsync::kNo:
      break;
  }
  return backend::FsyncPolicy::kNo;
}

bool Worker::LoadAof(std::string* error) {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr) return true;
  const std::vector<backend::AofFileEntry> files = manifest->FilesOf(index_);
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = manifest->PathOf(files[i].file);
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
    const backend::AofScanResult scan =
        backend::ScanAof(std::string_view(static_cast<const char*>(map), size),
                         [&](std::span<const std::string_view> args) {
                           return Replay(args, *store_, config_.databases, &db);
                         });
    if (map != nullptr) munmap(map, size);
    const bool last = i + 1 == files.size();
    if (scan.status == backend::AofScanResult::kCorrupt) {
      *error = "Bad file format reading the append only file " + path + " at byte offset " +
               std::to_string(scan.offset) + ": " + scan.error +
               ". `redis-check-aof --fix` can cut the file there, dropping everything after it.";
      close(fd);
      return false;
    }
    if (scan.status == backend::AofScanResult::kTruncated) {
      if (!last || !config_.aof_load_truncated) {
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
    aof_loaded_ += size;
    if (last) {
      aof_fd_ = fd;
      aof_size_ = size;
    } else {
      close(fd);
    }
  }
  if (aof_loaded_ > 0) {
    spdlog::info("shard {}: loaded {} bytes from {} append-only file{}", index_, aof_loaded_,
                 files.size(), files.size() == 1 ? "" : "s");
  }
  return true;
}

bool Worker::OpenAof(std::string* error) {
  backend::AofManifest* manifest = server_->aof_manifest();
  if (manifest == nullptr) return true;
  // The server gave every shard a file before the workers started; LoadAof opened the last.
  if (aof_fd_ < 0) {
    *error = "shard " + std::to_string(index_) + " has no append-only file in the manifest";
    return false;
  }
  aof_ = std::make_unique<backend::ShardAof>(aof_fd_, aof_size_, aof_loaded_ - aof_size_,
                                             reactor_.get(), FsyncPolicyOf(config_.appendfsync),
                                             [this] { return clock_.NowMs(); });
  aof_fd_ = -1;
  aof_->set_on_synced([this](uint64_t synced) { ReleaseDurable(synced); });
  aof_->set_on_status([this](bool ok, int err) {
    if (ok) {
      spdlog::warn("shard {}: the append-only file is written again", index_);
    } else {
      spdlog::warn(
          "shard {}: error writing the append-only file: {}; write commands are "
          "refused until it can be written again",
          index_, std::strerror(err));
    }
    server_->AofStatusChanged(ok, err);
  });
  return true;
}

void Worker::AfterDurable(TaskPtr task) {
  if (UpstreamSync() && upstream_->link().HasUnacked()) {
    // The disk first (when it is behind), then the upstream; the id is taken now, so the task
    // waits for the records made before it and no later ones.
    const uint64_t id = upstream_->link().recorded();
    if (aof_ && aof_->HasUndurable()) {
      durable_waiters_.emplace_back(aof_->appended(),
                                    MakeTask([id, task = std::move(task)](Worker& w) mutable {
                                      w.AfterUpstreamAck(id, std::move(task));
                                    }));
    } else {
      AfterUpstreamAck(id, std::move(task));
    }
    return;
  }
  if (!aof_ || !aof_->HasUndurable()) {
    task->Run(*this);
    return;
  }
  durable_waiters_.emplace_back(aof_->appended(), std::move(task));
}

void Worker::AfterUpstreamAck(uint64_t id, TaskPtr task) {
  if (upstream_->link().acked() >= id) {
    task->Run(*this);
    return;
  }
  ack_waiters_.emplace_back(id, std::move(task));
}

void Worker::ReleaseAcked(uint64_t acked) {
  while (!ack_waiters_.empty() && ack_waiters_.front().first <= acked) {
    TaskPtr task = std::move(ack_waiters_.front().second);
    ack_waiters_.pop_front();
    task->Run(*this);
  }
}

bool Worker::OpenUpstream(std::string* error) {
  if (!config_.upstream.empty()) {
    UpstreamAddress address;
    if (!ParseUpstreamAddress(config_.upstream, &address)) {
      *error = "upstream " + config_.upstream + " is not host:port or a socket path";
      return false;
    }
    upstream_ = std::make_unique<Upstream>(reactor_.get(), index_, config_.upstream, address,
                                           config_.upstream_user, config_.upstream_password);
    upstream_->link().set_on_acked([this](uint64_t acked) { ReleaseAcked(acked); });
    upstream_->Tick(clock_.NowMs());
  }
  if (aof_ && upstream_) {
    tee_.a = aof_.get();
    tee_.b = &upstream_->link();
    sink_ = &tee_;
  } else if (aof_) {
    sink_ = aof_.get();
  } else if (upstream_) {
    sink_ = &upstream_->link();
  }
  PropagateExpiries(*store_, sink_);
  return true;
}

void Worker::ReleaseDurable(uint64_t synced) {
  while (!durable_waiters_.empty() && durable_waiters_.front().first <= synced) {
    TaskPtr task = std::move(durable_waiters_.front().second);
    durable_waiters_.pop_front();
    task->Run(*this);
  }
}

}  // namespace ringside::proxy
