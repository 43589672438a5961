// A reactor with TLS streams: wraps the thread's io_uring or libevent reactor, passes plain
// streams and everything else straight to it, and runs OpenSSL over memory buffers for the
// streams added with AddTlsStream. Underneath, a TLS stream is an ordinary stream carrying the
// ciphertext; its handler sees only plaintext, through the same StreamHandler calls. The
// handshake (and any later renegotiation or key update) is driven by the bytes that arrive,
// on the reactor's thread, so it never blocks the loop.
//
// On a TLS stream, RequestDirectRead decrypts straight into the handler's memory: the
// ciphertext cannot land there, its plaintext can. PreferSingleReads does nothing (the
// ciphertext is read as it comes; how much is decrypted at once is the handler's choice).
//
// Every method except Wake() must be called on the reactor's own thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/io/reactor.h"

struct ssl_st;
struct ssl_ctx_st;
struct bio_st;

namespace ringside::proxy {

enum class TlsRole { kServer, kClient };

struct TlsStreamOptions {
  TlsRole role = TlsRole::kServer;
  // kClient: the name sent as SNI and checked against the server's certificate (an IP
  // address is checked against its IP entries, and sent as no SNI); empty checks no name.
  std::string server_name;
  // kClient: whether the context checks the server's certificate (the name is then checked).
  bool verify = true;
  // A handshake not finished by then ends the stream (OnTlsError, OnClosed).
  int64_t handshake_timeout_ms = 10000;
};

class TlsReactor final : public Reactor {
 public:
  explicit TlsReactor(std::unique_ptr<Reactor> inner);
  ~TlsReactor() override;

  // As AddStream, with TLS over the socket: `ctx` (a server or client context, see
  // tls_context.h; referenced for the stream's life) and `options`. A client starts its
  // handshake at once. Bytes written before the handshake finished are sent after it.
  StreamId AddTlsStream(int fd, StreamHandler* handler, ssl_ctx_st* ctx,
                        const TlsStreamOptions& options);
  // The protocol version and cipher a TLS stream's handshake agreed on ("" until it
  // finished, and for plain streams).
  std::string TlsVersion(StreamId id) const;
  std::string TlsCipher(StreamId id) const;

  void Listen(int listen_fd, std::function<void(int fd)> on_accept) override {
    inner_->Listen(listen_fd, std::move(on_accept));
  }
  void StopListening() override { inner_->StopListening(); }
  StreamId AddStream(int fd, StreamHandler* handler) override {
    return inner_->AddStream(fd, handler);
  }
  void Write(StreamId id, std::string data) override;
  void WriteExternal(StreamId id, std::string_view bytes,
                     std::shared_ptr<const void> owner) override;
  void Close(StreamId id, bool flush_first) override;
  void PauseReading(StreamId id, bool pause) override { inner_->PauseReading(id, pause); }
  bool RequestDirectRead(StreamId id) override;
  void PreferSingleReads(StreamId id, bool single) override;
  size_t PendingBytes(StreamId id) const override;
  void WriteFile(int fd, std::string_view data, uint64_t offset,
                 std::function<void(int64_t)> done) override {
    inner_->WriteFile(fd, data, offset, std::move(done));
  }
  void SyncFile(int fd, std::function<void(int)> done) override {
    inner_->SyncFile(fd, std::move(done));
  }
  void AddTimer(unsigned interval_ms, std::function<void()> fn) override {
    inner_->AddTimer(interval_ms, std::move(fn));
  }
  void SetLoopHook(std::function<void()> fn) override { inner_->SetLoopHook(std::move(fn)); }
  void Wake() override { inner_->Wake(); }
  void Run() override { inner_->Run(); }
  void Stop() override { inner_->Stop(); }
  std::string_view name() const override { return inner_->name(); }
  // The inner reactor's counts and the TLS ones.
  const ReactorStats& stats() const override;

 private:
  // One TLS stream: the handler the inner reactor calls with ciphertext.
  struct Tls final : StreamHandler {
    TlsReactor* owner = nullptr;
    StreamId id = 0;
    StreamHandler* handler = nullptr;  // the user's, which sees plaintext
    ssl_st* ssl = nullptr;
    bio_st* in = nullptr;   // ciphertext received, for OpenSSL to read
    bio_st* out = nullptr;  // ciphertext OpenSSL wrote, to be sent
    TlsRole role = TlsRole::kServer;
    bool handshaken = false;
    bool closing = false;  // Close() or a failure: nothing more goes to the handler
    bool direct_wanted = false;
    // Close(flush_first) came before the handshake finished, with early writes: they go out
    // once it finishes, then the stream closes. Nothing more is read or written meanwhile.
    bool close_pending = false;
    int64_t deadline_ms = 0;   // for the handshake
    std::string early_writes;  // plaintext written before the handshake finished

    ~Tls() override;
    void OnRead(std::string_view data) override { owner->OnCiphertext(*this, data); }
    void OnClosed() override { owner->OnTlsClosed(*this); }
  };

  Tls* Find(StreamId id) const { return id < tls_.size() ? tls_[id].get() : nullptr; }
  void OnCiphertext(Tls& t, std::string_view data);
  void OnTlsClosed(Tls& t);
  // Advances the handshake; true once it has finished (and the early writes are encrypted).
  bool Handshake(Tls& t);
  // Decrypts what has arrived and hands it to the handler.
  void ReadPlaintext(Tls& t);
  void Encrypt(Tls& t, std::string_view bytes);
  // Sends the ciphertext OpenSSL produced.
  void SendCiphertext(Tls& t);
  // Ends the stream: the reason to the handler, the alert OpenSSL wrote to the peer.
  void Fail(Tls& t, const std::string& why);
  // The reason an OpenSSL call on `t` failed, for logs.
  std::string Reason(Tls& t, int rc, const char* what);
  void CheckDeadlines();

  std::unique_ptr<Reactor> inner_;
  std::vector<std::unique_ptr<Tls>> tls_;  // by stream id; null for plain streams
  size_t handshaking_ = 0;                 // TLS streams whose handshake is under way
  bool timer_armed_ = false;
  std::vector<char> plain_;  // decrypted bytes, handed to OnRead
  ReactorStats tls_stats_;
  mutable ReactorStats stats_;
};

}  // namespace ringside::proxy
