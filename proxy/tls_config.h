// The TLS contexts the configuration asks for: one for clients on tls-port, one for the
// connections to the upstream. Built at start-up, rebuilt when CONFIG SET changes one of their
// directives (a certificate replaced on disk is reloaded that way, as in Redis), and handed to
// every new stream; streams already open keep the context they were made with.
//
// Thread-safe.
#pragma once

#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "proxy/config.h"
#include "proxy/io/tls_context.h"

namespace ringside::proxy {

TlsContextOptions ClientTlsOptions(const ServerConfig& cfg);
TlsContextOptions UpstreamTlsOptions(const ServerConfig& cfg);
// The name an upstream's certificate is checked against: upstream-tls-server-name, else the
// host of `upstream`.
std::string UpstreamTlsServerName(const ServerConfig& cfg);

class TlsContexts {
 public:
  // Start-up: the contexts `cfg` needs (the client one with tls-port set, the upstream one with
  // upstream-tls yes). False with the reason, naming the directives, when one cannot be built.
  bool Configure(const ServerConfig& cfg, std::string* error);
  // CONFIG SET of `pairs` turned the configuration into `updated`: rebuilds each context whose
  // directives were among them. Nothing changes unless every rebuild succeeds; on failure,
  // *error is CONFIG SET's reply and the reason is logged.
  bool Reconfigure(const ServerConfig& updated, std::span<const std::string_view> pairs,
                   std::string* error);

  // The current contexts; null when not configured.
  TlsContextPtr clients() const;
  TlsContextPtr upstream() const;

 private:
  mutable std::mutex mu_;
  TlsContextPtr clients_;
  TlsContextPtr upstream_;
};

}  // namespace ringside::proxy
