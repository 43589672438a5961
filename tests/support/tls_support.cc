#include "tests/support/tls_support.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "tests/support/server_process.h"

namespace ringside::testing {

namespace {

// Removes the generated files when the test binary exits.
struct GeneratedDir {
  std::string path;
  ~GeneratedDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

TlsFiles Generate(GeneratedDir* owner) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ringside-tls-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  owner->path = tmpl;
  const std::string cmd =
      "/usr/bin/python3 '" RINGSIDE_SOURCE_DIR "/tests/integration/tls_certs.py' '" + tmpl + "'";
  const int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    ADD_FAILURE() << "generating the test certificates failed: " << cmd;
    return {};
  }
  auto p = [&](const char* name) { return tmpl + "/" + name; };
  TlsFiles f;
  f.dir = tmpl;
  f.ca_crt = p("ca.crt");
  f.ca_key = p("ca.key");
  f.other_ca_crt = p("other-ca.crt");
  f.server_crt = p("server.crt");
  f.server_key = p("server.key");
  f.server_enc_key = p("server-enc.key");
  std::ifstream pass(p("server-enc.pass"));
  std::getline(pass, f.passphrase);
  f.expired_crt = p("expired.crt");
  f.wrong_name_crt = p("wrong-name.crt");
  f.rotated_crt = p("rotated.crt");
  f.rotated_key = p("rotated.key");
  f.client_crt = p("client.crt");
  f.client_key = p("client.key");
  f.other_client_crt = p("other-client.crt");
  f.other_client_key = p("other-client.key");
  return f;
}

}  // namespace

const TlsFiles& TestTlsFiles() {
  static GeneratedDir owner;
  static const TlsFiles files = Generate(&owner);
  return files;
}

bool UpstreamOverTls() {
  const char* v = std::getenv("RINGSIDE_TEST_UPSTREAM");
  return v != nullptr && std::string(v) == "tls";
}

int TlsPortFor(int port) {
  static std::mutex mu;
  static std::map<int, int> ports;
  std::lock_guard<std::mutex> lock(mu);
  int& tls = ports[port];
  if (tls == 0) {
    // FreePort may hand back `port` itself when nothing listens there yet.
    do {
      tls = FreePort();
    } while (tls == port);
  }
  return tls;
}

std::vector<std::string> RedisTlsArgs(int tls_port) {
  const TlsFiles& f = TestTlsFiles();
  return {"--tls-port",         std::to_string(tls_port),
          "--tls-cert-file",    f.server_crt,
          "--tls-key-file",     f.server_key,
          "--tls-ca-cert-file", f.ca_crt,
          "--tls-auth-clients", "no"};
}

std::vector<std::string> UpstreamTlsArgs() {
  return {"--upstream-tls", "yes", "--upstream-tls-ca-cert-file", TestTlsFiles().ca_crt};
}

}  // namespace ringside::testing
