// One shard's invalidation subscription: a second connection to the upstream that learns its
// own client id (CLIENT ID) and subscribes to __redis__:invalidate in RESP2, where the upstream
// publishes the keys that others change, once the shard's write-through connection redirected
// its tracking here (see UpstreamLink::set_tracking_redirect). Like UpstreamLink it owns no
// socket, so it runs under either reactor and in unit tests.
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

class InvalidationLink final : public UpstreamProtocol {
 public:
  // The same credentials as the write-through connection's.
  InvalidationLink(std::string user, std::string password);
  ~InvalidationLink() override;
  InvalidationLink(const InvalidationLink&) = delete;
  InvalidationLink& operator=(const InvalidationLink&) = delete;

  // Called with the connection's client id once it is subscribed, and with 0 when that
  // subscription is gone (the connection dropped).
  void set_on_subscribed(std::function<void(int64_t id)> fn) { on_subscribed_ = std::move(fn); }
  // Keys changed upstream; `all` (and no keys) when everything may have changed (a flush).
  using InvalidateFn = std::function<void(std::span<const std::string_view> keys, bool all)>;
  void set_on_invalidate(InvalidateFn fn) { on_invalidate_ = std::move(fn); }

  void Connected() override;
  void Disconnected() override;
  std::vector<OutputPiece> TakeOutputPieces() override;
  bool OnInput(std::string_view data) override;
  bool ready() const override { return client_id_ != 0; }
  const std::string& last_error() const override { return last_error_; }
  int64_t client_id() const { return client_id_; }

 private:
  enum class Sent : uint8_t { kAuth, kClientId, kSubscribe };
  bool OnReply(const redisReply* reply);

  std::string user_, password_;
  redisReader* reader_ = nullptr;
  std::deque<Sent> in_flight_;
  std::string out_;
  int64_t pending_id_ = 0;  // from CLIENT ID, until the subscription is confirmed
  int64_t client_id_ = 0;
  std::string last_error_;
  std::function<void(int64_t)> on_subscribed_;
  InvalidateFn on_invalidate_;
};

}  // namespace ringside::backend
