// The io_uring reactor: one ring per thread (SINGLE_ISSUER, DEFER_TASKRUN where the kernel has
// it), multishot accept on each listener, multishot recv into a provided buffer ring, one
// sendmsg in flight per stream carrying every queued chunk, and an eventfd read for cross-core
// wake-ups. Every completion goes through one switch on the op tag in user_data.
#include <liburing.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "proxy/io/reactor.h"
#include "proxy/io/send_queue.h"

namespace ringside::proxy {

namespace {

enum Op : uint8_t { kAccept = 1, kRecv, kDirectRecv, kSend, kWake, kTimer, kCancel, kFile };

constexpr uint16_t kBufferGroup = 0;
constexpr size_t kMaxIov = 64;

uint64_t Tag(Op op, uint32_t id) { return (static_cast<uint64_t>(op) << 56) | id; }
Op TagOp(uint64_t user_data) { return static_cast<Op>(user_data >> 56); }
uint32_t TagId(uint64_t user_data) { return static_cast<uint32_t>(user_data & 0xffffffffu); }

unsigned RoundUpPow2(unsigned v) {
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

bool UringReactor::Init(const ReactorOptions& options, std::string* error) {
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  params.cq_entries = options.ring_entries * 4;
  int rc = io_uring_queue_init_params(options.ring_entries, &ring_, &params);
  if (rc == -EINVAL) {
    // Kernels before 6.1 lack DEFER_TASKRUN; COOP_TASKRUN (5.19) still avoids IPIs.
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
    params.cq_entries = options.ring_entries * 4;
    rc = io_uring_queue_init_params(options.ring_entries, &ring_, &params);
  }
  if (rc < 0) {
    *error = std::string("io_uring_setup failed: ") + strerror(-rc);
    if (rc == -EPERM) {
      *error += " (forbidden by a seccomp filter or by sysctl kernel.io_uring_disabled)";
    } else if (rc == -ENOSYS) {
      *error += " (the kernel has no io_uring)";
    }
    return false;
  }
  ring_ready_ = true;
  if (!(params.features & IORING_FEAT_FAST_POLL)) {
    *error = "io_uring lacks IORING_FEAT_FAST_POLL (kernel too old)";
    return false;
  }

  buffer_count_ = RoundUpPow2(options.recv_buffers);
  buffer_size_ = options.recv_buffer_size;
  buf_ring_bytes_ = sizeof(io_uring_buf) * buffer_count_;
  void* mem =
      mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("mmap of the buffer ring failed: ") + strerror(errno);
    return false;
  }
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
  reg.ring_entries = buffer_count_;
  reg.bgid = kBufferGroup;
  rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc < 0) {
    *error = std::string("provided buffer ring registration failed: ") + strerror(-rc);
    return false;
  }
  buffers_bytes_ = static_cast<size_t>(buffer_count_) * buffer_size_;
  mem = mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("mmap of receive buffers failed: ") + strerror(errno);
    return false;
  }
  buffers_ = static_cast<char*>(mem);
  io_uring_buf_ring_init(buf_ring_);
  for (unsigned i = 0; i < buffer_count_; ++i) {
    io_uring_buf_ring_add(buf_ring_, buffers_ + static_cast<size_t>(i) * buffer_size_, buffer_size_,
                          static_cast<uint16_t>(i), io_uring_buf_ring_mask(buffer_count_),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(buffer_count_));

  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    *error = std::string("eventfd failed: ") + strerror(errno);
    return false;
  }
  ArmWake();
  return true;
}

