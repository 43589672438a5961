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

Upstream::Upstream(TlsReactor* reactor, int shard, std::string role, std::string address_text,
                   UpstreamAddress address, backend::UpstreamProtocol* protocol, UpstreamTls tls)
    : reactor_(reactor),
      shard_(shard),
      role_(std::move(role)),
      address_text_(std::move(address_text)),
      address_(std::move(address)),
      link_(*protocol),
      tls_(std::move(tls)) {}

Upstream::~Upstream() {
  if (connecting_fd_ >= 0) close(connecting_fd_);
  DropAddresses();
  if (resolve_ != nullptr) abandoned_.push_back(std::move(resolve_));
  for (auto& r : abandoned_) {
    if (gai_cancel(&r->request) == EAI_NOTCANCELED) {
      // Still running, and it will write into its request: the memory is left to it rather
      // than holding the shutdown up for the resolver's timeouts.
      static_cast<void>(r.release());
      continue;
    }
    if (r->request.ar_result != nullptr) freeaddrinfo(r->request.ar_result);
  }
}

std::string_view Upstream::state() const {
  if (link_.ready()) return "up";
  if (connecting_fd_ >= 0 || stream_open_ || resolve_ != nullptr) return "connecting";
  return "down";
}

void Upstream::Failed(std::string why, int64_t now_ms) {
  if (why != logged_error_) {
    spdlog::warn("shard {}: {} {}: {}; retrying", shard_, role_, address_text_, why);
    logged_error_ = why;
  }
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(kMaxBackoffMs, backoff_ms_ * 2);
  retry_at_ms_ = now_ms + backoff_ms_;
  if (on_down_) on_down_();
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
    if (resolved_ == nullptr) {
      // A numeric address resolves at once; a name is looked up off this thread (a slow DNS
      // server must not stall the shard), and the connect starts from the tick that sees it.
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
      const std::string port = std::to_string(address_.port);
      if (getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &resolved_) != 0) {
        resolved_ = nullptr;
        StartResolve(now_ms);
        return;
      }
      next_address_ = resolved_;
    }
    const addrinfo* a = next_address_;
    next_address_ = a->ai_next;
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) rc = connect(fd, a->ai_addr, a->ai_addrlen);
  }
  if (fd < 0) {
    ConnectFailed(std::string("socket: ") + std::strerror(errno), now_ms);
    return;
  }
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    ConnectFailed(std::strerror(err), now_ms);
    return;
  }
  connecting_fd_ = fd;
  connect_started_ms_ = now_ms;
}

void Upstream::StartResolve(int64_t now_ms) {
  resolve_ = std::make_unique<Resolve>();
  resolve_->port = std::to_string(address_.port);
  resolve_->hints.ai_socktype = SOCK_STREAM;
  resolve_->hints.ai_flags = AI_NUMERICSERV;
  resolve_->request.ar_name = address_.host.c_str();
  resolve_->request.ar_service = resolve_->port.c_str();
  resolve_->request.ar_request = &resolve_->hints;
  gaicb* list[1] = {&resolve_->request};
  if (const int rc = getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr); rc != 0) {
    resolve_.reset();
    Failed(std::string("cannot resolve the host: ") + gai_strerror(rc), now_ms);
    return;
  }
  resolve_started_ms_ = now_ms;
}

bool Upstream::ResolveDone(int64_t now_ms) {
  const int rc = gai_error(&resolve_->request);
  if (rc == EAI_INPROGRESS) {
    if (now_ms - resolve_started_ms_ <= connect_timeout_ms_) return false;
    // Given up on; a lookup that cannot be cancelled finishes later, into memory kept for it.
    if (gai_cancel(&resolve_->request) == EAI_NOTCANCELED) {
      abandoned_.push_back(std::move(resolve_));
    } else if (resolve_->request.ar_result != nullptr) {
      freeaddrinfo(resolve_->request.ar_result);
    }
    resolve_.reset();
    Failed("resolving the host timed out", now_ms);
    return false;
  }
  std::unique_ptr<Resolve> done = std::move(resolve_);
  if (rc != 0) {
    Failed(std::string("cannot resolve the host: ") + gai_strerror(rc), now_ms);
    return false;
  }
  resolved_ = done->request.ar_result;
  next_address_ = resolved_;
  return true;
}

