// ringside in front of a redis-server that serves TLS only to it: every kind of upstream
// connection works over TLS (write-through, read-through with tracking, relays, pass-through),
// and a connection whose certificate or name does not check out is refused with a clear reason
// in INFO and the log, never made in plaintext, while the writes meant for it wait and arrive
// once the configuration is put right. The rest of the upstream suite runs over TLS as well (the
// .tls runs); these are the cases only TLS has.

#include <string>
#include <vector>

#include "tests/support/integration_fixture.h"
#include "tests/support/tls_support.h"
#include "tests/support/upstream_support.h"

namespace ringside::testing {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class UpstreamTlsTest : public UpstreamTest {
 protected:
  // redis-server with TLS on a port of its own besides the plain one the test uses, showing
  // `cert` (and its key); `auth_clients` is its tls-auth-clients.
  void StartTlsUpstream(const std::string& cert, const std::string& key,
                        const std::string& auth_clients = "no") {
    const TlsFiles& f = TestTlsFiles();
    ASSERT_FALSE(f.dir.empty());
    tls_port_ = FreePort();
    ASSERT_NO_FATAL_FAILURE(StartUpstream(
        {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", cert, "--tls-key-file", key,
         "--tls-ca-cert-file", f.ca_crt, "--tls-auth-clients", auth_clients}));
    upstream_tls_port_ = tls_port_;
  }
  // ringside over TLS to the upstream with `tls` as its upstream-tls directives (besides
  // upstream-tls yes), and `extra`.
  void StartTlsProxy(std::vector<std::string> tls, std::vector<std::string> extra = {}) {
    upstream_tls_args_ = {"--upstream-tls", "yes"};
    upstream_tls_args_.insert(upstream_tls_args_.end(), tls.begin(), tls.end());
    ASSERT_NO_FATAL_FAILURE(StartProxy(std::move(extra)));
  }
  // Waits until INFO's upstream_last_error contains `want`; the whole section on a failure.
  void ExpectLinkError(const std::string& want) {
    EXPECT_TRUE(
        WaitUntil([&] { return Contains(Up(proxy(), "upstream_last_error"), want); }, seconds(20)))
        << "expected an error with '" << want << "':\n"
        << UpstreamSection(proxy());
    EXPECT_NE(Up(proxy(), "upstream_link_status"), "up");
    EXPECT_TRUE(Contains(ringside_->Output(), want)) << "the log says why:\n"
                                                     << ringside_->Output();
  }
  // A write ringside applies while its link is refused reaches nobody else, and is still
  // held for the upstream (the journal and the queue keep it).
  void ExpectWriteHeldBack() {
    EXPECT_EQ(proxy().Cmd({"SET", "held", "back"}), kOk);
    EXPECT_TRUE(
        WaitUntil([&] { return Up(proxy(), "upstream_pending_records") != "0"; }, seconds(10)))
        << UpstreamSection(proxy());
    Client upstream(upstream_port_);
    EXPECT_EQ(upstream.Cmd({"DBSIZE"}), Int(0)) << "nothing reached the upstream";
  }

  int tls_port_ = 0;
};

TEST_F(UpstreamTlsTest, EveryKindOfConnectionWorksOverTls) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.server_crt, f.server_key));
  upstream_host_ = "localhost";  // the name the certificate carries
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt}));
  Client upstream(upstream_port_);

  // Write-through.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(proxy().Cmd({"SET", "k" + std::to_string(i), "v" + std::to_string(i)}), kOk);
  }
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(upstream.Cmd({"GET", "k99"}), Bulk("v99"));
  EXPECT_EQ(upstream.Cmd({"DBSIZE"}), Int(100));

  // Read-through, and tracking: a write made upstream invalidates the copy held here.
  ASSERT_EQ(upstream.Cmd({"SET", "theirs", "first"}), kOk);
  EXPECT_EQ(proxy().Cmd({"GET", "theirs"}), Bulk("first"));
  ASSERT_EQ(upstream.Cmd({"SET", "theirs", "second"}), kOk);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return proxy().Cmd({"GET", "theirs"}) == Bulk("second");
      },
      seconds(10)))
      << "the invalidation came over TLS";

  // A transaction is relayed, on a relay connection of its own.
  EXPECT_EQ(proxy().Cmd({"MULTI"}), kOk);
  EXPECT_EQ(proxy().Cmd({"INCR", "counter"}), Status("QUEUED"));
  EXPECT_EQ(proxy().Cmd({"INCR", "counter"}), Status("QUEUED"));
  EXPECT_EQ(proxy().Cmd({"EXEC"}), Array({Int(1), Int(2)}));

  // A command ringside does not serve itself is passed through.
  EXPECT_EQ(proxy().Cmd({"OBJECT", "ENCODING", "counter"}), Bulk("int"));

  EXPECT_EQ(Up(proxy(), "upstream_tls"), "yes");
  EXPECT_EQ(Up(proxy(), "upstream_tls_version"), "TLSv1.3");
  EXPECT_FALSE(Up(proxy(), "upstream_tls_cipher").empty());
  EXPECT_EQ(Up(proxy(), "upstream_tls_handshake_failures"), "0");
  // Write-through and invalidation on every shard, and the relays.
  EXPECT_GE(std::stoi(Up(proxy(), "upstream_tls_handshakes")), 2 * kShards + 1)
      << UpstreamSection(proxy());
}

