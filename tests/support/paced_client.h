// Helpers for end-to-end tests that care how a request is cut into reads: a client that sends a
// frame in pieces the server reads one at a time (made real with sock_diag), values and frames
// whose bytes show where they came from, readable dumps of raw bytes for failure messages, and
// a fixture for tests that start their own ringside processes.
//
// Everything here runs on the test's thread unless it says otherwise; nothing holds on to a
// caller's string past the call.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/integration_fixture.h"

namespace ringside::testing {

using Argv = std::vector<std::string>;

// A value of `size` bytes that depend on `seed` and position, so a misplaced chunk shows; CRLF,
// '$' and '*' turn up in it like any other byte.
std::string Pattern(size_t size, uint32_t seed);

// The first of `prefix`0, `prefix`1, ... that lands on `shard` of `num_shards`.
std::string KeyOnShard(const std::string& prefix, int shard, int num_shards);

// The commands encoded back to back as RESP multibulks, as one frame.
std::string Frame(const std::vector<Argv>& commands);

// Where one bulk argument of a frame starts (its "$N" header), where its body starts, and its
// length; offsets are from the start of the frame.
struct BulkAt {
  size_t header;
  size_t body;
  size_t size;
};

// Every bulk argument of Frame(commands), in order.
std::vector<BulkAt> Layout(const std::vector<Argv>& commands);

// Offsets into Frame(commands), sorted and unique: one inside and one just after the header of
// every argument of at least `min_size` bytes, plus `uniform` random ones. Draws from `rng`.
std::vector<size_t> RandomCuts(const std::vector<Argv>& commands, size_t min_size, int uniform,
                               std::mt19937& rng);

// Raw bytes for a failure message: the size and an escaped prefix of at most `limit` bytes.
std::string Show(std::string_view bytes, size_t limit = 100);
// A command for a failure message, arguments longer than 24 bytes shown by their size only.
std::string ShowCommand(const Argv& argv);
// Where two (possibly big) byte strings first differ, with the bytes around that place.
std::string ShowDifference(const std::string& expected, const std::string& got);

// Compares raw reply lists, reply i answering commands[i]; adds one gtest failure (prefixed
// with `context`) for the first difference. True when equal.
bool SameReplies(const std::vector<std::string>& expected, const std::vector<std::string>& got,
                 const std::vector<Argv>& commands, const std::string& context);

// Bytes the server has not read yet on its side of the TCP connection from
// 127.0.0.1:client_port to 127.0.0.1:server_port (a sock_diag lookup of that one socket); 0 when
// the socket is gone or the lookup fails.
int64_t ServerUnread(int server_port, int client_port);

// A RawClient that can send a frame in pieces the server reads one at a time: after each piece
// it waits until the server's side of the connection has nothing left to read. Works against
// ringside and redis-server alike, over either transport: over TCP it learns its own port from
// CLIENT INFO and asks ServerUnread; over a unix socket its own send queue tells, as the kernel
// keeps what a unix stream socket sent charged to it until the peer has read it. One thread at
// a time, except that Send reads replies on a thread of its own while it writes.
class PacedClient {
 public:
  explicit PacedClient(int port);  // connects as RawClient does; FAILs the test if it cannot

  RawClient& raw() { return raw_; }
  std::string Call(const Argv& argv) { return raw_.Call(argv); }
  // Pieces the server did not read within the deadline, over this client's life.
  int unpaced() const { return unpaced_; }

  // Sends `bytes`; true once the server has read them all (20 s deadline).
  bool SendAndWaitRead(std::string_view bytes);

  // Sends `frame` cut at the offsets `cuts` (ascending; those outside the frame are skipped),
  // each piece read by the server before the next leaves, while another thread collects
  // `reply_count` raw replies (30 s each). Always returns `reply_count` replies; a missing one
  // is "".
  std::vector<std::string> Send(std::string_view frame, const std::vector<size_t>& cuts,
                                size_t reply_count);

 private:
  // Not yet read by the server (over a unix socket, in kernel bytes rather than ours); 0 when
  // all is read or the lookup fails.
  int64_t Unread();

