// The worker's side of the upstream journal: a file of the shard's own in `dir` that holds, in
// order, the records the upstream may not have yet, written off the command path and fsynced
// as appendfsync asks, so they outlive an outage of any length and a restart of ringside: at
// start-up the shard reads its journal back and sends what it holds again, in order, before
// anything new. A record goes in once it is still unacknowledged at the tick after the one it
// was made in, so while the upstream keeps up the records never touch the disk; under
// appendfsync always (whose replies wait for the fsync), for a flush, and while the link is
// spilling, it goes in at once, after the held records before it. Sending a record twice is harmless, since
// every record says what the key became rather than the step that made it (see
// propagation_records_test), so the journal needs no exact acknowledgement offset.
//
// The journal stays short by being replaced: once its file passes upstream-journal-rewrite-size
// (64mb by default: large enough that big values do not replace it every few writes, and
// about what a start-up may send again that the upstream already has) and what the
// upstream has not acknowledged is small, a new file with just those records is written,
// fsynced and renamed over the old one. A crash before the rename leaves the old file, which
// holds all of them too.
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
#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "backend/aof_reader.h"
#include "backend/file_write.h"
#include "proxy/commands/args.h"
#include "proxy/server.h"
#include "proxy/worker.h"

namespace ringside::proxy {

namespace {

constexpr uint64_t kCompactMaxHeld = 1u << 20;
constexpr std::string_view kPrefix = "upstream-journal-";
constexpr std::string_view kSuffix = ".resp";
// The journal's own record: the oldest flush of the file not marked yet is acknowledged by
// every shard. Never sent upstream.
constexpr std::string_view kFlushedMarker = "RINGSIDE-FLUSH-DONE";

// A journal's SELECT: true with the database in *db, false for a database this server lacks.
bool ReadSelect(std::span<const std::string_view> args, int databases, int* db) {
  int64_t n = -1;
  if (args.size() != 2 || !ParseInt64(args[1], &n) || n < 0 || n >= databases) return false;
  *db = static_cast<int>(n);
  return true;
}

std::string JournalName(int shard, int shards) {
  return std::string(kPrefix) + std::to_string(shard) + "-of-" + std::to_string(shards) +
         std::string(kSuffix);
}

// The shard count in a journal's file name, or 0 when the name is not a journal's.
int ShardsOf(std::string_view name) {
  if (name.substr(0, kPrefix.size()) != kPrefix || name.size() <= kSuffix.size() ||
      name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return 0;
  }
  const size_t of = name.find("-of-");
  if (of == std::string_view::npos) return 0;
  int n = 0;
  const char* begin = name.data() + of + 4;
  const char* end = name.data() + name.size() - kSuffix.size();
  return std::from_chars(begin, end, n).ptr == end ? n : 0;
}

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Where the command whose arguments are `args` starts in `bytes`, which it was read from as
// ringside writes commands (no leading zeros, no spare bytes).
uint64_t CommandStart(std::string_view bytes, std::span<const std::string_view> args) {
  const auto digits = [](size_t n) { return std::to_string(n).size(); };
  const auto first = static_cast<uint64_t>(args[0].data() - bytes.data());
  return first - (3 + digits(args.size())) - (3 + digits(args[0].size()));
}

void SyncDir(const std::string& dir) {
  if (const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

bool Worker::CheckOtherJournals(std::string* error) {
  DIR* d = opendir(config_.dir.c_str());
  if (d == nullptr) return true;
  bool ok = true;
  while (dirent* e = readdir(d)) {
    const int shards = ShardsOf(e->d_name);
    if (shards == 0 || shards == num_workers_) continue;
    const std::string path = config_.dir + "/" + e->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && st.st_size == 0) continue;
    // Its keys now belong to other shards, and sent from here they could overtake or trail
    // the new writes of the same keys.
    *error = "the upstream journal " + path + " holds records the upstream has not " +
             "acknowledged, written with threads " + std::to_string(shards) +
             "; start with threads " + std::to_string(shards) +
             " until the upstream has them (the file is then emptied), or move it away to " +
             "drop them";
    ok = false;
    break;
  }
  closedir(d);
  return ok;
}

bool Worker::LoadJournalFile(const std::string& path, int fd, uint64_t* size,
                             std::string* error) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *error = ErrnoText("cannot read the upstream journal", path);
    return false;
  }
  // Mapped, not read: a journal from a long outage may be larger than the memory bound.
  void* map = nullptr;
  const auto file_size = static_cast<size_t>(st.st_size);
  if (file_size > 0) {
    map = mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      *error = ErrnoText("cannot map the upstream journal", path);
      return false;
    }
    madvise(map, file_size, MADV_SEQUENTIAL);
  }
  const std::string_view bytes(static_cast<const char*>(map), file_size);
  struct Unmap {
    void* map;
    size_t size;
    ~Unmap() {
      if (map != nullptr) munmap(map, size);
    }
  } unmap{map, file_size};
  // First the markers: the flushes they mark, and the records before those, are skipped.
  uint64_t marked = 0;
  backend::ScanAof(bytes, [&](std::span<const std::string_view> args) -> std::string {
    if (args[0] == kFlushedMarker) ++marked;
    return "";
  });
  int db = 0;
  uint64_t flushes = 0;
  backend::UpstreamLink& link = *link_;
  const backend::AofScanResult scan =
      backend::ScanAof(bytes, [&](std::span<const std::string_view> args) -> std::string {
        if (EqualsNoCase(args[0], "select")) {
          return ReadSelect(args, config_.databases, &db)
                     ? ""
                     : "SELECT of a database this server does not have";
        }
        if (args[0] == kFlushedMarker) return "";
        const bool flush = backend::IsFlushRecord(args[0]);
        if (flush) ++flushes;
        // Up to and including the last marked flush: skipped.
        if (flushes < marked || (flushes == marked && flush && marked > 0)) return "";
        if (flush) ++journal_flushes_;
        // Where a refill would read this record again, should the link spill it.
        load_offset_ = CommandStart(bytes, args);
        load_db_ = db;
        link.Replay(db, args);
        return "";
      });
  if (scan.status == backend::AofScanResult::kCorrupt) {
    *error = "the upstream journal " + path + " is unreadable at byte offset " +
             std::to_string(scan.offset) + ": " + scan.error +
             "; move it away to start without the records it holds";
    return false;
  }
  *size = bytes.size();
  if (scan.status == backend::AofScanResult::kTruncated) {
    // A write cut short by a crash: beyond what appendfsync promises, nothing in it was
    // acknowledged to a client as durable.
    spdlog::warn("shard {}: the upstream journal {} ends inside a record at byte {} of {}; "
                 "cut it there",
                 index_, path, scan.offset, bytes.size());
    if (ftruncate(fd, static_cast<off_t>(scan.offset)) != 0) {
      *error = ErrnoText("cannot truncate", path);
      return false;
    }
    *size = scan.offset;
  }
  return true;
}

