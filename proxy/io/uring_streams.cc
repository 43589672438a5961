// The io_uring reactor's streams: reads into the buffer ring or straight into a handler's
// memory, batched sends, back-pressure and closing (see uring_reactor.h).
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proxy/io/uring_reactor.h"

namespace ringside::proxy::uring {

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

}  // namespace ringside::proxy::uring
