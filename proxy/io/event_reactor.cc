// The libevent reactor, for machines where io_uring is missing or forbidden: one event_base per
// thread (epoll underneath), a persistent read event per listener and per stream, replies sent
// with sendmsg straight from the queued chunks just before the loop parks, a write event only
// while a socket's send buffer is full, and an eventfd for cross-core wake-ups.
//
// Reads go into one receive buffer shared by the thread's streams (handlers copy what they
// keep during OnRead). A stream that asked for direct reads gets readv into the handler's
// memory, with the receive buffer as a second iovec: the body's last bytes and the commands
// after it arrive in one call, the ones past the handler's span through OnRead, in order.
//
// File writes and fsyncs, which epoll cannot wait for, run on a helper thread of the reactor's
// own, one at a time in the order asked; their completions come back through the eventfd.
#include <event2/event.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/io/reactor.h"
#include "proxy/io/send_queue.h"

namespace ringside::proxy {

namespace {

constexpr size_t kMaxIov = 64;
// Reads per stream per readiness report, so one busy client cannot starve the others; epoll is
// level-triggered, so what is left is reported again.
constexpr int kReadsPerEvent = 16;
constexpr int kAcceptsPerEvent = 64;

class EventReactor final : public Reactor {
 public:
  EventReactor() = default;
  ~EventReactor() override;

  bool Init(const ReactorOptions& options, std::string* error);

  void Listen(int listen_fd, std::function<void(int)> on_accept) override;
  void StopListening() override;
  StreamId AddStream(int fd, StreamHandler* handler) override;
  void Write(StreamId id, std::string data) override;
  void WriteExternal(StreamId id, std::string_view bytes,
                     std::shared_ptr<const void> owner) override;
  void Close(StreamId id, bool flush_first) override;
  void PauseReading(StreamId id, bool pause) override;
  bool RequestDirectRead(StreamId id) override;
  // Every read already takes one buffer and asks about direct reads first.
  void PreferSingleReads(StreamId, bool) override {}
  size_t PendingBytes(StreamId id) const override { return streams_[id]->out.bytes(); }
  void WriteFile(int fd, std::string_view data, uint64_t offset,
                 std::function<void(int64_t)> done) override;
  void SyncFile(int fd, std::function<void(int)> done) override;
  void AddTimer(unsigned interval_ms, std::function<void()> fn) override;
  void SetLoopHook(std::function<void()> fn) override { hook_ = std::move(fn); }
  void Wake() override;
  void Run() override;
  void Stop() override { stop_ = true; }
  std::string_view name() const override { return "libevent"; }
  const ReactorStats& stats() const override { return stats_; }

 private:
  struct Stream {
    EventReactor* reactor = nullptr;
    StreamId id = 0;
    int fd = -1;
    StreamHandler* handler = nullptr;
    event* read_ev = nullptr;
    event* write_ev = nullptr;
    SendQueue out;
    bool in_use = false;
    bool closing = false;  // no more events; finalised by FinishClosed
    bool close_after_flush = false;
    bool read_paused = false;
    bool direct_wanted = false;  // the handler asked for direct reads
    bool write_waiting = false;  // write_ev is armed: the socket's send buffer was full
    bool send_queued = false;    // listed in send_pending_
  };
  struct Listener {
    EventReactor* reactor = nullptr;
    int fd = -1;
    event* ev = nullptr;
    std::function<void(int)> on_accept;
    bool open = false;
    bool waiting = false;  // accept failed for want of resources; retried at the next tick
  };
  // A file op for the helper thread; `res` is filled in there.
  struct FileJob {
    bool sync = false;
    int fd = -1;
    std::string_view data;
    uint64_t offset = 0;
    std::function<void(int64_t)> done;
    int64_t res = 0;
  };
  struct Timer {
    EventReactor* reactor = nullptr;
    event* ev = nullptr;
    std::function<void()> fn;
  };

  static void OnReadable(evutil_socket_t, short, void* arg);
  static void OnWritable(evutil_socket_t, short, void* arg);
  static void OnAcceptable(evutil_socket_t, short, void* arg);
  static void OnTimer(evutil_socket_t, short, void* arg);
  static void OnWake(evutil_socket_t, short, void* arg);

  void ReadStream(Stream& s);
  void Accept(Listener& l);
  // Sends what is queued until done or the socket is full.
  void SendStream(Stream& s);
  void QueueSend(Stream& s);
  void BeginClose(Stream& s);
  void FinishClosed();
  void QueueFileJob(FileJob job);
  void FileThread();
  // Runs the callbacks of file ops the helper thread finished.
  void CompleteFileJobs();

  event_base* base_ = nullptr;
  std::vector<char> recv_buffer_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<StreamId> free_ids_;
  std::vector<StreamId> send_pending_;
  std::vector<StreamId> closing_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Timer>> timers_;

