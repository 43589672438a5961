#include "proxy/tls_config.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include "proxy/upstream.h"

namespace ringside::proxy {

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string SetFailed(std::string_view name) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) +
         "') - Unable to update TLS configuration. Check server logs.";
}

}  // namespace

TlsContextOptions ClientTlsOptions(const ServerConfig& cfg) {
  TlsContextOptions o;
  o.cert_file = cfg.tls_cert_file;
  o.key_file = cfg.tls_key_file;
  o.key_file_pass = cfg.tls_key_file_pass;
  o.ca_cert_file = cfg.tls_ca_cert_file;
  o.ca_cert_dir = cfg.tls_ca_cert_dir;
  o.dh_params_file = cfg.tls_dh_params_file;
  o.protocols = cfg.tls_protocols;
  o.ciphers = cfg.tls_ciphers;
  o.ciphersuites = cfg.tls_ciphersuites;
  o.prefer_server_ciphers = cfg.tls_prefer_server_ciphers;
  o.session_caching = cfg.tls_session_caching;
  o.session_cache_size = cfg.tls_session_cache_size;
  o.session_cache_timeout = cfg.tls_session_cache_timeout;
  switch (cfg.tls_auth_clients) {
    case TlsAuthClients::kNo:
      o.peer_check = TlsPeerCheck::kNone;
      break;
    case TlsAuthClients::kYes:
      o.peer_check = TlsPeerCheck::kRequired;
      break;
    case TlsAuthClients::kOptional:
      o.peer_check = TlsPeerCheck::kOptional;
      break;
  }
  return o;
}

TlsContextOptions UpstreamTlsOptions(const ServerConfig& cfg) {
  TlsContextOptions o;
  o.cert_file = cfg.upstream_tls_cert_file;
  o.key_file = cfg.upstream_tls_key_file;
  o.key_file_pass = cfg.upstream_tls_key_file_pass;
  o.ca_cert_file = cfg.upstream_tls_ca_cert_file;
  o.ca_cert_dir = cfg.upstream_tls_ca_cert_dir;
  o.protocols = cfg.upstream_tls_protocols;
  o.ciphers = cfg.upstream_tls_ciphers;
  o.ciphersuites = cfg.upstream_tls_ciphersuites;
  o.peer_check = cfg.upstream_tls_verify ? TlsPeerCheck::kRequired : TlsPeerCheck::kNone;
  return o;
}

std::string UpstreamTlsServerName(const ServerConfig& cfg) {
  if (!cfg.upstream_tls_server_name.empty()) return cfg.upstream_tls_server_name;
  UpstreamAddress address;
  if (!ParseUpstreamAddress(cfg.upstream, &address) || address.unix_path) return "";
  return address.host;
}

bool TlsContexts::Configure(const ServerConfig& cfg, std::string* error) {
  TlsContextPtr clients, upstream;
  if (cfg.tls_port != 0) {
    clients = MakeTlsServerContext(ClientTlsOptions(cfg), error);
    if (clients == nullptr) {
      *error =
          "Failed to configure TLS for tls-port " + std::to_string(cfg.tls_port) + ": " + *error;
      return false;
    }
  }
  if (cfg.upstream_tls) {
    if (cfg.upstream.empty()) {
      *error = "upstream-tls yes needs an upstream";
      return false;
    }
    upstream = MakeTlsClientContext(UpstreamTlsOptions(cfg), error);
    if (upstream == nullptr) {
      *error = "Failed to configure TLS to the upstream: " + *error;
      return false;
    }
    if (!cfg.upstream_tls_verify) {
      spdlog::warn(
          "upstream-tls-verify no: the upstream's certificate is not checked, so anyone on the "
          "path to {} can pose as it",
          cfg.upstream);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  clients_ = std::move(clients);
  upstream_ = std::move(upstream);
  return true;
}

bool TlsContexts::Reconfigure(const ServerConfig& updated, std::span<const std::string_view> pairs,
                              std::string* error) {
  std::string_view client_name, upstream_name;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (StartsWithNoCase(pairs[i], "tls-")) client_name = pairs[i];
    if (StartsWithNoCase(pairs[i], "upstream-tls-")) upstream_name = pairs[i];
  }
  TlsContextPtr clients, upstream;
  std::string why;
  if (!client_name.empty() && updated.tls_port != 0) {
    clients = MakeTlsServerContext(ClientTlsOptions(updated), &why);
    if (clients == nullptr) {
      spdlog::warn("Failed to update the TLS configuration for clients: {}", why);
      *error = SetFailed(client_name);
      return false;
    }
  }
  if (!upstream_name.empty() && updated.upstream_tls) {
    upstream = MakeTlsClientContext(UpstreamTlsOptions(updated), &why);
    if (upstream == nullptr) {
      spdlog::warn("Failed to update the TLS configuration to the upstream: {}", why);
      *error = SetFailed(upstream_name);
      return false;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (clients != nullptr) clients_ = std::move(clients);
  if (upstream != nullptr) upstream_ = std::move(upstream);
  return true;
}

TlsContextPtr TlsContexts::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_;
}

TlsContextPtr TlsContexts::upstream() const {
  std::lock_guard<std::mutex> lock(mu_);
  return upstream_;
}

}  // namespace ringside::proxy
