// Durability against real ShardAofs on a fake FileIo and a real UpstreamLink driven by bytes:
// work waits for exactly the records made before it, through each configured stage, in order.
#include "backend/durability.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/shard_aof.h"
#include "backend/upstream_link.h"
#include "fake_file_io.h"

namespace ringside::backend {
namespace {

class DurabilityTest : public ::testing::Test {
 protected:
  std::unique_ptr<ShardAof> MakeFile(FsyncPolicy policy, bool journal) {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    auto file = std::make_unique<ShardAof>(fd, 0, 0, &io_, policy, [] { return int64_t{0}; });
    file->set_on_synced([this, journal](uint64_t s) {
      journal ? durability_.JournalSynced(s) : durability_.AofSynced(s);
    });
    return file;
  }
  void UseAof(FsyncPolicy policy) {
    aof_ = MakeFile(policy, false);
    durability_.set_aof(aof_.get());
  }
  void UseLink(bool sync) {
    link_ = std::make_unique<UpstreamLink>("", "");
    link_->set_on_acked([this](uint64_t acked) { durability_.Acked(acked); });
    link_->Connected();
    durability_.set_link(link_.get());
    durability_.set_sync(sync);
  }
  // One write, as the shard's record fan-out hands it on.
  void Write(std::string_view key) {
    const std::string_view argv[] = {"SET", key, "v"};
    if (aof_) aof_->Record(0, argv);
    if (link_) link_->Record(0, argv);
  }
  // The AOF's write and fsync complete for everything recorded so far.
  void DiskCatchesUp() {
    aof_->Flush();
    while (!io_.ops.empty())
      io_.Complete(io_.ops.front().sync ? std::optional<int64_t>(0) : std::nullopt);
  }
  void UpstreamAnswers(int n) {
    link_->TakeOutput();
    std::string replies;
    for (int i = 0; i < n; ++i) replies += "+OK\r\n";
    ASSERT_TRUE(link_->OnInput(replies));
  }
  Job Note(int n) {
    return [this, n] { ran_.push_back(n); };
  }

  FakeFileIo io_;
  Durability durability_;
  std::unique_ptr<ShardAof> aof_;
  std::unique_ptr<UpstreamLink> link_;
  std::vector<int> ran_;
};

TEST_F(DurabilityTest, WithNothingToWaitForWorkRunsAtOnce) {
  durability_.After(Note(1));
  durability_.AfterAcked(Note(2));
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
  EXPECT_FALSE(durability_.MayWait());
  EXPECT_FALSE(durability_.Waiting());
}

TEST_F(DurabilityTest, OnlyAppendfsyncAlwaysHoldsWorkBack) {
  UseAof(FsyncPolicy::kEverysec);
  Write("a");
  EXPECT_FALSE(durability_.MayWait());
  EXPECT_FALSE(durability_.Waiting());
  durability_.After(Note(1));
  EXPECT_EQ(ran_, std::vector<int>{1});
}

TEST_F(DurabilityTest, FsyncAlwaysWaitsForTheRecordsBeforeTheWorkAndNoLaterOnes) {
  UseAof(FsyncPolicy::kAlways);
  EXPECT_TRUE(durability_.MayWait());
  Write("a");
  EXPECT_TRUE(durability_.Waiting());
  durability_.After(Note(1));
  aof_->Flush();  // the write of "a" starts; "b" comes while it is on its way
  Write("b");
  durability_.After(Note(2));
  EXPECT_TRUE(ran_.empty());
  io_.Complete();   // "a" written; its fsync starts
  io_.Complete(0);  // "a" durable
  EXPECT_EQ(ran_, std::vector<int>{1}) << "the second waits for b";
  DiskCatchesUp();
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
  EXPECT_FALSE(durability_.Waiting());
}

TEST_F(DurabilityTest, SyncWaitsForTheUpstreamAndAsyncDoesNot) {
  UseLink(/*sync=*/false);
  Write("a");
  EXPECT_FALSE(durability_.MayWait());
  durability_.After(Note(1));
  EXPECT_EQ(ran_, std::vector<int>{1});
  // AfterAcked waits whatever the policy.
  durability_.AfterAcked(Note(2));
  EXPECT_EQ(ran_, std::vector<int>{1});
  UpstreamAnswers(1);
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));

  durability_.set_sync(true);
  EXPECT_TRUE(durability_.MayWait());
  Write("b");
  Write("c");
  durability_.After(Note(3));
  UpstreamAnswers(1);
  EXPECT_EQ(ran_, (std::vector<int>{1, 2})) << "c is not acknowledged yet";
  UpstreamAnswers(1);
  EXPECT_EQ(ran_, (std::vector<int>{1, 2, 3}));
}

TEST_F(DurabilityTest, TheFileThenTheUpstreamInThatOrder) {
  UseAof(FsyncPolicy::kAlways);
  UseLink(/*sync=*/true);
  Write("a");
  durability_.After(Note(1));
  UpstreamAnswers(1);
  EXPECT_TRUE(ran_.empty()) << "acknowledged, but not fsynced";
  DiskCatchesUp();
  EXPECT_EQ(ran_, std::vector<int>{1});

  Write("b");
  durability_.After(Note(2));
  DiskCatchesUp();
  EXPECT_EQ(ran_, std::vector<int>{1}) << "fsynced, but not acknowledged";
  UpstreamAnswers(1);
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
}

TEST_F(DurabilityTest, TheJournalIsAStageOfItsOwn) {
  auto journal = MakeFile(FsyncPolicy::kAlways, /*journal=*/true);
  durability_.set_journal(journal.get());
  const std::string_view argv[] = {"SET", "k", "v"};
  journal->Record(0, argv);
  durability_.After(Note(1));
  durability_.AfterJournalSynced(journal->appended(), Note(2));
  EXPECT_TRUE(ran_.empty());
  journal->Flush();
  io_.Complete();
  io_.Complete(0);
  EXPECT_EQ(ran_, (std::vector<int>{1, 2}));
}

TEST_F(DurabilityTest, ClearDropsWhatWaits) {
  UseAof(FsyncPolicy::kAlways);
  Write("a");
  durability_.After(Note(1));
  EXPECT_EQ(durability_.waiting_jobs(), 1u);
  durability_.Clear();
  EXPECT_EQ(durability_.waiting_jobs(), 0u);
  DiskCatchesUp();
  EXPECT_TRUE(ran_.empty());
}

}  // namespace
}  // namespace ringside::backend
