#include "backend/upstream_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "backend/aof_loader.h"
#include "backend/aof_reader.h"
#include "backend/file_write.h"

namespace ringside::backend {

namespace {

constexpr uint64_t kCompactMaxHeld = 1u << 20;
constexpr std::string_view kPrefix = "upstream-journal-";
constexpr std::string_view kSuffix = ".resp";
// The journal's own record: the oldest flush of the file not marked yet is acknowledged by
// every shard. Never sent upstream.
constexpr std::string_view kFlushedMarker = "RINGSIDE-FLUSH-DONE";

// A journal's SELECT: true with the database in *db, false for a database this server lacks.
bool ReadSelect(std::span<const std::string_view> args, int databases, int* db) {
  const int n = args.size() == 2 ? SelectedDatabase(args[1], databases) : -1;
  if (n < 0) return false;
  *db = n;
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

UpstreamJournal::UpstreamJournal(Options options, UpstreamLink* link, FileIo* io,
                                 Durability* durability, std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      link_(link),
      io_(io),
      durability_(durability),
      now_ms_(std::move(now_ms)) {}

UpstreamJournal::~UpstreamJournal() {
  if (durability_ != nullptr) durability_->set_journal(nullptr);
}

void UpstreamJournal::FenceAtStart(uint64_t most_flushes) {
  empty_fences_ = most_flushes - flushes_read_;
  link_->FenceAtStart(empty_fences_);
}

void UpstreamJournal::set_policy(FsyncPolicy policy) {
  if (file_) file_->set_policy(policy);
}

void UpstreamJournal::Flush() {
  file_->Flush();
  if (link_->WantsRefill()) Refill();
}

bool UpstreamJournal::CheckOtherJournals(std::string* error) {
  DIR* d = opendir(options_.dir.c_str());
  if (d == nullptr) return true;
  bool ok = true;
  while (dirent* e = readdir(d)) {
    const int shards = ShardsOf(e->d_name);
    if (shards == 0 || shards == options_.shards) continue;
    const std::string path = options_.dir + "/" + e->d_name;
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

bool UpstreamJournal::LoadFile(const std::string& path, int fd, uint64_t* size,
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
  ScanAof(bytes, [&](std::span<const std::string_view> args) -> std::string {
    if (args[0] == kFlushedMarker) ++marked;
    return "";
  });
  int db = 0;
  uint64_t flushes = 0;
  UpstreamLink& link = *link_;
  const AofScanResult scan =
      ScanAof(bytes, [&](std::span<const std::string_view> args) -> std::string {
        if (IsCommand(args[0], "select")) {
          return ReadSelect(args, options_.databases, &db)
                     ? ""
                     : "SELECT of a database this server does not have";
        }
        if (args[0] == kFlushedMarker) return "";
        const bool flush = IsFlushRecord(args[0]);
        if (flush) ++flushes;
        // Up to and including the last marked flush: skipped.
        if (flushes < marked || (flushes == marked && flush && marked > 0)) return "";
        if (flush) ++flushes_read_;
        // Where a refill would read this record again, should the link spill it.
        load_offset_ = CommandStart(bytes, args);
        load_db_ = db;
        link.Replay(db, args);
        return "";
      });
  if (scan.status == AofScanResult::kCorrupt) {
    *error = "the upstream journal " + path + " is unreadable at byte offset " +
             std::to_string(scan.offset) + ": " + scan.error +
             "; move it away to start without the records it holds";
    return false;
  }
  *size = bytes.size();
  if (scan.status == AofScanResult::kTruncated) {
    // A write cut short by a crash: beyond what appendfsync promises, nothing in it was
    // acknowledged to a client as durable.
    spdlog::warn(
        "shard {}: the upstream journal {} ends inside a record at byte {} of {}; "
        "cut it there",
        options_.shard, path, scan.offset, bytes.size());
    if (ftruncate(fd, static_cast<off_t>(scan.offset)) != 0) {
      *error = ErrnoText("cannot truncate", path);
      return false;
    }
    *size = scan.offset;
  }
  return true;
}

bool UpstreamJournal::Open(std::string* error) {
  if (mkdir(options_.dir.c_str(), 0750) != 0 && errno != EEXIST) {
    *error = ErrnoText("cannot create dir", options_.dir);
    return false;
  }
  if (options_.shard == 0 && !CheckOtherJournals(error)) return false;
  path_ = options_.dir + "/" + JournalName(options_.shard, options_.shards);
  const std::string tmp = path_ + ".new";
  link_->set_memory_limit(options_.queue_memory);
  link_->set_on_spill([this] { SpillStarts(); });
  const int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  uint64_t size = 0;
  if (fd < 0) {
    *error = ErrnoText("cannot open the upstream journal", path_);
    return false;
  }
  if (!LoadFile(path_, fd, &size, error)) {
    close(fd);
    return false;
  }
  // A replacement that never got renamed into place: the old file holds all it held.
  unlink(tmp.c_str());
  UpstreamLink& link = *link_;
  journaled_ = mark_ = link.recorded();  // all read from the file
  if (link.HasUnacked()) {
    spdlog::info("shard {}: {} records from the upstream journal go to the upstream first",
                 options_.shard, link.recorded());
  }
  file_ = std::make_unique<ShardAof>(fd, size, 0, io_, options_.policy, now_ms_);
  file_->set_on_synced([this](uint64_t synced) { durability_->JournalSynced(synced); });
  durability_->set_journal(file_.get());
  file_->set_on_status([this](bool ok, int err) {
    if (ok) {
      spdlog::warn("shard {}: the upstream journal is written again", options_.shard);
    } else {
      spdlog::warn(
          "shard {}: error writing the upstream journal {}: {}; write commands are "
          "refused until it can be written again",
          options_.shard, path_, std::strerror(err));
    }
    if (on_status_) on_status_(ok, err);
  });
  return true;
}

void UpstreamJournal::Tick() {
  // Records still unacknowledged a tick after they were made go to the journal; most are
  // acknowledged before that and never touch the disk.
  CatchUp(mark_);
  mark_ = link_->recorded();
  file_->Tick();
  const UpstreamLink& link = *link_;
  const uint64_t rewrite_size = options_.rewrite_size;
  const bool due = compact_again_ || (file_->stats().current_size >= rewrite_size &&
                                      link.held_bytes() <= kCompactMaxHeld);
  if (!due || link.fenced() || link.spilled() > 0) {
    file_->CancelRotation();
    return;
  }
  if (!file_->ReadyToRotate()) {
    file_->RequestRotation();
    return;
  }
  Compact();
}

void UpstreamJournal::MarkFlushDone(uint64_t gate) {
  if (empty_fences_ > 0) {
    // A fence for a flush this journal no longer holds: nothing to mark.
    --empty_fences_;
    report_gate_(gate);
    return;
  }
  const std::string_view marker[] = {kFlushedMarker};
  file_->Record(0, marker);
  file_->SyncWhenWritten();
  durability_->AfterJournalSynced(file_->appended(), [this, gate] { report_gate_(gate); });
}

bool UpstreamJournal::Compact() {
  // The new file holds every record still owed to the upstream, those recorded but not yet
  // written included, so the old file may go with whatever it still receives.
  std::string held;
  link_->AppendHeld(&held);
  const std::string tmp = path_ + ".new";
  const int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  std::string error;
  if (fd < 0 || PwriteAll(fd, held, 0) != 0 || fdatasync(fd) != 0 ||
      rename(tmp.c_str(), path_.c_str()) != 0 ||
      !file_->RotateTo(fd, &error, held.size(), /*sync_old=*/false)) {
    if (error.empty()) error = std::strerror(errno);
    spdlog::warn("shard {}: cannot replace the upstream journal {}: {}", options_.shard, path_,
                 error);
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    file_->CancelRotation();
    // Until a replacement succeeds, what is recorded may only be in a file that is no longer
    // the journal's (it is still held for the upstream): try again at the next tick.
    compact_again_ = true;
    return false;
  }
  SyncDir(options_.dir);
  file_->SetOtherFiles(0);
  journaled_ = link_->recorded();
  compact_again_ = false;
  ++compactions_;
  return true;
}

void UpstreamJournal::Close() {
  if (!file_) return;
  CatchUp(link_->recorded());
  std::string error;
  if (!file_->FinishBlocking(&error)) {
    spdlog::error("shard {}: the last records could not be saved to the upstream journal: {}",
                  options_.shard, error);
    return;
  }
  // Everything acknowledged: the next start has nothing to send again.
  if (!link_->HasUnacked() && truncate(path_.c_str(), 0) != 0) {
    spdlog::warn("shard {}: cannot empty the upstream journal {}: {}", options_.shard, path_,
                 std::strerror(errno));
  }
}

void UpstreamJournal::Record(int db, std::span<const std::string_view> argv) {
  UpstreamLink& link = *link_;
  const uint64_t id = link.recorded();  // the link took it first
  if (file_->policy() != FsyncPolicy::kAlways && link.spilled() == 0 && !IsFlushRecord(argv[0])) {
    return;
  }
  CatchUp(id - 1);
  file_->Record(db, argv);
  journaled_ = id;
}

void UpstreamJournal::CatchUp(uint64_t upto) {
  if (upto <= journaled_) return;
  link_->ForEachHeld(journaled_, upto, [this](int db, std::string_view command) {
    file_->RecordEncoded(db, command);
  });
  journaled_ = upto;
}

void UpstreamJournal::SpillStarts() {
  // Before the record's own journal entry: the journal's end is where it will be, once the
  // held records before it are journaled.
  if (file_) {
    CatchUp(link_->recorded() - 1);
    file_->CancelRotation();
    spill_offset_ = file_->end_offset();
    spill_db_ = file_->stream_db();
  } else {
    spill_offset_ = load_offset_;
    spill_db_ = load_db_;
  }
}

void UpstreamJournal::Refill() {
  UpstreamLink& link = *link_;
  const uint64_t limit = options_.queue_memory;
  uint64_t want = std::max<uint64_t>(limit / 2, 1u << 20);
  const uint64_t written = file_->file_size();
  if (spill_offset_ >= written) return;  // the next spilled record is not written yet
  for (;;) {
    const uint64_t n = std::min(want, written - spill_offset_);
    std::string chunk(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r =
          pread(file_->fd(), chunk.data() + got, n - got, static_cast<off_t>(spill_offset_ + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        spdlog::error("shard {}: cannot read the upstream journal {} back: {}", options_.shard,
                      path_, r == 0 ? "it is shorter than written" : std::strerror(errno));
        return;
      }
      got += static_cast<size_t>(r);
    }
    size_t taken = 0;
    const AofScanResult scan =
        ScanAof(chunk, [&](std::span<const std::string_view> args) -> std::string {
          if (link.spilled() == 0 || (taken > 0 && link.held_bytes() >= limit)) return "full";
          if (IsCommand(args[0], "select")) {
            // Read and checked once already, at start-up or as written here.
            ReadSelect(args, options_.databases, &spill_db_);
          } else if (args[0] != kFlushedMarker) {
            link.Refill(spill_db_, args);
            ++taken;
          }
          return "";
        });
    spill_offset_ += scan.offset;
    if (scan.status == AofScanResult::kCorrupt && scan.error != "full") {
      spdlog::error("shard {}: the upstream journal {} is unreadable at byte {}: {}",
                    options_.shard, path_, spill_offset_, scan.error);
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

}  // namespace ringside::backend
