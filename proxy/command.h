// The command table: one row per command. Read/write-ness, arity, key positions and how the
// dispatcher runs a command all come from its row and from nowhere else.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/entry_record.h"
#include "backend/propagation.h"
#include "proxy/bigbulk.h"
#include "resp/reply_scanner.h"
#include "resp/writer.h"

namespace ringside::proxy {

class Worker;
class Connection;

enum CommandFlag : uint32_t {
  kWrite = 1u << 0,      // may change data
  kReadOnly = 1u << 1,   // never changes data
  kFast = 1u << 2,       // O(1) or O(log N)
  kAdmin = 1u << 3,      // server administration
  kNoKeys = 1u << 4,     // takes no key arguments
  kContainer = 1u << 5,  // args[1] names a subcommand (CLIENT LIST, CONFIG GET, ...)
  // Runs as a chain of hops between shards (RENAME, MSETNX, SCAN): starts only once the
  // connection's earlier commands have finished, since a hop arriving from another shard is
  // not ordered behind them.
  kChain = 1u << 6,
  // Replaces its key whatever the key held, without reading it (SET without NX, XX, GET or
  // KEEPTTL; SETEX; MSET): read-through need not fetch the key first. See Overwrites.
  kOverwrite = 1u << 7,
  // Answers from the whole key space (KEYS, SCAN, DBSIZE, RANDOMKEY), which with read-through
  // is the upstream's: passed there once every shard's writes have arrived.
  kKeyspace = 1u << 8,
  // May add data: refused with OOM when maxmemory is reached and nothing may be evicted.
  kDenyOom = 1u << 9,
  // Refused with MISCONF while the append-only file cannot be written, as writes are (PING,
  // so that health checks notice).
  kDenyOnAofError = 1u << 10,
  // With kOverwrite: only when none of NX, XX, GET or KEEPTTL follows the value (SET).
  kOverwriteUnlessReads = 1u << 11,
  // Not served here (a row of commands/upstream.cc): unknown without an upstream; with
  // read-through passed to the upstream. CommandTable::rows() and Find() leave these out.
  kUpstreamOnly = 1u << 12,
  // Keeps state on its connection or blocks it (MULTI, WATCH, SUBSCRIBE, BLPOP, ...): with
  // read-through the client gets an upstream connection of its own (relay mode).
  kRelay = 1u << 13,
  // About the upstream connection itself, or the server's role (AUTH, HELLO, SWAPDB, ...):
  // with read-through refused, never passed on.
  kUpstreamRefused = 1u << 14,
  // Passed through, it names keys other than args[1], or keys ringside cannot find without
  // the upstream's key table: it waits for every shard's records first.
  kAnyKeys = 1u << 15,
  // Runs before the client authenticated (AUTH, HELLO, QUIT, RESET).
  kNoAuth = 1u << 16,
  // Served here only without read-through (standalone, or in front of an upstream that only
  // receives writes). With read-through it is passed to the upstream as a command ringside
  // does not serve (with kAnyKeys, once every shard's records have arrived): its keys may be
  // of types or sizes read-through leaves upstream (SINTER, COPY, RESTORE), or in another
  // database (MOVE).
  kNoReadThrough = 1u << 17,
  // Its keys are found by reading its arguments (SINTERCARD numkeys key ...): like Redis,
  // COMMAND INFO shows key positions 0 0 0 and the flag movablekeys.
  kMovableKeys = 1u << 18,
};

// What a command does to the state of a relay connection (pass_through.cc), as the relay
// tracks it to know when relay mode is over.
enum class RelayEffect : uint8_t {
  kNone,
  kQuit,       // the client leaves
  kMulti,      // opens a transaction
  kExec,       // ends it, running it (a SELECT queued in it takes effect)
  kDiscard,    // ends it, dropping it
  kWatch,      // watches keys until EXEC or DISCARD
  kUnwatch,    // outside a transaction: watches nothing any more
  kSubscribe,  // replies no longer come one per command (SUBSCRIBE, MONITOR, ...)
  kSelect,     // changes the connection's database
};

// Where a command names a database number, which moves by upstream-db when passed on.
enum class DbArg : uint8_t {
  kNone,
  kLast,      // the last argument, when argc is the row's arity (SELECT n, MOVE key n)
  kOptionDb,  // the argument after a DB option (COPY src dst DB n)
};

// How the dispatcher runs a command.
enum class Exec : uint8_t {
  kSingleKey,  // on the shard that owns args[first_key]
  kMultiKey,   // once per key group (key_step arguments) on each key's owner, then merged
  kLocal,      // on the connection's own thread, synchronously, with the connection at hand
  kAsync,      // a hand-written coroutine-free state machine (fan-out to all shards, etc.)
};

// How per-key replies of a kMultiKey command combine into the client's reply.
enum class Merge : uint8_t {
  kNone,
  kArray,  // each part is one RESP value; the reply is an array of them in argument order
  kSum,    // each part is an integer reply; the reply is their sum
  kOk,     // each part is +OK; the reply is +OK
};

// The client a command (or a part of it) runs for, as the shard running it needs to know it.
struct Caller {
  uint64_t id = 0;     // its connection id; 0 for work no client asked for
  int home = 0;        // the worker its connection is on
  bool track = false;  // CLIENT TRACKING remembers the keys its read-only commands read
};

// Everything a handler may touch. A handler runs on exactly one thread: for kSingleKey and
// kMultiKey that is the thread owning the key's shard, and `store` is that shard; `args` views
// stay valid for the duration of the call only.
struct CommandContext {
  std::span<const std::string_view> args;  // args[0] is the command name as the client sent it
  int db = 0;
  shards::Store* store = nullptr;
  resp::Writer* out = nullptr;
  int64_t proto_max_bulk_len = 512ll * 1024 * 1024;
  // Only for kLocal and kAsync handlers, which run on the connection's thread.
  Worker* worker = nullptr;
  Connection* conn = nullptr;
  uint64_t seq = 0;  // the reply slot a kAsync handler completes
  // Arguments that arrived in their own buffers: args[i] is promoted->[k].bytes where
  // promoted->[k].index == promoted_base + i. Null when there are none.
  PromotedArgs* promoted = nullptr;
  uint32_t promoted_base = 0;
  BulkStats* bulk = nullptr;  // the running worker's counters; may be null
  // The shard's propagation sink; null when nothing consumes records (no AOF, no upstream).
  backend::PropagationSink* propagation = nullptr;
  // The client's protocol, for a handler that writes a reply other than into `out` (kAsync).
  resp::Protocol proto = resp::Protocol::kResp2;