bool UringReactor::ProbeMultishotRecv(std::string* error) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    *error = std::string("socketpair failed: ") + strerror(errno);
    return false;
  }
  const char byte = 'p';
  bool ok = false;
  if (write(sv[1], &byte, 1) != 1) {
    *error = std::string("write to a socket pair failed: ") + strerror(errno);
  } else {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, Tag(kRecv, 0));
    io_uring_submit(&ring_);
    __kernel_timespec deadline{.tv_sec = 2, .tv_nsec = 0};
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &deadline);
    if (rc < 0) {
      *error = std::string("multishot recv did not complete: ") + strerror(-rc);
    } else if (cqe->res == -EINVAL) {
      *error = "multishot recv is not supported (it needs Linux 6.0 or later)";
    } else if (cqe->res < 0) {
      *error = std::string("multishot recv failed: ") + strerror(-cqe->res);
    } else if (!(cqe->flags & IORING_CQE_F_MORE)) {
      *error = "multishot recv stopped after one completion (not supported by this kernel)";
    } else {
      ok = true;
    }
  }
  // The ring still holds the recv; tearing the ring down cancels it.
  close(sv[0]);
  close(sv[1]);
  return ok;
}

UringReactor::~UringReactor() {
  for (auto& s : streams_) {
    if (s && s->in_use && s->fd >= 0) close(s->fd);
  }
  for (auto& l : listeners_) {
    if (l.open) close(l.fd);
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (buffers_) munmap(buffers_, buffers_bytes_);
  if (buf_ring_) munmap(buf_ring_, buf_ring_bytes_);
}

io_uring_sqe* UringReactor::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    ++stats_.sq_full;
    // A full submission queue: hand what is queued to the kernel and take a fresh entry, so no
    // re-arm is ever dropped.
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringReactor::ArmWake() {
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, Tag(kWake, 0));
}

void UringReactor::Wake() {
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
    eventfd_write(wake_fd_, 1);
  }
}

void UringReactor::Listen(int listen_fd, std::function<void(int)> on_accept) {
  listeners_.push_back(Listener{listen_fd, std::move(on_accept), false, true});
  ArmAccept(static_cast<uint32_t>(listeners_.size() - 1));
}

void UringReactor::ArmAccept(uint32_t index) {
  Listener& l = listeners_[index];
  if (!l.open || l.armed) return;
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_multishot_accept(sqe, l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, Tag(kAccept, index));
  l.armed = true;
}

void UringReactor::StopListening() {
  for (uint32_t i = 0; i < listeners_.size(); ++i) {
    Listener& l = listeners_[i];
    if (!l.open) continue;
    if (l.armed) {
      io_uring_sqe* sqe = GetSqe();
      io_uring_prep_cancel64(sqe, Tag(kAccept, i), 0);
      io_uring_sqe_set_data64(sqe, Tag(kCancel, 0));
    }
    close(l.fd);
    l.open = false;
  }
}

StreamId UringReactor::AddStream(int fd, StreamHandler* handler) {
  uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<uint32_t>(streams_.size());
    streams_.push_back(std::make_unique<Stream>());
  }
  Stream& s = *streams_[id];
  s = Stream{};
  s.fd = fd;
  s.handler = handler;
  s.in_use = true;
  ArmRecv(id);
  return id;
}

void UringReactor::ArmRecv(uint32_t id) {
  Stream& s = *streams_[id];
  io_uring_sqe* sqe = GetSqe();
  if (s.single_reads) {
    io_uring_prep_recv(sqe, s.fd, nullptr, 0, 0);
    ++stats_.single_reads;
  } else {
    io_uring_prep_recv_multishot(sqe, s.fd, nullptr, 0, 0);
  }
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, Tag(kRecv, id));
  s.recv_armed = true;
  ++s.inflight;
}

void UringReactor::Write(StreamId id, std::string data) {
  Stream& s = *streams_[id];
  if (s.closing || data.empty()) return;
  s.out.Push(std::move(data));
  if (!s.send_queued && !s.send_inflight) {
    s.send_queued = true;
    send_pending_.push_back(id);
  }
}

void UringReactor::WriteExternal(StreamId id, std::string_view bytes,
                                 std::shared_ptr<const void> owner) {
  Stream& s = *streams_[id];
  if (s.closing || bytes.empty()) return;
  s.out.PushExternal(bytes, std::move(owner));
  if (!s.send_queued && !s.send_inflight) {
    s.send_queued = true;
    send_pending_.push_back(id);
  }
}