  int wake_fd_ = -1;
  event* wake_ev_ = nullptr;
  std::atomic<bool> wake_pending_{false};
  std::function<void()> hook_;
  bool stop_ = false;
  ReactorStats stats_;

  // The file helper thread, started by the first file op. file_mu_ guards the queues.
  std::thread file_thread_;
  std::mutex file_mu_;
  std::condition_variable file_cv_;
  std::deque<FileJob> file_jobs_;
  std::vector<FileJob> file_done_;
  bool file_stop_ = false;
};

bool EventReactor::Init(const ReactorOptions& options, std::string* error) {
  event_config* cfg = event_config_new();
  if (cfg == nullptr) {
    *error = "event_config_new failed";
    return false;
  }
  // One thread owns the base, so libevent needs no locks. No epoll change list: it defers
  // epoll_ctl to the next dispatch, and a descriptor closed and reused by accept meanwhile
  // would have its new registration folded away against the old one's removal.
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  // EVENT_* environment variables (EVENT_EPOLL_USE_CHANGELIST among them) must not change
  // the loop behind ringside's back.
  event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (base_ == nullptr) {
    *error = "libevent could not create an event loop";
    return false;
  }
  recv_buffer_.resize(options.recv_buffer_size);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    *error = std::string("eventfd failed: ") + strerror(errno);
    return false;
  }
  wake_ev_ = event_new(base_, wake_fd_, EV_READ | EV_PERSIST, OnWake, this);
  if (wake_ev_ == nullptr || event_add(wake_ev_, nullptr) != 0) {
    *error = "libevent could not watch the wake-up eventfd";
    return false;
  }
  return true;
}

EventReactor::~EventReactor() {
  for (auto& s : streams_) {
    if (s->read_ev) event_free(s->read_ev);
    if (s->write_ev) event_free(s->write_ev);
    if (s->in_use) close(s->fd);
  }
  for (auto& l : listeners_) {
    if (l->ev) event_free(l->ev);
    if (l->open) close(l->fd);
  }
  if (file_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(file_mu_);
      file_stop_ = true;
    }
    file_cv_.notify_one();
    file_thread_.join();
  }
  for (auto& t : timers_) event_free(t->ev);
  if (wake_ev_) event_free(wake_ev_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (base_) event_base_free(base_);
}

void EventReactor::Wake() {
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) eventfd_write(wake_fd_, 1);
}

void EventReactor::OnWake(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<EventReactor*>(arg);
  eventfd_t value;
  eventfd_read(fd, &value);
  // Cleared before the loop hook runs, so a Wake() after this point is never lost.
  self->wake_pending_.store(false, std::memory_order_release);
}

void EventReactor::WriteFile(int fd, std::string_view data, uint64_t offset,
                             std::function<void(int64_t)> done) {
  QueueFileJob(FileJob{false, fd, data, offset, std::move(done)});
}

void EventReactor::SyncFile(int fd, std::function<void(int)> done) {
  QueueFileJob(FileJob{
      true, fd, {}, 0, [done = std::move(done)](int64_t res) { done(static_cast<int>(res)); }});
}

void EventReactor::QueueFileJob(FileJob job) {
  {
    std::lock_guard<std::mutex> lock(file_mu_);
    file_jobs_.push_back(std::move(job));
  }
  if (!file_thread_.joinable()) file_thread_ = std::thread([this] { FileThread(); });
  file_cv_.notify_one();
}

void EventReactor::FileThread() {
  std::unique_lock<std::mutex> lock(file_mu_);
  for (;;) {
    file_cv_.wait(lock, [this] { return file_stop_ || !file_jobs_.empty(); });
    if (file_jobs_.empty()) return;
    FileJob job = std::move(file_jobs_.front());
    file_jobs_.pop_front();
    lock.unlock();
    int64_t res;
    do {
      res = job.sync
                ? fdatasync(job.fd)
                : pwrite(job.fd, job.data.data(), job.data.size(), static_cast<off_t>(job.offset));
    } while (res < 0 && errno == EINTR);
    job.res = res < 0 ? -errno : res;
    lock.lock();
    file_done_.push_back(std::move(job));
    Wake();
  }
}

void EventReactor::CompleteFileJobs() {
  std::vector<FileJob> done;
  {
    std::lock_guard<std::mutex> lock(file_mu_);
    done.swap(file_done_);
  }
  for (FileJob& job : done) job.done(job.res);
}

void EventReactor::Listen(int listen_fd, std::function<void(int)> on_accept) {
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  auto l = std::make_unique<Listener>();
  l->reactor = this;
  l->fd = listen_fd;
  l->on_accept = std::move(on_accept);
  l->open = true;
  l->ev = event_new(base_, listen_fd, EV_READ | EV_PERSIST, OnAcceptable, l.get());
  event_add(l->ev, nullptr);
  listeners_.push_back(std::move(l));
}

