#include "proxy/upstream.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace ringside::proxy {

namespace {

constexpr int64_t kFirstBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 1000;
constexpr int64_t kConnectTimeoutMs = 2000;

}  // namespace

bool ParseUpstreamAddress(std::string_view text, UpstreamAddress* out) {
  if (text.empty()) return false;
  if (text.front() == '/') {
    if (text.size() >= sizeof(sockaddr_un::sun_path)) return false;
    *out = UpstreamAddress{std::string(text), 0, true};
    return true;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) return false;
  if (host.empty()) return false;
  *out = UpstreamAddress{std::string(host), p, false};
  return true;
}

Upstream::Upstream(Reactor* reactor, int shard, std::string address_text, UpstreamAddress address,
                   std::string user, std::string password)
    : reactor_(reactor),
      shard_(shard),
      address_text_(std::move(address_text)),
      address_(std::move(address)),
      link_(std::move(user), std::move(password)) {}

Upstream::~Upstream() {
  if (connecting_fd_ >= 0) close(connecting_fd_);
}

std::string_view Upstream::state() const {
  if (link_.ready()) return "up";
  if (connecting_fd_ >= 0 || stream_open_) return "connecting";
  return "down";
}

void Upstream::Failed(std::string why, int64_t now_ms) {
  if (why != logged_error_) {
    spdlog::warn("shard {}: upstream {}: {}; retrying", shard_, address_text_, why);
    logged_error_ = why;
  }
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(kMaxBackoffMs, backoff_ms_ * 2);
  retry_at_ms_ = now_ms + backoff_ms_;
}

void Upstream::StartConnect(int64_t now_ms) {
  int fd = -1;
  int rc = -1;
  if (address_.unix_path) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, address_.host.data(), address_.host.size());
    if (fd >= 0) rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(address_.port);
    const int gai = getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &res);
    if (gai != 0) {
      Failed(std::string("cannot resolve the host: ") + gai_strerror(gai), now_ms);
      return;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
  }
  if (fd < 0) {
    Failed(std::string("socket: ") + std::strerror(errno), now_ms);
    return;
  }
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    Failed(std::strerror(err), now_ms);
    return;
  }
  connecting_fd_ = fd;
  connect_started_ms_ = now_ms;
}

void Upstream::Tick(int64_t now_ms) {
  now_ms_ = now_ms;
  if (shut_ || stream_open_) return;
  if (connecting_fd_ < 0) {
    if (now_ms >= retry_at_ms_) StartConnect(now_ms);
    if (connecting_fd_ < 0) return;
  }
  pollfd p{connecting_fd_, POLLOUT, 0};
  if (poll(&p, 1, 0) == 0) {
    if (now_ms - connect_started_ms_ > kConnectTimeoutMs) {
      close(connecting_fd_);
      connecting_fd_ = -1;
      Failed("connect timed out", now_ms);
    }
    return;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(connecting_fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    close(connecting_fd_);
    connecting_fd_ = -1;
    Failed(std::strerror(err), now_ms);
    return;
  }
  const int one = 1;
  if (!address_.unix_path) setsockopt(connecting_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int fd = connecting_fd_;
  connecting_fd_ = -1;
  stream_open_ = true;
  closing_ = false;
  stream_ = reactor_->AddStream(fd, this);
  link_.Connected();
  if (link_.ready()) Up();
  Flush();
}

void Upstream::Up() {
  spdlog::info("shard {}: upstream {} connected", shard_, address_text_);
  logged_error_.clear();
  backoff_ms_ = 0;
}

void Upstream::Flush() {
  if (!stream_open_ || closing_) return;
  std::string out = link_.TakeOutput();
  if (!out.empty()) reactor_->Write(stream_, std::move(out));
}

void Upstream::OnRead(std::string_view data) {
  if (closing_) return;
  const bool was_ready = link_.ready();
  if (!link_.OnInput(data)) {
    closing_ = true;
    reactor_->Close(stream_, false);
    Failed(link_.last_error(), now_ms_);
    return;
  }
  if (!was_ready && link_.ready()) Up();
  Flush();
}

void Upstream::OnClosed() {
  const bool was_closing = closing_;
  stream_open_ = false;
  closing_ = false;
  link_.Disconnected();
  if (!was_closing && !shut_) Failed("connection lost", now_ms_);
}

void Upstream::Close() {
  shut_ = true;
  if (connecting_fd_ >= 0) {
    close(connecting_fd_);
    connecting_fd_ = -1;
  }
  if (stream_open_ && !closing_) {
    closing_ = true;
    reactor_->Close(stream_, true);
  }
}

}  // namespace ringside::proxy
