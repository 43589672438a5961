// ScanAof: commands come back in order, and a stop says where and why: a cut-off tail is
// kTruncated at the start of the cut command, bad bytes are kCorrupt at the start of theirs.
#include "backend/aof_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/propagation.h"

namespace ringside::backend {
namespace {

struct Scan {
  AofScanResult result;
  std::vector<std::vector<std::string>> commands;
};

Scan ScanAll(std::string_view bytes, std::string refuse = "") {
  Scan s;
  s.result = ScanAof(bytes, [&](std::span<const std::string_view> args) -> std::string {
    if (!refuse.empty() && args[0] == refuse) return "refused " + refuse;
    s.commands.emplace_back(args.begin(), args.end());
    return "";
  });
  return s;
}

const std::string kSelect = EncodeCommand({"SELECT", "0"});
const std::string kSet = EncodeCommand({"SET", "k", "v\r\nwith CRLF", "PXAT", "1795506380048"});
const std::string kDel = EncodeCommand({"DEL", "k"});

TEST(AofReader, ReadsEveryCommandInOrder) {
  const Scan s = ScanAll(kSelect + kSet + kDel);
  EXPECT_EQ(s.result.status, AofScanResult::kOk);
  EXPECT_EQ(s.result.offset, kSelect.size() + kSet.size() + kDel.size());
  EXPECT_EQ(s.result.commands, 3u);
  ASSERT_EQ(s.commands.size(), 3u);
  EXPECT_EQ(s.commands[1][2], "v\r\nwith CRLF");
  EXPECT_EQ(s.commands[2], (std::vector<std::string>{"DEL", "k"}));
  EXPECT_EQ(ScanAll("").result.status, AofScanResult::kOk);
}

TEST(AofReader, EveryCutInsideTheLastCommandIsATruncatedTail) {
  const std::string whole = kSelect + kSet + kDel;
  const size_t last = kSelect.size() + kSet.size();
  for (size_t cut = last + 1; cut < whole.size(); ++cut) {
    const Scan s = ScanAll(std::string_view(whole).substr(0, cut));
    EXPECT_EQ(s.result.status, AofScanResult::kTruncated) << cut;
    EXPECT_EQ(s.result.offset, last) << cut;
    EXPECT_EQ(s.commands.size(), 2u) << cut;
  }
}

TEST(AofReader, BadBytesAreCorruptionAtTheStartOfTheirCommand) {
  std::string bad = kSelect + kSet + kDel;
  bad[kSelect.size()] = 'x';  // the '*' of the SET
  Scan s = ScanAll(bad);
  EXPECT_EQ(s.result.status, AofScanResult::kCorrupt);
  EXPECT_EQ(s.result.offset, kSelect.size());
  EXPECT_EQ(s.commands.size(), 1u);

  bad = kSelect + kSet + kDel;
  bad[kSelect.size() + 4] = 'x';  // the '$' of the SET's first argument
  s = ScanAll(bad);
  EXPECT_EQ(s.result.status, AofScanResult::kCorrupt);
  EXPECT_EQ(s.result.offset, kSelect.size());
  EXPECT_FALSE(s.result.error.empty());

  // Inline commands are a client convenience, never part of an AOF.
  s = ScanAll(kSelect + "SET k v\r\n");
  EXPECT_EQ(s.result.status, AofScanResult::kCorrupt);
  EXPECT_EQ(s.result.offset, kSelect.size());
}

TEST(AofReader, ACommandTheCallerRefusesStopsTheScanThere) {
  const Scan s = ScanAll(kSelect + kSet + kDel, "DEL");
  EXPECT_EQ(s.result.status, AofScanResult::kCorrupt);
  EXPECT_EQ(s.result.offset, kSelect.size() + kSet.size());
  EXPECT_EQ(s.result.error, "refused DEL");
}

}  // namespace
}  // namespace ringside::backend
