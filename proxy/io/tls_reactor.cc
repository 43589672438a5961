#include "proxy/io/tls_reactor.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <climits>

#include "proxy/io/tls_context.h"

namespace ringside::proxy {

namespace {

// Plaintext decrypted per SSL_read: one full TLS record.
constexpr size_t kPlainChunk = 16384;
constexpr unsigned kDeadlineCheckMs = 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool IsIpAddress(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

TlsReactor::Tls::~Tls() {
  if (ssl != nullptr) SSL_free(ssl);  // and the two BIOs it owns
}

TlsReactor::TlsReactor(std::unique_ptr<Reactor> inner)
    : inner_(std::move(inner)), plain_(kPlainChunk) {}

TlsReactor::~TlsReactor() = default;

StreamId TlsReactor::AddTlsStream(int fd, StreamHandler* handler, ssl_ctx_st* ctx,
                                  const TlsStreamOptions& options) {
  auto owned = std::make_unique<Tls>();
  Tls& t = *owned;
  t.owner = this;
  t.handler = handler;
  t.role = options.role;
  t.deadline_ms = NowMs() + options.handshake_timeout_ms;
  ERR_clear_error();
  t.ssl = SSL_new(ctx);
  std::string setup_error;
  if (t.ssl == nullptr) {
    setup_error = "cannot start TLS: " + TakeTlsError();
  } else {
    t.in = BIO_new(BIO_s_mem());
    t.out = BIO_new(BIO_s_mem());
    // An empty buffer means "more to come", never end of file.
    BIO_set_mem_eof_return(t.in, -1);
    BIO_set_mem_eof_return(t.out, -1);
    SSL_set_bio(t.ssl, t.in, t.out);
    if (options.role == TlsRole::kServer) {
      SSL_set_accept_state(t.ssl);
    } else {
      SSL_set_connect_state(t.ssl);
      const std::string& name = options.server_name;
      if (!name.empty() && IsIpAddress(name)) {
        if (options.verify) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t.ssl), name.c_str());
      } else if (!name.empty()) {
        SSL_set_tlsext_host_name(t.ssl, name.c_str());
        if (options.verify) SSL_set1_host(t.ssl, name.c_str());
      }
    }
  }
  const StreamId id = inner_->AddStream(fd, &t);
  t.id = id;
  if (tls_.size() <= id) tls_.resize(id + 1);
  tls_[id] = std::move(owned);
  if (!timer_armed_) {
    timer_armed_ = true;
    inner_->AddTimer(kDeadlineCheckMs, [this] { CheckDeadlines(); });
  }
  if (!setup_error.empty()) {
    Fail(t, setup_error);
  } else if (options.role == TlsRole::kClient) {
    Handshake(t);
  }
  return id;
}

std::string TlsReactor::TlsVersion(StreamId id) const {
  const Tls* t = Find(id);
  return t != nullptr && t->handshaken ? SSL_get_version(t->ssl) : "";
}

std::string TlsReactor::TlsCipher(StreamId id) const {
  const Tls* t = Find(id);
  return t != nullptr && t->handshaken ? SSL_get_cipher_name(t->ssl) : "";
}

void TlsReactor::Write(StreamId id, std::string data) {
  Tls* t = Find(id);
  if (t == nullptr) return inner_->Write(id, std::move(data));
  if (!t->closing && !t->close_pending) Encrypt(*t, data);
}

void TlsReactor::WriteExternal(StreamId id, std::string_view bytes,
                               std::shared_ptr<const void> owner) {
  Tls* t = Find(id);
  if (t == nullptr) return inner_->WriteExternal(id, bytes, std::move(owner));
  // Encrypting copies the bytes: the owner's buffer is free again at once.
  if (!t->closing && !t->close_pending) Encrypt(*t, bytes);
}

void TlsReactor::Close(StreamId id, bool flush_first) {
  Tls* t = Find(id);
  if (t == nullptr) return inner_->Close(id, flush_first);
  if (t->closing || t->close_pending) return;
  if (flush_first && !t->handshaken && !t->early_writes.empty()) {
    t->close_pending = true;
    return;
  }
  t->closing = true;
  if (flush_first && t->handshaken) {
    ERR_clear_error();
    SSL_shutdown(t->ssl);  // close_notify, so the peer knows nothing was cut off
    SendCiphertext(*t);
  }
  inner_->Close(id, flush_first);
}

bool TlsReactor::RequestDirectRead(StreamId id) {
  Tls* t = Find(id);
  if (t == nullptr) return inner_->RequestDirectRead(id);
  t->direct_wanted = true;
  return true;
}

void TlsReactor::PreferSingleReads(StreamId id, bool single) {
  if (Find(id) == nullptr) inner_->PreferSingleReads(id, single);
}

size_t TlsReactor::PendingBytes(StreamId id) const {
  const Tls* t = Find(id);
  return inner_->PendingBytes(id) + (t != nullptr ? t->early_writes.size() : 0);
}

const ReactorStats& TlsReactor::stats() const {
  stats_ = inner_->stats();
  stats_ += tls_stats_;
  return stats_;
}

void TlsReactor::OnCiphertext(Tls& t, std::string_view data) {
  if (t.closing) return;
  if (BIO_write(t.in, data.data(), static_cast<int>(data.size())) !=
      static_cast<int>(data.size())) {
    Fail(t, "out of memory for TLS input");
    return;
  }
  if (!t.handshaken && !Handshake(t)) return;
  ReadPlaintext(t);
}

bool TlsReactor::Handshake(Tls& t) {
  ERR_clear_error();
  const int rc = SSL_do_handshake(t.ssl);
  if (rc != 1) {
    if (SSL_get_error(t.ssl, rc) == SSL_ERROR_WANT_READ) {
      SendCiphertext(t);
    } else {
      Fail(t, Reason(t, rc, "handshake"));
    }
    return false;
  }
  t.handshaken = true;
  (t.role == TlsRole::kServer ? tls_stats_.tls_accepts : tls_stats_.tls_connects)++;
  if (t.early_writes.empty()) {
    SendCiphertext(t);
  } else {
    const std::string early = std::move(t.early_writes);
    t.early_writes.clear();
    Encrypt(t, early);
  }
  if (t.close_pending) {
    t.close_pending = false;
    Close(t.id, true);
    return false;
  }
  if (!t.closing) t.handler->OnTlsReady();
  return !t.closing;
}

void TlsReactor::ReadPlaintext(Tls& t) {
  // A successful call leaves the error queue empty: clearing it once covers the loop.
  ERR_clear_error();
  while (!t.closing) {
    std::span<char> target;
    if (t.direct_wanted) {
      target = t.handler->DirectReadTarget();
      if (target.empty()) t.direct_wanted = false;
    }
    const bool direct = !target.empty();
    char* dst = direct ? target.data() : plain_.data();
    const size_t room = direct ? target.size() : plain_.size();
    const int rc = SSL_read(t.ssl, dst, static_cast<int>(std::min<size_t>(room, INT_MAX)));
    if (rc > 0) {
      if (direct) {
        tls_stats_.tls_direct_reads++;
        t.handler->OnDirectRead(static_cast<size_t>(rc));
      } else {
        t.handler->OnRead(std::string_view(dst, static_cast<size_t>(rc)));
      }
      continue;
    }
    const int err = SSL_get_error(t.ssl, rc);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      // close_notify: the peer sends nothing more. Replies already queued still go out.
      Close(t.id, true);
      return;
    }
    Fail(t, Reason(t, rc, "read"));
    return;
  }
  // Reading may have produced records to send: a key update, session tickets.
  if (!t.closing) SendCiphertext(t);
}

