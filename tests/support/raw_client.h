// A blocking RESP client over a plain socket that hands back replies as raw bytes, for tests
// that compare replies byte for byte or send malformed input on purpose.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::testing {

// Encodes argv as a RESP multibulk command.
std::string EncodeCommand(const std::vector<std::string>& argv);

// Length of the first complete RESP reply in `buf`, or 0 when it is not complete yet.
size_t CompleteReplyLength(std::string_view buf);

// Raw bytes of each element of an aggregate reply (an array, or a RESP3 set, push or map: a
// map's keys and values in turn); nullopt when `reply` is not a well-formed aggregate.
std::optional<std::vector<std::string>> AggregateElements(std::string_view reply);
// The same in sorted order; a map's as key/value pairs, so that each value stays with its key.
std::optional<std::vector<std::string>> SortedAggregate(std::string_view reply);

class RawClient {
 public:
  // Connects to the server on `port` over the transport under test (see transport.h); FAILs
  // the test if it cannot.
  explicit RawClient(int port);
  // Connects to `addr` (IPv4, IPv6 or a unix socket); FAILs the test if it cannot.
  RawClient(const sockaddr* addr, socklen_t addr_len);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // The connected socket (-1 when not connected), owned by this client: to look at, not close.
  int fd() const { return fd_; }
  void SendRaw(std::string_view bytes);
  // Sends as much of `bytes` as the server takes within `timeout`, stopping early when the
  // connection fails, so a server that stops reading cannot hang the test. Returns the number
  // of bytes sent.
  size_t SendFor(std::string_view bytes, std::chrono::milliseconds timeout);
  // Sends one command and returns its raw reply ("" when the connection closed first).
  std::string Call(const std::vector<std::string>& argv);
  // Reads one complete raw reply; nullopt on timeout or close.
  std::optional<std::string> ReadReply(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection within `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void Connect(const sockaddr* addr, socklen_t addr_len);

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace ringside::testing
