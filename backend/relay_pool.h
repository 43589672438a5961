// A shard's relays: upstream connections a client connection has to itself while it is in
// relay mode (pass_through.cc), for commands that keep state on their connection or block it.
// Idle relays wait, connected and reset, for the next client that needs one; at each tick one
// idle relay is kept ready.
//
// Owned by the shard's ShardBackend, used on its thread only. A relay taken by a client is the
// client's until it returns it; a relay whose connection is lost tells its client and is
// dropped once its connection is gone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/dialer.h"
#include "backend/relay_link.h"

namespace ringside::backend {

// The client side of a relay: its replies and its loss.
class RelayClient {
 public:
  virtual ~RelayClient() = default;
  // A reply, or a message published to a subscription, as the upstream sent it.
  virtual void OnRelayReply(std::string reply) = 0;
  // The connection was lost; the relay is no longer the client's.
  virtual void OnRelayLost() = 0;
};

struct Relay {
  Relay(std::string user, std::string password) : link(std::move(user), std::move(password)) {}
  RelayLink link;
  std::unique_ptr<UpstreamConnection> conn;
  RelayClient* client = nullptr;
  bool closing = false;
};

class RelayPool {
 public:
  struct Options {
    std::string user, password;  // upstream-user, upstream-password
    int db_base = 0;             // upstream-db
  };
  // `dialer` outlives the pool.
  RelayPool(Dialer* dialer, Options options);

  // A relay for `client`, connected or still connecting: an idle one (a connected one first),
  // or a new one.
  Relay* Take(RelayClient* client, int64_t now_ms);
  // The client is done with it: reset for the next client, or closed when `broken`, not
  // connected, or kMaxIdle relays are idle already.
  void Return(Relay* relay, bool broken);
  // From the loop (and the tick, `tick`): drives connects and output, drops closed relays that
  // are gone, and at a tick opens one relay when none is idle, unless `closing_down`.
  void Tend(bool tick, bool closing_down, int64_t now_ms);
  size_t size() const { return relays_.size(); }
  size_t idle() const;

  static constexpr size_t kMaxIdle = 4;

 private:
  Relay* Open(int64_t now_ms);

  Dialer* dialer_;
  const Options options_;
  std::vector<std::unique_ptr<Relay>> relays_;
  // Taken relays whose connection failed while Take opened them: their clients are told at
  // the next Tend (kept until then, as they are closing but not yet erased).
  std::vector<Relay*> lost_at_open_;
};

}  // namespace ringside::backend