TEST_F(UpstreamTlsTest, ACertificateFromAnotherCaIsRefusedUntilTheCaIsConfigured) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.server_crt, f.server_key));
  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.other_ca_crt}));
  ExpectLinkError("TLS handshake failed: certificate verify failed (");
  ExpectWriteHeldBack();
  EXPECT_NE(Up(proxy(), "upstream_tls_handshake_failures"), "0");

  // The right CA, without a restart: the next connection verifies, and the held write lands.
  ASSERT_EQ(proxy().Cmd({"CONFIG", "SET", "upstream-tls-ca-cert-file", f.ca_crt}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(Client(upstream_port_).Cmd({"GET", "held"}), Bulk("back"));
  EXPECT_EQ(Up(proxy(), "upstream_last_error"), "");
}

TEST_F(UpstreamTlsTest, AnExpiredCertificateIsRefused) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.expired_crt, f.server_key));
  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt}));
  ExpectLinkError("certificate verify failed (certificate has expired)");
  ExpectWriteHeldBack();
}

TEST_F(UpstreamTlsTest, ACertificateForAnotherNameIsRefused) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.wrong_name_crt, f.server_key));
  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt}));
  ExpectLinkError("certificate verify failed (hostname mismatch)");
  ExpectWriteHeldBack();
}

TEST_F(UpstreamTlsTest, TheServerNameDirectiveIsTheNameChecked) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.wrong_name_crt, f.server_key));
  // Reached by address, checked against the name the directive gives.
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy(
      {"--upstream-tls-ca-cert-file", f.ca_crt, "--upstream-tls-server-name", "wrong.example"}));
  EXPECT_EQ(proxy().Cmd({"SET", "named", "right"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(Client(upstream_port_).Cmd({"GET", "named"}), Bulk("right"));
}

TEST_F(UpstreamTlsTest, VerifyNoAcceptsAnyCertificateAndSaysSo) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.expired_crt, f.server_key));
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy(
      {"--upstream-tls-ca-cert-file", f.other_ca_crt, "--upstream-tls-verify", "no"}));
  EXPECT_EQ(proxy().Cmd({"SET", "unchecked", "1"}), kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(Up(proxy(), "upstream_tls_verify"), "no");
  EXPECT_TRUE(Contains(ringside_->Output(), "upstream-tls-verify no")) << ringside_->Output();
}

TEST_F(UpstreamTlsTest, MutualTlsNeedsTheClientCertificate) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.server_crt, f.server_key, "yes"));
  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt}));
  // TLS 1.3 sends the server's refusal after the client's Finished: the link goes down as
  // soon as the upstream's alert arrives.
  ExpectLinkError("certificate required");
  ExpectWriteHeldBack();
  ASSERT_EQ(proxy().Cmd({"CONFIG", "SET", "upstream-tls-cert-file", f.client_crt,
                         "upstream-tls-key-file", f.client_key}),
            kOk);
  ASSERT_TRUE(CaughtUp(proxy())) << UpstreamSection(proxy());
  EXPECT_EQ(Client(upstream_port_).Cmd({"GET", "held"}), Bulk("back"));
}

TEST_F(UpstreamTlsTest, APlaintextPortIsNeverTalkedToInPlaintext) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.server_crt, f.server_key));
  upstream_tls_port_ = upstream_port_;  // the plain port, given as if it served TLS
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt},
                                        {"--upstream-connect-timeout", "500"}));
  ExpectLinkError("TLS handshake");
  ExpectWriteHeldBack();
  EXPECT_EQ(Client(upstream_port_).Cmd({"GET", "held"}), Nil());
}

TEST_F(UpstreamTlsTest, ABadConfigurationIsRefusedAtStartAndBySet) {
  const TlsFiles& f = TestTlsFiles();
  ASSERT_NO_FATAL_FAILURE(StartTlsUpstream(f.server_crt, f.server_key));
  const RunResult missing =
      RunToExit(ServerProcess::RingsideBinary(),
                {"--port", "0", "--upstream", "127.0.0.1:" + std::to_string(tls_port_),
                 "--upstream-tls", "yes", "--upstream-tls-ca-cert-file", f.dir + "/absent.crt"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(Contains(missing.output, "Failed to configure TLS to the upstream"))
      << missing.output;

  upstream_host_ = "localhost";
  ASSERT_NO_FATAL_FAILURE(StartTlsProxy({"--upstream-tls-ca-cert-file", f.ca_crt}));
  ASSERT_TRUE(CaughtUp(proxy()));
  EXPECT_EQ(proxy().Cmd({"CONFIG", "SET", "upstream-tls-ca-cert-file", f.dir + "/absent.crt"}),
            Error("ERR CONFIG SET failed (possibly related to argument "
                  "'upstream-tls-ca-cert-file') - Unable to update TLS configuration. Check "
                  "server logs."));
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-tls-ca-cert-file"}),
            Array({Bulk("upstream-tls-ca-cert-file"), Bulk(f.ca_crt)}));
  EXPECT_EQ(proxy().Cmd({"CONFIG", "SET", "upstream-tls-key-file-pass", "secret"}), kOk);
  EXPECT_EQ(proxy().Cmd({"CONFIG", "GET", "upstream-tls-key-file-pass"}),
            Array({Bulk("upstream-tls-key-file-pass"), Bulk("(set)")}));
}

}  // namespace
}  // namespace ringside::testing
