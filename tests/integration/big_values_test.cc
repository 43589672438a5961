// Big values (the BigBulk ingest path) through pipelines and concurrent uploads, on keys owned
// by every shard: replies in order, values byte for byte.

#include <map>
#include <random>
#include <string>
#include <thread>

#include "tests/support/integration_fixture.h"
#include "tests/support/paced_client.h"

namespace ringside::testing {
namespace {

constexpr int kShards = 4;
const Reply kOk = Status("OK");

std::string KeyOnShard(const std::string& prefix, int shard) {
  return ::ringside::testing::KeyOnShard(prefix, shard, kShards);
}

using BigValuesTest = FourShardTest;

TEST_F(BigValuesTest, PipelineOfBigAndSmallCommandsOnEveryShard) {
  std::vector<std::vector<std::string>> commands;
  std::vector<Reply> expected;
  std::map<std::string, std::string> values;
  for (int round = 0; round < 3; ++round) {
    for (int shard = 0; shard < kShards; ++shard) {
      const std::string key = KeyOnShard("big" + std::to_string(round) + "-", shard);
      const size_t size = (512u << 10) + static_cast<size_t>(round * 4 + shard) * 77777;
      values[key] = Pattern(size, static_cast<uint32_t>(round * 10 + shard));
      commands.push_back({"INCR", "small:counter"});
      expected.push_back(Int(static_cast<int64_t>(commands.size() / 4 + 1)));
      commands.push_back({"SET", key, values[key]});
      expected.push_back(kOk);
      commands.push_back({"STRLEN", key});
      expected.push_back(Int(static_cast<int64_t>(size)));
      commands.push_back({"GET", KeyOnShard("missing-", (shard + 1) % kShards)});
      expected.push_back(Nil());
    }
  }
  for (const auto& argv : commands) client().Append(argv);
  for (size_t i = 0; i < commands.size(); ++i) {
    const Reply got = client().GetReply();
    ASSERT_EQ(got, expected[i]) << "reply " << i << " to " << commands[i][0];
  }
  for (const auto& [key, value] : values) {
    const Reply got = Cmd({"GET", key});
    ASSERT_EQ(got.type, Reply::Type::kBulk) << key;
    EXPECT_TRUE(got.str == value) << key << ": " << got.str.size() << " bytes back, "
                                  << value.size() << " sent, or different content";
  }
}

TEST_F(BigValuesTest, ConcurrentUploadsToKeysOfOtherShards) {
  constexpr int kUploaders = 6;
  constexpr int kValuesEach = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> problems(kUploaders);
  for (int t = 0; t < kUploaders; ++t) {
    threads.emplace_back([&, t] {
      RawClient raw(port());
      for (int i = 0; i < kValuesEach; ++i) {
        const std::string key =
            KeyOnShard("up" + std::to_string(t) + "-" + std::to_string(i) + "-", (t + i) % kShards);
        const std::string value = Pattern((2u << 20) + static_cast<size_t>(t * 1000 + i),
                                          static_cast<uint32_t>(t * 100 + i));
        // Sent in uneven pieces so the value arrives over many reads.
        const std::string frame = EncodeCommand({"SET", key, value});
        for (size_t pos = 0; pos < frame.size(); pos += 65521) {
          raw.SendRaw(std::string_view(frame).substr(pos, 65521));
        }
        const auto reply = raw.ReadReply(std::chrono::seconds(30));
        if (reply != "+OK\r\n") {
          problems[t] = "SET " + key + " -> " + reply.value_or("<nothing>");
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& p : problems) EXPECT_EQ(p, "");
  for (int t = 0; t < kUploaders; ++t) {
    for (int i = 0; i < kValuesEach; ++i) {
      const std::string key =
          KeyOnShard("up" + std::to_string(t) + "-" + std::to_string(i) + "-", (t + i) % kShards);
      const Reply got = Cmd({"GET", key});
      ASSERT_EQ(got.type, Reply::Type::kBulk) << key;
      EXPECT_TRUE(got.str == Pattern((2u << 20) + static_cast<size_t>(t * 1000 + i),
                                     static_cast<uint32_t>(t * 100 + i)))
          << key << " came back different (" << got.str.size() << " bytes)";
    }
  }
  EXPECT_EQ(Cmd({"DBSIZE"}), Int(kUploaders * kValuesEach));
}

TEST_F(BigValuesTest, BigValueCommandsOtherThanSet) {
  const std::string a = KeyOnShard("a", 0);
  const std::string b = KeyOnShard("b", 3);
  const std::string value = Pattern(3u << 20, 42);
  EXPECT_EQ(Cmd({"MSET", a, value, b, value}), kOk);
  EXPECT_EQ(Cmd({"APPEND", a, value}), Int(static_cast<int64_t>(2 * value.size())));
  EXPECT_EQ(Cmd({"GETSET", b, "small"}), Bulk(value));
  EXPECT_EQ(Cmd({"SETRANGE", b, "1000000", value}),
            Int(static_cast<int64_t>(1000000 + value.size())));
  EXPECT_EQ(Cmd({"GETRANGE", b, "1000000", "1000009"}), Bulk(value.substr(0, 10)));
  EXPECT_EQ(Cmd({"ECHO", value}), Bulk(value));
  const Reply got = Cmd({"GETDEL", a});
  EXPECT_TRUE(got.type == Reply::Type::kBulk && got.str == value + value);
  EXPECT_EQ(Cmd({"EXISTS", a}), Int(0));
}

}  // namespace
}  // namespace ringside::testing