void UringReactor::ArmNextRead(uint32_t id) {
  Stream& s = *streams_[id];
  if (s.direct_wanted) {
    const std::span<char> target = s.handler->DirectReadTarget();
    if (!target.empty()) {
      // MSG_WAITALL: one completion for the whole span unless the peer stops or errs first.
      io_uring_sqe* sqe = GetSqe();
      io_uring_prep_recv(sqe, s.fd, target.data(), target.size(), MSG_WAITALL);
      io_uring_sqe_set_data64(sqe, Tag(kDirectRecv, id));
      s.direct_inflight = true;
      ++s.inflight;
      return;
    }
    s.direct_wanted = false;
  }
  ArmRecv(id);
}

void UringReactor::CancelRecv(uint32_t id) {
  Stream& s = *streams_[id];
  if (!s.recv_armed || s.cancel_sent) return;
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_cancel64(sqe, Tag(kRecv, id), 0);
  io_uring_sqe_set_data64(sqe, Tag(kCancel, id));
  s.cancel_sent = true;
}

void UringReactor::PauseReading(StreamId id, bool pause) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing || s.read_paused == pause) return;
  s.read_paused = pause;
  if (pause) {
    ++stats_.read_pauses;
    CancelRecv(id);
    // A direct read in flight is left to finish: its bytes go where the handler asked.
  } else if (!s.recv_armed && !s.direct_inflight) {
    ArmNextRead(id);
  }
}

bool UringReactor::RequestDirectRead(StreamId id) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing) return false;
  if (s.direct_wanted) return true;
  s.direct_wanted = true;
  // Ending the multishot recv first keeps the byte order: whatever it still delivers comes
  // through OnRead, and the direct read is armed only after its final completion (whatever
  // that says: data, ENOBUFS or -ECANCELED; the cancel's own result is irrelevant).
  CancelRecv(id);
  return true;
}

size_t UringReactor::PendingBytes(StreamId id) const { return streams_[id]->out.bytes(); }

void UringReactor::SubmitSend(uint32_t id) {
  Stream& s = *streams_[id];
  if (s.send_inflight || s.out.empty() || (s.closing && !s.close_after_flush)) return;
  const size_t n = s.out.Gather(s.iov, kMaxIov);
  s.msg = msghdr{};
  s.msg.msg_iov = s.iov;
  s.msg.msg_iovlen = n;
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_sendmsg(sqe, s.fd, &s.msg, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, Tag(kSend, id));
  s.send_inflight = true;
  ++s.inflight;
}

void UringReactor::Close(StreamId id, bool flush_first) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing) return;
  if (flush_first && s.out.bytes() > 0) {
    s.close_after_flush = true;
    return;
  }
  BeginClose(id);
}

void UringReactor::BeginClose(uint32_t id) {
  Stream& s = *streams_[id];
  if (s.closing) return;
  s.closing = true;
  // Ends the multishot recv and any send in flight; the fd itself is closed once their
  // completions are in, so no completion refers to a reused descriptor.
  shutdown(s.fd, SHUT_RDWR);
  closing_.push_back(id);
}

void UringReactor::FinishClosed() {
  for (size_t i = 0; i < closing_.size();) {
    const uint32_t id = closing_[i];
    Stream& s = *streams_[id];
    if (s.inflight > 0) {
      ++i;
      continue;
    }
    closing_[i] = closing_.back();
    closing_.pop_back();
    close(s.fd);
    StreamHandler* h = s.handler;
    s = Stream{};
    free_ids_.push_back(id);
    h->OnClosed();
  }
}

