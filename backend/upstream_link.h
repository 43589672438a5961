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
#include <span>
#include <string>
#include <string_view>

#include "backend/propagation.h"

struct redisReader;

namespace ringside::backend {

struct UpstreamStats {
  uint64_t pending_records = 0;  // recorded and not yet acknowledged
  uint64_t acked_records = 0;
  uint64_t record_errors = 0;  // records the upstream answered with an error
  uint64_t reconnects = 0;     // connections made after the first
  uint64_t sent_bytes = 0;

  UpstreamStats& operator+=(const UpstreamStats& o);
};

class UpstreamLink final : public PropagationSink {
 public:
  // `user` may be empty (AUTH with the password alone, as requirepass expects); an empty
  // `password` sends no AUTH.
  UpstreamLink(std::string user, std::string password);
  ~UpstreamLink() override;
  UpstreamLink(const UpstreamLink&) = delete;
  UpstreamLink& operator=(const UpstreamLink&) = delete;

  void Record(int db, std::span<const std::string_view> argv) override;

  // A new connection is up: AUTH goes first, then every record not yet acknowledged.
  void Connected();
  // The connection is gone; what it had in flight is sent again on the next one.
  void Disconnected();
  bool connected() const { return connected_; }
  // Bytes to send on the connection now (empty when there is nothing, or no connection).
  std::string TakeOutput();
  // Bytes the upstream sent. False when the connection must be closed: an unparsable reply, or
  // a refused AUTH (last_error() says which).
  bool OnInput(std::string_view data);

  // Records made so far, counted from 1; the id of the last one.
  uint64_t recorded() const { return recorded_; }
  // Every record up to this id has been acknowledged.
  uint64_t acked() const { return acked_; }
  bool HasUnacked() const { return acked_ < recorded_; }
  // Called with acked() each time it advances.
  void set_on_acked(std::function<void(uint64_t)> fn) { on_acked_ = std::move(fn); }
  // Whether the connection is authenticated (or needs no AUTH) and carrying records.
  bool ready() const { return connected_ && !auth_pending_; }
  const std::string& last_error() const { return last_error_; }
  UpstreamStats stats() const;

 private:
  enum class Sent : uint8_t { kAuth, kSelect, kRecord };
  struct Held {
    int db;
    std::string command;  // the record as RESP
  };
  bool OnReply(bool is_error, std::string_view text);

  std::string user_, password_;
  // Records not yet acknowledged, oldest first; held_[i] has id acked_ + 1 + i.
  std::deque<Held> held_;
  size_t sent_records_ = 0;  // of held_, already written on the current connection
  std::deque<Sent> in_flight_;
  std::string out_;
  int conn_db_ = 0;  // the database the connection is in, as far as what was sent goes
  bool connected_ = false;
  bool auth_pending_ = false;
  bool ever_connected_ = false;
  redisReader* reader_ = nullptr;
  uint64_t recorded_ = 0, acked_ = 0;
  uint64_t record_errors_ = 0, reconnects_ = 0, sent_bytes_ = 0;
  std::string last_error_;
  std::function<void(uint64_t)> on_acked_;
};

}  // namespace ringside::backend