void EventReactor::StopListening() {
  for (auto& l : listeners_) {
    if (!l->open) continue;
    event_del(l->ev);
    close(l->fd);
    l->open = false;
  }
}

void EventReactor::OnAcceptable(evutil_socket_t, short, void* arg) {
  auto* l = static_cast<Listener*>(arg);
  l->reactor->Accept(*l);
}

void EventReactor::Accept(Listener& l) {
  for (int i = 0; i < kAcceptsPerEvent && l.open; ++i) {
    const int fd = accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      l.on_accept(fd);
      continue;
    }
    // Network errors of the connection being accepted come back from accept4 on Linux; the
    // listener itself is fine, so take the next one.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == ENETDOWN ||
        errno == ENOPROTOOPT || errno == EHOSTDOWN || errno == ENONET || errno == EHOSTUNREACH ||
        errno == EOPNOTSUPP || errno == ENETUNREACH) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    // Out of descriptors and similar: stop watching until the next timer tick rather than be
    // told again at once, in a tight loop.
    spdlog::warn("accept failed: {}", strerror(errno));
    event_del(l.ev);
    l.waiting = true;
    return;
  }
}

StreamId EventReactor::AddStream(int fd, StreamHandler* handler) {
  StreamId id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<StreamId>(streams_.size());
    streams_.push_back(std::make_unique<Stream>());
  }
  Stream& s = *streams_[id];
  s.reactor = this;
  s.id = id;
  s.fd = fd;
  s.handler = handler;
  s.in_use = true;
  const int flags = fcntl(fd, F_GETFL);
  if (!(flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  s.read_ev = event_new(base_, fd, EV_READ | EV_PERSIST, OnReadable, &s);
  s.write_ev = event_new(base_, fd, EV_WRITE | EV_PERSIST, OnWritable, &s);
  if (s.read_ev == nullptr || s.write_ev == nullptr || event_add(s.read_ev, nullptr) != 0) {
    // Out of memory or epoll watches: the stream ends at once (OnClosed still follows) rather
    // than sit unread.
    spdlog::warn("cannot watch a client socket: {}", strerror(errno));
    BeginClose(s);
  }
  return id;
}

void EventReactor::OnReadable(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<Stream*>(arg);
  s->reactor->ReadStream(*s);
}

void EventReactor::ReadStream(Stream& s) {
  for (int i = 0; i < kReadsPerEvent; ++i) {
    if (s.closing || s.read_paused) return;
    std::span<char> target;
    if (s.direct_wanted) {
      target = s.handler->DirectReadTarget();
      if (target.empty()) s.direct_wanted = false;
    }
    iovec iov[2];
    int iovcnt = 0;
    if (!target.empty()) iov[iovcnt++] = {target.data(), target.size()};
    iov[iovcnt++] = {recv_buffer_.data(), recv_buffer_.size()};
    const ssize_t n = readv(s.fd, iov, iovcnt);
    if (n > 0) {
      const size_t got = static_cast<size_t>(n);
      const size_t direct = std::min(got, target.size());
      if (direct > 0) {
        ++stats_.direct_reads;
        s.handler->OnDirectRead(direct);
      }
      if (got > direct && !s.closing) {
        s.handler->OnRead(std::string_view(recv_buffer_.data(), got - direct));
      }
      // A short read emptied the socket; asking again would only return EAGAIN.
      if (got < target.size() + recv_buffer_.size()) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // 0 = orderly shutdown by the peer; negative = reset or another error.
    if (n < 0) ++stats_.peer_resets;
    BeginClose(s);
    return;
  }
}

void EventReactor::Write(StreamId id, std::string data) {
  Stream& s = *streams_[id];
  if (s.closing || data.empty()) return;
  s.out.Push(std::move(data));
  QueueSend(s);
}

void EventReactor::WriteExternal(StreamId id, std::string_view bytes,
                                 std::shared_ptr<const void> owner) {
  Stream& s = *streams_[id];
  if (s.closing || bytes.empty()) return;
  s.out.PushExternal(bytes, std::move(owner));
  QueueSend(s);
}

void EventReactor::QueueSend(Stream& s) {
  // A stream waiting for its socket to drain sends from OnWritable.
  if (s.send_queued || s.write_waiting) return;
  s.send_queued = true;
  send_pending_.push_back(s.id);
}

void EventReactor::OnWritable(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<Stream*>(arg);
  s->reactor->SendStream(*s);
}

void EventReactor::SendStream(Stream& s) {
  if (s.closing) return;
  while (!s.out.empty()) {
    iovec iov[kMaxIov];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = s.out.Gather(iov, kMaxIov);
    size_t want = 0;
    for (size_t i = 0; i < msg.msg_iovlen; ++i) want += iov[i].iov_len;
    const ssize_t n = sendmsg(s.fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      s.out.Clear();
      ++stats_.peer_resets;
      BeginClose(s);
      return;
    }
    s.out.Consume(static_cast<size_t>(n));
    // A short send means the socket's buffer is full; wait to be told it has room.
    if (static_cast<size_t>(n) < want) {
      ++stats_.short_sends;
      break;
    }
  }
  if (!s.out.empty()) {
    if (!s.write_waiting) {
      if (event_add(s.write_ev, nullptr) != 0) {
        spdlog::warn("cannot watch a client socket for writing: {}", strerror(errno));
        s.out.Clear();
        BeginClose(s);
        return;
      }
      s.write_waiting = true;
    }
    return;
  }
  if (s.write_waiting) {
    s.write_waiting = false;
    event_del(s.write_ev);
  }
  if (s.close_after_flush) BeginClose(s);
}

void EventReactor::Close(StreamId id, bool flush_first) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing) return;
  if (flush_first && s.out.bytes() > 0) {
    s.close_after_flush = true;
    return;
  }
  BeginClose(s);
}