void UringReactor::AddTimer(unsigned interval_ms, std::function<void()> fn) {
  auto t = std::make_unique<Timer>();
  t->ts.tv_sec = interval_ms / 1000;
  t->ts.tv_nsec = static_cast<long long>(interval_ms % 1000) * 1'000'000;
  t->fn = std::move(fn);
  timers_.push_back(std::move(t));
  ArmTimer(static_cast<uint32_t>(timers_.size() - 1));
}

void UringReactor::ArmTimer(uint32_t index) {
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_timeout(sqe, &timers_[index]->ts, 0, 0);
  io_uring_sqe_set_data64(sqe, Tag(kTimer, index));
}

void UringReactor::RecycleBuffer(uint16_t bid) {
  io_uring_buf_ring_add(buf_ring_, buffers_ + static_cast<size_t>(bid) * buffer_size_, buffer_size_,
                        bid, io_uring_buf_ring_mask(buffer_count_), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

void UringReactor::OnRecv(uint32_t id, io_uring_cqe* cqe) {
  Stream& s = *streams_[id];
  const int res = cqe->res;
  if (res > 0) {
    const uint16_t bid = static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    if (!s.closing) {
      s.handler->OnRead(std::string_view(buffers_ + static_cast<size_t>(bid) * buffer_size_,
                                         static_cast<size_t>(res)));
    }
    // The handler has copied whatever it keeps; the buffer goes straight back to the ring.
    RecycleBuffer(bid);
  }
  if (cqe->flags & IORING_CQE_F_MORE) return;
  // The multishot recv ended: arm the next read unless the peer is gone.
  s.recv_armed = false;
  s.cancel_sent = false;
  --s.inflight;
  if (s.closing) return;
  if (res == 0 || (res < 0 && res != -ECANCELED && res != -ENOBUFS)) {
    // 0 = orderly shutdown by the peer; negative = reset or another error.
    if (res < 0) ++stats_.peer_resets;
    BeginClose(id);
    return;
  }
  // Stopped for back-pressure: PauseReading(false) arms it again.
  if (s.read_paused) return;
  // ENOBUFS is back-pressure: every buffer was in use. They are recycled synchronously, so by
  // now there are free ones again.
  if (res == -ENOBUFS) ++stats_.recv_enobufs;
  if (res != -ECANCELED && !s.direct_wanted && !s.single_reads) ++stats_.recv_rearms;
  // Also the path for a cancel that lost the race with a resume, and for a switch to direct
  // reads.
  ArmNextRead(id);
}

void UringReactor::OnDirectRecv(uint32_t id, int res) {
  Stream& s = *streams_[id];
  s.direct_inflight = false;
  --s.inflight;
  if (s.closing) return;
  if (res > 0) {
    ++stats_.direct_reads;
    s.handler->OnDirectRead(static_cast<size_t>(res));
    if (s.closing) return;
  } else if (res == 0 || (res != -ECANCELED && res != -EINTR && res != -EAGAIN)) {
    if (res < 0) ++stats_.peer_resets;
    BeginClose(id);
    return;
  }
  if (!s.read_paused) ArmNextRead(id);
}

void UringReactor::OnSend(uint32_t id, int res) {
  Stream& s = *streams_[id];
  s.send_inflight = false;
  --s.inflight;
  if (res < 0) {
    if (res == -EAGAIN || res == -EINTR) {
      if (!s.send_queued) {
        s.send_queued = true;
        send_pending_.push_back(id);
      }
      return;
    }
    s.out.Clear();
    ++stats_.peer_resets;
    BeginClose(id);
    return;
  }
  // A short send just leaves the rest queued for the next sendmsg.
  const size_t sent = static_cast<size_t>(res);
  if (sent < s.out.bytes()) ++stats_.short_sends;
  s.out.Consume(sent);
  if (!s.out.empty()) {
    if (!s.send_queued) {
      s.send_queued = true;
      send_pending_.push_back(id);
    }
  } else if (s.close_after_flush) {
    BeginClose(id);
  }
}

void UringReactor::HandleCompletion(io_uring_cqe* cqe) {
  const uint64_t ud = io_uring_cqe_get_data64(cqe);
  const uint32_t id = TagId(ud);
  switch (TagOp(ud)) {
    case kAccept: {
      Listener& l = listeners_[id];
      if (cqe->res >= 0) {
        if (l.open) {
          l.on_accept(cqe->res);
        } else {
          close(cqe->res);
        }
      } else if (cqe->res != -ECANCELED && l.open) {
        spdlog::warn("accept failed: {}", strerror(-cqe->res));
      }
      if (!(cqe->flags & IORING_CQE_F_MORE)) {
        l.armed = false;
        if (l.open) {
          // Out of descriptors and similar errors retry at the next tick, not in a tight loop.
          if (cqe->res < 0) {
            rearm_later_.push_back(id);
          } else {
            ArmAccept(id);
          }
        }
      }
      break;
    }
    case kRecv:
      OnRecv(id, cqe);
      break;
    case kDirectRecv:
      OnDirectRecv(id, cqe->res);
      break;
    case kSend:
      OnSend(id, cqe->res);
      break;
    case kWake:
      wake_pending_.store(false, std::memory_order_release);
      ArmWake();
      break;
    case kTimer:
      if (!rearm_later_.empty()) {
        auto ids = std::move(rearm_later_);
        rearm_later_.clear();
        for (uint32_t l : ids) ArmAccept(l);
      }
      timers_[id]->fn();
      ArmTimer(id);
      break;
    case kCancel:
      break;
    case kFile: {
      auto done = std::move(file_ops_[id]);
      file_ops_[id] = nullptr;
      free_file_ops_.push_back(id);
      done(cqe->res);
      break;
    }
  }
}

uint32_t UringReactor::AddFileOp(std::function<void(int64_t)> done) {
  if (free_file_ops_.empty()) {
    file_ops_.push_back(std::move(done));
    return static_cast<uint32_t>(file_ops_.size() - 1);
  }
  const uint32_t slot = free_file_ops_.back();
  free_file_ops_.pop_back();
  file_ops_[slot] = std::move(done);
  return slot;
}

void UringReactor::WriteFile(int fd, std::string_view data, uint64_t offset,
                             std::function<void(int64_t)> done) {
  io_uring_sqe* sqe = GetSqe();
  const auto len = static_cast<unsigned>(std::min<size_t>(data.size(), 1u << 30));
  io_uring_prep_write(sqe, fd, data.data(), len, offset);
  io_uring_sqe_set_data64(sqe, Tag(kFile, AddFileOp(std::move(done))));
}

void UringReactor::SyncFile(int fd, std::function<void(int)> done) {
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sqe, Tag(kFile, AddFileOp([done = std::move(done)](int64_t res) {
                                     done(static_cast<int>(res));
                                   })));
}

void UringReactor::Run() {
  while (!stop_) {
    if (hook_) hook_();
    if (stop_) break;
    for (size_t i = 0; i < send_pending_.size(); ++i) {
      const uint32_t id = send_pending_[i];
      streams_[id]->send_queued = false;
      SubmitSend(id);
    }
    send_pending_.clear();
    int rc = io_uring_submit_and_wait(&ring_, 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      spdlog::error("io_uring_submit_and_wait failed: {}", strerror(-rc));
    }
    unsigned head;
    unsigned count = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      HandleCompletion(cqe);
      ++count;
    }
    io_uring_cq_advance(&ring_, count);
    if (!closing_.empty()) FinishClosed();
  }
}

}  // namespace

bool ProbeUring(const ReactorOptions& options, std::string* reason) {
  UringReactor probe;
  return probe.Init(options, reason) && probe.ProbeMultishotRecv(reason);
}

std::unique_ptr<Reactor> MakeUringReactor(const ReactorOptions& options, std::string* error) {
  auto r = std::make_unique<UringReactor>();
  if (!r->Init(options, error)) return nullptr;
  return r;
}

}  // namespace ringside::proxy
