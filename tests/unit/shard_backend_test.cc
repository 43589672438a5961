// ShardBackend with a fake Host (the fake FileIo, a dialer of fake connections, messages to
// "other shards" run in place): which parts exist for which configuration, where records go,
// the AOF loaded and reopened, replies waiting for the upstream under sync, and a FLUSHALL's
// flush gates opening once every shard's journal marked it.
#include "backend/shard_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "backend/propagation.h"
#include "fake_dialer.h"
#include "fake_file_io.h"
#include "shards/clock.h"
#include "shards/store.h"
#include "tests/support/temp_dir.h"

namespace ringside::backend {
namespace {

struct FakeHost final : ShardBackend::Host, FakeDialer {
  FakeFileIo io;
  ShardBackend* self = nullptr;
  std::vector<int> messages;  // the shards messages went to
  std::vector<std::pair<bool, int>> statuses;
  FileIo& file_io() override { return io; }
  Dialer& dialer() override { return *this; }
  void OnShard(int shard, std::function<void(ShardBackend&)> fn) override {
    messages.push_back(shard);
    fn(*self);  // one shard: every message is for this one
  }
  void FileStatusChanged(bool ok, int err) override { statuses.emplace_back(ok, err); }
  int64_t NowMs() const override { return 1000; }
};

bool KeysOf(std::span<const std::string_view> argv, std::vector<size_t>* positions) {
  if (argv.size() < 2) return false;
  positions->push_back(1);
  return true;
}

class ShardBackendTest : public ::testing::Test {
 protected:
  std::unique_ptr<ShardBackend> Make(ShardBackend::Options o, AofManifest* manifest) {
    o.journal_dir = dir_.path();
    auto b = std::make_unique<ShardBackend>(o, &host_, manifest, &store_, KeysOf);
    host_.self = b.get();
    return b;
  }
  // Loads `manifest` and lists one empty file, *e, for shard 0.
  static void ListOneFile(AofManifest& manifest, AofFileEntry* e) {
    std::string error;
    ASSERT_TRUE(manifest.Load(&error)) << error;
    ASSERT_TRUE(manifest.CreateFile(0, "incr", e, &error)) << error;
    ASSERT_TRUE(manifest.ReplaceShard(0, {*e}, &error)) << error;
  }
  void Record(ShardBackend& b, std::vector<std::string_view> argv) { b.sink()->Record(0, argv); }

