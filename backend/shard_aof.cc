#include "backend/shard_aof.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "backend/file_write.h"

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

ShardAof::~ShardAof() {
  close(fd_);
  if (retiring_fd_ >= 0) close(retiring_fd_);
}

void ShardAof::Record(int db, std::span<const std::string_view> argv) {
  const size_t before = buffer_.size();
  buffer_.Record(db, argv);
  appended_ += buffer_.size() - before;
}

void ShardAof::RecordEncoded(int db, std::string_view command) {
  const size_t before = buffer_.size();
  buffer_.RecordEncoded(db, command);
  appended_ += buffer_.size() - before;
}

bool ShardAof::ReadyToRotate() const {
  return rotation_requested_ && Idle() && write_ok_ && retiring_fd_ < 0 &&
         chunk_done_ == chunk_.size();
}

bool ShardAof::RotateTo(int fd, std::string* error, uint64_t start, bool sync_old) {
  // The new file starts (after its first `start` bytes) in the database the records so far
  // leave the stream in.
  std::string select;
  if (buffer_.db() >= 0) {
    const std::string number = std::to_string(buffer_.db());
    const std::string_view argv[] = {"SELECT", number};
    AppendCommand(&select, argv);
  }
  if (const int err = PwriteAll(fd, select, start); err != 0) {
    *error = std::string("cannot write the new append-only file: ") + std::strerror(err);
    return false;
  }
  // What was recorded until now is the old file's last chunk.
  retiring_fd_ = fd_;
  retiring_size_ = file_size_;
  chunk_ = buffer_.Take();
  chunk_done_ = 0;
  other_files_ += file_size_ + chunk_.size();
  fd_ = fd;
  file_size_ = start + select.size();
  rotation_requested_ = false;
  sync_retiring_ = sync_old;
  if (!chunk_.empty()) {
    StartWrite();
  } else {
    FinishRetiring();
  }
  return true;
}

void ShardAof::FinishRetiring() {
  if (sync_in_flight_) return;  // OnSynced comes back here
  if (!sync_retiring_) {
    // The caller keeps what the old file holds durable elsewhere.
    if (synced_ < written_) {
      synced_ = written_;
      unsynced_since_ = 0;
      if (on_synced_) on_synced_(synced_);
    }
  } else if (policy_ != FsyncPolicy::kNo && synced_ < written_) {
    return StartSync();
  }
  close(retiring_fd_);
  retiring_fd_ = -1;
  if (buffer_.size() > 0) StartWrite();
}

void ShardAof::SetOtherFiles(uint64_t bytes) {
  other_files_ = bytes;
  base_size_ = other_files_ + file_size_;
}

void ShardAof::Flush() {
  if (write_in_flight_) return;
  if (!write_ok_ && now_ms_() < retry_at_ms_) return;
  StartWrite();
}

void ShardAof::StartWrite() {
  if (chunk_done_ == chunk_.size() && retiring_fd_ >= 0) return FinishRetiring();
  if (chunk_done_ == chunk_.size()) {
    // While a rotation waits, what is buffered stays for the new file.
    if (rotation_requested_) {
      if (policy_ == FsyncPolicy::kAlways || sync_requested_) StartSync();
      return;
    }
    chunk_ = buffer_.Take();
    chunk_done_ = 0;
  }
  if (chunk_.empty()) {
    if (policy_ == FsyncPolicy::kAlways || sync_requested_) StartSync();
    return;
  }
  const size_t n = std::min(chunk_.size() - chunk_done_, kMaxWrite);
  write_in_flight_ = true;
  const bool retiring = retiring_fd_ >= 0;
  io_->WriteFile(retiring ? retiring_fd_ : fd_, std::string_view(chunk_).substr(chunk_done_, n),
                 retiring ? retiring_size_ : file_size_, [this](int64_t res) { OnWritten(res); });
}

void ShardAof::OnWritten(int64_t res) {
  write_in_flight_ = false;
  if (res == -EINTR || res == -EAGAIN) return StartWrite();
  if (res <= 0) return Failed(res == 0 ? ENOSPC : static_cast<int>(-res));
  const auto n = static_cast<uint64_t>(res);
  if (written_ == synced_) unsynced_since_ = now_ms_();
  chunk_done_ += n;
  (retiring_fd_ >= 0 ? retiring_size_ : file_size_) += n;
  written_ += n;
  ++writes_;
  if (chunk_done_ == chunk_.size()) {
    chunk_.clear();
    chunk_done_ = 0;
    // With appendfsync always, only the fsync that follows makes the write count as done.
    if (policy_ != FsyncPolicy::kAlways) Succeeded();
  }
  if (policy_ == FsyncPolicy::kAlways || sync_requested_) StartSync();
  // The rest of a short write, or records made meanwhile (group commit: they go out together).
  if (chunk_done_ < chunk_.size() || buffer_.size() > 0) StartWrite();
}

void ShardAof::StartSync() {
  if (sync_in_flight_ || synced_ == written_) return;
  const uint64_t target = written_;
  sync_in_flight_ = true;
  last_sync_ms_ = now_ms_();
  io_->SyncFile(retiring_fd_ >= 0 ? retiring_fd_ : fd_,
                [this, target](int res) { OnSynced(target, res); });
}

void ShardAof::OnSynced(uint64_t target, int res) {
  sync_in_flight_ = false;
  if (res < 0) return Failed(-res);
  ++fsyncs_;
  synced_ = std::max(synced_, target);
  if (synced_ >= sync_target_) sync_requested_ = false;
  unsynced_since_ = synced_ == written_ ? 0 : now_ms_();
  if (chunk_done_ == chunk_.size()) Succeeded();
  if (on_synced_) on_synced_(synced_);
  if (retiring_fd_ >= 0 && chunk_done_ == chunk_.size()) return FinishRetiring();
  if (policy_ == FsyncPolicy::kAlways || sync_requested_) StartSync();
}

void ShardAof::SyncWhenWritten() {
  if (synced_ == appended_) return;
  sync_requested_ = true;
  sync_target_ = appended_;
  if (!write_in_flight_ && written_ > synced_) StartSync();
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
  if (retiring_fd_ >= 0) {
    // The old file's last records first, where they belong.
    const std::string_view last = std::string_view(chunk_).substr(chunk_done_);
    if (const int err = PwriteAll(retiring_fd_, last, retiring_size_); err != 0) {
      *error = std::string("write failed: ") + std::strerror(err);
      return false;
    }
    written_ += last.size();
    if (fdatasync(retiring_fd_) != 0) {
      *error = std::string("fsync failed: ") + std::strerror(errno);
      return false;
    }
    close(retiring_fd_);
    retiring_fd_ = -1;
    chunk_.clear();
    chunk_done_ = 0;
  }
  std::string rest = chunk_.substr(chunk_done_) + buffer_.Take();
  chunk_.clear();
  chunk_done_ = 0;
  if (const int err = PwriteAll(fd_, rest, file_size_); err != 0) {
    *error = std::string("write failed: ") + std::strerror(err);
    return false;
  }
  file_size_ += rest.size();
  written_ += rest.size();
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
