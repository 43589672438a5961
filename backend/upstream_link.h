// One shard's write-through stream to the upstream Redis: the shard's propagation records, in
// the order it applied them, sent over one connection and acknowledged reply by reply. It owns
// no socket: the shard's thread moves the bytes (TakeOutput / OnInput) and reports connects and
// disconnects, so the same stream runs on either reactor and in unit tests without one.
//
// Every record stays held until the upstream has replied to it. When the connection drops, the
// records sent but not yet answered are sent again, in order, on the next connection (after
// AUTH and SELECT), so nothing acknowledged locally is lost while ringside runs.
//
// Used by the shard's thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/propagation.h"

struct redisReader;
struct redisReply;

namespace ringside::backend {

// A reply as the upstream sent it, in RESP2, read from hiredis's parse (a reader made by
// CreateReplyReader, which tells a nil array from a nil string).
void AppendReply(std::string* out, const redisReply* reply);
redisReader* CreateReplyReader();
// Feeds `data` to `reader` and calls `fn` with each reply now complete (valid during the call
// only), until `fn` returns false. False when the bytes are not RESP (with *error saying so)
// or `fn` returned false.
bool ReadReplies(redisReader* reader, std::string_view data, std::string* error,
                 const std::function<bool(const redisReply*)>& fn);
// Appends the AUTH an upstream connection starts with: the password alone when `user` is
// empty (as requirepass expects). Nothing, and false, without a password.
bool AppendAuth(std::string* out, const std::string& user, const std::string& password);

// One kind of conversation over an upstream connection (the write-through stream, the
// invalidation subscription): what to send and what to make of the replies. The connection
// itself (proxy::Upstream) dials, reconnects and moves the bytes.
class UpstreamProtocol {
 public:
  virtual ~UpstreamProtocol() = default;
  // What to send on the connection now, in order: bytes, and buffers big enough to be sent
  // from where they are held (`shared` set; the pointer keeps them alive until sent).
  struct OutputPiece {
    std::string bytes;
    std::shared_ptr<const std::string> shared;
  };
  // A new connection is up.
  virtual void Connected() = 0;
  // The connection is gone.
  virtual void Disconnected() = 0;
  virtual std::vector<OutputPiece> TakeOutputPieces() = 0;
  // Bytes the upstream sent. False when the connection must be closed (last_error() says why).
  virtual bool OnInput(std::string_view data) = 0;
  // Authenticated and doing what it is for.
  virtual bool ready() const = 0;
  virtual const std::string& last_error() const = 0;
};

struct UpstreamStats {
  uint64_t pending_records = 0;  // recorded and not yet acknowledged
  uint64_t acked_records = 0;
  uint64_t record_errors = 0;  // records the upstream answered with an error
  uint64_t reconnects = 0;     // connections made after the first
  uint64_t sent_bytes = 0;
  uint64_t pending_bytes = 0;    // the records not yet acknowledged, as held in memory
  uint64_t spilled_records = 0;  // of those, only in the journal for now
  // Filled in by the shard: its journal's file, and how often it was started afresh.
  uint64_t journal_bytes = 0;
  uint64_t journal_compactions = 0;
  // How long the oldest record not acknowledged yet has waited (to the shard's tick); summed,
  // the largest.
  int64_t lag_ms = 0;

  UpstreamStats& operator+=(const UpstreamStats& o);
};

class UpstreamLink final : public PropagationSink, public UpstreamProtocol {
 public:
  // `user` may be empty (AUTH with the password alone, as requirepass expects); an empty
  // `password` sends no AUTH.
  UpstreamLink(std::string user, std::string password);
  ~UpstreamLink() override;
  UpstreamLink(const UpstreamLink&) = delete;
  UpstreamLink& operator=(const UpstreamLink&) = delete;

  // FLUSHALL and FLUSHDB are fenced (see Gate below); everything else goes out in order.
  void Record(int db, std::span<const std::string_view> argv) override;
  // A record read back from the journal. Flushes are fenced as Record fences them, but their
  // gates are not reported before FenceAtStart.
  void Replay(int db, std::span<const std::string_view> argv);
  // Once every shard has read its journal: `pairs` empty fences go before everything (the
  // flushes other shards' journals still hold and this one's no longer does), and the gates
  // start being reported.
  void FenceAtStart(uint64_t pairs);