  // Records a write the handler applied, in the form Redis propagates it: relative expiries
  // made absolute, results instead of increments. Once per change, in the handler's call.
  void Propagate(std::initializer_list<std::string_view> argv) {
    if (propagation != nullptr) propagation->Record(db, {argv.begin(), argv.size()});
  }
  void Propagate(std::span<const std::string_view> argv) {
    if (propagation != nullptr) propagation->Record(db, argv);
  }
  // Records the command as the client sent it (for a multi-key command, this key group).
  void PropagateAsSent() {
    if (propagation != nullptr) propagation->Record(db, args);
  }

  // args[i] as a value to store: a promoted argument's buffer is moved out (no copy; the view
  // args[i] stays valid as long as the stored value lives), anything else is copied.
  shards::Value TakeValue(size_t i);
};

using Handler = void (*)(CommandContext& ctx);

struct CommandRow {
  std::string_view name;  // lower case, as COMMAND reports it
  int arity;              // Redis convention: N exact argc, -N at least N
  uint32_t flags;
  int first_key;  // 0 when the command takes no key
  int last_key;   // negative counts from the end (-1 = last argument)
  int key_step;
  Exec exec;
  Handler handler;
  Merge merge = Merge::kNone;
  std::string_view group = "generic";  // COMMAND DOCS group
  std::string_view summary = "";
  // The arguments as a usage line, e.g. "key [key ...]", for COMMAND DOCS; the notation is
  // described in proxy/commands/docs.h. Empty for a command that takes no arguments.
  std::string_view syntax = "";
  RelayEffect relay = RelayEffect::kNone;
  DbArg db_arg = DbArg::kNone;
  // How the RESP2 reply of the command, passed through from the upstream, is reshaped for a
  // RESP3 client (HGETALL: a map); nullptr: only its nulls change.
  resp::Resp3Shape (*resp3_shape)(std::span<const std::string_view> argv) = nullptr;
};

// `row` with its resp3_shape, for a row written as one braced list.
inline CommandRow WithResp3Shape(CommandRow row,
                                 resp::Resp3Shape (*shape)(std::span<const std::string_view>)) {
  row.resp3_shape = shape;
  return row;
}

class CommandTable {
 public:
  // The process-wide table, with every family registered.
  static const CommandTable& Get();