bool Worker::OpenJournal(std::string* error) {
  if (mkdir(config_.dir.c_str(), 0750) != 0 && errno != EEXIST) {
    *error = ErrnoText("cannot create dir", config_.dir);
    return false;
  }
  if (index_ == 0 && !CheckOtherJournals(error)) return false;
  journal_path_ = config_.dir + "/" + JournalName(index_, num_workers_);
  const std::string tmp = journal_path_ + ".new";
  link_->set_memory_limit(static_cast<uint64_t>(config_.upstream_queue_memory));
  link_->set_on_spill([this] { JournalSpillStarts(); });
  const int fd = open(journal_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  uint64_t size = 0;
  if (fd < 0) {
    *error = ErrnoText("cannot open the upstream journal", journal_path_);
    return false;
  }
  if (!LoadJournalFile(journal_path_, fd, &size, error)) {
    close(fd);
    return false;
  }
  // A replacement that never got renamed into place: the old file holds all it held.
  unlink(tmp.c_str());
  backend::UpstreamLink& link = *link_;
  server_->NoteJournalFlushes(journal_flushes_);
  journaled_ = journal_mark_ = link.recorded();  // all read from the file
  if (link.HasUnacked()) {
    spdlog::info("shard {}: {} records from the upstream journal go to the upstream first",
                 index_, link.recorded());
  }
  journal_ = std::make_unique<backend::ShardAof>(fd, size, 0, reactor_.get(),
                                                 FsyncPolicyOf(config_.appendfsync),
                                                 [this] { return clock_.NowMs(); });
  journal_->set_on_synced([this](uint64_t synced) { durability_.JournalSynced(synced); });
  durability_.set_journal(journal_.get());
  journal_->set_on_status([this](bool ok, int err) {
    if (ok) {
      spdlog::warn("shard {}: the upstream journal is written again", index_);
    } else {
      spdlog::warn("shard {}: error writing the upstream journal {}: {}; write commands are "
                   "refused until it can be written again",
                   index_, journal_path_, std::strerror(err));
    }
    server_->AofStatusChanged(ok, err);
  });
  return true;
}

void Worker::JournalTick() {
  // Records still unacknowledged a tick after they were made go to the journal; most are
  // acknowledged before that and never touch the disk.
  CatchUpJournal(journal_mark_);
  journal_mark_ = link_->recorded();
  journal_->Tick();
  const backend::UpstreamLink& link = *link_;
  const auto rewrite_size = static_cast<uint64_t>(config_.upstream_journal_rewrite_size);
  const bool due = compact_again_ || (journal_->stats().current_size >= rewrite_size &&
                                      link.held_bytes() <= kCompactMaxHeld);
  if (!due || link.fenced() || link.spilled() > 0) {
    journal_->CancelRotation();
    return;
  }
  if (!journal_->ReadyToRotate()) {
    journal_->RequestRotation();
    return;
  }
  CompactJournal();
}

void Worker::MarkFlushDone(uint64_t gate) {
  if (empty_fences_ > 0) {
    // A fence for a flush this journal no longer holds: nothing to mark.
    --empty_fences_;
    ReportUpstreamGate(gate);
    return;
  }
  const std::string_view marker[] = {kFlushedMarker};
  journal_->Record(0, marker);
  journal_->SyncWhenWritten();
  durability_.AfterJournalSynced(journal_->appended(), [this, gate] { ReportUpstreamGate(gate); });
}

void Worker::ReportUpstreamGate(uint64_t gate) {
  Submit(0, MakeTask([gate](Worker& w) { w.UpstreamGateReached(gate); }));
}

bool Worker::CompactJournal() {
  // The new file holds every record still owed to the upstream, those recorded but not yet
  // written included, so the old file may go with whatever it still receives.
  std::string held;
  link_->AppendHeld(&held);
  const std::string tmp = journal_path_ + ".new";
  const int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  std::string error;
  if (fd < 0 || backend::PwriteAll(fd, held, 0) != 0 || fdatasync(fd) != 0 ||
      rename(tmp.c_str(), journal_path_.c_str()) != 0 ||
      !journal_->RotateTo(fd, &error, held.size(), /*sync_old=*/false)) {
    if (error.empty()) error = std::strerror(errno);
    spdlog::warn("shard {}: cannot replace the upstream journal {}: {}", index_, journal_path_,
                 error);
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    journal_->CancelRotation();
    // Until a replacement succeeds, what is recorded may only be in a file that is no longer
    // the journal's (it is still held for the upstream): try again at the next tick.
    compact_again_ = true;
    return false;
  }
  SyncDir(config_.dir);
  journal_->SetOtherFiles(0);
  journaled_ = link_->recorded();
  compact_again_ = false;
  ++journal_compactions_;
  return true;
}

void Worker::CloseJournal() {
  if (!journal_) return;
  CatchUpJournal(link_->recorded());
  std::string error;
  if (!journal_->FinishBlocking(&error)) {
    spdlog::error("shard {}: the last records could not be saved to the upstream journal: {}",
                  index_, error);
    return;
  }
  // Everything acknowledged: the next start has nothing to send again.
  if (!link_->HasUnacked() && truncate(journal_path_.c_str(), 0) != 0) {
    spdlog::warn("shard {}: cannot empty the upstream journal {}: {}", index_, journal_path_,
                 std::strerror(errno));
  }
}

void Worker::JournalRecord(int db, std::span<const std::string_view> argv) {
  backend::UpstreamLink& link = *link_;
  const uint64_t id = link.recorded();  // the link took it first
  if (journal_->policy() != backend::FsyncPolicy::kAlways && link.spilled() == 0 &&
      !backend::IsFlushRecord(argv[0])) {
    return;
  }
  CatchUpJournal(id - 1);
  journal_->Record(db, argv);
  journaled_ = id;
}

void Worker::CatchUpJournal(uint64_t upto) {
  if (upto <= journaled_) return;
  link_->ForEachHeld(journaled_, upto, [this](int db, std::string_view command) {
    journal_->RecordEncoded(db, command);
  });
  journaled_ = upto;
}

void Worker::JournalSpillStarts() {
  // Before the record's own journal entry: the journal's end is where it will be, once the
  // held records before it are journaled.
  if (journal_) {
    CatchUpJournal(link_->recorded() - 1);
    journal_->CancelRotation();
    spill_offset_ = journal_->end_offset();
    spill_db_ = journal_->stream_db();
  } else {
    spill_offset_ = load_offset_;
    spill_db_ = load_db_;
  }
}

void Worker::RefillFromJournal() {
  backend::UpstreamLink& link = *link_;
  const uint64_t limit = static_cast<uint64_t>(config_.upstream_queue_memory);
  uint64_t want = std::max<uint64_t>(limit / 2, 1u << 20);
  const uint64_t written = journal_->file_size();
  if (spill_offset_ >= written) return;  // the next spilled record is not written yet
  for (;;) {
    const uint64_t n = std::min(want, written - spill_offset_);
    std::string chunk(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r = pread(journal_->fd(), chunk.data() + got, n - got,
                              static_cast<off_t>(spill_offset_ + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        spdlog::error("shard {}: cannot read the upstream journal {} back: {}", index_,
                      journal_path_, r == 0 ? "it is shorter than written" : std::strerror(errno));
        return;
      }
      got += static_cast<size_t>(r);
    }
    size_t taken = 0;
    const backend::AofScanResult scan =
        backend::ScanAof(chunk, [&](std::span<const std::string_view> args) -> std::string {
          if (link.spilled() == 0 || (taken > 0 && link.held_bytes() >= limit)) return "full";
          if (EqualsNoCase(args[0], "select")) {
            // Read and checked once already, at start-up or as written here.
            ReadSelect(args, config_.databases, &spill_db_);
          } else if (args[0] != kFlushedMarker) {
            link.Refill(spill_db_, args);
            ++taken;
          }
          return "";
        });
    spill_offset_ += scan.offset;
    if (scan.status == backend::AofScanResult::kCorrupt && scan.error != "full") {
      spdlog::error("shard {}: the upstream journal {} is unreadable at byte {}: {}", index_,
                    journal_path_, spill_offset_, scan.error);
      return;
    }
    // A record longer than the chunk: read it whole.
    if (scan.offset == 0 && n < written - spill_offset_) {
      want = written - spill_offset_;
      continue;
    }
    return;
  }
}


}  // namespace ringside::proxy
