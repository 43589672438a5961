// UnackedKeys against a real UpstreamLink driven without a socket: a key may be evicted only
// once the upstream acknowledged the last record that wrote it.
#include "backend/unacked_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/upstream_link.h"

namespace ringside::backend {
namespace {

// Keys of the records these tests make: DEL k..., SET k v, MSET k v ...; anything else is not
// known.
bool KeysOf(std::span<const std::string_view> argv, std::vector<size_t>* positions) {
  if (argv[0] == "SET") {
    positions->push_back(1);
  } else if (argv[0] == "DEL") {
    for (size_t i = 1; i < argv.size(); ++i) positions->push_back(i);
  } else if (argv[0] == "MSET") {
    for (size_t i = 1; i < argv.size(); i += 2) positions->push_back(i);
  } else {
    return false;
  }
  return true;
}

// The record fan-out as a shard has it: the link first, then the unacked keys.
struct Shard {
  UpstreamLink link{"", ""};
  UnackedKeys unacked{&link, KeysOf};
  Shard() { link.Connected(); }
  void Write(int db, std::vector<std::string_view> argv) {
    link.Record(db, argv);
    unacked.Record(db, argv);
  }
  // The upstream answers `n` more commands.
  void Ack(int n) {
    std::string replies;
    for (int i = 0; i < n; ++i) replies += "+OK\r\n";
    link.TakeOutput();
    ASSERT_TRUE(link.OnInput(replies));
    unacked.Release(link.acked());
  }
};

TEST(UnackedKeys, KeyIsHeldUntilItsLastRecordIsAcknowledged) {
  Shard s;
  s.unacked.SetTracking(true);
  s.Write(0, {"SET", "a", "1"});
  s.Write(0, {"SET", "b", "1"});
  s.Write(0, {"SET", "a", "2"});
  EXPECT_FALSE(s.unacked.MayEvict(0, "a"));
  EXPECT_FALSE(s.unacked.MayEvict(0, "b"));
  EXPECT_TRUE(s.unacked.MayEvict(0, "c")) << "never written";
  EXPECT_EQ(s.unacked.size(), 2u);
  s.Ack(2);
  EXPECT_TRUE(s.unacked.MayEvict(0, "b"));
  EXPECT_FALSE(s.unacked.MayEvict(0, "a")) << "its second write is not acknowledged yet";
  s.Ack(1);
  EXPECT_TRUE(s.unacked.MayEvict(0, "a"));
  EXPECT_EQ(s.unacked.size(), 0u);
}

TEST(UnackedKeys, DatabasesAreApart) {
  Shard s;
  s.unacked.SetTracking(true);
  s.Write(0, {"SET", "k", "1"});
  EXPECT_FALSE(s.unacked.MayEvict(0, "k"));
  EXPECT_TRUE(s.unacked.MayEvict(1, "k"));
}

TEST(UnackedKeys, EveryKeyOfAMultiKeyRecordIsHeldOnce) {
  Shard s;
  s.unacked.SetTracking(true);
  s.Write(0, {"MSET", "x", "1", "y", "2", "x", "3"});
  EXPECT_EQ(s.unacked.size(), 2u);
  EXPECT_FALSE(s.unacked.MayEvict(0, "x"));
  EXPECT_FALSE(s.unacked.MayEvict(0, "y"));
  s.Ack(1);
  EXPECT_TRUE(s.unacked.MayEvict(0, "x"));
  EXPECT_TRUE(s.unacked.MayEvict(0, "y"));
}

TEST(UnackedKeys, RecordsBeforeTrackingStartedHoldEveryKey) {
  Shard s;
  s.Write(0, {"SET", "early", "1"});
  s.unacked.SetTracking(true);
  EXPECT_FALSE(s.unacked.MayEvict(0, "other")) << "the early record's keys are not known";
  s.Ack(1);
  EXPECT_TRUE(s.unacked.MayEvict(0, "other"));
  EXPECT_TRUE(s.unacked.MayEvict(0, "early"));
}

TEST(UnackedKeys, ARecordWithUnknownKeysHoldsEveryKeyUntilAcknowledged) {
  Shard s;
  s.unacked.SetTracking(true);
  s.Write(0, {"SET", "a", "1"});
  s.Ack(1);
  s.Write(0, {"RINGSIDE.UNKNOWN", "x"});
  EXPECT_FALSE(s.unacked.MayEvict(0, "a"));
  EXPECT_FALSE(s.unacked.MayEvict(0, "anything"));
  s.Ack(1);
  EXPECT_TRUE(s.unacked.MayEvict(0, "anything"));
}

TEST(UnackedKeys, NotTrackingRemembersNothing) {
  Shard s;
  s.Write(0, {"SET", "a", "1"});
  s.Ack(1);
  s.unacked.SetTracking(true);
  s.unacked.SetTracking(false);
  s.Write(0, {"SET", "b", "1"});
  EXPECT_EQ(s.unacked.size(), 0u);
  s.unacked.SetTracking(true);
  s.Write(0, {"SET", "c", "1"});
  EXPECT_EQ(s.unacked.size(), 1u);
}

}  // namespace
}  // namespace ringside::backend
