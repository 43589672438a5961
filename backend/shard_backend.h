// Everything one shard does with its records once a command has applied them, and everything
// it keeps about its upstream: the one backend interface a worker holds.
//
//   record ──▶ sink() ──▶ ShardAof (appendonly)     ─┐
//                     ──▶ UpstreamLink (upstream)   ─┼─▶ Durability: replies that wait
//                     ──▶ UnackedKeys (eviction)     │   for fsync / the upstream's ack
//                     ──▶ UpstreamJournal (outages) ─┘
//   ReadThrough (loads, coherence), RelayPool (relay mode), AofRewriter (BGREWRITEAOF)
//
// Owned by the shard's worker and used on its thread only. What it needs of the thread comes
// through Host: the FileIo and Dialer of its reactor, messages to other shards' backends, and
// the server's view of the files' health. Load runs before the reactor exists, Open after.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/aof_loader.h"
#include "backend/aof_manifest.h"
#include "backend/aof_rewriter.h"
#include "backend/dialer.h"
#include "backend/durability.h"
#include "backend/file_io.h"
#include "backend/read_through.h"
#include "backend/relay_pool.h"
#include "backend/shard_aof.h"
#include "backend/unacked_keys.h"
#include "backend/upstream_journal.h"
#include "backend/upstream_link.h"
#include "shards/store.h"

namespace ringside::backend {

class ShardBackend {
 public:
  struct Options {
    int shard = 0;
    int shards = 1;
    int databases = 16;
    FsyncPolicy fsync = FsyncPolicy::kEverysec;  // appendfsync
    bool aof_load_truncated = true;
    int64_t auto_rewrite_percentage = 100;
    int64_t auto_rewrite_min_size = 64 << 20;
    // The upstream; none when `upstream` is empty.
    std::string upstream;
    std::string user, password;
    bool sync = false;  // upstream-write-policy sync
    int db_base = 0;    // upstream-db
    bool read_through = true;
    int64_t timeout_ms = 5000;                // upstream-timeout
    int64_t read_through_max_size = 1 << 20;  // upstream-read-through-max-size
    std::string journal_dir;
    uint64_t journal_rewrite_size = 64u << 20;
    uint64_t queue_memory = 0;
  };
  class Host {
   public:
    virtual ~Host() = default;
    virtual FileIo& file_io() = 0;
    // Connections to the upstream; called only with one configured.
    virtual Dialer& dialer() = 0;
    // Runs `fn` on shard `shard`'s backend, on its thread (at once when it is this one).
    virtual void OnShard(int shard, std::function<void(ShardBackend&)> fn) = 0;
    // The AOF or the journal could not be written (ok false, with the errno), or can be again.
    virtual void FileStatusChanged(bool ok, int err) = 0;
    virtual int64_t NowMs() const = 0;
  };

  // `manifest` (null with appendonly no) is the server's, shared by every shard.
  ShardBackend(Options options, Host* host, AofManifest* manifest, shards::Store* store,
               UnackedKeys::KeysOf keys_of);
  ~ShardBackend();

  // Before the reactor exists: replays the shard's files into the store, each command that is
  // not the AOF format's own through `apply`.
  bool Load(const AofApply& apply, std::string* error);
  // Once it does: opens the AOF for appending, connects the upstream, reads the journal back.
  bool Open(std::string* error);
  // Once every shard has opened: the most unmarked flushes any shard's journal held.
  void FenceAtStart(uint64_t most_flushes);
  uint64_t journal_flushes_read() const { return journal_ ? journal_->flushes_read() : 0; }
  // Shutting down, once Busy is false: writes and fsyncs what the files still owe.
  void Close();

