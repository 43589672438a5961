// One shard's append-only file: the propagation records the shard applies, encoded as Redis
// writes its AOF, appended to the shard's current file off the command path, and fsynced as
// appendfsync asks. Owned and used by the shard's thread only; file I/O goes through the
// thread's FileIo, and its completions come back on the same thread.
//
// Byte positions are counted over the shard's record stream since the file was opened:
// appended() bytes were recorded, written() reached the file, synced() are durable.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "backend/aof_buffer.h"
#include "backend/file_io.h"
#include "backend/propagation.h"

namespace ringside::backend {

enum class FsyncPolicy { kAlways, kEverysec, kNo };

struct AofStats {
  uint64_t current_size = 0;   // bytes in the shard's files
  uint64_t base_size = 0;      // of those, in the files it started with
  uint64_t buffer_length = 0;  // recorded, not yet written
  bool write_ok = true;        // the last write and fsync succeeded
  int last_errno = 0;          // the error of the last failed write or fsync
  bool fsync_in_flight = false;
  int64_t fsync_lag_ms = 0;  // how long the oldest written but not fsynced byte has waited
  uint64_t writes = 0;
  uint64_t fsyncs = 0;
  uint64_t write_errors = 0;

  AofStats& operator+=(const AofStats& o);
};

class ShardAof final : public PropagationSink {
 public:
  // `fd` is the open file to append to, already `size` bytes long (whatever was loaded from
  // it); the ShardAof owns and closes it. `other_files` is the length of the shard's earlier
  // files. `now_ms` reads the clock.
  ShardAof(int fd, uint64_t size, uint64_t other_files, FileIo* io, FsyncPolicy policy,
           std::function<int64_t()> now_ms);
  ~ShardAof() override;

  void Record(int db, std::span<const std::string_view> argv) override;
  // A record already encoded as one RESP command.
  void RecordEncoded(int db, std::string_view command);

  // Starts writing what was recorded, unless a write is already on its way. Call once per loop
  // iteration, after the commands of the iteration ran.
  void Flush();
  // Periodic work (every 100 ms or so): the once-a-second fsync of everysec, and another try
  // after a failed write or fsync (at most once a second).
  void Tick();
  // Writes and fsyncs everything still buffered, blocking; for shutdown, once Idle().
  // False (with *error) when the disk refused.
  bool FinishBlocking(std::string* error);

  void set_policy(FsyncPolicy p);
  FsyncPolicy policy() const { return policy_; }
  // With appendfsync always, a reply to a command waits until every record made before it is
  // durable; this says whether some record is not yet.
  bool HasUndurable() const { return policy_ == FsyncPolicy::kAlways && synced_ < appended_; }
  // Whatever the policy, fsyncs once what was recorded so far is written (synced() then
  // reaches appended() as it is now, and on_synced says so).
  void SyncWhenWritten();
  uint64_t appended() const { return appended_; }
  // The current file: its descriptor, how much of it is written, and where the next record
  // will start in it once written (after a SELECT, if its database differs from stream_db()).
  int fd() const { return fd_; }
  uint64_t file_size() const { return file_size_; }
  uint64_t end_offset() const {
    return file_size_ + buffer_.size() + (retiring_fd_ < 0 ? chunk_.size() - chunk_done_ : 0);
  }
  int stream_db() const { return buffer_.db(); }
  uint64_t written() const { return written_; }
  uint64_t synced() const { return synced_; }
  // Called with synced() each time it advances.
  void set_on_synced(std::function<void(uint64_t)> fn) { on_synced_ = std::move(fn); }
  // Called when a write or fsync fails (false) and when one succeeds again (true).
  void set_on_status(std::function<void(bool ok, int err)> fn) { on_status_ = std::move(fn); }
  // No write or fsync in flight.
  bool Idle() const { return !write_in_flight_ && !sync_in_flight_; }
  bool write_ok() const { return write_ok_; }
  AofStats stats() const;

  // Moving to a new file (a rewrite starts one). RequestRotation stops new writes from
  // starting; once ReadyToRotate (nothing in flight, no failure), RotateTo makes the
  // file `fd` the one the records made from now on go to, starting it with the SELECT the
  // stream is in (after the `start` bytes the file already has). The records made before still
  // go to the old file, which is then fsynced (unless appendfsync is no, or `sync_old` is
  // false: the caller has what it holds durable elsewhere, and it counts as synced) and closed.
  void RequestRotation() { rotation_requested_ = true; }
  void CancelRotation() { rotation_requested_ = false; }
  bool ReadyToRotate() const;
  bool RotateTo(int fd, std::string* error, uint64_t start = 0, bool sync_old = true);
  // After a rewrite: the shard's other files (before the current one) now hold `bytes`, and
  // growth is measured from here.
  void SetOtherFiles(uint64_t bytes);

 private:
  void StartWrite();
  void OnWritten(int64_t res);
  // The old file of a rotation got its last records: fsync it if asked, then close it.
  void FinishRetiring();
  void StartSync();
  void OnSynced(uint64_t target, int res);
  void Failed(int err);
  void Succeeded();

  int fd_;
  FileIo* io_;
  FsyncPolicy policy_;
  std::function<int64_t()> now_ms_;
  std::function<void(uint64_t)> on_synced_;
  std::function<void(bool, int)> on_status_;

  AofBuffer buffer_;
  bool rotation_requested_ = false;
  int retiring_fd_ = -1;  // the file before a rotation, while its last records go out
  uint64_t retiring_size_ = 0;
  std::string chunk_;       // bytes being written; stays put until the write completes
  size_t chunk_done_ = 0;   // of chunk_, already in the file
  uint64_t file_size_ = 0;  // where the next byte goes
  uint64_t other_files_ = 0;
  uint64_t base_size_ = 0;  // all the shard's bytes when it started
  uint64_t appended_ = 0, written_ = 0, synced_ = 0;
  bool write_in_flight_ = false;
  bool sync_in_flight_ = false;
  bool sync_requested_ = false;
  bool sync_retiring_ = true;  // whether the file before a rotation is fsynced before closing
  uint64_t sync_target_ = 0;  // what SyncWhenWritten asked to have durable
  bool write_ok_ = true;
  int last_errno_ = 0;
  int64_t retry_at_ms_ = 0;     // after a failure, no new attempt before this
  int64_t last_sync_ms_ = 0;    // when the last fsync was started
  int64_t unsynced_since_ = 0;  // when written() last moved ahead of synced(); 0 when equal
  uint64_t writes_ = 0, fsyncs_ = 0, write_errors_ = 0;
};

}  // namespace ringside::backend