  // Flush fences. A flush wipes the upstream's keys of every shard, while each shard sends it
  // on its own link; unfenced, one shard's flush could land after another shard's later
  // writes and wipe them, or before its earlier ones and miss them. So each flush record has a
  // gate before it (every link has its records up to there acknowledged) and one after it
  // (every link's flush is acknowledged): at each gate the link stops sending, reports
  // through on_gate (with the gate's number, counted from 0 and the same on every link, since
  // each shard records every flush), and goes on when OpenGate is called.
  void set_on_gate(std::function<void(uint64_t gate)> fn) { on_gate_ = std::move(fn); }
  void OpenGate();
  // Some flush gate is not opened yet.
  bool fenced() const { return !gates_.empty(); }

  // Commands sent for their replies (read-through loads, commands passed through): each goes
  // out after the records made before it, behind the same gates, in the database given, and
  // `done` gets the reply. `tracked` says the keys it read are watched by the invalidation
  // subscription (see set_tracking_redirect) from before it ran until now. A query in flight
  // when the connection drops is sent again on the next one when `resend`, else `done` gets
  // a null reply (whether the upstream ran it is unknown).
  using QueryDone = std::function<void(const redisReply* reply, bool tracked)>;
  void Query(int db, std::span<const std::string_view> argv, bool resend, QueryDone done);
  // Queries not yet answered.
  size_t queries() const { return queries_.size(); }

  // Invalidation. With a redirect (the client id of a connection subscribed to
  // __redis__:invalidate), each connection registers CLIENT TRACKING ON REDIRECT <id> BCAST
  // NOLOOP before anything else, so the upstream reports every key changed by anyone but
  // this connection. on_tracking_lost is called whenever what was reported until now can no
  // longer be relied on: the connection dropped, the registration was refused, or the
  // redirect changed (0: the subscription is gone).
  void set_tracking_redirect(int64_t client_id);
  void set_on_tracking_lost(std::function<void()> fn) { on_tracking_lost_ = std::move(fn); }
  // Queries sent from now on run with their keys watched.
  bool tracking() const { return tracking_sent_; }

  // A new connection is up: AUTH goes first, then the tracking registration, then every
  // record not yet acknowledged.
  void Connected() override;
  // The connection is gone; what it had in flight is sent again on the next one.
  void Disconnected() override;
  bool connected() const { return connected_; }
  // What to send on the connection now (big records by reference). Empty when there is
  // nothing, or no connection.
  std::vector<OutputPiece> TakeOutputPieces() override;
  // Records at least this long go out by reference rather than copied into the output.
  static constexpr size_t kSendInPlace = 16 << 10;
  // The same, as one string.
  std::string TakeOutput();
  // Bytes the upstream sent. False when the connection must be closed: an unparsable reply, or
  // a refused AUTH (last_error() says which).
  bool OnInput(std::string_view data) override;

  // Records the upstream answered with an error (other than the transient ones it retries),
  // kept for upstream-write-policy sync so that the replies waiting for them can say so:
  // TakeError gives the first such record with an id in (from, to], with the database and key
  // it wrote, and forgets those. At most kMaxKeptErrors are kept, oldest dropped first.
  struct RecordError {
    uint64_t id;
    int db;
    std::string key;
    std::string error;
  };
  void set_keep_errors(bool keep) { keep_errors_ = keep; }
  // upstream-db: database d of the records and queries is kept in upstream database
  // base + d. Set before the first connection.
  void set_db_base(int base) { db_base_ = base; }
  std::vector<RecordError> TakeErrors(uint64_t from, uint64_t to);
  static constexpr size_t kMaxKeptErrors = 1024;

