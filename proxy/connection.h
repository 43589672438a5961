// One client connection. Owned by the worker whose reactor accepted it and touched only on that
// worker's thread. It parses requests, dispatches them through the command table, and keeps
// replies in request order whatever shard each command ran on.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/command.h"
#include "proxy/owned_args.h"
#include "proxy/io/reactor.h"
#include "resp/parser.h"
#include "proxy/worker.h"

namespace ringside::proxy {

class Worker;

class Connection final : public StreamHandler, public backend::RelayClient {
 public:
  Connection(Worker* worker, int fd, uint64_t id, std::string addr, std::string laddr);
  ~Connection() override;

  // StreamHandler
  void OnRead(std::string_view data) override;
  void OnClosed() override;
  std::span<char> DirectReadTarget() override;
  void OnDirectRead(size_t n) override;

  uint64_t id() const { return id_; }
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  const std::string& addr() const { return addr_; }
  const std::string& laddr() const { return laddr_; }
  const std::string& last_cmd() const { return last_cmd_; }
  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  // Received input not yet executed: the input buffer plus BigBulk buffers being filled.
  size_t query_buffer_bytes() const;
  size_t output_bytes() const;

  // Reserves the next reply slot for a reply that will arrive later (kAsync or cross-shard).
  // Holds a reference on the connection until Complete() is called for it.
  uint64_t ReserveSlot();
  // Fills a reserved slot; replies leave in slot order. Safe after the client has gone.
  void Complete(uint64_t seq, std::string reply);
  void Complete(uint64_t seq, resp::Output reply);
  // A reply made on this connection's own shard: sent in turn, but with appendfsync always not
  // before every record the shard made so far is durable.
  // `records_from`: the last record id before the command ran (Worker::RecordMark), so that
  // under upstream-write-policy sync an upstream refusing its records makes the reply an error.
  void ReplyWhenDurable(resp::Output reply, uint64_t records_from);
  // Sends +OK-style final reply then closes once everything before it is out (QUIT).
  void CloseAfterReplies() { close_after_replies_ = true; }
  // Closes now, dropping unsent replies (CLIENT KILL).
  void Kill();
  // Holds back parsing of further commands until slot `seq` completes, for commands whose
  // effects travel between shards in several hops (a later command must not overtake them).
  void BlockUntil(uint64_t seq);
  // Called by the worker after replies arrived: resumes parsing held-back input and flushes.
  void OnWake();
  // Hands accumulated replies to the reactor.
  void Flush();
  bool Idle() const { return slots_.empty() && out_.empty(); }

 private:
  void Process(std::string_view data, size_t* consumed);
  void ProcessBuffered();
  // Keeps input the parser has not consumed: after `frame` (the bytes of the command being
  // parsed so far, already in inbuf_ or about to be) either all of it goes to inbuf_, or, when
  // the parser waits for a big bulk body, the body's bytes go to a buffer of its own.
  void Stash(std::string_view rest);
  // inbuf_ += data, counting the copy and any growth.
  void AppendInput(std::string_view data);
  // BigBulk ingest (connection_bigbulk.cc).
  // Gives the pending bulk of the frame at the start of `frame` its own buffer when
  // it qualifies, copying the body bytes `frame` already holds. Returns how many bytes of
  // `frame` remain part of inbuf_'s frame (all of them when nothing was promoted). `in_inbuf`:
  // `frame` is inbuf_ itself, so its body bytes were already copied once.
  size_t MaybePromote(std::string_view frame, bool in_inbuf);
  // Feeds received bytes to the argument being promoted; returns how many it took.
  size_t FeedPromotion(std::string_view data);
  void MaybeRequestDirectRead();
  // The big argument at position `i` of the command being executed, or nullptr.
  shards::SharedBytes* PromotedAt(size_t i);
  void DropPromotions();
  // Adds args[i] to a task's arguments: a big argument by reference (returns true), anything
  // else copied.
  bool AddArg(std::span<std::string_view> args, size_t i, OwnedArgs* out);
  // Closes the client when it holds more unexecuted input than client-query-buffer-limit.
  bool KillIfPastQueryBufferLimit();
  // Parsing is held back (a multi-hop command in flight, or too many replies outstanding).
  bool Held() const { return blocked_ || throttled_ || deferred_.has_value(); }
  void UpdateReading();
  void Execute(std::span<std::string_view> args);
  // Dispatches a command whose row and arity were checked; `promoted` holds its big arguments.
  void Run(const CommandRow& row, std::span<std::string_view> args, PromotedArgs* promoted);
  void RunDeferred();
  void ExecuteSingleKey(const CommandRow& row, std::span<std::string_view> args);
  // pass_through.cc: a command the upstream runs, its reply relayed in its slot. `any_keys`:
  // its keys are not all at args[1], so every shard's records go first.
  void ExecutePassThrough(std::span<std::string_view> args, bool any_keys);
  // Whether `row` (null: a command without one) is refused in front of an upstream, with the
  // error in *error.
  static bool PassThroughRefused(const CommandRow* row, std::string_view lower_name,
                                 std::string* error);
  // Relay mode (pass_through.cc): from a command that keeps state on its connection or blocks
  // it (MULTI, WATCH, SUBSCRIBE, BLPOP, ...: kRelay rows) until that state is over, every command
  // goes to an upstream connection of this client's own, and its replies come back as they
  // arrive.
  // A command passed through that waits for every shard's records (see pass_through.cc).
  static bool PassThroughNeedsAllShards(const CommandRow* row, size_t argc);
  void StartRelay(std::span<std::string_view> args);
  void ForwardToRelay(std::span<const std::string_view> args);
  void EndRelay();

