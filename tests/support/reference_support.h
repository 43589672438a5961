// Helpers for tests that compare ringside in front of an upstream with a second redis-server,
// the reference, seeded the same and sent the same commands: seeding, comparing raw replies,
// and comparing what two servers hold, of any type.
//
// Everything here runs on the test's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/upstream_support.h"

namespace ringside::testing {

// Runs `commands` on `port`, each of which must succeed.
void Seed(int port, const std::vector<Argv>& commands);

// The elements of a raw array or set reply, each a raw reply; none for any other reply.
std::vector<std::string> RawElements(const std::string& raw);

// Two raw replies to `cmd` are the same: byte for byte, except that replies whose order
// depends on the server's hash seed (KEYS, SMEMBERS, SCAN, ...) are compared sorted, and that
// positive TTLs and PTTLs of two servers seeded moments apart may be a little off.
bool SameReply(const Argv& cmd, const std::string& want, const std::string& got);

// Compares the raw replies of the reference (`want`) and of ringside (`got`) to `commands`; a
// failure for each of the first few that differ. True when all are the same.
bool SameRawReplies(const std::vector<Argv>& commands, const std::vector<std::string>& want,
                    const std::vector<std::string>& got);

// One key of a server as a test compares it: its type, its value shown as text (a hash's
// fields and a set's members sorted) and its PTTL.
struct KeyValue {
  std::string type;
  std::string value;
  int64_t pttl = 0;
};
using Keyspace = std::map<std::pair<int, std::string>, KeyValue>;

// Every key of every database of the server on `port`: strings (HyperLogLogs and bitmaps
// included), hashes, lists, sets, sorted sets (geo too) and streams.
Keyspace DumpTyped(int port);

// One failure listing how the upstream (`got`) differs from the reference (`want`): keys,
// types, values, PTTLs (-1 exactly, positive ones within kTtlToleranceMs).
void ExpectSameKeyspace(const Keyspace& want, const Keyspace& got);

// UpstreamTest with a reference redis-server, stopped by TearDown.
class ReferenceTest : public UpstreamTest {
 protected:
  void TearDown() override;
  void StartReference();
  int reference_port() const { return reference_->port(); }
  // A number from ringside's INFO upstream; -1 when missing.
  int64_t UpNumber(const std::string& field);
  // Sends `commands` one at a time to ringside and to the reference, each over a connection
  // of its own, and compares every raw reply. True when all are the same.
  bool SameOneByOne(const std::vector<Argv>& commands);
  // Once ringside's writes are all acknowledged, the upstream holds what the reference holds.
  void ExpectUpstreamLikeReference();

  std::unique_ptr<ServerProcess> reference_;
};

}  // namespace ringside::testing