void TlsReactor::Encrypt(Tls& t, std::string_view bytes) {
  if (!t.handshaken) {
    t.early_writes.append(bytes);
    return;
  }
  ERR_clear_error();
  size_t off = 0;
  while (off < bytes.size()) {
    const int n = SSL_write(t.ssl, bytes.data() + off,
                            static_cast<int>(std::min<size_t>(bytes.size() - off, INT_MAX)));
    if (n <= 0) {
      Fail(t, Reason(t, n, "write"));
      return;
    }
    off += static_cast<size_t>(n);
  }
  SendCiphertext(t);
}

void TlsReactor::SendCiphertext(Tls& t) {
  const size_t n = BIO_ctrl_pending(t.out);
  if (n == 0) return;
  std::string bytes(n, '\0');
  const int got = BIO_read(t.out, bytes.data(), static_cast<int>(n));
  if (got <= 0) return;
  bytes.resize(static_cast<size_t>(got));
  inner_->Write(t.id, std::move(bytes));
}

void TlsReactor::Fail(Tls& t, const std::string& why) {
  if (t.closing) return;
  if (!t.handshaken) {
    (t.role == TlsRole::kServer ? tls_stats_.tls_accept_failures
                                : tls_stats_.tls_connect_failures)++;
  }
  t.closing = true;
  if (t.ssl != nullptr) SendCiphertext(t);  // the alert that tells the peer why
  t.handler->OnTlsError(why);
  inner_->Close(t.id, true);
}

std::string TlsReactor::Reason(Tls& t, int rc, const char* what) {
  const int err = SSL_get_error(t.ssl, rc);
  const std::string stage =
      t.handshaken ? std::string("TLS ") + what + " failed: " : "TLS handshake failed: ";
  const long verify = SSL_get_verify_result(t.ssl);
  std::string reason = TakeTlsError();
  if (verify != X509_V_OK && (reason.empty() || reason == "certificate verify failed")) {
    return stage + "certificate verify failed (" + X509_verify_cert_error_string(verify) + ")";
  }
  if (reason.empty()) {
    reason = err == SSL_ERROR_SYSCALL ? "unexpected end of the connection"
                                      : "error " + std::to_string(err);
  }
  return stage + reason;
}

void TlsReactor::OnTlsClosed(Tls& t) {
  StreamHandler* handler = t.handler;
  if (!t.closing && !t.handshaken) {
    (t.role == TlsRole::kServer ? tls_stats_.tls_accept_failures
                                : tls_stats_.tls_connect_failures)++;
    handler->OnTlsError("connection closed during the TLS handshake");
  }
  tls_[t.id].reset();  // `t` is gone from here on
  handler->OnClosed();
}

void TlsReactor::CheckDeadlines() {
  const int64_t now = NowMs();
  for (const std::unique_ptr<Tls>& t : tls_) {
    if (t != nullptr && !t->handshaken && !t->closing && now >= t->deadline_ms) {
      Fail(*t, t->role == TlsRole::kClient
                   ? "TLS handshake timed out (does the server speak TLS on this port?)"
                   : "TLS handshake timed out");
    }
  }
}

}  // namespace ringside::proxy