  ringside::testing::TempDir dir_;
  FakeHost host_;
  shards::FakeClock clock_;
  shards::Store store_{0, 1, 2, &clock_};
};

TEST_F(ShardBackendTest, WithoutAofOrUpstreamNothingTakesRecords) {
  auto b = Make({}, nullptr);
  std::string error;
  ASSERT_TRUE(
      b->Load([](int, std::span<const std::string_view>) { return std::string(); }, &error));
  ASSERT_TRUE(b->Open(&error)) << error;
  EXPECT_EQ(b->sink(), nullptr);
  EXPECT_EQ(b->aof(), nullptr);
  EXPECT_EQ(b->link(), nullptr);
  EXPECT_EQ(b->read_through(), nullptr);
  EXPECT_EQ(b->RecordMark(), 0u);
  EXPECT_FALSE(b->durability().MayWait());
  EXPECT_TRUE(host_.dialed.empty());
}

TEST_F(ShardBackendTest, TheAofIsLoadedThenReopenedForAppendingAndTakesTheRecords) {
  AofManifest manifest(dir_.path() + "/aof", "appendonly.aof");
  AofFileEntry e;
  ASSERT_NO_FATAL_FAILURE(ListOneFile(manifest, &e));
  std::string error;
  const std::string held = EncodeCommand({"SET", "a", "1"});
  std::ofstream(manifest.PathOf(e.file), std::ios::binary) << held;

  ShardBackend::Options o;
  o.fsync = FsyncPolicy::kAlways;
  auto b = Make(o, &manifest);
  std::vector<std::string> applied;
  ASSERT_TRUE(b->Load(
      [&](int, std::span<const std::string_view> args) {
        applied.emplace_back(args[1]);
        return std::string();
      },
      &error));
  EXPECT_EQ(applied, std::vector<std::string>{"a"});
  ASSERT_TRUE(b->Open(&error)) << error;
  ASSERT_NE(b->aof(), nullptr);
  ASSERT_NE(b->rewriter(), nullptr);
  EXPECT_EQ(b->sink(), b->aof()) << "one sink needs no fan-out";
  EXPECT_EQ(b->removals_sink(), b->sink());
  Record(*b, {"SET", "b", "2"});
  EXPECT_TRUE(b->durability().Waiting());
  b->Flush(false);
  ASSERT_EQ(host_.io.ops.size(), 1u);
  EXPECT_EQ(host_.io.ops[0].offset, held.size()) << "appended after what was loaded";
  EXPECT_TRUE(b->Busy());
  host_.io.Complete();
  host_.io.Complete(0);  // the fsync always asks for
  EXPECT_FALSE(b->durability().Waiting());
  EXPECT_FALSE(b->Busy());
}

// CONFIG SET of auto-aof-rewrite-percentage and -min-size reaches the tick's check.
TEST_F(ShardBackendTest, AutoRewriteSettingsTakeEffectWhenSet) {
  AofManifest manifest(dir_.path() + "/aof", "appendonly.aof");
  AofFileEntry e;
  ASSERT_NO_FATAL_FAILURE(ListOneFile(manifest, &e));
  std::string error;
  ShardBackend::Options o;
  o.fsync = FsyncPolicy::kNo;
  o.auto_rewrite_percentage = 0;  // off
  auto b = Make(o, &manifest);
  ASSERT_TRUE(
      b->Load([](int, std::span<const std::string_view>) { return std::string(); }, &error));
  ASSERT_TRUE(b->Open(&error)) << error;
  Record(*b, {"SET", "k", "v"});
  b->Flush(false);
  host_.io.Complete();
  b->Tick(false);
  EXPECT_FALSE(b->rewriter()->running()) << "automatic rewrites are off";
  b->SetAutoRewrite(100, 1);
  b->Tick(false);
  EXPECT_TRUE(b->rewriter()->running()) << "the file grew past 100% of an empty base";
}

TEST_F(ShardBackendTest, AnUpstreamBringsTheLinkJournalReadThroughAndRelays) {
  ShardBackend::Options o;
  o.upstream = "127.0.0.1:1";
  o.sync = true;
  auto b = Make(o, nullptr);
  std::string error;
  ASSERT_TRUE(b->Open(&error)) << error;
  ASSERT_EQ(host_.dialed.size(), 2u);
  EXPECT_EQ(host_.dialed[0].first, "upstream");
  EXPECT_EQ(host_.dialed[1].first, "upstream invalidation connection");
  ASSERT_NE(b->link(), nullptr);
  ASSERT_NE(b->journal(), nullptr);
  ASSERT_NE(b->read_through(), nullptr);
  ASSERT_NE(b->relays(), nullptr);
  EXPECT_EQ(b->removals_sink(), nullptr) << "the upstream expires its keys itself";
  UpstreamProtocol* link = host_.dialed[0].second->protocol;
  link->Connected();
  Record(*b, {"SET", "k", "v"});
  EXPECT_EQ(b->RecordMark(), 1u);
  EXPECT_TRUE(b->durability().Waiting()) << "sync: the reply waits for the upstream";
  b->SetTrackUnacked(true);
  Record(*b, {"SET", "held", "v"});
  EXPECT_FALSE(b->MayEvict(0, "held"));
  link->TakeOutputPieces();
  ASSERT_TRUE(link->OnInput("+OK\r\n+OK\r\n"));
  EXPECT_FALSE(b->durability().Waiting());
  EXPECT_TRUE(b->MayEvict(0, "held"));
}

TEST_F(ShardBackendTest, AFlushsGatesOpenOnceEveryShardReachedThem) {
  ShardBackend::Options o;
  o.upstream = "127.0.0.1:1";
  o.read_through = false;
  auto b = Make(o, nullptr);
  std::string error;
  ASSERT_TRUE(b->Open(&error)) << error;
  EXPECT_EQ(host_.dialed.size(), 1u) << "no invalidation connection without read-through";
  EXPECT_EQ(b->read_through(), nullptr);
  b->FenceAtStart(0);
  UpstreamProtocol* link = host_.dialed[0].second->protocol;
  link->Connected();
  Record(*b, {"FLUSHALL"});
  Record(*b, {"SET", "after", "v"});
  // The gate before the flush is reported to shard 0 and, with one shard, opens at once.
  EXPECT_FALSE(host_.messages.empty());
  std::string out;
  for (auto& p : link->TakeOutputPieces()) out += p.bytes;
  EXPECT_NE(out.find("FLUSHALL"), std::string::npos) << out;
  EXPECT_EQ(out.find("after"), std::string::npos) << "nothing goes past the flush's second gate";
  ASSERT_TRUE(link->OnInput("+OK\r\n"));  // the flush is acknowledged
  // The journal marks the flush done and fsyncs the mark; then the gate opens.
  b->Flush(false);
  while (!host_.io.ops.empty()) {
    host_.io.Complete(host_.io.ops.front().sync ? std::optional<int64_t>(0) : std::nullopt);
  }
  out.clear();
  for (auto& p : link->TakeOutputPieces()) out += p.bytes;
  EXPECT_NE(out.find("after"), std::string::npos) << out;
}

}  // namespace
}  // namespace ringside::backend
