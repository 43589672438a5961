// The io_uring reactor's ring: set-up and probing, listeners, timers, file ops and the
// completion loop (see uring_reactor.h).
#include "proxy/io/uring_reactor.h"

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

namespace ringside::proxy::uring {

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

}  // namespace ringside::proxy::uring

namespace ringside::proxy {

bool ProbeUring(const ReactorOptions& options, std::string* reason) {
  uring::UringReactor probe;
  return probe.Init(options, reason) && probe.ProbeMultishotRecv(reason);
}

std::unique_ptr<Reactor> MakeUringReactor(const ReactorOptions& options, std::string* error) {
  auto r = std::make_unique<uring::UringReactor>();
  if (!r->Init(options, error)) return nullptr;
  return r;
}

}  // namespace ringside::proxy
