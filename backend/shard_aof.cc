#include "backend/shard_aof.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ringside::backend {

namespace {

// One write op carries at most this much, so a huge backlog goes out in several.
constexpr size_t kMaxWrite = 64u << 20;
// After a failed write or fsync, the next try waits this long, as Redis retries once a second.
constexpr int64_t kRetryMs = 1000;

}  // namespace

AofStats& AofStats::operator+=(const AofStats& o) {
  current_size += o.current_size;
  base_size += o.base_size;
  buffer_length += o.buffer_length;
  write_ok = write_ok && o.write_ok;
  if (!o.write_ok) last_errno = o.last_errno;
  fsync_in_flight = fsync_in_flight || o.fsync_in_flight;
  fsync_lag_ms = std::max(fsync_lag_ms, o.fsync_lag_ms);
  writes += o.writes;
  fsyncs += o.fsyncs;
  write_errors += o.write_errors;
  return *this;
}

ShardAof::ShardAof(int fd, uint64_t size, uint64_t other_files, FileIo* io, FsyncPolicy policy,
                   std::function<int64_t()> now_ms)
    : fd_(fd),
      io_(io),
      policy_(policy),
      now_ms_(std::move(now_ms)),
      file_size_(size),
      other_files_(other_files),
      base_size_(other_files + size) {
  last_sync_ms_ = now_ms_();
}

ShardAof::~ShardAof() { close(fd_); }

void ShardAof::Record(int db, std::span<const std::string_view> argv) {
  const size_t before = buffer_.size();
  buffer_.Record(db, argv);
  appended_ += buffer_.size() - before;
  if (rewrite_copied_) {
    const bool keyless = argv.size() < 2 || argv[0] == "FLUSHDB" || argv[0] == "FLUSHALL";
    if (keyless) {
      rewrite_spoiled_ = true;
    } else if (rewrite_copied_(db, argv[1])) {
      tail_.Record(db, argv);
    }
  }
}

void ShardAof::BeginRewrite(std::function<bool(int, std::string_view)> copied) {
  rewrite_copied_ = std::move(copied);
  rewrite_spoiled_ = false;
  tail_.Take();
  tail_.ForgetDb();
}

void ShardAof::EndRewrite() {
  rewrite_copied_ = nullptr;
  rewrite_spoiled_ = false;
  tail_.Take();
  tail_.ForgetDb();
}

void ShardAof::SwitchFile(int fd, uint64_t size, uint64_t other_files) {
  close(fd_);
  fd_ = fd;
  chunk_.clear();
  chunk_done_ = 0;
  buffer_.Take();
  buffer_.ForgetDb();
  file_size_ = size;
  other_files_ = other_files;
  base_size_ = other_files + size;
  written_ = synced_ = appended_;
  unsynced_since_ = 0;
  Succeeded();
  if (on_synced_) on_synced_(synced_);
}

void ShardAof::Flush() {
  if (write_in_flight_) return;
  if (!write_ok_ && now_ms_() < retry_at_ms_) return;
  StartWrite();
}

void ShardAof::StartWrite() {
  if (chunk_done_ == chunk_.size()) {
    chunk_ = buffer_.Take();
    chunk_done_ = 0;
  }
  if (chunk_.empty()) {
    if (policy_ == FsyncPolicy::kAlways) StartSync();
    return;
  }
  const size_t n = std::min(chunk_.size() - chunk_done_, kMaxWrite);
  write_in_flight_ = true;
  io_->WriteFile(fd_, std::string_view(chunk_).substr(chunk_done_, n), file_size_,
                 [this](int64_t res) { OnWritten(res); });
}

