// Pass-through: with an upstream and read-through, a command the local store does not serve
// (other data types, scripts, pub/sub publishing, server queries) goes to the upstream and its
// reply comes back byte for byte, in its place among the connection's other replies. So do
// the commands that answer from the whole key space (KEYS, SCAN, DBSIZE, RANDOMKEY), since the
// local store holds only part of it.
//
// Where it goes: a command whose keys are all at args[1] (HSET, LPUSH, SETBIT, ...) goes on the
// write-through connection of the shard owning that key, right after the records the shard
// made before it, and the shard first forgets what it held of the key, so that nothing stale
// is read here afterwards and a later load of the key comes after the command. Any other
// command (kAnyKeys rows: several keys, keys elsewhere in its arguments, or none) first waits
// until every shard's records are acknowledged, each shard forgetting the arguments it owns,
// and then goes on the connection's own shard; later commands of the connection wait for its
// reply, as for the commands that hop between shards. Keys the command changes that another
// shard owns are reported to that shard by the upstream's tracking.
//
// Commands that hold state on their connection or block it (kRelay rows: MULTI, WATCH,
// SUBSCRIBE, BLPOP, ...) put the client connection in relay mode: once every shard's records
// are acknowledged, the client gets an upstream connection of its own (a relay, taken from a
// small pool of connected ones), and from then on every command it sends goes there as it is,
// local ones included, and every reply or published message comes back as it arrives, until
// the state is over (EXEC or DISCARD with nothing watched, the blocking command's reply; a
// subscription or MONITOR lasts as long as the client). Then each shard forgets the arguments
// it owns, so that what the relay changed is read afresh, and the relay is RESET and goes
// back to the pool. A relay that breaks closes its client, as the upstream would have.
// Commands about the upstream connection itself (kUpstreamRefused rows: SWAPDB, FAILOVER,
// REPLICAOF, ...) are refused.
//
// A command passed through while the upstream is unreachable fails at once, as it would for a
// client connected to the upstream directly, and so does one whose connection is lost before
// the reply (it may or may not have run).
//
// One per connection, owned by its Dispatcher, on the connection's thread. Used only with
// read-through on, so the worker's read_through() and relays() are there.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/relay_pool.h"
#include "proxy/command.h"

namespace ringside::proxy {

class Connection;
class Dispatcher;
class Worker;

class PassThrough final : public backend::RelayClient {
 public:
  // `dispatcher` owns this object; its batches go out before a command passed on.
  PassThrough(Connection* conn, Worker* worker, Dispatcher* dispatcher)
      : conn_(conn), worker_(worker), dispatcher_(dispatcher) {}

  // Whether `row` (null: a command without one) is refused in front of an upstream, with the
  // error in *error.
  static bool Refused(const CommandRow* row, std::string_view lower_name, std::string* error);
  // A command passed through that waits for every shard's records.
  static bool NeedsAllShards(const CommandRow* row, size_t argc);

  // A command the upstream runs, its reply relayed in its slot. `any_keys`: its keys are not
  // all at args[1], so every shard's records go first.
  void Execute(std::span<std::string_view> args, bool any_keys);
  // Relay mode: from a command that keeps state on its connection or blocks it until that
  // state is over, every command goes to an upstream connection of this client's own.
  void StartRelay(std::span<std::string_view> args);
  bool relaying() const { return relay_ != nullptr; }
  // QUIT went to the relay: nothing after it runs.
  bool quit() const { return relay_quit_; }
  void Forward(std::span<const std::string_view> args);
  // The client is gone: its relay goes back, broken.
  void OnClosed();

  // backend::RelayClient: from this connection's relay, a reply or published message, and the
  // connection's loss.
  void OnRelayReply(std::string reply) override;
  void OnRelayLost() override;

 private:
  void EndRelay();

  Connection* conn_;
  Worker* worker_;
  Dispatcher* dispatcher_;
  // Relay mode: the relay, what the client's commands have opened on it, and the arguments
  // sent (up to a size), forgotten by their shards when relay mode ends.
  backend::Relay* relay_ = nullptr;
  bool relay_multi_ = false;
  bool relay_watching_ = false;
  bool relay_subscribed_ = false;
  int relay_skip_ = 0;       // replies to commands ringside sent itself (SELECT)
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
};

}  // namespace ringside::proxy
