// UpstreamJournal on real files in a temporary directory, with writes through the fake FileIo
// and a real UpstreamLink driven by bytes: which records reach the file and when, what a start
// reads back and hands to the link, and the journals of another thread count refusing a start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "backend/durability.h"
#include "backend/propagation.h"
#include "backend/upstream_journal.h"
#include "backend/upstream_link.h"
#include "fake_file_io.h"
#include "tests/support/temp_dir.h"

namespace ringside::backend {
namespace {

class UpstreamJournalUnitTest : public ::testing::Test {
 protected:
  std::unique_ptr<UpstreamJournal> Make(FsyncPolicy policy, int shards = 1) {
    UpstreamJournal::Options o;
    o.dir = dir_.path();
    o.shards = shards;
    o.policy = policy;
    o.queue_memory = 64u << 20;
    return std::make_unique<UpstreamJournal>(o, &link_, &io_, &durability_,
                                             [] { return int64_t{0}; });
  }
  // A write as the shard's fan-out hands it on: the link first, then the journal.
  void Write(UpstreamJournal& j, std::string_view key) {
    const std::string_view argv[] = {"SET", key, "v"};
    link_.Record(0, argv);
    j.Record(0, argv);
  }
  // Everything the journal has started writing to its file.
  std::string Written() {
    std::string out;
    for (auto& op : io_.ops) out += op.data;
    return out;
  }
  std::string Path(int shard, int shards) {
    return dir_.path() + "/upstream-journal-" + std::to_string(shard) + "-of-" +
           std::to_string(shards) + ".resp";
  }

  ringside::testing::TempDir dir_;
  FakeFileIo io_;
  UpstreamLink link_{"", ""};
  Durability durability_;
};

TEST_F(UpstreamJournalUnitTest, RecordsTheUpstreamTakesInTimeNeverReachTheFile) {
  auto j = Make(FsyncPolicy::kEverysec);
  std::string error;
  ASSERT_TRUE(j->Open(&error)) << error;
  EXPECT_EQ(access(Path(0, 1).c_str(), F_OK), 0);
  link_.Connected();
  Write(*j, "a");
  j->Tick();  // "a" is a tick old at the next one
  link_.TakeOutput();
  ASSERT_TRUE(link_.OnInput("+OK\r\n"));
  j->Tick();
  j->Flush();
  EXPECT_EQ(Written(), "") << "acknowledged before the tick after it was made";
}

TEST_F(UpstreamJournalUnitTest, ARecordStillUnacknowledgedATickLaterIsJournaled) {
  auto j = Make(FsyncPolicy::kEverysec);
  std::string error;
  ASSERT_TRUE(j->Open(&error)) << error;
  Write(*j, "a");
  j->Tick();
  j->Flush();
  EXPECT_EQ(Written(), "");
  j->Tick();
  j->Flush();
  EXPECT_EQ(Written(), EncodeCommand({"SELECT", "0"}) + EncodeCommand({"SET", "a", "v"}));
}

TEST_F(UpstreamJournalUnitTest, UnderFsyncAlwaysAndForAFlushARecordGoesInAtOnce) {
  auto j = Make(FsyncPolicy::kAlways);
  std::string error;
  ASSERT_TRUE(j->Open(&error)) << error;
  Write(*j, "a");
  j->Flush();
  EXPECT_NE(Written().find(EncodeCommand({"SET", "a", "v"})), std::string::npos);
  EXPECT_TRUE(durability_.Waiting()) << "the reply waits for the journal's fsync";

  auto k = std::make_unique<FakeFileIo>();
  UpstreamLink link("", "");
  Durability durability;
  UpstreamJournal::Options o;
  o.dir = dir_.path() + "/other";
  UpstreamJournal flushes(o, &link, k.get(), &durability, [] { return int64_t{0}; });
  ASSERT_TRUE(flushes.Open(&error)) << error;
  const std::string_view flush[] = {"FLUSHALL"};
  link.Record(0, flush);
  flushes.Record(0, flush);
  flushes.Flush();
  ASSERT_EQ(k->ops.size(), 1u);
  EXPECT_NE(k->ops[0].data.find(EncodeCommand({"FLUSHALL"})), std::string::npos);
}

TEST_F(UpstreamJournalUnitTest, AStartHandsWhatTheFileHoldsToTheLinkPastItsLastMarkedFlush) {
  std::ofstream(Path(0, 1), std::ios::binary)
      << EncodeCommand({"SET", "old", "1"}) << EncodeCommand({"FLUSHALL"})
      << EncodeCommand({"RINGSIDE-FLUSH-DONE"}) << EncodeCommand({"SELECT", "3"})
      << EncodeCommand({"SET", "new", "2"});
  auto j = Make(FsyncPolicy::kEverysec);
  std::string error;
  ASSERT_TRUE(j->Open(&error)) << error;
  EXPECT_EQ(link_.recorded(), 1u) << "only what came after the marked flush";
  EXPECT_EQ(j->flushes_read(), 0u);
  link_.Connected();
  EXPECT_EQ(link_.TakeOutput(),
            EncodeCommand({"SELECT", "3"}) + EncodeCommand({"SET", "new", "2"}));
}

TEST_F(UpstreamJournalUnitTest, AnotherThreadCountsJournalWithRecordsRefusesTheStart) {
  std::ofstream(Path(1, 3), std::ios::binary) << EncodeCommand({"SET", "k", "v"});
  std::ofstream(Path(0, 2), std::ios::binary);  // empty: nothing owed, no objection
  auto j = Make(FsyncPolicy::kEverysec, /*shards=*/2);
  std::string error;
  EXPECT_FALSE(j->Open(&error));
  EXPECT_NE(error.find("written with threads 3"), std::string::npos) << error;
}

TEST_F(UpstreamJournalUnitTest, AnUnreadableJournalSaysWhereAndHowToStartWithoutIt) {
  std::ofstream(Path(0, 1), std::ios::binary) << "not a command\r\n";
  auto j = Make(FsyncPolicy::kEverysec);
  std::string error;
  EXPECT_FALSE(j->Open(&error));
  EXPECT_NE(error.find("is unreadable at byte offset 0"), std::string::npos) << error;
  EXPECT_NE(error.find("move it away"), std::string::npos) << error;
}

}  // namespace
}  // namespace ringside::backend
