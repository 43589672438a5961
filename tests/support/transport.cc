#include "tests/support/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ringside::testing {

namespace {

// "/65535.sock" and the terminating NUL must fit behind the directory.
constexpr size_t kLongestName = 12;

// The directory for this user's sockets, made on first use; "" when it is not safe to use.
std::string MakeSocketDir(std::string* why) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string name = "/ringside-sockets-" + std::to_string(getuid());
  std::string dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + name;
  if (dir.size() + kLongestName > sizeof(sockaddr_un::sun_path)) dir = "/tmp" + name;
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *why = "mkdir " + dir + ": " + std::strerror(errno);
    return "";
  }
  // Another user could have made it first, to see or take over the tests' servers.
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
      (st.st_mode & 077) != 0) {
    *why = dir + " is not a directory of this user's own with mode 0700";
    return "";
  }
  return dir;
}

}  // namespace

bool UnixTransport() {
  const char* transport = std::getenv("RINGSIDE_TEST_TRANSPORT");
  return transport != nullptr && std::string(transport) == "unix";
}

std::string UnixSocketPath(int port) {
  static std::string why;
  static const std::string dir = MakeSocketDir(&why);
  if (dir.empty()) {
    ADD_FAILURE() << "no directory for the test servers' unix sockets: " << why;
    return "";
  }
  return dir + "/" + std::to_string(port) + ".sock";
}

std::vector<std::string> TransportArgs(int port) {
  if (!UnixTransport()) return {};
  return {"--unixsocket", UnixSocketPath(port)};
}

std::string ServerAddress(int port) {
  return UnixTransport() ? UnixSocketPath(port) : "127.0.0.1:" + std::to_string(port);
}

int ConnectToServer(int port, int rcvbuf) {
  if (UnixTransport()) {
    const std::string path = UnixSocketPath(port);
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      errno = ENAMETOOLONG;
      return -1;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      const int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    return fd;
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

redisContext* ConnectHiredis(int port, const timeval& timeout) {
  if (UnixTransport()) return redisConnectUnixWithTimeout(UnixSocketPath(port).c_str(), timeout);
  return redisConnectWithTimeout("127.0.0.1", port, timeout);
}

}  // namespace ringside::testing