void ShardAof::OnWritten(int64_t res) {
  write_in_flight_ = false;
  if (res == -EINTR || res == -EAGAIN) return StartWrite();
  if (res <= 0) return Failed(res == 0 ? ENOSPC : static_cast<int>(-res));
  const auto n = static_cast<uint64_t>(res);
  if (written_ == synced_) unsynced_since_ = now_ms_();
  chunk_done_ += n;
  file_size_ += n;
  written_ += n;
  ++writes_;
  if (chunk_done_ == chunk_.size()) {
    chunk_.clear();
    chunk_done_ = 0;
    // With appendfsync always, only the fsync that follows makes the write count as done.
    if (policy_ != FsyncPolicy::kAlways) Succeeded();
  }
  if (policy_ == FsyncPolicy::kAlways) StartSync();
  // The rest of a short write, or records made meanwhile (group commit: they go out together).
  if (chunk_done_ < chunk_.size() || buffer_.size() > 0) StartWrite();
}

void ShardAof::StartSync() {
  if (sync_in_flight_ || synced_ == written_) return;
  const uint64_t target = written_;
  sync_in_flight_ = true;
  last_sync_ms_ = now_ms_();
  io_->SyncFile(fd_, [this, target](int res) { OnSynced(target, res); });
}

void ShardAof::OnSynced(uint64_t target, int res) {
  sync_in_flight_ = false;
  if (res < 0) return Failed(-res);
  ++fsyncs_;
  synced_ = std::max(synced_, target);
  unsynced_since_ = synced_ == written_ ? 0 : now_ms_();
  if (chunk_done_ == chunk_.size()) Succeeded();
  if (on_synced_) on_synced_(synced_);
  if (policy_ == FsyncPolicy::kAlways) StartSync();
}

void ShardAof::Failed(int err) {
  ++write_errors_;
  last_errno_ = err;
  retry_at_ms_ = now_ms_() + kRetryMs;
  const bool was_ok = write_ok_;
  write_ok_ = false;
  if (was_ok && on_status_) on_status_(false, err);
}

void ShardAof::Succeeded() {
  if (write_ok_) return;
  write_ok_ = true;
  if (on_status_) on_status_(true, 0);
}

void ShardAof::Tick() {
  const int64_t now = now_ms_();
  if (!write_ok_) {
    if (now < retry_at_ms_) return;
    if (!write_in_flight_) StartWrite();
    if (policy_ != FsyncPolicy::kNo) StartSync();
    return;
  }
  if (policy_ == FsyncPolicy::kEverysec && now - last_sync_ms_ >= 1000) StartSync();
}

void ShardAof::set_policy(FsyncPolicy p) {
  policy_ = p;
  // Replies held for appendfsync always go once what they wait for is written, at the latest.
  if (p == FsyncPolicy::kAlways) StartSync();
  if (on_synced_ && p != FsyncPolicy::kAlways) on_synced_(appended_);
}

bool ShardAof::FinishBlocking(std::string* error) {
  std::string rest = chunk_.substr(chunk_done_) + buffer_.Take();
  chunk_.clear();
  chunk_done_ = 0;
  size_t done = 0;
  while (done < rest.size()) {
    const ssize_t n =
        pwrite(fd_, rest.data() + done, rest.size() - done, static_cast<off_t>(file_size_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("write failed: ") + std::strerror(n == 0 ? ENOSPC : errno);
      return false;
    }
    done += static_cast<size_t>(n);
    file_size_ += static_cast<uint64_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  if (fdatasync(fd_) != 0) {
    *error = std::string("fsync failed: ") + std::strerror(errno);
    return false;
  }
  synced_ = written_;
  return true;
}

AofStats ShardAof::stats() const {
  AofStats s;
  s.current_size = other_files_ + file_size_;
  s.base_size = base_size_;
  s.buffer_length = buffer_.size() + (chunk_.size() - chunk_done_);
  s.write_ok = write_ok_;
  s.last_errno = last_errno_;
  s.fsync_in_flight = sync_in_flight_;
  s.fsync_lag_ms = unsynced_since_ == 0 ? 0 : std::max<int64_t>(0, now_ms_() - unsynced_since_);
  s.writes = writes_;
  s.fsyncs = fsyncs_;
  s.write_errors = write_errors_;
  return s;
}

}  // namespace ringside::backend
