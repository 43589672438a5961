#include "tests/support/raw_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "tests/support/transport.h"

namespace ringside::testing {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kNotComplete = 0;

// Position just past the CRLF that ends the line starting at `pos`, or npos.
size_t LineEnd(std::string_view buf, size_t pos) {
  const size_t cr = buf.find("\r\n", pos);
  return cr == std::string_view::npos ? cr : cr + 2;
}

// Parses the integer between `pos` (after the type byte) and the CRLF ending at `end`.
bool LineInteger(std::string_view buf, size_t pos, size_t end, int64_t* value) {
  const char* first = buf.data() + pos;
  const char* last = buf.data() + end - 2;
  auto [ptr, ec] = std::from_chars(first, last, *value);
  return ec == std::errc() && ptr == last;
}

// Length of the complete reply starting at `pos`, or kNotComplete. Understands RESP2 and,
// so that tests can look at what a server sends after HELLO 3, RESP3's types too.
size_t ReplyLength(std::string_view buf, size_t pos) {
  if (pos >= buf.size()) return kNotComplete;
  const size_t end = LineEnd(buf, pos);
  if (end == std::string_view::npos) return kNotComplete;
  const size_t header = end - pos;
  switch (buf[pos]) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return header;
    case '$':
    case '=':
    case '!': {
      int64_t len = 0;
      if (!LineInteger(buf, pos + 1, end, &len)) return header;  // malformed: take the line
      if (len < 0) return header;
      const size_t total = header + static_cast<size_t>(len) + 2;
      return buf.size() - pos >= total ? total : kNotComplete;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      int64_t count = 0;
      if (!LineInteger(buf, pos + 1, end, &count)) return header;
      if (count < 0) return header;
      if (buf[pos] == '%' || buf[pos] == '|') count *= 2;
      size_t offset = end;
      for (int64_t i = 0; i < count; ++i) {
        const size_t n = ReplyLength(buf, offset);
        if (n == kNotComplete) return kNotComplete;
        offset += n;
      }
      // An attribute is followed by the reply it annotates.
      if (buf[pos] == '|') {
        const size_t n = ReplyLength(buf, offset);
        if (n == kNotComplete) return kNotComplete;
        offset += n;
      }
      return offset - pos;
    }
    default:
      return header;  // not RESP; hand back the line so the test can see it
  }
}

// "127.0.0.1:6380", "[::1]:6380" or "unix:/path", for failure messages.
std::string DescribeAddress(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  switch (addr->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
      return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
      return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX:
      return std::string("unix:") + reinterpret_cast<const sockaddr_un*>(addr)->sun_path;
    default:
      return "address family " + std::to_string(addr->sa_family);
  }
}

}  // namespace

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& arg : argv) {
    out += "$";
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

size_t CompleteReplyLength(std::string_view buf) { return ReplyLength(buf, 0); }

RawClient::RawClient(int port) {
  fd_ = ConnectToServer(port);
  if (fd_ < 0) {
    ADD_FAILURE() << "connect to " << ServerAddress(port) << ": " << std::strerror(errno);
  }
}

RawClient::RawClient(const sockaddr* addr, socklen_t addr_len) { Connect(addr, addr_len); }

void RawClient::Connect(const sockaddr* addr, socklen_t addr_len) {
  const int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return;
  }
  if (connect(fd, addr, addr_len) != 0) {
    ADD_FAILURE() << "connect to " << DescribeAddress(addr) << ": " << std::strerror(errno);
    close(fd);
    return;
  }
  if (addr->sa_family != AF_UNIX) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  fd_ = fd;
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

void RawClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return;
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // the peer is gone; a later read reports the close
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

size_t RawClient::SendFor(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return 0;
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;  // the peer is gone
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) break;
  }
  return sent;
}

std::string RawClient::Call(const std::vector<std::string>& argv) {
  SendRaw(EncodeCommand(argv));
  return ReadReply().value_or("");
}

std::optional<std::string> RawClient::ReadReply(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const size_t n = CompleteReplyLength(buffer_);
    if (n > 0) {
      std::string reply = buffer_.substr(0, n);
      buffer_.erase(0, n);
      return reply;
    }
    if (fd_ < 0) return std::nullopt;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[64 * 1024];
    const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::nullopt;  // closed or reset before a whole reply arrived
    buffer_.append(chunk, static_cast<size_t>(got));
  }
}

bool RawClient::WaitClosed(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return false;
    if (ready < 0) return true;
    char chunk[64 * 1024];
    const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET || errno == EPIPE;
    buffer_.append(chunk, static_cast<size_t>(got));  // replies still in flight stay readable
  }
}

// Raw bytes of each element of an array reply (or RESP3 set, push, or map: its keys and values
// in turn); nullopt when `reply` is not a well-formed aggregate.
std::optional<std::vector<std::string>> AggregateElements(std::string_view reply) {
  if (reply.size() < 4 || std::string_view("*~>%").find(reply[0]) == std::string_view::npos) {
    return std::nullopt;
  }
  size_t eol = reply.find("\r\n");
  if (eol == std::string_view::npos) return std::nullopt;
  long count = std::strtol(std::string(reply.substr(1, eol - 1)).c_str(), nullptr, 10);
  if (count < 0) return std::nullopt;
  if (reply[0] == '%') count *= 2;
  std::vector<std::string> elements;
  std::string_view rest = reply.substr(eol + 2);
  for (long i = 0; i < count; ++i) {
    size_t len = CompleteReplyLength(rest);
    if (len == 0) return std::nullopt;
    elements.emplace_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  if (!rest.empty()) return std::nullopt;
  return elements;
}

// The elements of an aggregate reply in sorted order; a map's as key/value pairs, so that each
// value stays with its key.
std::optional<std::vector<std::string>> SortedAggregate(std::string_view reply) {
  auto elements = AggregateElements(reply);
  if (!elements) return elements;
  if (reply[0] == '%') {
    std::vector<std::string> pairs;
    for (size_t i = 0; i + 1 < elements->size(); i += 2) {
      pairs.push_back((*elements)[i] + (*elements)[i + 1]);
    }
    elements = std::move(pairs);
  }
  std::sort(elements->begin(), elements->end());
  return elements;
}

}  // namespace ringside::testing