void EventReactor::BeginClose(Stream& s) {
  if (s.closing) return;
  s.closing = true;
  if (s.read_ev) event_del(s.read_ev);
  if (s.write_ev) event_del(s.write_ev);
  // The handler hears OnClosed from the loop, never from inside its own call.
  closing_.push_back(s.id);
}

void EventReactor::FinishClosed() {
  auto ids = std::move(closing_);
  closing_.clear();
  for (const StreamId id : ids) {
    Stream& s = *streams_[id];
    if (s.read_ev) event_free(s.read_ev);
    if (s.write_ev) event_free(s.write_ev);
    close(s.fd);
    StreamHandler* h = s.handler;
    s = Stream{};
    free_ids_.push_back(id);
    h->OnClosed();
  }
}

void EventReactor::PauseReading(StreamId id, bool pause) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing || s.read_paused == pause) return;
  s.read_paused = pause;
  if (pause) {
    ++stats_.read_pauses;
    event_del(s.read_ev);
  } else if (event_add(s.read_ev, nullptr) != 0) {
    // Level-triggered: bytes that arrived meanwhile are reported at once, once watched again.
    spdlog::warn("cannot watch a client socket: {}", strerror(errno));
    BeginClose(s);
  }
}

bool EventReactor::RequestDirectRead(StreamId id) {
  Stream& s = *streams_[id];
  if (!s.in_use || s.closing) return false;
  // Bytes are only read when asked for, so the next read can simply go where the handler says.
  s.direct_wanted = true;
  return true;
}

void EventReactor::AddTimer(unsigned interval_ms, std::function<void()> fn) {
  auto t = std::make_unique<Timer>();
  t->reactor = this;
  t->fn = std::move(fn);
  t->ev = event_new(base_, -1, EV_PERSIST, OnTimer, t.get());
  const timeval tv{static_cast<time_t>(interval_ms / 1000),
                   static_cast<suseconds_t>(interval_ms % 1000) * 1000};
  event_add(t->ev, &tv);
  timers_.push_back(std::move(t));
}

void EventReactor::OnTimer(evutil_socket_t, short, void* arg) {
  auto* t = static_cast<Timer*>(arg);
  for (auto& l : t->reactor->listeners_) {
    if (l->open && l->waiting) {
      l->waiting = false;
      event_add(l->ev, nullptr);
    }
  }
  t->fn();
}

void EventReactor::Run() {
  while (!stop_) {
    if (file_thread_.joinable()) CompleteFileJobs();
    if (hook_) hook_();
    if (stop_) break;
    for (size_t i = 0; i < send_pending_.size(); ++i) {
      Stream& s = *streams_[send_pending_[i]];
      s.send_queued = false;
      SendStream(s);
    }
    send_pending_.clear();
    // Streams closed since the last pass are finalised right after this one, without parking.
    const int flags = closing_.empty() ? EVLOOP_ONCE : EVLOOP_ONCE | EVLOOP_NONBLOCK;
    if (event_base_loop(base_, flags) < 0) {
      spdlog::error("libevent loop failed");
      break;
    }
    if (!closing_.empty()) FinishClosed();
  }
}

}  // namespace

std::unique_ptr<Reactor> MakeEventReactor(const ReactorOptions& options, std::string* error) {
  auto r = std::make_unique<EventReactor>();
  if (!r->Init(options, error)) return nullptr;
  return r;
}

}  // namespace ringside::proxy