void Upstream::ConnectFailed(std::string why, int64_t now_ms) {
  // A name may have several addresses (localhost: ::1 and 127.0.0.1): the next one is tried at
  // once; after the last, the retry waits for the backoff and looks the name up again.
  if (next_address_ != nullptr) return StartConnect(now_ms);
  DropAddresses();
  Failed(std::move(why), now_ms);
}

void Upstream::DropAddresses() {
  if (resolved_ != nullptr) freeaddrinfo(resolved_);
  resolved_ = nullptr;
  next_address_ = nullptr;
}

void Upstream::Tick(int64_t now_ms) {
  now_ms_ = now_ms;
  std::erase_if(abandoned_, [](const std::unique_ptr<Resolve>& r) {
    if (gai_error(&r->request) == EAI_INPROGRESS) return false;
    if (r->request.ar_result != nullptr) freeaddrinfo(r->request.ar_result);
    return true;
  });
  if (shut_ || stream_open_) return;
  if (resolve_ != nullptr) {
    if (!ResolveDone(now_ms)) return;
    StartConnect(now_ms);
    if (connecting_fd_ < 0) return;
  }
  if (connecting_fd_ < 0) {
    if (now_ms >= retry_at_ms_) StartConnect(now_ms);
    if (connecting_fd_ < 0) return;
  }
  pollfd p{connecting_fd_, POLLOUT, 0};
  if (poll(&p, 1, 0) == 0) {
    if (now_ms - connect_started_ms_ > connect_timeout_ms_) {
      close(connecting_fd_);
      connecting_fd_ = -1;
      ConnectFailed("connect timed out", now_ms);
    }
    return;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(connecting_fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    close(connecting_fd_);
    connecting_fd_ = -1;
    ConnectFailed(std::strerror(err), now_ms);
    return;
  }
  DropAddresses();
  const int one = 1;
  if (!address_.unix_path) setsockopt(connecting_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int fd = connecting_fd_;
  connecting_fd_ = -1;
  stream_open_ = true;
  closing_ = false;
  tls_error_.clear();
  if (tls_.contexts == nullptr) {
    stream_ = reactor_->AddStream(fd, this);
    transport_ready_ = true;
  } else {
    // The protocol starts (AUTH, SELECT, its records) once the handshake finished
    // (OnTlsReady); a handshake that fails ends the connection with its reason, and it is
    // retried like any failed connect, never in plaintext.
    transport_ready_ = false;
    TlsStreamOptions options;
    options.role = TlsRole::kClient;
    options.server_name = tls_.server_name;
    options.verify = tls_.verify;
    options.handshake_timeout_ms = connect_timeout_ms_;
    stream_ = reactor_->AddTlsStream(fd, this, tls_.contexts->upstream().get(), options);
    return;
  }
  link_.Connected();
  if (link_.ready()) Up();
  Flush();
}

void Upstream::OnTlsReady() {
  transport_ready_ = true;
  link_.Connected();
  if (link_.ready()) Up();
  Flush();
}

void Upstream::Up() {
  spdlog::info("shard {}: {} {} connected", shard_, role_, address_text_);
  logged_error_.clear();
  backoff_ms_ = 0;
}

void Upstream::Flush() {
  if (!stream_open_ || closing_ || !transport_ready_) return;
  for (backend::UpstreamProtocol::OutputPiece& p : link_.TakeOutputPieces()) {
    if (p.shared) {
      const std::string_view bytes = *p.shared;
      reactor_->WriteExternal(stream_, bytes, std::move(p.shared));
    } else {
      reactor_->Write(stream_, std::move(p.bytes));
    }
  }
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
  if (transport_ready_) link_.Disconnected();
  transport_ready_ = false;
  std::string why = tls_error_.empty() ? "connection lost" : std::move(tls_error_);
  tls_error_.clear();
  if (!was_closing && !shut_) Failed(std::move(why), now_ms_);
}

std::string Upstream::tls_version() const {
  return stream_open_ && tls_.contexts != nullptr ? reactor_->TlsVersion(stream_) : "";
}

std::string Upstream::tls_cipher() const {
  return stream_open_ && tls_.contexts != nullptr ? reactor_->TlsCipher(stream_) : "";
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
