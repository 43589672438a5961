// A client's own connection to the upstream, for commands that keep state on their connection
// or block it (MULTI/EXEC, WATCH, SUBSCRIBE, BLPOP, ...): commands go out as they come, and
// every reply, or message published to a subscription, comes back as the upstream sent it,
// in order. Like UpstreamLink it owns no socket.
//
// Used by the shard's thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/upstream_link.h"

namespace ringside::backend {

class RelayLink final : public UpstreamProtocol {
 public:
  RelayLink(std::string user, std::string password);
  ~RelayLink() override;
  RelayLink(const RelayLink&) = delete;
  RelayLink& operator=(const RelayLink&) = delete;

  // Every reply and published message, byte for byte as the upstream sent it (RESP2, or RESP3
  // after UseResp3), in the order they arrived.
  void set_on_reply(std::function<void(std::string reply)> fn) { on_reply_ = std::move(fn); }
  // upstream-db: the connection starts out in this upstream database (after AUTH, and after
  // every Reset). Set before the first connection.
  void set_db_base(int base) { db_base_ = base; }
  // Sends a command (after AUTH, once connected).
  void Send(std::span<const std::string_view> argv);
  // Switches the connection to RESP3 (HELLO 3, whose reply is not passed on), for a client
  // that speaks it. Reset switches back.
  void UseResp3();
  // Returns the connection to the state of a new one for the next client: RESET (which also
  // logs it out), then AUTH again and the SELECT of upstream-db; their replies are not passed
  // on.
  void Reset();
  bool resetting() const { return internal_ > 0; }
  // Commands sent whose replies have not arrived (messages of a subscription aside, as far as
  // counting can tell them apart: not at all once subscribed).
  uint64_t outstanding() const { return outstanding_; }

  void Connected() override;
  void Disconnected() override;
  std::vector<OutputPiece> TakeOutputPieces() override;
  bool OnInput(std::string_view data) override;
  bool ready() const override { return connected_ && !auth_pending_; }
  const std::string& last_error() const override { return last_error_; }

 private:
  std::string user_, password_;
  std::string in_;  // received bytes not yet a whole reply
  bool connected_ = false;
  bool auth_pending_ = false;
  std::string out_;      // for the connection, once ready
  std::string waiting_;  // commands sent before it was
  uint64_t outstanding_ = 0;
  int internal_ = 0;  // replies still due to Reset's commands and the SELECT of db_base_
  int db_base_ = 0;
  std::string last_error_;
  std::function<void(std::string)> on_reply_;

  // Appends the SELECT of db_base_, unless that is 0 (where every connection starts).
  void AppendSelectBase(std::string* out);
};

}  // namespace ringside::backend
