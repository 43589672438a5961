#include "proxy/io/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <strings.h>

#include <algorithm>
#include <sstream>

namespace ringside::proxy {

namespace {

struct Protocol {
  const char* name;
  long no_option;  // the SSL_OP_NO_* that turns it off
};
constexpr Protocol kProtocols[] = {{"TLSv1", SSL_OP_NO_TLSv1},
                                   {"TLSv1.1", SSL_OP_NO_TLSv1_1},
                                   {"TLSv1.2", SSL_OP_NO_TLSv1_2},
                                   {"TLSv1.3", SSL_OP_NO_TLSv1_3}};

// The SSL_OP_NO_* options that leave only the named protocols on; false on a name that is
// not one of them.
bool ProtocolOptions(const std::string& text, long* options, std::string* error) {
  std::istringstream in(text);
  unsigned wanted = 0;
  for (std::string word; in >> word;) {
    bool known = false;
    for (size_t i = 0; i < std::size(kProtocols); ++i) {
      if (strcasecmp(word.c_str(), kProtocols[i].name) == 0) {
        wanted |= 1u << i;
        known = true;
      }
    }
    if (!known) {
      *error = "Invalid tls-protocols specified";
      return false;
    }
  }
  if (wanted == 0) wanted = (1u << 2) | (1u << 3);
  *options = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
  for (size_t i = 0; i < std::size(kProtocols); ++i) {
    if ((wanted & (1u << i)) == 0) *options |= kProtocols[i].no_option;
  }
  return true;
}

int PassphraseCallback(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || size <= 0) return 0;
  const int n = std::min(size - 1, static_cast<int>(pass->size()));
  std::copy_n(pass->data(), n, buf);
  buf[n] = '\0';
  return n;
}

TlsContextPtr Own(SSL_CTX* ctx) { return TlsContextPtr(ctx, SSL_CTX_free); }

// What both kinds of context share: protocols, ciphers, the certificate and key, the CAs.
bool Configure(SSL_CTX* ctx, const TlsContextOptions& o, bool server, std::string* error) {
  long options = 0;
  if (!ProtocolOptions(o.protocols, &options, error)) return false;
  SSL_CTX_set_options(ctx, options | SSL_OP_NO_COMPRESSION);
  // Idle connections give their record buffers back (thousands of clients sit idle).
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (!o.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str()) != 1) {
    *error = "Failed to configure ciphers: " + TakeTlsError();
    return false;
  }
  if (!o.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, o.ciphersuites.c_str()) != 1) {
    *error = "Failed to configure ciphersuites: " + TakeTlsError();
    return false;
  }
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty() || o.key_file.empty()) {
      *error = "a certificate needs both its file and its key file";
      return false;
    }
    SSL_CTX_set_default_passwd_cb(ctx, PassphraseCallback);
    // The options outlive the loading only; OpenSSL asks for the passphrase during it.
    SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&o.key_file_pass));
    const bool loaded = SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) == 1;
    if (!loaded) {
      *error = "Failed to load certificate: " + o.cert_file + ": " + TakeTlsError();
    } else if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = "Failed to load private key: " + o.key_file + ": " + TakeTlsError();
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
      *error = "The private key " + o.key_file + " does not match the certificate " + o.cert_file +
               ": " + TakeTlsError();
    }
    SSL_CTX_set_default_passwd_cb(ctx, nullptr);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
    if (!error->empty()) return false;
  } else if (server) {
    *error = "tls-cert-file and tls-key-file are needed to serve TLS";
    return false;
  }
  if (!o.ca_cert_file.empty() || !o.ca_cert_dir.empty()) {
    if (SSL_CTX_load_verify_locations(
            ctx, o.ca_cert_file.empty() ? nullptr : o.ca_cert_file.c_str(),
            o.ca_cert_dir.empty() ? nullptr : o.ca_cert_dir.c_str()) != 1) {
      *error = "Failed to configure CA certificate(s) file/directory: " + TakeTlsError();
      return false;
    }
  } else if (!server || o.peer_check != TlsPeerCheck::kNone) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      *error = "Failed to load the system's CA certificates: " + TakeTlsError();
      return false;
    }
  }
  if (!o.dh_params_file.empty()) {
    BIO* bio = BIO_new_file(o.dh_params_file.c_str(), "r");
    EVP_PKEY* dh = bio != nullptr ? PEM_read_bio_Parameters(bio, nullptr) : nullptr;
    if (bio != nullptr) BIO_free(bio);
    if (dh == nullptr || SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
      if (dh != nullptr) EVP_PKEY_free(dh);
      *error = "Failed to load DH params file: " + o.dh_params_file + ": " + TakeTlsError();
      return false;
    }
  }
  return true;
}

}  // namespace

std::string TakeTlsError() {
  const unsigned long e = ERR_peek_last_error();
  std::string why;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    why = reason != nullptr ? reason : "error " + std::to_string(e);
  }
  ERR_clear_error();
  return why;
}

TlsContextPtr MakeTlsServerContext(const TlsContextOptions& o, std::string* error) {
  error->clear();
  TlsContextPtr ctx = Own(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + TakeTlsError();
    return nullptr;
  }
  if (!Configure(ctx.get(), o, true, error)) return nullptr;
  if (o.prefer_server_ciphers) SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Renegotiation a client starts costs the server a handshake each time; Redis refuses it too.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  if (o.session_caching) {
    static constexpr unsigned char kSessionContext[] = "ringside";
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx.get(), o.session_cache_size);
    SSL_CTX_set_timeout(ctx.get(), o.session_cache_timeout);
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof(kSessionContext) - 1);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  }
  int mode = SSL_VERIFY_NONE;
  if (o.peer_check == TlsPeerCheck::kOptional) mode = SSL_VERIFY_PEER;
  if (o.peer_check == TlsPeerCheck::kRequired) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  return ctx;
}

TlsContextPtr MakeTlsClientContext(const TlsContextOptions& o, std::string* error) {
  error->clear();
  TlsContextPtr ctx = Own(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + TakeTlsError();
    return nullptr;
  }
  if (!Configure(ctx.get(), o, false, error)) return nullptr;
  SSL_CTX_set_verify(
      ctx.get(), o.peer_check == TlsPeerCheck::kNone ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace ringside::proxy