 public:
  // backend::RelayClient: from this connection's relay, a reply or published message, and the
  // connection's loss.
  void OnRelayReply(std::string reply) override;
  void OnRelayLost() override;

 private:
  void ExecuteMultiKey(const CommandRow& row, std::span<std::string_view> args);
  // Sends the commands batched for other shards.
  void SubmitBatches();
  void SubmitBatch(int target);
  // Where a synchronous reply goes: straight to the output when nothing is pending before it.
  resp::Output* SyncReplyTarget();
  void Unref();
  void MaybeFinish();

  Worker* worker_;
  StreamId stream_ = 0;
  uint64_t id_;
  std::string addr_, laddr_, name_, last_cmd_;
  int db_ = 0;
  int64_t created_ms_;
  int64_t last_interaction_ms_;

  resp::Parser parser_;
  std::string inbuf_;
  std::vector<std::string_view> args_;

  // BigBulk: the argument being received into its own buffer.
  struct Promotion {
    std::shared_ptr<char[]> buf;
    size_t size = 0;        // announced length: the buffer's size
    size_t filled = 0;      // body bytes received
    size_t trailer = 2;     // bytes after the body (CRLF) still to skip
    uint32_t index = 0;     // position in the command
    bool direct = false;    // direct reads were requested for it
    bool switched = false;  // and the reactor switched to them
  };
  std::optional<Promotion> promo_;
  // Completed big arguments of the command being parsed; handed to the command that uses them.
  PromotedArgs promoted_;
  bool inbuf_grew_ = false;    // the last AppendInput reallocated inbuf_
  size_t last_append_ = 0;     // bytes the last AppendInput added
  bool single_reads_ = false;  // the reactor reads one buffer at a time for this connection
  uint32_t reads_since_promotion_ = 0;

  struct Slot {
    bool ready = false;
    resp::Output data;
  };
  std::deque<Slot> slots_;  // pending replies, oldest first
  uint64_t first_slot_seq_ = 0;
  resp::Output out_;  // replies ready to hand to the reactor

  // Single-key commands for other shards, gathered per shard while one read is parsed.
  struct BatchItem {
    const CommandRow* row;
    uint64_t seq;
    uint32_t first_arg, argc;
    int db;
  };
  struct RemoteBatch {
    OwnedArgs args;
    std::vector<BatchItem> items;
  };
  std::vector<RemoteBatch> batches_;  // indexed by shard
  std::vector<int> batched_targets_;  // shards with a non-empty batch

  int refs_ = 0;  // reserved slots not yet completed
  bool stream_open_ = true;
  bool close_after_replies_ = false;
  bool closing_ = false;
  bool dirty_ = false;  // listed in the worker's dirty list
  // Back-pressure: too many replies outstanding, so parsing stops; and with held-back input
  // piling up, reading from the socket stops too.
  bool throttled_ = false;
  bool reading_paused_ = false;
  bool blocked_ = false;
  uint64_t block_seq_ = 0;
  // A kChain command waiting for the connection's earlier commands to finish.
  struct Deferred {
    enum Kind : uint8_t { kRow, kRelay, kPassThrough } kind = kRow;
    const CommandRow* row = nullptr;  // for kRow
    OwnedArgs args;
  };
  std::optional<Deferred> deferred_;
  void Defer(Deferred::Kind kind, const CommandRow* row, std::span<std::string_view> args);
  // Relay mode: the relay, what the client's commands have opened on it, and the arguments
  // sent (up to a size), forgotten by their shards when relay mode ends.
  backend::Relay* relay_ = nullptr;
  bool relay_multi_ = false;
  bool relay_watching_ = false;
  bool relay_subscribed_ = false;
  int relay_skip_ = 0;  // replies to commands ringside sent itself (SELECT)
  int relay_multi_db_ = -1;  // a SELECT queued in the transaction
  bool relay_quit_ = false;  // QUIT went to the relay: nothing after it runs
  // What to do with each reply still due, in order (while not subscribed).
  struct RelayAction {
    enum Kind : uint8_t { kNone, kSelect, kExecSelect, kReplace, kQuit } kind = kNone;
    int db = 0;
    std::string text;  // kReplace: the reply the client gets instead
  };
  std::deque<RelayAction> relay_actions_;
  std::vector<std::string> relay_args_;

  friend class Worker;
};

}  // namespace ringside::proxy
