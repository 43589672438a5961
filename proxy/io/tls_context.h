// OpenSSL contexts for TLS streams, built from ringside's TLS directives: one for the clients
// ringside serves on tls-port (Redis's tls-* directives, with their meanings), one for its own
// connections to the upstream (the upstream-tls-* directives).
//
// A context is immutable once built and shared by every thread; each stream holds its own
// reference (OpenSSL counts them), so a context replaced by CONFIG SET stays alive for the
// streams made with it.
#pragma once

#include <memory>
#include <string>

struct ssl_ctx_st;

namespace ringside::proxy {

// Which certificate the other end must show.
enum class TlsPeerCheck {
  kNone,      // none is asked for (server), or none is checked (client: verify no)
  kOptional,  // asked for; one that is shown must verify (tls-auth-clients optional)
  kRequired,  // one must be shown and verify (tls-auth-clients yes; a client's verify yes)
};

struct TlsContextOptions {
  std::string cert_file;      // PEM; the certificate chain shown to the other end
  std::string key_file;       // PEM private key of cert_file
  std::string key_file_pass;  // its passphrase, when the key is encrypted
  std::string ca_cert_file;   // PEM bundle of CAs the other end's certificate must chain to
  std::string ca_cert_dir;    // or a directory of them (c_rehash layout)
  std::string dh_params_file;
  // Space-separated protocol names as Redis takes them ("TLSv1.2 TLSv1.3"); empty: TLSv1.2
  // and TLSv1.3.
  std::string protocols;
  std::string ciphers;       // OpenSSL cipher list for TLSv1.2 and below; empty: OpenSSL's
  std::string ciphersuites;  // TLSv1.3 suites; empty: OpenSSL's
  bool prefer_server_ciphers = false;
  bool session_caching = true;
  int session_cache_size = 20480;
  int session_cache_timeout = 300;  // seconds
  TlsPeerCheck peer_check = TlsPeerCheck::kRequired;
};

using TlsContextPtr = std::shared_ptr<ssl_ctx_st>;

// A context for accepting clients. nullptr with *error (naming the file or setting at fault
// and OpenSSL's reason) when a file cannot be loaded or a setting is not valid.
TlsContextPtr MakeTlsServerContext(const TlsContextOptions& options, std::string* error);
// A context for connecting to an upstream. Without ca_cert_file and ca_cert_dir the system's
// CA store is trusted (managed services show certificates of public CAs); cert_file and
// key_file are the client certificate, when the upstream asks for one.
TlsContextPtr MakeTlsClientContext(const TlsContextOptions& options, std::string* error);

// The reason at the top of this thread's OpenSSL error queue ("" when empty), and the queue
// cleared.
std::string TakeTlsError();

}  // namespace ringside::proxy
