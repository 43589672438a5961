// TlsReactor over both reactors, its two ends on one socket pair and one thread: the client's
// writes made before the handshake arrive after it, in order; a big reply arrives whole; a
// direct read decrypts straight into the handler's span; a flushing close sends close_notify
// and the peer sees the end; a certificate for another name, bytes that are not TLS, and a
// handshake that never comes each end the stream with a reason. The certificate is made here,
// in memory: one self-signed EC key for CN=localhost that the client trusts.
#include "proxy/io/tls_reactor.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "proxy/io/tls_context.h"
#include "reactor_harness.h"

namespace ringside::proxy {
namespace {

std::string Bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed + i / 251) % 26);
  return s;
}

// cert.pem and key.pem in a fresh directory: a self-signed certificate for CN=localhost.
class SelfSigned {
 public:
  SelfSigned() {
    dir_ =
        std::filesystem::temp_directory_path() / ("tls-reactor-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "DNS:localhost");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    FILE* c = std::fopen(cert_path().c_str(), "w");
    PEM_write_X509(c, cert);
    std::fclose(c);
    FILE* k = std::fopen(key_path().c_str(), "w");
    PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(k);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~SelfSigned() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string cert_path() const { return (dir_ / "cert.pem").string(); }
  std::string key_path() const { return (dir_ / "key.pem").string(); }

 private:
  std::filesystem::path dir_;
};

// What one end of a stream saw.
class End : public StreamHandler {
 public:
  void OnRead(std::string_view data) override {
    received.append(data);
    if (on_read) on_read();
  }
  void OnClosed() override { closed = true; }
  void OnTlsError(const std::string& why) override { error = why; }
  void OnTlsReady() override { ready = true; }
  std::span<char> DirectReadTarget() override {
    if (direct_filled == direct.size()) return {};
    return {direct.data() + direct_filled, direct.size() - direct_filled};
  }
  void OnDirectRead(size_t n) override { direct_filled += n; }

  std::string received;
  std::string direct;  // sized by a test that reads directly
  size_t direct_filled = 0;
  std::string error;
  bool ready = false;
  bool closed = false;
  std::function<void()> on_read;
};

class TlsReactorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip, error;
    std::unique_ptr<Reactor> inner = testing::MakeTestReactor(GetParam(), &skip, &error);
    if (!skip.empty()) GTEST_SKIP() << skip;
    ASSERT_TRUE(inner) << error;
    reactor_ = std::make_unique<TlsReactor>(std::move(inner));
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    TlsContextOptions server;
    server.cert_file = certs_.cert_path();
    server.key_file = certs_.key_path();
    server.peer_check = TlsPeerCheck::kNone;
    server_ctx_ = MakeTlsServerContext(server, &error);
    ASSERT_NE(server_ctx_, nullptr) << error;
    TlsContextOptions client;
    client.ca_cert_file = certs_.cert_path();
    client_ctx_ = MakeTlsClientContext(client, &error);
    ASSERT_NE(client_ctx_, nullptr) << error;
  }
  void TearDown() override {
    for (int i = 0; i < 2; ++i) {
      if (!added_[i] && fds_[i] >= 0) close(fds_[i]);
    }
  }

  StreamId AddServer(End& e, int64_t timeout_ms = 10000) {
    added_[0] = true;
    TlsStreamOptions o;
    o.role = TlsRole::kServer;
    o.handshake_timeout_ms = timeout_ms;
    return reactor_->AddTlsStream(fds_[0], &e, server_ctx_.get(), o);
  }
  StreamId AddClient(End& e, const std::string& name = "localhost") {
    added_[1] = true;
    TlsStreamOptions o;
    o.role = TlsRole::kClient;
    o.server_name = name;
    return reactor_->AddTlsStream(fds_[1], &e, client_ctx_.get(), o);
  }

  bool RunUntil(const std::function<bool()>& done) { return testing::RunUntil(*reactor_, done); }

  SelfSigned certs_;
  std::unique_ptr<TlsReactor> reactor_;
  TlsContextPtr server_ctx_, client_ctx_;
  int fds_[2] = {-1, -1};
  bool added_[2] = {false, false};
};

