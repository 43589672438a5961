// The manifest: Redis 7's syntax both ways, a shard's files in sequence order, and replacing
// one shard's list leaves the others alone on disk.
#include "backend/aof_manifest.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ringside::backend {
namespace {

TEST(AofManifestText, ParsesRedisLinesAndKeepsShards) {
  std::vector<AofFileEntry> e;
  std::string error;
  ASSERT_TRUE(
      ParseManifest("file appendonly.aof.1.base.rdb seq 1 type b\n"
                    "file appendonly.aof.s2.7.incr.aof seq 7 type i shard 2\n"
                    "# a comment\n\n"
                    "file old.aof seq 3 type h newkey ignored\n",
                    &e, &error))
      << error;
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].type, 'b');
  EXPECT_EQ(e[0].shard, -1);
  EXPECT_EQ(e[1].file, "appendonly.aof.s2.7.incr.aof");
  EXPECT_EQ(e[1].seq, 7);
  EXPECT_EQ(e[1].shard, 2);
  EXPECT_EQ(e[2].type, 'h');
}

TEST(AofManifestText, RejectsMalformedLines) {
  for (const char* bad : {"file a seq x type i", "file a seq 1", "file a/b seq 1 type i",
                          "file a seq 1 type z", "file a seq 1 type i shard", "seq 1 type i"}) {
    std::vector<AofFileEntry> e;
    std::string error;
    EXPECT_FALSE(ParseManifest(bad, &e, &error)) << bad;
    EXPECT_NE(error.find("line 1"), std::string::npos) << error;
  }
}

TEST(AofManifestText, FormatsInSequenceOrder) {
  EXPECT_EQ(FormatManifest({{"b.aof", 5, 'i', 1}, {"a.aof", 2, 'i', 0}}),
            "file a.aof seq 2 type i shard 0\nfile b.aof seq 5 type i shard 1\n");
}

class AofManifestDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ringside-manifest-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string root_;
};

TEST_F(AofManifestDir, CreatesFilesAndRewritesOnlyTheShardAsked) {
  const std::string dir = root_ + "/appendonlydir";
  std::string error;
  {
    AofManifest m(dir, "appendonly.aof");
    ASSERT_TRUE(m.Load(&error)) << error;
    EXPECT_EQ(m.ShardsNamed(), 0);
    AofFileEntry a, b;
    ASSERT_TRUE(m.CreateFile(0, "incr", &a, &error)) << error;
    ASSERT_TRUE(m.CreateFile(1, "incr", &b, &error)) << error;
    EXPECT_EQ(a.file, "appendonly.aof.s0.1.incr.aof");
    EXPECT_EQ(b.file, "appendonly.aof.s1.2.incr.aof");
    ASSERT_TRUE(m.ReplaceShard(1, {b}, &error)) << error;
    ASSERT_TRUE(m.ReplaceShard(0, {a}, &error)) << error;
    EXPECT_EQ(Read(m.manifest_path()),
              "file appendonly.aof.s0.1.incr.aof seq 1 type i shard 0\n"
              "file appendonly.aof.s1.2.incr.aof seq 2 type i shard 1\n");
  }
  AofManifest again(dir, "appendonly.aof");
  ASSERT_TRUE(again.Load(&error)) << error;
  EXPECT_EQ(again.ShardsNamed(), 2);
  EXPECT_FALSE(again.HasForeignEntries());
  AofFileEntry c;
  ASSERT_TRUE(again.CreateFile(0, "incr", &c, &error)) << error;
  EXPECT_EQ(c.seq, 3);  // sequence numbers continue after the highest listed
  ASSERT_TRUE(again.ReplaceShard(0, {c}, &error)) << error;
  ASSERT_EQ(again.FilesOf(0).size(), 1u);
  EXPECT_EQ(again.FilesOf(0)[0].file, c.file);
  EXPECT_EQ(again.FilesOf(1).size(), 1u);
  // The file shard 0 dropped is deleted; shard 1's stays.
  EXPECT_NE(access((dir + "/appendonly.aof.s0.1.incr.aof").c_str(), F_OK), 0);
  EXPECT_EQ(access((dir + "/appendonly.aof.s1.2.incr.aof").c_str(), F_OK), 0);
}

TEST_F(AofManifestDir, AManifestRedisWroteIsForeign) {
  const std::string dir = root_ + "/appendonlydir";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  std::ofstream(dir + "/appendonly.aof.manifest")
      << "file appendonly.aof.1.base.rdb seq 1 type b\n"
         "file appendonly.aof.1.incr.aof seq 1 type i\n";
  AofManifest m(dir, "appendonly.aof");
  std::string error;
  ASSERT_TRUE(m.Load(&error)) << error;
  EXPECT_TRUE(m.HasForeignEntries());
}

}  // namespace
}  // namespace ringside::backend
