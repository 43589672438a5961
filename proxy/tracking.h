// Client-side caching (CLIENT TRACKING), as Redis 7.0 does it.
//
// A tracking client's reads are remembered by the shard owning each key (TrackingTable, one
// per worker): key name → the clients that read it, in any database, as Redis keeps them.
// When the key changes on its owner (a write, an expiry, an eviction, a change upstream seen
// through read-through's invalidations) every client that read it is told once and forgotten.
// BCAST clients register prefixes instead, the same on every shard, and hear of every change
// to a key under one of them. The owner gathers what it has to tell per home worker during a
// loop iteration and sends each home one task; the home encodes the messages for the
// connection that receives them (the client, or the one it redirects to) as RESP3 pushes.
//
// A flush tells every tracking client once, with a null in place of the keys.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resp/writer.h"

namespace ringside::proxy {

// A connection's tracking settings (CLIENT TRACKING, CLIENT CACHING).
struct ClientTracking {
  bool on = false;
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  // The client invalidations go to instead (0: this one), and the worker it is on.
  uint64_t redirect = 0;
  int redirect_home = -1;
  // The redirect target went away: nothing can be delivered any more.
  bool broken_redirect = false;
  std::vector<std::string> prefixes;  // BCAST
  // CLIENT CACHING yes|no, for the next command only.
  enum class Caching : uint8_t { kUnset, kYes, kNo } caching = Caching::kUnset;
  bool caching_fresh = false;  // set by the command running now

  // Whether the command about to run has its keys remembered (read-only commands only).
  bool TracksReads() const {
    if (!on || bcast) return false;
    if (optin) return caching == Caching::kYes;
    if (optout) return caching != Caching::kNo;
    return true;
  }
};

// What CLIENT TRACKING ON asks for, parsed from args[3...]; syntax and mode errors in Redis's
// words. `current` is the connection's state, for the checks against switching modes.
struct TrackingRequest {
  bool on = false;
  bool bcast = false, optin = false, optout = false, noloop = false;
  bool has_redirect = false;
  uint64_t redirect = 0;
  std::vector<std::string> prefixes;
};
bool ParseTrackingRequest(std::span<const std::string_view> args, const ClientTracking& current,
                          TrackingRequest* out, std::string* error);

// One change to tell one client of: `key` (empty with `flush`), for the client with id
// `client` on the receiving worker. `by`: the client whose command made the change (0 when no
// client did), which a NOLOOP client is not told of.
struct Invalidation {
  uint64_t client = 0;
  uint64_t by = 0;
  bool bcast = false;
  bool flush = false;
  std::string key;
};

// The message telling a client of keys (or of a flush: `keys` empty and `flush`), as a
// connection of protocol `proto` receives it: a RESP3 push, or in RESP2 the message of the
// __redis__:invalidate channel.
std::string InvalidationMessage(resp::Protocol proto, std::span<const std::string> keys,
                                bool flush);
// The RESP3 push telling a client its redirect target is gone.
std::string BrokenRedirectMessage(uint64_t redirect);

class TrackingTable {
 public:
  struct Client {
    uint64_t id;
    int home;
  };

  TrackingTable(int num_workers, size_t max_keys);

  // Whether anything here listens to changes (remembered keys or BCAST prefixes): when not,
  // writes skip the table altogether.
  bool active() const { return !keys_.empty() || !prefixes_.empty(); }

  // A tracking client read `key`.
  void Remember(std::string_view key, Client who);
  // `key` changed; `by` is the client whose command changed it, or 0.
  void Changed(std::string_view key, uint64_t by);
  // Every remembered key changed (the upstream's tracking was lost), without a flush.
  void ChangedAll();
  // The keys of a propagation record changed (a FLUSHALL or FLUSHDB clears the table; the
  // flush itself is told by the worker that ran it).
  void ChangedRecord(std::span<const std::string_view> argv, uint64_t by);

  // BCAST registrations; every worker keeps the same list.
  void AddPrefix(const std::string& prefix, Client who);
  void RemoveClient(uint64_t id);

  // What was gathered for worker `home` since the last take.
  bool pending() const { return pending_count_ > 0; }
  std::vector<Invalidation> Take(int home);

  size_t keys() const { return keys_.size(); }
  void set_max_keys(size_t n) { max_keys_ = n; }

 private:
  void Tell(Client who, std::string_view key, uint64_t by, bool bcast);

  std::unordered_map<std::string, std::vector<Client>> keys_;
  struct Prefix {
    std::string prefix;
    std::vector<Client> clients;
  };
  std::vector<Prefix> prefixes_;
  std::vector<std::vector<Invalidation>> pending_;  // per home worker
  size_t pending_count_ = 0;
  size_t max_keys_;
};

}  // namespace ringside::proxy
