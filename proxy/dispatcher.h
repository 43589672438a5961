// How one connection's commands run: looked up in the command table, checked against their
// row (arity, MISCONF, OOM), and routed by key slot. A single-key command for this shard runs
// at once; consecutive ones for another shard travel together in one batch task; a
// multi-key command fans out per shard and its replies are gathered in argument order; a
// chain command (RENAME, MSETNX, SCAN) waits for the connection's earlier commands; with an
// upstream, commands ringside does not serve go to it (PassThrough). Replies go to the
// connection's reply queue, in request order whatever path each command took.
//
// Owned by its connection and used on the connection's thread; tasks it sends to other
// workers carry copies of the arguments (big ones by reference) and only carry the connection
// pointer back home, where a reserved reply slot keeps the connection alive.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/command.h"
#include "proxy/owned_args.h"
#include "proxy/pass_through.h"

namespace ringside::proxy {

class Connection;
class Worker;

class Dispatcher {
 public:
  Dispatcher(Connection* conn, Worker* worker);

  // Runs one parsed command; `args` views stay valid during the call only.
  void Execute(std::span<std::string_view> args);
  // The client may run the command (authenticated, and its user allowed it); otherwise the
  // error is its reply.
  bool Allowed(const CommandRow* row, std::span<const std::string_view> args);
  // The end of what one read parsed: batches for other shards go out.
  void SubmitBatches();
  // A chain command (or a pass-through that waits for every shard) is held until the
  // connection's earlier commands are done; RunDeferred runs it then.
  bool deferred() const { return deferred_.has_value(); }
  void RunDeferred();
  // The client is gone.
  void OnClosed() { pass_.OnClosed(); }

 private:
  void ExecuteCommand(std::span<std::string_view> args);
  // The client, as the shards running its command see it.
  Caller caller() const;
  // Dispatches a command whose row and arity were checked; `promoted` holds its big arguments.
  void Run(const CommandRow& row, std::span<std::string_view> args, PromotedArgs* promoted);
  void ExecuteSingleKey(const CommandRow& row, std::span<std::string_view> args);
  void ExecuteMultiKey(const CommandRow& row, std::span<std::string_view> args);
  void SubmitBatch(int target);
  // auth-mode upstream: the login is checked again, then the command runs from the start.
  void RecheckLogin(std::span<std::string_view> args);
  // kRerun: the command runs from the start (after a pause, or a new check of the login).
  enum class DeferredKind : uint8_t { kRow, kRelay, kPassThrough, kRerun };
  void Defer(DeferredKind kind, const CommandRow* row, std::span<std::string_view> args);

  Connection* conn_;
  Worker* worker_;
  PassThrough pass_;

  // Single-key commands for other shards, gathered per shard while one read is parsed.
  struct BatchItem {
    const CommandRow* row;
    uint64_t seq;
    uint32_t first_arg, argc;
    int db;
    resp::Protocol proto;
    bool track;  // CLIENT TRACKING remembers what it reads
  };
  struct RemoteBatch {
    OwnedArgs args;
    std::vector<BatchItem> items;
  };
  std::vector<RemoteBatch> batches_;  // indexed by shard
  std::vector<int> batched_targets_;  // shards with a non-empty batch
  // A command waiting for the connection's earlier commands to finish.
  struct Deferred {
    DeferredKind kind = DeferredKind::kRow;
    const CommandRow* row = nullptr;  // for kRow
    OwnedArgs args;
  };
  std::optional<Deferred> deferred_;
  // CLIENT TRACKING remembers the keys the command being run reads.
  bool track_ = false;
};

}  // namespace ringside::proxy
