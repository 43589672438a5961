// AofRewriter on a real manifest in a temporary directory, a real store and a real ShardAof,
// with file writes through a fake FileIo that completes them when the test says: the base it
// writes, a slot touched mid-copy copied as it was when the rewrite began, the manifest at
// each step, and a failed write abandoning the rewrite with the old files still listed.
#include "backend/aof_rewriter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/aof_manifest.h"
#include "backend/propagation.h"
#include "backend/shard_aof.h"
#include "fake_file_io.h"
#include "shards/clock.h"
#include "shards/store.h"
#include "tests/support/temp_dir.h"

namespace ringside::backend {
namespace {

class AofRewriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(manifest_.Load(&error)) << error;
    AofFileEntry first;
    ASSERT_TRUE(manifest_.CreateFile(0, "incr", &first, &error)) << error;
    ASSERT_TRUE(manifest_.ReplaceShard(0, {first}, &error)) << error;
    first_ = first.file;
    const int fd = open(manifest_.PathOf(first.file).c_str(), O_WRONLY | O_CLOEXEC);
    aof_ = std::make_unique<ShardAof>(fd, 0, 0, &io_, FsyncPolicy::kNo,
                                      [this] { return clock_.NowMs(); });
    rewriter_ = std::make_unique<AofRewriter>(0, &manifest_, aof_.get(), &store_, &io_,
                                              [this] { return clock_.NowMs(); });
  }
  std::vector<std::string> FilesListed() const {
    std::vector<std::string> names;
    for (const AofFileEntry& e : manifest_.FilesOf(0)) names.push_back(e.file);
    return names;
  }
  // Steps the rewrite until it waits for the disk; the bytes of base-file writes so far.
  void StepUntilWaiting() {
    for (int i = 0; i < 100 && io_.ops.empty() && rewriter_->running(); ++i) rewriter_->Step();
  }

  ringside::testing::TempDir dir_;
  AofManifest manifest_{dir_.path(), "appendonly.aof"};
  FakeFileIo io_;
  shards::FakeClock clock_;
  shards::Store store_{0, 1, 2, &clock_};
  std::unique_ptr<ShardAof> aof_;
  std::unique_ptr<AofRewriter> rewriter_;
  std::string first_;
};

TEST_F(AofRewriterTest, WritesEveryKeyAsSetAndListsBaseAndNewIncrementalAlone) {
  store_.Set(0, "a", std::string("1"));
  store_.Set(1, "b", std::string("2"), clock_.NowMs() + 60'000);
  ASSERT_TRUE(rewriter_->Start());
  EXPECT_FALSE(rewriter_->Start()) << "one rewrite at a time";
  EXPECT_TRUE(rewriter_->stats().in_progress);
  rewriter_->Step();  // the writer is idle: it moves to the new incremental file
  ASSERT_EQ(FilesListed().size(), 2u);
  EXPECT_EQ(FilesListed()[0], first_) << "the old file stays listed until the base is done";
  StepUntilWaiting();
  ASSERT_EQ(io_.ops.size(), 1u);
  ASSERT_FALSE(io_.ops[0].sync);
  const std::string base = io_.Complete().data;
  EXPECT_EQ(base,
            EncodeCommand({"SELECT", "0"}) + EncodeCommand({"SET", "a", "1"}) +
                EncodeCommand({"SELECT", "1"}) +
                EncodeCommand({"SET", "b", "2", "PXAT", std::to_string(clock_.NowMs() + 60'000)}));
  StepUntilWaiting();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_TRUE(io_.ops[0].sync) << "the base is fsynced before the manifest lists it";
  EXPECT_EQ(FilesListed().size(), 2u);
  io_.Complete(0);
  EXPECT_FALSE(rewriter_->running());
  const std::vector<AofFileEntry> files = manifest_.FilesOf(0);
  ASSERT_EQ(files.size(), 2u);
  // Every file is RESP, so Redis's manifest lists the base as an incremental file too.
  EXPECT_NE(files[0].file.find("base"), std::string::npos) << files[0].file;
  EXPECT_NE(files[1].file, first_);
  EXPECT_EQ(access(manifest_.PathOf(first_).c_str(), F_OK), -1) << "the old file is deleted";
  EXPECT_EQ(rewriter_->stats().rewrites, 1u);
  EXPECT_TRUE(rewriter_->stats().last_ok);
}

TEST_F(AofRewriterTest, ASlotTouchedBeforeItsCopyIsCopiedAsItWas) {
  store_.Set(0, "k", std::string("before"));
  ASSERT_TRUE(rewriter_->Start());
  rewriter_->Step();  // rotated: from here on the copy is a snapshot of this moment
  // A command gets to k first: the store has its slot copied first, so the copy keeps "before".
  store_.Set(0, "k", std::string("after"));
  StepUntilWaiting();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_EQ(io_.ops[0].data,
            EncodeCommand({"SELECT", "0"}) + EncodeCommand({"SET", "k", "before"}));
}

TEST_F(AofRewriterTest, AFailedBaseWriteAbandonsItAndKeepsWhatTheManifestListed) {
  store_.Set(0, "a", std::string("1"));
  ASSERT_TRUE(rewriter_->Start());
  rewriter_->Step();
  const std::vector<std::string> listed = FilesListed();
  StepUntilWaiting();
  ASSERT_EQ(io_.ops.size(), 1u);
  EXPECT_TRUE(rewriter_->busy());
  io_.Complete(-EIO);
  rewriter_->Step();
  EXPECT_FALSE(rewriter_->running());
  EXPECT_FALSE(rewriter_->stats().last_ok);
  EXPECT_EQ(FilesListed(), listed) << "old file plus the incremental file it writes to";
}

TEST_F(AofRewriterTest, ARequestOrEnoughGrowthStartsOneAtTheNextCheck) {
  rewriter_->Request();
  EXPECT_TRUE(rewriter_->stats().scheduled);
  rewriter_->MaybeStart(0, 0);
  EXPECT_TRUE(rewriter_->running()) << "a request starts one even with auto rewrite off";
  rewriter_->Abort("test");
  EXPECT_FALSE(rewriter_->running());

  const std::string_view argv[] = {"SET", "key", "value"};
  aof_->Record(0, argv);
  aof_->Flush();
  io_.Complete();
  rewriter_->MaybeStart(100, 1'000'000);
  EXPECT_FALSE(rewriter_->running()) << "below auto-aof-rewrite-min-size";
  rewriter_->MaybeStart(100, 1);
  EXPECT_TRUE(rewriter_->running()) << "grown by more than 100% of a zero-byte base";
}

}  // namespace
}  // namespace ringside::backend