  RawClient raw_;
  int server_port_;
  int client_port_ = 0;  // over TCP only
  int unpaced_ = 0;
};

// A command group for differential tests: `setup` runs first (whole), then `commands` go out
// as one frame (cut as the test says), then `readback` shows the data.
struct Case {
  std::string name;
  std::vector<Argv> setup;
  std::vector<Argv> commands;
  std::vector<Argv> readback;
};

// What one server made of a Case: the raw replies to its commands and to its read-back.
struct Outcome {
  std::vector<std::string> replies;
  std::vector<std::string> readback;
};

// A TTL reply rounded to ten seconds, so two servers started moments apart compare equal; any
// other reply unchanged.
std::string RoundTtl(const std::string& raw);

// Runs `k` on `c` after a FLUSHALL, its commands sent as Frame(k.commands) cut at `cuts` (see
// PacedClient::Send). TTL replies in the read-back go through RoundTtl.
Outcome RunCase(PacedClient& c, const Case& k, const std::vector<size_t>& cuts);

// SameReplies over the replies and then the read-back of two runs of `k`; `how` names the run
// in a failure message. True when both are equal.
bool SameOutcome(const Case& k, const Outcome& expected, const Outcome& got,
                 const std::string& how);

// `count` commands drawn from `rng`: a random mix of string writes with and without options,
// of values whose sizes are drawn from `sizes`, on 6 * num_shards keys under `prefix` spread
// over every shard, with reads in between and INCRs of `prefix`counter.
std::vector<Argv> RandomCommands(const std::string& prefix, int num_shards, int count,
                                 const std::vector<size_t>& sizes, std::mt19937& rng);

// A bare socket to the server over the transport under test, for what RawClient cannot do:
// closing with a reset. The destructor closes it (with FIN) unless Reset() or Close() did
// already.
class BareSocket {
 public:
  explicit BareSocket(int port);  // EXPECTs the connect to succeed
  ~BareSocket();
  BareSocket(const BareSocket&) = delete;
  BareSocket& operator=(const BareSocket&) = delete;

  // Sends all of `bytes`, stopping early (silently) if the connection fails.
  void Send(std::string_view bytes);
  // Closes with RST instead of FIN. A unix socket has no RST: its peer reads an ordinary end of
  // file, or ECONNRESET when replies were left unread here.
  void Reset();
  void Close();

 private:
  int fd_;
};

// One INFO field as text; "" when the reply is not a bulk or the field is missing.
std::string InfoField(Client& c, const std::string& section, const std::string& field);
// One INFO field as an integer; -1 when the reply is not a bulk or the field is missing.
int64_t InfoNumber(Client& c, const std::string& section, const std::string& field);

// Every key of the server on `port` with its value and PTTL, read over a connection of its
// own with SCAN, GET and PTTL. Adds a gtest failure if SCAN misbehaves.
std::map<std::string, std::pair<std::string, int64_t>> Dump(int port);

// key -> (value, PTTL), one map per database. A string's value is its bytes; a hash's or a
// set's a canonical text of its content ("<hash> 1:a=1:1 ...", "<set> 1:x ...", sorted;
// "<list> 1:x ..." in order).
using Db = std::map<std::string, std::pair<std::string, int64_t>>;
// The same for every database of the `databases`, read with KEYS, TYPE, GET / HGETALL /
// SMEMBERS and PTTL, pipelined. Adds a gtest failure for a value that does not read back.
std::vector<Db> DumpAll(int port, int databases = 16);

// The resident set size of process `pid` in kB, from /proc; -1 when it cannot be read.
int64_t VmRssKb(pid_t pid);

// A fixture for tests that start their own ringside servers, each with its own directives,
// instead of ServerTest's one per test. Skipped when the target is redis-server.
class OwnServersTest : public ::testing::Test {
 protected:
  void SetUp() override;

  static std::unique_ptr<ServerProcess> Start(std::vector<std::string> args);
  // Stops `server`: SIGTERM must end ringside with status 0, and under AddressSanitizer a leak
  // makes it non-zero. Adds a failure with the server's output otherwise.
  static void ExpectCleanExit(std::unique_ptr<ServerProcess>& server);
};

}  // namespace ringside::testing
