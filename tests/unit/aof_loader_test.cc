// LoadShardAof on real files in a temporary directory: what reaches the caller (with the
// database SELECT chose), what the loader handles itself (MULTI/EXEC, flushes), a truncated
// last file cut or refused as aof-load-truncated says, and the errors that stop a start.
#include "backend/aof_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "backend/aof_manifest.h"
#include "backend/propagation.h"
#include "shards/clock.h"
#include "shards/store.h"
#include "tests/support/temp_dir.h"

namespace ringside::backend {
namespace {

class AofLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(manifest_.Load(&error)) << error;
  }
  // Lists files with `contents` as the shard's files, in order.
  void Files(const std::vector<std::string>& contents) {
    std::vector<AofFileEntry> entries;
    std::string error;
    for (const std::string& c : contents) {
      AofFileEntry e;
      ASSERT_TRUE(manifest_.CreateFile(0, "incr", &e, &error)) << error;
      std::ofstream(manifest_.PathOf(e.file), std::ios::binary) << c;
      entries.push_back(e);
    }
    ASSERT_TRUE(manifest_.ReplaceShard(0, entries, &error)) << error;
  }
  bool Load(bool load_truncated = true) {
    if (loaded_.fd >= 0) close(loaded_.fd);
    loaded_ = AofLoaded{};
    applied_.clear();
    error_.clear();
    return LoadShardAof(
        manifest_, 0, {4, load_truncated}, store_,
        [this](int db, std::span<const std::string_view> args) -> std::string {
          std::string line = std::to_string(db) + ":";
          for (std::string_view a : args) line += " " + std::string(a);
          applied_.push_back(line);
          if (args[0] == "SET") store_.Set(db, args[1], std::string(args[2]));
          return args[0] == "BAD" ? "'bad' cannot be replayed" : "";
        },
        &loaded_, &error_);
  }
  void TearDown() override {
    if (loaded_.fd >= 0) close(loaded_.fd);
  }

  ringside::testing::TempDir dir_;
  AofManifest manifest_{dir_.path(), "appendonly.aof"};
  shards::FakeClock clock_;
  shards::Store store_{0, 1, 4, &clock_};
  AofLoaded loaded_;
  std::vector<std::string> applied_;
  std::string error_;
};

std::string Cmd(std::vector<std::string> argv) { return EncodeCommand(argv); }

TEST_F(AofLoaderTest, CommandsReachTheCallerInTheirDatabaseAndFramingStaysHere) {
  Files({Cmd({"SET", "a", "1"}) + Cmd({"SELECT", "2"}) + Cmd({"MULTI"}) + Cmd({"SET", "b", "2"}) +
             Cmd({"EXEC"}),
         Cmd({"SET", "c", "3"})});
  ASSERT_TRUE(Load()) << error_;
  EXPECT_EQ(applied_, (std::vector<std::string>{"0: SET a 1", "2: SET b 2", "0: SET c 3"}))
      << "each file starts in database 0";
  EXPECT_GT(loaded_.fd, 0) << "the last file stays open for appending";
  EXPECT_EQ(loaded_.size, Cmd({"SET", "c", "3"}).size());
  EXPECT_GT(loaded_.loaded, loaded_.size);
}

TEST_F(AofLoaderTest, FlushesClearTheStore) {
  Files({Cmd({"SET", "a", "1"}) + Cmd({"SELECT", "1"}) + Cmd({"SET", "b", "1"}) + Cmd({"FLUSHDB"}) +
         Cmd({"SET", "c", "1"})});
  ASSERT_TRUE(Load()) << error_;
  EXPECT_TRUE(store_.Exists(0, "a")) << "FLUSHDB clears the selected database only";
  EXPECT_FALSE(store_.Exists(1, "b"));
  EXPECT_TRUE(store_.Exists(1, "c"));
  Files({Cmd({"SET", "x", "1"}) + Cmd({"flushall"})});
  ASSERT_TRUE(Load()) << error_;
  EXPECT_FALSE(store_.Exists(0, "x"));
  EXPECT_FALSE(store_.Exists(0, "a"));
}

TEST_F(AofLoaderTest, ATruncatedLastFileIsCutWhenAllowedAndRefusedOtherwise) {
  const std::string whole = Cmd({"SET", "a", "1"});
  Files({whole + Cmd({"SET", "b", "2"}).substr(0, 9)});
  ASSERT_FALSE(Load(/*load_truncated=*/false));
  EXPECT_NE(error_.find("ends inside a command at byte offset " + std::to_string(whole.size())),
            std::string::npos)
      << error_;
  ASSERT_TRUE(Load(/*load_truncated=*/true)) << error_;
  EXPECT_EQ(applied_, std::vector<std::string>{"0: SET a 1"});
  EXPECT_EQ(loaded_.size, whole.size());
  EXPECT_EQ(lseek(loaded_.fd, 0, SEEK_END), static_cast<off_t>(whole.size())) << "cut there";
}

TEST_F(AofLoaderTest, ATruncatedFileThatIsNotTheLastStopsTheStart) {
  Files({Cmd({"SET", "a", "1"}).substr(0, 5), Cmd({"SET", "b", "1"})});
  ASSERT_FALSE(Load(/*load_truncated=*/true));
  EXPECT_NE(error_.find("it is not the shard's last file"), std::string::npos) << error_;
}

TEST_F(AofLoaderTest, WhatCannotBeReplayedNamesTheFileAndOffset) {
  const std::string first = Cmd({"SET", "a", "1"});
  Files({first + Cmd({"BAD", "x"})});
  ASSERT_FALSE(Load());
  EXPECT_NE(error_.find("at byte offset " + std::to_string(first.size()) + ": 'bad' cannot"),
            std::string::npos)
      << error_;
  Files({Cmd({"SELECT", "4"})});
  ASSERT_FALSE(Load());
  EXPECT_NE(error_.find("SELECT of a database this server does not have (databases 4)"),
            std::string::npos)
      << error_;
}

TEST(SelectedDatabase, AcceptsCanonicalIndexesBelowTheCount) {
  EXPECT_EQ(SelectedDatabase("0", 16), 0);
  EXPECT_EQ(SelectedDatabase("15", 16), 15);
  EXPECT_EQ(SelectedDatabase("16", 16), -1);
  EXPECT_EQ(SelectedDatabase("-1", 16), -1);
  EXPECT_EQ(SelectedDatabase("01", 16), -1);
  EXPECT_EQ(SelectedDatabase("", 16), -1);
  EXPECT_EQ(SelectedDatabase("1x", 16), -1);
  EXPECT_EQ(SelectedDatabase("99999999999", 16), -1);
}

}  // namespace
}  // namespace ringside::backend
