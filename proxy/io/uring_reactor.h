// The io_uring reactor's class, shared by its two source files: uring_reactor.cc (the ring,
// listeners, timers, file ops and the completion loop) and uring_streams.cc (a stream's reads,
// sends and closing). Internal to proxy/io; everything else sees only reactor.h.
//
// One ring per thread (SINGLE_ISSUER, DEFER_TASKRUN where the kernel has it), multishot
// accept on each listener, multishot recv into a provided buffer ring, one sendmsg in flight
// per stream carrying every queued chunk, and an eventfd read for cross-core wake-ups. Every
// completion goes through one switch on the op tag in user_data.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/io/reactor.h"
#include "proxy/io/send_queue.h"

namespace ringside::proxy::uring {

enum Op : uint8_t { kAccept = 1, kRecv, kDirectRecv, kSend, kWake, kTimer, kCancel, kFile };

constexpr uint16_t kBufferGroup = 0;
constexpr size_t kMaxIov = 64;

inline uint64_t Tag(Op op, uint32_t id) { return (static_cast<uint64_t>(op) << 56) | id; }
inline Op TagOp(uint64_t user_data) { return static_cast<Op>(user_data >> 56); }
inline uint32_t TagId(uint64_t user_data) { return static_cast<uint32_t>(user_data & 0xffffffffu); }

inline unsigned RoundUpPow2(unsigned v) {
  unsigned p = 1;
  while (p < v) p <<= 1;
  return p;
}

class UringReactor final : public Reactor {
 public:
  UringReactor() = default;
  ~UringReactor() override;

  bool Init(const ReactorOptions& options, std::string* error);
  // Checks, on a socket pair, that a multishot recv on the buffer ring delivers data and stays
  // armed. Call right after Init, before Run.
  bool ProbeMultishotRecv(std::string* error);

  void Listen(int listen_fd, std::function<void(int)> on_accept) override;
  void StopListening() override;
  StreamId AddStream(int fd, StreamHandler* handler) override;
  void Write(StreamId id, std::string data) override;
  void WriteExternal(StreamId id, std::string_view bytes,
                     std::shared_ptr<const void> owner) override;
  void Close(StreamId id, bool flush_first) override;
  void PauseReading(StreamId id, bool pause) override;
  bool RequestDirectRead(StreamId id) override;
  void PreferSingleReads(StreamId id, bool single) override { streams_[id]->single_reads = single; }
  size_t PendingBytes(StreamId id) const override;
  void WriteFile(int fd, std::string_view data, uint64_t offset,
                 std::function<void(int64_t)> done) override;
  void SyncFile(int fd, std::function<void(int)> done) override;
  void AddTimer(unsigned interval_ms, std::function<void()> fn) override;
  void SetLoopHook(std::function<void()> fn) override { hook_ = std::move(fn); }
  void Wake() override;
  void Run() override;
  void Stop() override { stop_ = true; }
  std::string_view name() const override { return "io_uring"; }
  const ReactorStats& stats() const override { return stats_; }

 private:
  struct Stream {
    int fd = -1;
    StreamHandler* handler = nullptr;
    SendQueue out;
    int inflight = 0;  // ops whose final completion has not arrived
    bool recv_armed = false;
    bool send_inflight = false;
    bool send_queued = false;  // listed in send_pending_
    bool closing = false;      // no more reads are delivered; finalised once inflight == 0
    bool close_after_flush = false;
    bool read_paused = false;
    bool cancel_sent = false;      // a cancel of the armed recv is on its way
    bool direct_wanted = false;    // the handler asked for direct reads
    bool direct_inflight = false;  // a single-shot recv into the handler's memory is armed
    bool single_reads = false;     // arm one-buffer recvs instead of multishot
    bool in_use = false;
    iovec iov[kMaxIov];
    msghdr msg{};
  };
  struct Listener {
    int fd = -1;
    std::function<void(int)> on_accept;
    bool armed = false;
    bool open = false;
  };
  struct Timer {
    __kernel_timespec ts{};
    std::function<void()> fn;
  };

  io_uring_sqe* GetSqe();
  void ArmAccept(uint32_t index);
  void ArmRecv(uint32_t id);
  // Arms the next read: a direct one while the handler wants them, else multishot recv.
  void ArmNextRead(uint32_t id);
  void CancelRecv(uint32_t id);
  void ArmWake();
  void ArmTimer(uint32_t index);
  void SubmitSend(uint32_t id);
  void BeginClose(uint32_t id);
  void FinishClosed();
  void HandleCompletion(io_uring_cqe* cqe);
  void OnRecv(uint32_t id, io_uring_cqe* cqe);
  void OnDirectRecv(uint32_t id, int res);
  void OnSend(uint32_t id, int res);
  void RecycleBuffer(uint16_t bid);
  // A slot for a file op's completion callback.
  uint32_t AddFileOp(std::function<void(int64_t)> done);

  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  char* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  unsigned buffer_count_ = 0;
  unsigned buffer_size_ = 0;

  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<uint32_t> free_ids_;
  std::vector<uint32_t> send_pending_;
  std::vector<uint32_t> closing_;
  std::vector<Listener> listeners_;
  std::vector<std::unique_ptr<Timer>> timers_;
  std::vector<uint32_t> rearm_later_;  // listeners to re-arm at the next timer tick
  // Completion callbacks of file writes and fsyncs in flight, by slot.
  std::vector<std::function<void(int64_t)>> file_ops_;
  std::vector<uint32_t> free_file_ops_;

  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  std::atomic<bool> wake_pending_{false};
  std::function<void()> hook_;
  bool stop_ = false;
  ReactorStats stats_;
};

}  // namespace ringside::proxy::uring
