// The reactor: one per thread, owning that thread's sockets, timers and wake-up. It moves bytes
// and knows nothing of RESP or commands. io_uring and libevent implement it.
//
// Every method except Wake() must be called on the reactor's own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "backend/file_io.h"

namespace ringside::proxy {

using StreamId = uint32_t;

// Receives one stream's events, on the reactor's thread.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // Bytes received; the view is valid only during the call.
  virtual void OnRead(std::string_view data) = 0;
  // The stream is gone: peer closed or reset, or Close() finished. No call follows; the
  // reactor no longer references the handler.
  virtual void OnClosed() = 0;

  // Direct reads (Reactor::RequestDirectRead). Asked each time the reactor is about to read
  // straight into the handler's memory: where the next bytes should go, or an empty span to go
  // back to ordinary reads. The span must stay valid until OnDirectRead or OnClosed.
  virtual std::span<char> DirectReadTarget() { return {}; }
  // `n` bytes (n > 0) arrived at the start of the span DirectReadTarget last returned.
  virtual void OnDirectRead(size_t n) { (void)n; }

  // A TLS stream (TlsReactor::AddTlsStream) is ending because its handshake failed or timed
  // out, or its peer broke the protocol: `why` says so, in a line fit for a log. OnClosed
  // follows.
  virtual void OnTlsError(const std::string& why) { (void)why; }
  // A TLS stream's handshake finished: what was written before it is on its way, and the
  // peer's certificate (if any) has been verified.
  virtual void OnTlsReady() {}
};

// Edge cases the reactor met, counted so INFO can show them.
struct ReactorStats {
  uint64_t recv_rearms = 0;   // multishot recv ended without F_MORE and was armed again
  uint64_t recv_enobufs = 0;  // of those, ended because the buffer ring was empty
  uint64_t short_sends = 0;   // sendmsg took less than was queued
  uint64_t sq_full = 0;       // the submission queue was full and flushed early
  uint64_t peer_resets = 0;   // streams that ended with a reset or another error
  uint64_t read_pauses = 0;   // back-pressure: reading stopped until replies drained
  uint64_t direct_reads = 0;  // reads that landed straight in a handler's memory
  uint64_t single_reads = 0;  // one-buffer receives (PreferSingleReads)
  // TLS streams (TlsReactor): handshakes finished and failed, as the server (clients on
  // tls-port) and as the client (connections to the upstream).
  uint64_t tls_accepts = 0;
  uint64_t tls_accept_failures = 0;
  uint64_t tls_connects = 0;
  uint64_t tls_connect_failures = 0;
  // Reads decrypted straight into a handler's memory (a direct read on a TLS stream: the
  // socket's bytes cannot go there, their plaintext does).
  uint64_t tls_direct_reads = 0;

  ReactorStats& operator+=(const ReactorStats& o) {
    recv_rearms += o.recv_rearms;
    recv_enobufs += o.recv_enobufs;
    short_sends += o.short_sends;
    sq_full += o.sq_full;
    peer_resets += o.peer_resets;
    read_pauses += o.read_pauses;
    direct_reads += o.direct_reads;
    single_reads += o.single_reads;
    tls_accepts += o.tls_accepts;
    tls_accept_failures += o.tls_accept_failures;
    tls_connects += o.tls_connects;
    tls_connect_failures += o.tls_connect_failures;
    tls_direct_reads += o.tls_direct_reads;
    return *this;
  }
};

struct ReactorOptions {
  unsigned ring_entries = 1024;       // io_uring only
  unsigned recv_buffers = 256;        // io_uring only; rounded up to a power of two
  unsigned recv_buffer_size = 16384;  // bytes per receive; libevent reads this much at a time
};

// Also the thread's FileIo: WriteFile and SyncFile complete on the reactor's thread, in a later
// loop iteration than the one that started them.
class Reactor : public backend::FileIo {
 public:
  ~Reactor() override = default;

  // Accepts connections on `listen_fd` (the reactor owns it from now on); each accepted socket
  // is handed to `on_accept`, which must AddStream() or close it.
  virtual void Listen(int listen_fd, std::function<void(int fd)> on_accept) = 0;
  // Stops accepting and closes every listener.
  virtual void StopListening() = 0;
  // Starts reading a connected socket (the reactor owns the fd). `handler` must stay alive
  // until its OnClosed().
  virtual StreamId AddStream(int fd, StreamHandler* handler) = 0;
  // Queues bytes; streams send in order, batched per loop iteration.
  virtual void Write(StreamId id, std::string data) = 0;
  // Queues bytes that are sent from where they live, without a copy; `owner` keeps them alive
  // and is released once they are sent (or the stream is gone).
  virtual void WriteExternal(StreamId id, std::string_view bytes,
                             std::shared_ptr<const void> owner) = 0;
  // Closes the stream, after sending what is queued when `flush_first`. OnClosed follows.
  virtual void Close(StreamId id, bool flush_first) = 0;
  // Stops (true) or resumes (false) reading from the stream, for back-pressure. Bytes already
  // on their way may still be delivered after a pause.
  virtual void PauseReading(StreamId id, bool pause) = 0;
  // Asks to read the stream's next bytes straight into the handler's memory (see
  // StreamHandler::DirectReadTarget) once the bytes already on their way have been delivered
  // through OnRead. Returns false when this backend cannot; OnRead then carries on as usual.
  virtual bool RequestDirectRead(StreamId id) = 0;
  // Reads one receive buffer at a time (true) instead of keeping a multishot receive armed.
  // A multishot receive hands over everything already queued on the socket, so a big value's
  // body would be copied out of receive buffers before a direct read could take it; one buffer
  // at a time lets the handler switch as soon as it sees the value's header.
  virtual void PreferSingleReads(StreamId id, bool single) = 0;
  // Bytes queued on the stream and not yet sent.
  virtual size_t PendingBytes(StreamId id) const = 0;

  // Runs `fn` every `interval_ms` on this thread.
  virtual void AddTimer(unsigned interval_ms, std::function<void()> fn) = 0;
  // Runs once per loop iteration, before the reactor parks (mailboxes are drained here).
  virtual void SetLoopHook(std::function<void()> fn) = 0;
  // Thread-safe: makes a parked Run() return from the kernel and run the loop hook.
  virtual void Wake() = 0;
  // Runs until Stop() (called on this thread, e.g. from the loop hook or a timer).
  virtual void Run() = 0;
  virtual void Stop() = 0;
  virtual std::string_view name() const = 0;
  virtual const ReactorStats& stats() const = 0;
};

// Returns nullptr and sets *error when the kernel refuses what the io_uring reactor needs.
std::unique_ptr<Reactor> MakeUringReactor(const ReactorOptions& options, std::string* error);
// Returns nullptr and sets *error when libevent cannot set up an event loop.
std::unique_ptr<Reactor> MakeEventReactor(const ReactorOptions& options, std::string* error);
// Whether the io_uring reactor can work here, checked on the calling thread: a ring with the
// flags it uses, its provided buffer ring, and a multishot recv that stays armed. When not,
// sets *reason to what failed.
bool ProbeUring(const ReactorOptions& options, std::string* reason);

}  // namespace ringside::proxy