  // Rows with kUpstreamOnly go to upstream_rows(), the others to rows().
  void Add(const CommandRow& row);
  // Case-insensitive lookup of a command served here; nullptr for any other.
  const CommandRow* Find(std::string_view name) const {
    const CommandRow* row = FindAny(name);
    return row != nullptr && (row->flags & kUpstreamOnly) == 0 ? row : nullptr;
  }
  // The same, with the rows of commands only the upstream serves.
  const CommandRow* FindAny(std::string_view name) const;
  // The commands ringside serves, as COMMAND lists them.
  const std::vector<CommandRow>& rows() const { return rows_; }
  const std::vector<CommandRow>& upstream_rows() const { return upstream_rows_; }

 private:
  std::vector<CommandRow> rows_;
  std::vector<CommandRow> upstream_rows_;
  // name -> position in rows_, or in upstream_rows_ with kUpstreamIndex set.
  static constexpr size_t kUpstreamIndex = size_t{1} << 63;
  std::unordered_map<std::string, size_t> index_;
};

// Family registration; each lives next to its handlers in proxy/commands/.
void RegisterStringCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterBitCommands(CommandTable& table);     // SETBIT ... BITFIELD, BITOP, LCS
void RegisterObjectCommands(CommandTable& table);  // COPY, MOVE, SWAPDB, OBJECT, MEMORY
void RegisterKeyCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterKeyspaceCommands(CommandTable& table);  // RENAME, KEYS, SCAN, DBSIZE, ...
void RegisterUpstreamCommands(CommandTable& table);  // what only an upstream serves
void RegisterAclCommands(CommandTable& table);       // AUTH, ACL, RESET
void RegisterClientCommands(CommandTable& table);    // CLIENT, MONITOR

// Whether this command (or key group, for a multi-key row) replaces its key without reading
// it: kOverwrite, and with kOverwriteUnlessReads none of the options that read the old value.
bool Overwrites(const CommandRow& row, std::span<const std::string_view> argv);
// True when argc fits the row's arity (and, for key_step 2 multi-key rows, pairs up).
bool ArityOk(const CommandRow& row, size_t argc);
// Redis's exact texts.
std::string ArityError(std::string_view lower_name);
std::string UnknownCommandError(std::span<const std::string_view> args);
// Positions of the key arguments for a row and a concrete argc.
std::vector<size_t> KeyPositions(const CommandRow& row, size_t argc);
// Makes `store` record `DEL key` on `sink` for every key its TTL removes (lazily or by active
// expiry) and every key it evicts, as Redis propagates them. A null sink records nothing.
void PropagateRemovals(shards::Store& store, backend::PropagationSink* sink);
using backend::RecordEntry;
// Combines per-key-group replies of a kMultiKey command, in argument order.
// Consumes `parts`.
resp::Output MergeParts(Merge merge, std::vector<resp::Output>& parts);

}  // namespace ringside::proxy