  // Where the shard's records go (null when nothing takes them), and where the records of
  // keys the store expires or evicts go (only the AOF's business in front of an upstream,
  // which expires its keys itself, and whose copy an eviction here must not touch).
  PropagationSink* sink() { return sink_; }
  PropagationSink* removals_sink() { return link_ ? aof_.get() : sink_; }
  // The id of the last record (0 without an upstream), to take a command's range for
  // SyncRefused.
  uint64_t RecordMark() const { return link_ ? link_->recorded() : 0; }
  Durability& durability() { return durability_; }
  // Under upstream-write-policy sync, for a reply that waited for the records with ids in
  // (from, to], made by its command: whether the upstream refused one of them, with the error
  // in *error. The keys those records wrote are then dropped here, so that they are fetched
  // again from the upstream, which kept what they held before.
  bool SyncRefused(uint64_t from, uint64_t to, std::string* error);
  // Whether `key` may be evicted (its writes are all acknowledged upstream).
  bool MayEvict(int db, std::string_view key) const {
    return !unacked_ || unacked_->MayEvict(db, key);
  }
  // maxmemory on or off: whether to keep track of the keys eviction must keep (off until set).
  void SetTrackUnacked(bool on);
  void SetFsyncPolicy(FsyncPolicy policy);
  void SetTimeout(int64_t ms);
  // upstream-read-through-max-size, likewise.
  void SetReadThroughMaxSize(int64_t bytes);
  // auto-aof-rewrite-percentage and auto-aof-rewrite-min-size, which CONFIG SET may change.
  void SetAutoRewrite(int64_t percentage, int64_t min_size) {
    auto_rewrite_percentage_ = percentage;
    auto_rewrite_min_size_ = min_size;
  }

  // From the loop: files written, the upstream's output sent, relays tended.
  void Flush(bool closing_down);
  // From the timer: fsyncs, rewrites, the journal, reconnects, timeouts.
  void Tick(bool closing_down);
  // A write or fsync in flight, which must finish before the thread goes.
  bool Busy() const;
  // Records the upstream has not acknowledged while its connection is up.
  bool UpstreamBusy() const { return link_ && link_->ready() && link_->HasUnacked(); }

  // The parts, each null when not configured.
  const ShardAof* aof() const { return aof_.get(); }
  AofRewriter* rewriter() { return rewriter_.get(); }
  const UpstreamLink* link() const { return link_.get(); }
  const UpstreamConnection* upstream() const { return upstream_.get(); }
  const UpstreamJournal* journal() const { return journal_.get(); }
  ReadThrough* read_through() { return read_through_.get(); }
  RelayPool* relays() { return relays_.get(); }
  // Whether the write-through connection is up and carrying records.
  bool UpstreamReady() const { return link_ && link_->ready(); }
  // Whether a command for the upstream can go on the write-through connection: it is ready,
  // or its first connection is still being made (connect, TLS handshake, AUTH) and nothing
  // has failed yet, so the command waits in the link for it (up to upstream-timeout). False from a
  // failed attempt or a lost connection until the link is up again.
  bool UpstreamReachable() const {
    return UpstreamReady() || (upstream_ && upstream_->connect_error().empty());
  }
  // How long the oldest record the upstream has not acknowledged has waited, to a tick.
  int64_t upstream_lag_ms() const;

 private:
  bool OpenAof(std::string* error);
  bool OpenUpstream(std::string* error);
  // On shard 0: one more shard's link is at flush gate `gate` (see UpstreamLink), or has
  // marked the flush in its journal.
  void GateReached(uint64_t gate);
  void ReportGate(uint64_t gate);

  const Options options_;
  int64_t auto_rewrite_percentage_;
  int64_t auto_rewrite_min_size_;
  Host* host_;
  AofManifest* manifest_;
  shards::Store* store_;
  UnackedKeys::KeysOf keys_of_;
  AofLoaded loaded_;  // from Load, until Open
  // Declared before what it watches, so it outlives them.
  Durability durability_;
  // Its writes and fsyncs complete on the host's FileIo; never destroyed with one in flight.
  std::unique_ptr<ShardAof> aof_;
  std::unique_ptr<AofRewriter> rewriter_;
  std::unique_ptr<UpstreamLink> link_;
  std::unique_ptr<UnackedKeys> unacked_;
  std::unique_ptr<UpstreamJournal> journal_;
  // Connections are handlers of the host's reactor; the worker destroys this before it.
  std::unique_ptr<UpstreamConnection> upstream_;
  std::unique_ptr<ReadThrough> read_through_;
  std::unique_ptr<RelayPool> relays_;
  // Every sink when there are several.
  struct FanOut final : PropagationSink {
    std::vector<PropagationSink*> sinks;
    void Record(int db, std::span<const std::string_view> argv) override {
      for (PropagationSink* s : sinks) s->Record(db, argv);
    }
  } fan_out_;
  PropagationSink* sink_ = nullptr;
  // At each tick that saw new records: the last record's id and the time, oldest first, while
  // not acknowledged (for upstream_lag_ms).
  std::deque<std::pair<uint64_t, int64_t>> record_times_;
  // On shard 0: how many links have reached each flush gate not yet opened.
  std::map<uint64_t, int> gate_arrivals_;
};

}  // namespace ringside::backend
