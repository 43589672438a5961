// ShardAof against a fake FileIo that completes ops only when the test says so: what goes out
// when, group commit under appendfsync always, short writes, and failure and recovery.
#include "backend/shard_aof.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <string>
#include <vector>

#include "backend/propagation.h"
#include "fake_file_io.h"

namespace ringside::backend {
namespace {

class ShardAofTest : public ::testing::Test {
 protected:
  void Make(FsyncPolicy policy, uint64_t size = 0) {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    aof_ = std::make_unique<ShardAof>(fd, size, 0, &io_, policy, [this] { return now_; });
    aof_->set_on_synced([this](uint64_t s) { synced_calls_.push_back(s); });
    aof_->set_on_status([this](bool ok, int err) { status_calls_.emplace_back(ok, err); });
  }
  void Set(std::string_view k, std::string_view v) {
    const std::string_view argv[] = {"SET", k, v};
    aof_->Record(0, argv);
  }
  static std::string Bytes(std::string_view k, std::string_view v) {
    return EncodeCommand({"SET", std::string(k), std::string(v)});
  }

  FakeFileIo io_;
  int64_t now_ = 1'000'000;
  std::unique_ptr<ShardAof> aof_;
  std::vector<uint64_t> synced_calls_;
  std::vector<std::pair<bool, int>> status_calls_;
  const std::string select_ = EncodeCommand({"SELECT", "0"});
};

TEST_F(ShardAofTest, EverysecWritesEachFlushAndFsyncsOnceASecond) {
  Make(FsyncPolicy::kEverysec, 100);
  Set("a", "1");
  EXPECT_FALSE(aof_->HasUndurable());  // only appendfsync always holds replies
  aof_->Flush();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_EQ(io_.ops[0].data, select_ + Bytes("a", "1"));
  EXPECT_EQ(io_.ops[0].offset, 100u);  // after what the file already held
  io_.Complete();
  EXPECT_EQ(aof_->written(), aof_->appended());
  aof_->Tick();
  EXPECT_TRUE(io_.ops.empty());  // not a second yet
  now_ += 1000;
  aof_->Tick();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_TRUE(io_.ops[0].sync);
  io_.Complete(0);
  EXPECT_EQ(aof_->synced(), aof_->written());
  EXPECT_EQ(aof_->stats().current_size, 100 + aof_->written());
}

TEST_F(ShardAofTest, AlwaysGroupsWritesMadeWhileAnFsyncIsOnItsWay) {
  Make(FsyncPolicy::kAlways);
  Set("a", "1");
  EXPECT_TRUE(aof_->HasUndurable());
  aof_->Flush();
  io_.Complete();  // the write; the fsync follows at once
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_TRUE(io_.ops[0].sync);
  const uint64_t first = aof_->written();
  // Three clients' writes arrive while that fsync runs: one write carries them all.
  Set("b", "2");
  Set("c", "3");
  Set("d", "4");
  aof_->Flush();
  ASSERT_EQ(io_.ops.size(), 2u);
  EXPECT_EQ(io_.ops[1].data, Bytes("b", "2") + Bytes("c", "3") + Bytes("d", "4"));
  io_.Complete(0);  // first fsync
  EXPECT_EQ(synced_calls_, std::vector<uint64_t>{first});
  EXPECT_TRUE(aof_->HasUndurable());
  io_.Complete();  // second write, then its fsync
  ASSERT_EQ(io_.ops.size(), 1u);
  io_.Complete(0);
  EXPECT_EQ(synced_calls_.back(), aof_->appended());
  EXPECT_FALSE(aof_->HasUndurable());
  EXPECT_TRUE(status_calls_.empty());
}

TEST_F(ShardAofTest, AShortWriteContinuesWhereItStopped) {
  Make(FsyncPolicy::kNo);
  Set("key", "value");
  aof_->Flush();
  const std::string all = io_.ops[0].data;
  io_.Complete(5);
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_EQ(io_.ops[0].data, all.substr(5));
  EXPECT_EQ(io_.ops[0].offset, 5u);
  io_.Complete();
  EXPECT_EQ(aof_->written(), all.size());
  EXPECT_TRUE(io_.ops.empty());  // appendfsync no never fsyncs on its own
}

TEST_F(ShardAofTest, AFailedWriteIsRetriedOnceASecondUntilItGoesThrough) {
  Make(FsyncPolicy::kEverysec);
  Set("a", "1");
  aof_->Flush();
  const std::string bytes = io_.ops[0].data;
  io_.Complete(-ENOSPC);
  EXPECT_FALSE(aof_->write_ok());
  ASSERT_EQ(status_calls_.size(), 1u);
  EXPECT_EQ(status_calls_[0], std::make_pair(false, ENOSPC));
  EXPECT_EQ(aof_->stats().last_errno, ENOSPC);
  // Records made meanwhile wait with the failed bytes; nothing is retried before a second.
  Set("b", "2");
  aof_->Flush();
  aof_->Tick();
  EXPECT_TRUE(io_.ops.empty());
  now_ += 1000;
  aof_->Tick();
  ASSERT_FALSE(io_.ops.empty());
  EXPECT_EQ(io_.ops[0].data, bytes);  // the same bytes, at the same place
  EXPECT_EQ(io_.ops[0].offset, 0u);
  io_.Complete();
  EXPECT_TRUE(aof_->write_ok());
  EXPECT_EQ(status_calls_.back(), std::make_pair(true, 0));
  // The record made while failing follows.
  ASSERT_FALSE(io_.ops.empty());
  EXPECT_FALSE(io_.ops[0].sync);
  EXPECT_EQ(io_.ops[0].data, Bytes("b", "2"));
}

TEST_F(ShardAofTest, UnderAlwaysAFailedFsyncHoldsRepliesUntilOneSucceeds) {
  Make(FsyncPolicy::kAlways);
  Set("a", "1");
  aof_->Flush();
  io_.Complete();
  io_.Complete(-EIO);  // the fsync
  EXPECT_FALSE(aof_->write_ok());
  EXPECT_TRUE(aof_->HasUndurable());
  EXPECT_TRUE(synced_calls_.empty());
  now_ += 1000;
  aof_->Tick();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_TRUE(io_.ops[0].sync);
  io_.Complete(0);
  EXPECT_TRUE(aof_->write_ok());
  EXPECT_FALSE(aof_->HasUndurable());
  EXPECT_EQ(synced_calls_.back(), aof_->appended());
}

TEST_F(ShardAofTest, LeavingAlwaysReleasesHeldReplies) {
  Make(FsyncPolicy::kAlways);
  Set("a", "1");
  aof_->Flush();
  aof_->set_policy(FsyncPolicy::kEverysec);
  EXPECT_FALSE(aof_->HasUndurable());
  ASSERT_FALSE(synced_calls_.empty());
  EXPECT_EQ(synced_calls_.back(), aof_->appended());
}

TEST(ShardAofFinish, WritesAndSyncsWhatIsLeftToARealFile) {
  char path[] = "/tmp/ringside-shard-aof-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FakeFileIo io;
  {
    ShardAof aof(fd, 0, 0, &io, FsyncPolicy::kEverysec, [] { return int64_t{0}; });
    const std::string_view argv[] = {"SET", "k", "v"};
    aof.Record(0, argv);
    std::string error;
    ASSERT_TRUE(aof.FinishBlocking(&error)) << error;
    EXPECT_EQ(aof.synced(), aof.appended());
  }
  const int again = open(path, O_RDONLY);
  char buf[256];
  const ssize_t n = read(again, buf, sizeof(buf));
  close(again);
  unlink(path);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)),
            EncodeCommand({"SELECT", "0"}) + EncodeCommand({"SET", "k", "v"}));
}

}  // namespace
}  // namespace ringside::backend
