// Helpers for the end-to-end tests of pass-through and relay mode (pass_through_test,
// relay_mode_test and pass_through_ordering_test in tests/integration/): ringside (three
// shards, read-through on) in front of a real redis-server, compared with a second
// redis-server, the reference, seeded the same and sent the same commands.
//
// Everything here runs on the test's thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/paced_client.h"
#include "tests/support/reference_support.h"

namespace ringside::testing {

// How long ringside may take to show a change, reconnect, or get a command to block upstream.
inline constexpr auto kDeadline = std::chrono::seconds(15);

// The first key `prefix`0, `prefix`1, ... on `shard` of ringside's kShards.
inline std::string OnShard(const std::string& prefix, int shard) {
  return KeyOnShard(prefix, shard, kShards);
}

// Raw RESP2 replies the tests expect literally.
inline std::string RawBulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
inline const std::string kRawOk = "+OK\r\n";

// A ReferenceTest that starts the upstream, the reference and ringside in one call.
class PassThroughFixture : public ReferenceTest {
 protected:
  // The upstream and the reference, both seeded with `seed`, then ringside.
  void StartAll(const std::vector<Argv>& seed = {}) {
    ASSERT_NO_FATAL_FAILURE(StartUpstream());
    ASSERT_NO_FATAL_FAILURE(StartReference());
    ASSERT_NO_FATAL_FAILURE(Seed(upstream_port_, seed));
    ASSERT_NO_FATAL_FAILURE(Seed(reference_->port(), seed));
    ASSERT_NO_FATAL_FAILURE(StartProxy());
  }
  int ringside_port() const { return ringside_->port(); }
};

}  // namespace ringside::testing
