// One of a shard's connections to the upstream Redis: the socket under a protocol (the
// shard's UpstreamLink, or its InvalidationLink), driven by the shard's own reactor. Connects
// without blocking, reconnects with a capped backoff, and hands bytes between the socket and
// the protocol.
//
// Owned by its worker and used on the worker's thread only; the reactor references it as the
// stream's handler until OnClosed.
#pragma once

#include <netdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/dialer.h"
#include "backend/upstream_link.h"
#include "proxy/io/tls_reactor.h"
#include "proxy/tls_config.h"

namespace ringside::proxy {

struct UpstreamAddress {
  std::string host;  // or a unix socket path when `unix_path`
  int port = 0;
  bool unix_path = false;
};
// Parses `host:port`, `[v6]:port` or `/path/to/redis.sock`; false on anything else.
bool ParseUpstreamAddress(std::string_view text, UpstreamAddress* out);

// upstream-tls: where a connection gets its TLS context (current at each connect, so CONFIG
// SET applies from the next one) and the name the upstream's certificate must carry.
struct UpstreamTls {
  const TlsContexts* contexts = nullptr;  // null: plaintext
  std::string server_name;
  bool verify = true;
};

class Upstream final : public StreamHandler, public backend::UpstreamConnection {
 public:
  // `role` names the connection in log lines; `protocol` outlives it.
  Upstream(TlsReactor* reactor, int shard, std::string role, std::string address_text,
           UpstreamAddress address, backend::UpstreamProtocol* protocol, UpstreamTls tls = {});
  ~Upstream() override;

  // From the worker's timer: starts a connection when one is due, finishes one in progress.
  void Tick(int64_t now_ms) override;
  // From the loop hook: sends what the protocol has for the upstream.
  void Flush() override;
  // Shutting down: closes the connection (its OnClosed follows on this thread).
  void Close() override;
  // "up" (the protocol is ready), "connecting", or "down".
  std::string_view state() const override;
  // Why the last connection attempt failed ("" once connected).
  const std::string& connect_error() const override { return logged_error_; }
  // upstream-connect-timeout: how long a host name's lookup, and then each address's connect,
  // may take before the attempt counts as failed.
  void set_connect_timeout_ms(int64_t ms) { connect_timeout_ms_ = ms; }
  // Called when a connection attempt fails or the connection is lost (not when closed by
  // Close); it retries all the same unless closed.
  void set_on_down(std::function<void()> fn) override { on_down_ = std::move(fn); }
  // Closed, and no stream or connect in flight any more: it may be destroyed.
  bool gone() const override { return shut_ && !stream_open_ && connecting_fd_ < 0; }
  bool connecting() const override {
    return !stream_open_ && (connecting_fd_ >= 0 || resolve_ != nullptr);
  }

  void OnRead(std::string_view data) override;
  void OnClosed() override;
  void OnTlsError(const std::string& why) override { tls_error_ = why; }
  void OnTlsReady() override;
  // Over TLS: the protocol version and cipher of the connection ("" while not connected, and
  // without TLS).
  std::string tls_version() const override;
  std::string tls_cipher() const override;

 private:
  // A host name being looked up (getaddrinfo_a): the request and what it points to.
  struct Resolve {
    gaicb request{};
    addrinfo hints{};
    std::string port;
  };
  void StartConnect(int64_t now_ms);
  void StartResolve(int64_t now_ms);
  // Whether the lookup in progress produced addresses (in resolved_); on failure or timeout
  // the retry is scheduled.
  bool ResolveDone(int64_t now_ms);
  // A connect to one address failed: the next address, or the backoff.
  void ConnectFailed(std::string why, int64_t now_ms);
  void DropAddresses();
  void Failed(std::string why, int64_t now_ms);
  // The protocol is ready: logged once per outage.
  void Up();

  TlsReactor* reactor_;
  const int shard_;
  const std::string role_;
  const std::string address_text_;
  const UpstreamAddress address_;
  backend::UpstreamProtocol& link_;
  const UpstreamTls tls_;
  std::string tls_error_;  // why the TLS layer ended the connection, until OnClosed
  // The stream carries the protocol: connected, and over TLS the handshake finished. Until
  // then the protocol has not been told it is connected and nothing is sent.
  bool transport_ready_ = false;
  int connecting_fd_ = -1;
  std::unique_ptr<Resolve> resolve_;
  std::vector<std::unique_ptr<Resolve>> abandoned_;  // timed out, not cancellable yet
  addrinfo* resolved_ = nullptr;                     // the addresses of the host, while connecting
  const addrinfo* next_address_ = nullptr;           // of those, the next to try
  int64_t resolve_started_ms_ = 0;
  int64_t connect_started_ms_ = 0;
  int64_t connect_timeout_ms_ = 2000;
  bool stream_open_ = false;
  bool closing_ = false;
  bool shut_ = false;
  StreamId stream_ = 0;
  int64_t retry_at_ms_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t now_ms_ = 0;
  std::string logged_error_;  // the last failure logged, so an outage logs once
  std::function<void()> on_down_;
};

// A shard's Dialer: Upstream connections on its reactor to the configured address, each with
// upstream-connect-timeout. Owned by the worker; the reactor outlives what it dials.
class UpstreamDialer final : public backend::Dialer {
 public:
  UpstreamDialer(TlsReactor* reactor, int shard, std::string address_text, UpstreamAddress address,
                 int64_t connect_timeout_ms, UpstreamTls tls = {})
      : reactor_(reactor),
        shard_(shard),
        address_text_(std::move(address_text)),
        address_(std::move(address)),
        connect_timeout_ms_(connect_timeout_ms),
        tls_(std::move(tls)) {}
  std::unique_ptr<backend::UpstreamConnection> Dial(std::string role,
                                                    backend::UpstreamProtocol* protocol) override {
    auto conn = std::make_unique<Upstream>(reactor_, shard_, std::move(role), address_text_,
                                           address_, protocol, tls_);
    conn->set_connect_timeout_ms(connect_timeout_ms_);
    return conn;
  }

 private:
  TlsReactor* reactor_;
  const int shard_;
  const std::string address_text_;
  const UpstreamAddress address_;
  const int64_t connect_timeout_ms_;
  const UpstreamTls tls_;
};

}  // namespace ringside::proxy
