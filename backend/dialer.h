// What the backend needs of its sockets to the upstream, which the proxy provides: a Dialer
// opens connections to the configured upstream, each driving one protocol (UpstreamLink,
// InvalidationLink, RelayLink) on the shard's own reactor, reconnecting with backoff until
// closed. The backend decides what runs on them; it never sees a socket.
//
// Both are used on the shard's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "backend/upstream_link.h"

namespace ringside::backend {

class UpstreamConnection {
 public:
  virtual ~UpstreamConnection() = default;
  // Starts a connection when one is due, finishes one in progress (from the shard's timer,
  // and from its loop while connecting).
  virtual void Tick(int64_t now_ms) = 0;
  // Sends what the protocol has for the upstream.
  virtual void Flush() = 0;
  // Closes for good; gone() turns true once nothing is in flight any more.
  virtual void Close() = 0;
  virtual bool gone() const = 0;
  virtual bool connecting() const = 0;
  // "up" (the protocol is ready), "connecting", or "down".
  virtual std::string_view state() const = 0;
  // Why the last connection attempt failed ("" once connected).
  virtual const std::string& connect_error() const = 0;
  // Over TLS: the protocol version and cipher the connection agreed on; "" without TLS or
  // while not connected.
  virtual std::string tls_version() const = 0;
  virtual std::string tls_cipher() const = 0;
  // Called when a connection attempt fails or the connection is lost (not after Close).
  virtual void set_on_down(std::function<void()> fn) = 0;
};

class Dialer {
 public:
  virtual ~Dialer() = default;
  // A connection for `protocol` (which must outlive it), started at the next Tick; `role`
  // names it in log lines.
  virtual std::unique_ptr<UpstreamConnection> Dial(std::string role,
                                                   UpstreamProtocol* protocol) = 0;
};

}  // namespace ringside::backend
