// A small owning wrapper around a synchronous hiredis connection for integration tests, and a
// value type for replies that compares and prints well in gtest assertions:
//
//   Client c(server->port());
//   EXPECT_EQ(c.Cmd({"SET", "k", "v"}), Status("OK"));
//   EXPECT_EQ(c.Cmd({"GET", "k"}), Bulk("v"));
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace ringside::testing {

struct Reply {
  enum class Type { kStatus, kError, kInteger, kBulk, kNil, kArray, kIoError };

  Type type = Type::kNil;
  std::string str;  // status, error or bulk text; for kIoError what hiredis reported
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool IsError() const { return type == Type::kError; }
  // The error text when this is an error reply, "" otherwise.
  std::string ErrorText() const { return type == Type::kError ? str : ""; }
  // Elements of an array of bulk strings (nil elements become "<nil>").
  std::vector<std::string> Strings() const;

  friend bool operator==(const Reply& a, const Reply& b);
  friend std::ostream& operator<<(std::ostream& os, const Reply& r);
};

Reply Status(std::string s);
Reply Error(std::string s);  // the whole error line, e.g. "ERR syntax error"
Reply Int(int64_t v);
Reply Bulk(std::string s);
Reply Nil();
Reply Array(std::vector<Reply> elements);
Reply BulkArray(const std::vector<std::string>& elements);
Reply ArityError(const std::string& lower_name);  // ERR wrong number of arguments for '...'

// Converts (and does not free) a hiredis reply.
Reply FromHiredis(const redisReply* r);

class Client {
 public:
  // Connects to the server on `port` over the transport under test (127.0.0.1:port, or its
  // unix socket: see transport.h) with `timeout` for connect and for every reply.
  explicit Client(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // True while the connection is usable (connected and no I/O or protocol error yet).
  bool ok() const { return ctx_ != nullptr && ctx_->err == 0; }
  std::string error() const;
  redisContext* context() { return ctx_; }

  // Sends one command and waits for its reply; an I/O error becomes a kIoError reply.
  Reply Cmd(const std::vector<std::string>& argv);
  // Pipelining: queue commands with Append, then read their replies in order with GetReply.
  void Append(const std::vector<std::string>& argv);
  Reply GetReply();
  // Writes every queued command to the socket now, without reading any reply.
  bool Flush();

 private:
  redisContext* ctx_ = nullptr;
};

// Parses INFO text into field -> value ("# Section" lines and blanks skipped).
std::map<std::string, std::string> ParseInfo(const std::string& info);
// The "# Name" section headers of INFO text, in order.
std::vector<std::string> InfoSections(const std::string& info);

}  // namespace ringside::testing