  // Records made so far, counted from 1; the id of the last one.
  uint64_t recorded() const { return recorded_; }
  // Every record up to this id has been acknowledged.
  uint64_t acked() const { return acked_; }
  bool HasUnacked() const { return acked_ < recorded_; }
  // Called with acked() each time it advances.
  void set_on_acked(std::function<void(uint64_t)> fn) { on_acked_ = std::move(fn); }
  // Whether the connection is authenticated (or needs no AUTH) and carrying records.
  bool ready() const override { return connected_ && !auth_pending_; }
  // Bounded memory. With a limit, a record that would take the held records past it is not
  // kept here (it is in the journal): the link counts it as spilled, and so every record
  // after it until all spilled ones were handed back, oldest first, with Refill. on_spill is
  // called when spilling starts, before the record's own journal entry is made. 0: no limit.
  void set_memory_limit(uint64_t bytes) { memory_limit_ = bytes; }
  void set_on_spill(std::function<void()> fn) { on_spill_ = std::move(fn); }
  uint64_t spilled() const { return spilled_; }
  // Spilled records wait and the held ones are down to half the limit.
  bool WantsRefill() const { return spilled_ > 0 && held_bytes_ < memory_limit_ / 2; }
  // The oldest spilled record, read back from the journal.
  void Refill(int db, std::span<const std::string_view> argv);

  // The records not yet acknowledged, as a journal holds them: RESP commands with a SELECT
  // before the first and wherever the database changes. Their encoded size is held_bytes().
  void AppendHeld(std::string* out) const;
  // Calls `fn` with each held record whose id is in (after, upto], oldest first.
  void ForEachHeld(uint64_t after, uint64_t upto,
                   const std::function<void(int db, std::string_view command)>& fn) const;
  uint64_t held_bytes() const { return held_bytes_; }
  const std::string& last_error() const override { return last_error_; }
  UpstreamStats stats() const;

 private:
  enum class Sent : uint8_t { kAuth, kSelect, kRecord, kQuery, kTracking };
  struct PendingQuery {
    uint64_t after;  // the id of the last record made before it
    int db;
    std::string command;
    bool resend;
    QueryDone done;
    uint64_t epoch = 0;  // tracking_epoch_ when it was sent, 0 when untracked
  };
  struct Held {
    int db;
    std::shared_ptr<const std::string> command;  // the record as RESP
  };
  bool OnReply(const redisReply* reply);
  // Appends a SELECT when the connection is not in `db`.
  void SelectDb(int db);
  void SendTracking();
  void TrackingLost();
  void Hold(int db, std::span<const std::string_view> argv);
  Held Encode(int db, std::span<const std::string_view> argv);
  // Reports the first gate once every record before it is acknowledged.
  void CheckGate();

  std::string user_, password_;
  // Records not yet acknowledged, oldest first; held_[i] has id acked_ + 1 + i. The spilled
  // ones come after them.
  std::deque<Held> held_;
  size_t sent_records_ = 0;  // of held_, already written on the current connection
  std::deque<Sent> in_flight_;
  std::string out_;
  int conn_db_ = 0;  // the database the connection is in, as far as what was sent goes
  int db_base_ = 0;
  bool connected_ = false;
  bool auth_pending_ = false;
  bool ever_connected_ = false;
  redisReader* reader_ = nullptr;
  uint64_t recorded_ = 0, acked_ = 0;
  uint64_t held_bytes_ = 0;
  uint64_t memory_limit_ = 0;
  uint64_t spilled_ = 0;  // recorded, and neither held here nor acknowledged
  std::function<void()> on_spill_;
  uint64_t record_errors_ = 0, reconnects_ = 0, sent_bytes_ = 0;
  std::string last_error_;
  std::function<void(uint64_t)> on_acked_;
  // Gates not yet opened, oldest first, each as the id of the last record before it.
  std::deque<uint64_t> gates_;
  uint64_t gates_opened_ = 0;
  bool gate_reported_ = false;
  bool gates_started_ = true;  // false while reading the journal back
  std::function<void(uint64_t)> on_gate_;
  bool keep_errors_ = false;
  std::deque<RecordError> errors_;
  // Not answered yet, oldest first; the first sent_queries_ are on the current connection.
  std::deque<PendingQuery> queries_;
  size_t sent_queries_ = 0;
  int64_t redirect_ = 0;
  bool tracking_sent_ = false;   // the registration went out on this connection
  uint64_t tracking_epoch_ = 1;  // advanced whenever the registration is lost
  std::function<void()> on_tracking_lost_;
};

}  // namespace ringside::backend
