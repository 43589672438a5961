// A shard's upstream journal: a file of the shard's own in `dir` that holds, in order, the
// records the upstream may not have yet, written off the command path and fsynced as
// appendfsync asks, so they outlive an outage of any length and a restart of ringside: at
// start-up the shard reads its journal back and sends what it holds again, in order, before
// anything new. A record goes in once it is still unacknowledged at the tick after the one it
// was made in, so while the upstream keeps up the records never touch the disk; under
// appendfsync always (whose replies wait for the fsync), for a flush, and while the link is
// spilling, it goes in at once, after the held records before it. Sending a record twice is
// harmless, since every record says what the key became rather than the step that made it
// (see propagation_records_test), so the journal needs no exact acknowledgement offset.
//
// The journal stays short by being replaced: once its file passes upstream-journal-rewrite-size
// (64mb by default: large enough that big values do not replace it every few writes, and
// about what a start-up may send again that the upstream already has) and what the upstream
// has not acknowledged is small, a new file with just those records is written, fsynced and
// renamed over the old one. A crash before the rename leaves the old file, which holds all of
// them too.
//
// Flushes (see UpstreamLink's gates) need the journals of all shards to agree. Once every
// shard's flush is acknowledged, each shard appends a marker to its journal and fsyncs it, and
// only when all have done so may the records after the flush go out. Read back, the records up
// to a marked flush are skipped (the upstream has them, and the flush wiped them); a flush with
// no marker is sent again, fenced, and a journal holding fewer such flushes than another (its
// shard marked one the other did not) starts behind as many empty fences. No compaction runs
// while a flush is fenced, so a marker always refers to the n-th flush of its own file.
//
// It is a file apart from the AOF, which is rewritten as a snapshot and so would not keep the
// order of the records still owed to the upstream.
//
// A PropagationSink placed after the shard's UpstreamLink in the record fan-out (it goes by
// the link's record ids). Owned by the shard's ShardBackend and used on its thread only; the link,
// the FileIo and the Durability outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "backend/durability.h"
#include "backend/file_io.h"
#include "backend/shard_aof.h"
#include "backend/upstream_link.h"

namespace ringside::backend {

class UpstreamJournal final : public PropagationSink {
 public:
  struct Options {
    std::string dir;  // `dir`: the journals live beside the AOF directory
    int shard = 0;
    int shards = 1;
    int databases = 16;
    FsyncPolicy policy = FsyncPolicy::kEverysec;  // appendfsync
    uint64_t rewrite_size = 64u << 20;            // upstream-journal-rewrite-size
    uint64_t queue_memory = 0;                    // upstream-queue-memory
  };
  UpstreamJournal(Options options, UpstreamLink* link, FileIo* io, Durability* durability,
                  std::function<int64_t()> now_ms);
  ~UpstreamJournal() override;

  // Opens the shard's journal (creating `dir`), refuses to start when another thread count's
  // journal still holds records (checked by shard 0), and hands what the file holds to the
  // link again. False with *error when it cannot.
  bool Open(std::string* error);
  // Unmarked flushes read back at Open; the server's largest over all shards, given to
  // FenceAtStart once every shard has opened, says how many empty fences this one starts with.
  uint64_t flushes_read() const { return flushes_read_; }
  void FenceAtStart(uint64_t most_flushes);
  // Reports a flush gate to be counted on shard 0 (see UpstreamLink): the gate before a flush
  // as the link reaches it, the one after it once this journal marked the flush done.
  void set_report_gate(std::function<void(uint64_t gate)> fn) { report_gate_ = std::move(fn); }
  // The journal's file could not be written (ok false, with the errno) or can be again.
  void set_on_status(std::function<void(bool ok, int err)> fn) { on_status_ = std::move(fn); }

  // PropagationSink: a record the link took (its id is the link's recorded()).
  void Record(int db, std::span<const std::string_view> argv) override;
  // From the loop: starts writing what was recorded; hands spilled records back to the link
  // when it has room for them.
  void Flush();
  // Periodic: the records a tick old go in, fsyncs, and the replacement when it is due.
  void Tick();
  // Every link has flush gate `gate` (odd: after the flush): marks the flush done in the
  // journal, then reports the gate again once the mark is durable.
  void MarkFlushDone(uint64_t gate);
  // Shutting down, once Idle: writes everything still owed and empties the file when the
  // upstream has it all.
  void Close();
  bool Idle() const { return !file_ || file_->Idle(); }
  void set_policy(FsyncPolicy policy);

  const ShardAof* file() const { return file_.get(); }
  uint64_t compactions() const { return compactions_; }

 private:
  bool CheckOtherJournals(std::string* error);
  bool LoadFile(const std::string& path, int fd, uint64_t* size, std::string* error);
  bool Compact();
  // Journals the held records up to id `upto` not journaled yet.
  void CatchUp(uint64_t upto);
  // The link stops keeping records in memory (see UpstreamLink::set_memory_limit): notes where
  // in the journal the first one it does not keep starts. Refill hands them back.
  void SpillStarts();
  void Refill();

  const Options options_;
  UpstreamLink* link_;
  FileIo* io_;
  Durability* durability_;
  std::function<int64_t()> now_ms_;
  std::function<void(uint64_t)> report_gate_;
  std::function<void(bool, int)> on_status_;
  std::unique_ptr<ShardAof> file_;
  std::string path_;
  uint64_t compactions_ = 0;
  bool compact_again_ = false;
  // Flushes read back from the file at start-up (not marked done), and the fences it started
  // behind for flushes other journals hold and this one does not.
  uint64_t flushes_read_ = 0;
  uint64_t empty_fences_ = 0;
  // Where the oldest record the link spilled starts in the current file, and the database it
  // is in; at start-up, the record being read back and its database.
  uint64_t spill_offset_ = 0;
  int spill_db_ = 0;
  uint64_t load_offset_ = 0;
  int load_db_ = 0;
  // Every record up to this id is in the journal or acknowledged; records up to mark_ (the
  // last record at the previous tick) are journaled at the next one.
  uint64_t journaled_ = 0;
  uint64_t mark_ = 0;
};

}  // namespace ringside::backend
