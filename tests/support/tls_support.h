// TLS material and switches for the end-to-end tests. The certificates come from
// tests/integration/tls_certs.py (the one generator the Python and C++ tests share), made once
// per test binary into a directory removed at exit.
//
// Under RINGSIDE_TEST_UPSTREAM=tls (the `.tls` ctest runs) every redis-server the support code
// starts also serves TLS on a port of its own (TlsPortFor), and every ringside that
// UpstreamTest starts reaches its upstream there, with upstream-tls yes. The plain port stays:
// the tests read and write the upstream directly through it.
#pragma once

#include <string>
#include <vector>

namespace ringside::testing {

struct TlsFiles {
  std::string dir;
  std::string ca_crt, ca_key, other_ca_crt;
  std::string server_crt, server_key;  // CN and SAN localhost, SAN IP 127.0.0.1
  std::string server_enc_key, passphrase;
  std::string expired_crt, wrong_name_crt;         // server_key's; expired, and for wrong.example
  std::string rotated_crt, rotated_key;            // CN rotated.localhost, SAN as server_crt
  std::string client_crt, client_key;              // signed by the CA
  std::string other_client_crt, other_client_key;  // signed by the other CA
};

// The files, generated on first use (a test failure, and empty paths, when that fails).
const TlsFiles& TestTlsFiles();

// True under RINGSIDE_TEST_UPSTREAM=tls.
bool UpstreamOverTls();

// The TLS port of the redis-server on plain `port` in the .tls runs: chosen free on first ask,
// the same for every later ask (a restarted upstream comes back on both of its ports).
int TlsPortFor(int port);

// redis-server's directives to serve TLS on `tls_port` with the server certificate, the test
// CA, and client certificates not asked for.
std::vector<std::string> RedisTlsArgs(int tls_port);

// ringside's directives for an upstream over TLS that trusts the test CA.
std::vector<std::string> UpstreamTlsArgs();

}  // namespace ringside::testing