TEST_P(TlsReactorTest, EarlyWritesArriveInOrderAndABigReplyArrivesWhole) {
  End server, client;
  const StreamId s = AddServer(server);
  const StreamId c = AddClient(client);
  // Written before the handshake finished: held, then sent in order.
  reactor_->Write(c, "PING ");
  reactor_->WriteExternal(c, "early", nullptr);
  EXPECT_GT(reactor_->PendingBytes(c), 0u);
  const std::string reply = Bytes(1 << 20, 3);
  server.on_read = [&] {
    if (server.received == "PING early") reactor_->Write(s, reply);
  };
  ASSERT_TRUE(RunUntil([&] { return client.received.size() >= reply.size(); }))
      << "server got '" << server.received << "', client " << client.received.size()
      << " bytes; errors: " << server.error << " / " << client.error;
  EXPECT_TRUE(client.received == reply) << "the reply arrived in order and whole";
  EXPECT_TRUE(server.ready && client.ready);
  EXPECT_EQ(reactor_->TlsVersion(c), "TLSv1.3");
  EXPECT_FALSE(reactor_->TlsCipher(s).empty());
  EXPECT_EQ(reactor_->stats().tls_accepts, 1u);
  EXPECT_EQ(reactor_->stats().tls_connects, 1u);
  EXPECT_TRUE(server.error.empty() && client.error.empty());
}

TEST_P(TlsReactorTest, ADirectReadDecryptsIntoTheHandlersSpan) {
  End server, client;
  const StreamId s = AddServer(server);
  const StreamId c = AddClient(client);
  const std::string body = Bytes(300000, 5);
  server.direct.assign(body.size(), '\0');
  server.on_read = [&] {
    // The head is in: the body goes straight into `direct` from here.
    if (server.received == "head:") {
      EXPECT_TRUE(reactor_->RequestDirectRead(s));
    }
  };
  reactor_->Write(c, "head:");
  bool sent = false;
  ASSERT_TRUE(RunUntil([&] {
    if (!sent && server.received == "head:") {
      sent = true;
      reactor_->Write(c, body);
    }
    return server.direct_filled == body.size();
  })) << server.direct_filled;
  EXPECT_TRUE(server.direct == body);
  EXPECT_EQ(server.received, "head:") << "no byte of the body came through OnRead";
  EXPECT_GT(reactor_->stats().tls_direct_reads, 0u);
}

TEST_P(TlsReactorTest, AFlushingCloseSendsEverythingAndThePeerSeesTheEnd) {
  End server, client;
  const StreamId s = AddServer(server);
  AddClient(client);
  reactor_->Write(s, "bye");
  reactor_->Close(s, /*flush_first=*/true);
  ASSERT_TRUE(RunUntil([&] { return client.closed && server.closed; }));
  EXPECT_EQ(client.received, "bye");
  EXPECT_TRUE(client.error.empty()) << client.error;
}

TEST_P(TlsReactorTest, ACertificateForAnotherNameEndsTheStreamWithTheReason) {
  End server, client;
  AddServer(server);
  const StreamId c = AddClient(client, "other.example");
  reactor_->Write(c, "never sent");
  ASSERT_TRUE(RunUntil([&] { return client.closed && server.closed; }));
  EXPECT_EQ(client.error, "TLS handshake failed: certificate verify failed (hostname mismatch)");
  EXPECT_FALSE(server.error.empty()) << "the server heard the client's alert";
  EXPECT_EQ(server.received, "");
  EXPECT_EQ(reactor_->stats().tls_connect_failures, 1u);
  EXPECT_EQ(reactor_->stats().tls_accept_failures, 1u);
}

TEST_P(TlsReactorTest, BytesThatAreNotTlsEndTheStream) {
  End server;
  AddServer(server);
  const std::string garbage = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(write(fds_[1], garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  ASSERT_TRUE(RunUntil([&] { return server.closed; }));
  EXPECT_EQ(server.error.rfind("TLS handshake failed: ", 0), 0u) << server.error;
  EXPECT_EQ(server.received, "");
  close(fds_[1]);
  fds_[1] = -1;
}

TEST_P(TlsReactorTest, AHandshakeThatNeverComesTimesOut) {
  End server;
  AddServer(server, /*timeout_ms=*/100);
  ASSERT_TRUE(RunUntil([&] { return server.closed; }));
  EXPECT_EQ(server.error, "TLS handshake timed out");
  EXPECT_EQ(reactor_->stats().tls_accept_failures, 1u);
  close(fds_[1]);
  fds_[1] = -1;
}

INSTANTIATE_TEST_SUITE_P(Backends, TlsReactorTest, ::testing::Values("io_uring", "libevent"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ringside::proxy
