// Differential test: every corpus file in tests/differential/corpus/ is replayed against
// ringside (--threads 4, so keys spread over four shards) and against a reference
// redis-server, one command at a time, and the raw reply bytes are compared. Each file runs
// twice: in RESP2, and in RESP3 after HELLO 3 on both connections.
//
// Corpus format (one gtest case per *.txt file, each file starts on FLUSHALLed servers over
// fresh connections, so SELECT and other connection state never leak between files):
//
//   # comment                      blank lines and lines starting with '#' are ignored
//   SET k "a b\r\n\x00"            one command per line, split like redis-cli: whitespace
//                                  separates arguments; "double quotes" understand
//                                  \n \r \t \b \a \\ \" and \xHH; 'single quotes' only \'
//   ~sorted KEYS *                 the replies are aggregates of the same type and length,
//                                  compared as multisets of elements (a map's: of pairs)
//   ~type TTL k                    only the reply type is compared (+ - : $ * and nil)
//   ~scan SCAN 0 MATCH k* COUNT 3  the cursor is iterated to 0 on each server; the sets of
//                                  returned keys are compared (an error reply: byte for byte)
//   ~big SET k 1000000*ab          like a plain line, but an argument of the form N*text is
//                                  text repeated N times (large values without huge lines)
//   ~inline SET k "a b"            the rest of the line, trimmed, is sent as it stands plus \r\n
//                                  as an inline command (the server does the splitting)
//   ~sleep 50                      pause 50 ms (only when time really has to pass)
//   ~requires LPUSH HSET           the whole file is skipped unless the server under test
//                                  knows every named command (COMMAND INFO)
//   ~args --requirepass secret     the file gets servers of its own started with these
//                                  arguments (both of them), and runs in RESP2 only
//   ~conn 2                        later commands go over connection 2 of each server (opened
//                                  on first use; connection 1 is the one a file starts on)
//   ~words ACL LIST                the replies' words are compared as multisets (for texts
//                                  whose word order is the server's hash order)
//
// A line that fails to parse fails the file. Adding a case is adding a line.
//
// RINGSIDE_TEST_TARGET=redis makes the "ringside" side a second redis-server, which checks that
// the corpus itself is deterministic.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/raw_client.h"
#include "tests/support/server_process.h"

namespace ringside::testing {
namespace {

constexpr size_t kMaxReportedMismatches = 40;
constexpr int kMaxScanRounds = 100000;

enum class Mode { kExact, kSorted, kType, kScan, kInline, kSleep, kConn, kWords };

struct Step {
  int line = 0;
  Mode mode = Mode::kExact;
  std::vector<std::string> argv;  // for kInline: the one raw line
  int sleep_ms = 0;
  int conn = 0;  // kConn: the connection to switch to (1-based)
};

struct Corpus {
  std::vector<std::string> requires_commands;
  std::vector<std::string> server_args;
  std::vector<Step> steps;
  std::vector<std::string> errors;  // parse errors, "line N: why"
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'; }

// Splits a line into arguments with redis-cli's rules. Returns nullopt on unbalanced quotes or
// a closing quote that is not followed by a space.
std::optional<std::vector<std::string>> SplitArgs(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i == s.size()) return out;
    std::string cur;
    enum { kPlain, kDouble, kSingle } quote = kPlain;
    bool done = false;
    while (!done) {
      if (quote == kDouble) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && HexValue(s[i + 2]) >= 0 &&
            HexValue(s[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(s[i + 2]) * 16 + HexValue(s[i + 3])));
          i += 4;
        } else if (s[i] == '\\' && i + 1 < s.size()) {
          char c = s[i + 1];
          switch (c) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              break;
          }
          cur.push_back(c);
          i += 2;
        } else if (s[i] == '"') {
          if (i + 1 < s.size() && !IsSpace(s[i + 1])) return std::nullopt;
          ++i;
          done = true;
        } else {
          cur.push_back(s[i++]);
        }
      } else if (quote == kSingle) {
        if (i >= s.size()) return std::nullopt;
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\'') {
          cur.push_back('\'');
          i += 2;
        } else if (s[i] == '\'') {
          if (i + 1 < s.size() && !IsSpace(s[i + 1])) return std::nullopt;
          ++i;
          done = true;
        } else {
          cur.push_back(s[i++]);
        }
      } else if (i >= s.size() || IsSpace(s[i])) {
        done = true;
      } else if (s[i] == '"') {
        quote = kDouble;
        ++i;
      } else if (s[i] == '\'') {
        quote = kSingle;
        ++i;
      } else {
        cur.push_back(s[i++]);
      }
    }
    out.push_back(std::move(cur));
  }
}

// "N*text" -> text repeated N times; any other argument unchanged.
std::string ExpandRepeat(const std::string& arg) {
  size_t star = arg.find('*');
  if (star == 0 || star == std::string::npos || star > 9) return arg;
  for (size_t i = 0; i < star; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(arg[i]))) return arg;
  }
  const size_t count = std::stoul(arg.substr(0, star));
  const std::string text = arg.substr(star + 1);
  std::string out;
  out.reserve(count * text.size());
  for (size_t i = 0; i < count; ++i) out += text;
  return out;
}

Corpus ParseCorpus(const std::filesystem::path& path) {
  Corpus corpus;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    corpus.errors.push_back("cannot open " + path.string());
    return corpus;
  }
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = raw;
    size_t start = 0;
    while (start < line.size() && IsSpace(line[start])) ++start;
    line.remove_prefix(start);
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      corpus.errors.push_back("line " + std::to_string(line_no) + ": " + why);
    };
    Step step;
    step.line = line_no;
    bool expand = false;
    if (line[0] == '~') {
      size_t end = 0;
      while (end < line.size() && !IsSpace(line[end])) ++end;
      std::string_view directive = line.substr(0, end);
      line.remove_prefix(end);
      if (directive == "~big") {
        step.mode = Mode::kExact;
        expand = true;
      } else if (directive == "~sorted") {
        step.mode = Mode::kSorted;
      } else if (directive == "~type") {
        step.mode = Mode::kType;
      } else if (directive == "~scan") {
        step.mode = Mode::kScan;
      } else if (directive == "~inline") {
        while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
        while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
        if (line.empty()) {
          fail("~inline needs a command");
        } else {
          step.mode = Mode::kInline;
          step.argv = {std::string(line) + "\r\n"};
          corpus.steps.push_back(std::move(step));
        }
        continue;
      } else if (directive == "~sleep") {
        step.mode = Mode::kSleep;
      } else if (directive == "~words") {
        step.mode = Mode::kWords;
      } else if (directive == "~args") {
        auto words = SplitArgs(line);
        if (!words || words->empty()) {
          fail("~args needs server arguments");
        } else {
          corpus.server_args.insert(corpus.server_args.end(), words->begin(), words->end());
        }
        continue;
      } else if (directive == "~conn") {
        auto words = SplitArgs(line);
        if (!words || words->size() != 1 || words->front().empty() ||
            !std::all_of(words->front().begin(), words->front().end(),
                         [](unsigned char c) { return std::isdigit(c) != 0; }) ||
            std::stoi(words->front()) < 1) {
          fail("~conn needs one connection number from 1");
        } else {
          step.mode = Mode::kConn;
          step.conn = std::stoi(words->front());
          corpus.steps.push_back(std::move(step));
        }
        continue;
      } else if (directive == "~requires") {
        auto names = SplitArgs(line);
        if (!names || names->empty()) {
          fail("~requires needs command names");
        } else {
          corpus.requires_commands.insert(corpus.requires_commands.end(), names->begin(),
                                          names->end());
        }
        continue;
      } else {
        fail("unknown directive " + std::string(directive));
        continue;
      }
    }
    auto argv = SplitArgs(line);
    if (!argv) {
      fail("unbalanced quotes");
      continue;
    }
    if (expand) {
      for (auto& arg : *argv) arg = ExpandRepeat(arg);
    }
    if (step.mode == Mode::kSleep) {
      if (argv->size() != 1 || argv->front().empty() ||
          !std::all_of(argv->front().begin(), argv->front().end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; })) {
        fail("~sleep needs one number of milliseconds");
        continue;
      }
      step.sleep_ms = std::stoi(argv->front());
    } else if (argv->empty()) {
      fail("directive without a command");
      continue;
    } else if (step.mode == Mode::kScan && argv->size() < 2) {
      fail("~scan needs a command with a cursor argument");
      continue;
    }
    step.argv = std::move(*argv);
    corpus.steps.push_back(std::move(step));
  }
  return corpus;
}

// Printable form of raw bytes for failure messages.
std::string Escape(std::string_view bytes, size_t limit = 400) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < limit; ++i) {
    unsigned char c = bytes[i];
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (bytes.size() > limit) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string CommandText(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += '"' + Escape(arg, 80) + '"';
  }
  return out;
}

// "string", "error", "integer", "bulk", "nil-bulk", "array", "nil-array" or the first byte.
std::string ReplyType(std::string_view reply) {
  if (reply.empty()) return "<closed>";
  switch (reply[0]) {
    case '+':
      return "simple-string";
    case '-':
      return "error";
    case ':':
      return "integer";
    case '$':
      return reply.substr(0, 3) == "$-1" ? "nil-bulk" : "bulk";
    case '*':
      return reply.substr(0, 3) == "*-1" ? "nil-array" : "array";
    case '_':
      return "null";
    case '%':
      return "map";
    case '~':
      return "set";
    case ',':
      return "double";
    case '#':
      return "boolean";
    case '=':
      return "verbatim";
    case '>':
      return "push";
    default:
      return "'" + Escape(reply.substr(0, 1)) + "'";
  }
}

// The reply's words (split at spaces and line ends), sorted.
std::vector<std::string> SortedWords(std::string_view reply) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : reply) {
    if (c == ' ' || c == '\r' || c == '\n') {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  std::sort(words.begin(), words.end());
  return words;
}

// Payload of a bulk string reply element ("$3\r\nabc\r\n" -> "abc").
std::string BulkPayload(std::string_view element) {
  size_t eol = element.find("\r\n");
  if (element.empty() || element[0] != '$' || eol == std::string_view::npos) {
    return std::string(element);
  }
  return std::string(element.substr(eol + 2, element.size() - eol - 4));
}

// Iterates a SCAN-like command from cursor 0 to completion. Returns the set of keys seen, as a
// printable string, or the raw reply when a round did not answer with [cursor, [keys...]].
std::string ScanToCompletion(RawClient& client, std::vector<std::string> argv) {
  std::set<std::string> keys;
  std::string cursor = "0";
  for (int round = 0; round < kMaxScanRounds; ++round) {
    argv[1] = cursor;
    std::string reply = client.Call(argv);
    auto parts = AggregateElements(reply);
    if (!parts || parts->size() != 2 || (*parts)[0].empty() || (*parts)[0][0] != '$') {
      return round == 0 ? reply : "<bad reply in round " + std::to_string(round) + ">" + reply;
    }
    auto batch = AggregateElements((*parts)[1]);
    if (!batch) return "<bad key list in round " + std::to_string(round) + ">" + reply;
    for (const auto& element : *batch) keys.insert(BulkPayload(element));
    cursor = BulkPayload((*parts)[0]);
    if (cursor == "0") {
      std::string out = "<scan complete, " + std::to_string(keys.size()) + " keys>";
      for (const auto& key : keys) out += " \"" + Escape(key, 80) + "\"";
      return out;
    }
  }
  return "<scan did not finish in " + std::to_string(kMaxScanRounds) + " rounds>";
}

std::filesystem::path CorpusDir() {
  return std::filesystem::path(RINGSIDE_SOURCE_DIR) / "tests" / "differential" / "corpus";
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(CorpusDir(), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// True when the server knows `name`: COMMAND INFO answers with a non-nil entry.
bool KnowsCommand(RawClient& client, const std::string& name) {
  std::string reply = client.Call({"COMMAND", "INFO", name});
  return reply.rfind("*1\r\n*", 0) == 0 && reply.size() > 5 && reply[5] != '-';
}

// One corpus file in one protocol.
struct CorpusRun {
  std::string file;
  int proto = 2;
};

void PrintTo(const CorpusRun& run, std::ostream* os) { *os << run.file << " RESP" << run.proto; }

class DifferentialTest : public ::testing::TestWithParam<CorpusRun> {
 protected:
  // Both servers live for the whole suite; one that died (a crash in an earlier file) is
  // started again so a crash fails one file, not all that follow.
  static void TearDownTestSuite() {
    subject_.reset();
    reference_.reset();
  }

  void SetUp() override {
    if (!subject_ || !subject_->Running()) {
      subject_ = ServerProcess::StartRingside({"--threads", "4"});
    }
    if (!reference_ || !reference_->Running()) reference_ = ServerProcess::StartRedis();
    ASSERT_TRUE(subject_ && reference_) << "could not start the servers";
  }

  static inline std::unique_ptr<ServerProcess> subject_;
  static inline std::unique_ptr<ServerProcess> reference_;
};

TEST_P(DifferentialTest, RepliesMatchRedis) {
  const std::filesystem::path path = CorpusDir() / GetParam().file;
  Corpus corpus = ParseCorpus(path);
  for (const auto& error : corpus.errors) ADD_FAILURE() << path.string() << ": " << error;
  if (!corpus.errors.empty()) return;

  // A file with server arguments gets servers of its own.
  std::unique_ptr<ServerProcess> own_subject, own_reference;
  ServerProcess* subject_server = subject_.get();
  ServerProcess* reference_server = reference_.get();
  if (!corpus.server_args.empty()) {
    if (GetParam().proto == 3) GTEST_SKIP() << "runs in RESP2 only (it has ~args)";
    std::vector<std::string> args = {"--threads", "4"};
    args.insert(args.end(), corpus.server_args.begin(), corpus.server_args.end());
    own_subject = ServerProcess::StartRingside(args);
    own_reference = ServerProcess::StartRedis(corpus.server_args);
    ASSERT_TRUE(own_subject && own_reference) << "could not start the file's servers";
    subject_server = own_subject.get();
    reference_server = own_reference.get();
  }
  // Connections by number, each opened on both servers the first time a step uses it.
  std::vector<std::unique_ptr<RawClient>> subjects, references;
  auto use = [&](int n) {
    while (static_cast<int>(subjects.size()) < n) {
      subjects.push_back(std::make_unique<RawClient>(subject_server->port()));
      references.push_back(std::make_unique<RawClient>(reference_server->port()));
    }
  };
  use(1);
  RawClient* subject_conn = subjects[0].get();
  RawClient* reference_conn = references[0].get();
  ASSERT_TRUE(subject_conn->connected() && reference_conn->connected());
  for (const auto& name : corpus.requires_commands) {
    if (!KnowsCommand(*subject_conn, name)) {
      GTEST_SKIP() << GetParam().file << " needs " << name
                   << ", which the server does not know yet";
    }
  }
  if (GetParam().proto == 3) {
    // The HELLO replies name each server (version, id), so only their type is compared.
    ASSERT_EQ(subject_conn->Call({"HELLO", "3"}).substr(0, 1), "%");
    ASSERT_EQ(reference_conn->Call({"HELLO", "3"}).substr(0, 1), "%");
  }
  if (corpus.server_args.empty()) {
    ASSERT_EQ(subject_conn->Call({"FLUSHALL"}), "+OK\r\n");
    ASSERT_EQ(reference_conn->Call({"FLUSHALL"}), "+OK\r\n");
  }

  size_t mismatches = 0;
  for (const Step& step : corpus.steps) {
    if (step.mode == Mode::kSleep) {
      std::this_thread::sleep_for(std::chrono::milliseconds(step.sleep_ms));
      continue;
    }
    if (step.mode == Mode::kConn) {
      use(step.conn);
      subject_conn = subjects[static_cast<size_t>(step.conn - 1)].get();
      reference_conn = references[static_cast<size_t>(step.conn - 1)].get();
      continue;
    }
    RawClient& subject = *subject_conn;
    RawClient& reference = *reference_conn;
    std::string want;
    std::string got;
    std::string what = "bytes";
    if (step.mode == Mode::kScan) {
      got = ScanToCompletion(subject, step.argv);
      want = ScanToCompletion(reference, step.argv);
      what = "scanned keys";
    } else if (step.mode == Mode::kInline) {
      subject.SendRaw(step.argv.front());
      reference.SendRaw(step.argv.front());
      got = subject.ReadReply().value_or("");
      want = reference.ReadReply().value_or("");
    } else {
      got = subject.Call(step.argv);
      want = reference.Call(step.argv);
    }
    bool same = got == want;
    if (step.mode == Mode::kSorted) {
      auto got_elements = SortedAggregate(got);
      auto want_elements = SortedAggregate(want);
      // The aggregate's type and length must match too (a set is not an array).
      if (got_elements && want_elements) {
        same = got.substr(0, got.find("\r\n")) == want.substr(0, want.find("\r\n")) &&
               *got_elements == *want_elements;
      }
      what = "sorted elements";
    } else if (step.mode == Mode::kWords) {
      same = SortedWords(got) == SortedWords(want);
      what = "words";
    } else if (step.mode == Mode::kType) {
      same = ReplyType(got) == ReplyType(want);
      what = "reply type (" + ReplyType(want) + " vs " + ReplyType(got) + ")";
    }
    if (!same) {
      ++mismatches;
      if (mismatches <= kMaxReportedMismatches) {
        ADD_FAILURE_AT(path.c_str(), step.line)
            << "mismatch in " << what << "\n  command:  " << CommandText(step.argv)
            << "\n  redis:    \"" << Escape(want) << "\"\n  ringside: \"" << Escape(got) << "\"";
      }
    }
    if (got.empty() && !want.empty()) {
      // Everything after a dropped connection would mismatch too; one failure says it all.
      if (subject_server->Running()) {
        ADD_FAILURE_AT(path.c_str(), step.line) << "the server under test closed the connection";
      } else {
        ADD_FAILURE_AT(path.c_str(), step.line) << "the server under test exited; output:\n"
                                                << subject_server->Output();
      }
      return;
    }
    // Both closed the connection (a killed client): later steps on it compare "" with "".
    ASSERT_TRUE(!want.empty() || got.empty())
        << "redis-server closed the connection at line " << step.line;
  }
  if (mismatches > kMaxReportedMismatches) {
    ADD_FAILURE() << GetParam().file << ": " << mismatches << " mismatches in all, first "
                  << kMaxReportedMismatches << " shown";
  }
}

std::vector<CorpusRun> CorpusRuns() {
  std::vector<CorpusRun> runs;
  for (int proto : {2, 3}) {
    for (const std::string& file : CorpusFiles()) runs.push_back({file, proto});
  }
  return runs;
}

std::string TestName(const ::testing::TestParamInfo<CorpusRun>& info) {
  std::string name = std::filesystem::path(info.param.file).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + (info.param.proto == 3 ? "_resp3" : "");
}

INSTANTIATE_TEST_SUITE_P(Corpus, DifferentialTest, ::testing::ValuesIn(CorpusRuns()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DifferentialTest);

// The corpus reader itself, so a format bug does not silently weaken every comparison.
TEST(DifferentialCorpusFormat, SplitsLikeRedisCli) {
  using Args = std::vector<std::string>;
  EXPECT_EQ(SplitArgs("SET  k   v"), (Args{"SET", "k", "v"}));
  EXPECT_EQ(SplitArgs(R"(SET "a b" "")"), (Args{"SET", "a b", ""}));
  EXPECT_EQ(SplitArgs(R"(X "\r\n\t\x00\xff\"\\")"),
            (Args{"X", std::string("\r\n\t\0\xff\"\\", 7)}));
  EXPECT_EQ(SplitArgs(R"(X 'it\'s \n')"), (Args{"X", "it's \\n"}));
  EXPECT_EQ(SplitArgs(R"(X "\xzz")"), (Args{"X", "xzz"}));
  EXPECT_EQ(SplitArgs(""), Args{});
  EXPECT_FALSE(SplitArgs(R"(X "open)"));
  EXPECT_FALSE(SplitArgs(R"(X "a"b)"));
  EXPECT_FALSE(SplitArgs("X 'open"));
  EXPECT_EQ(ExpandRepeat("3*ab"), "ababab");
  EXPECT_EQ(ExpandRepeat("0*ab"), "");
  EXPECT_EQ(ExpandRepeat("*ab"), "*ab");
  EXPECT_EQ(ExpandRepeat("x3*ab"), "x3*ab");
}

TEST(DifferentialCorpusFormat, ComparesShapes) {
  auto elements = AggregateElements("*2\r\n$1\r\na\r\n*1\r\n:1\r\n");
  ASSERT_TRUE(elements);
  EXPECT_EQ(*elements, (std::vector<std::string>{"$1\r\na\r\n", "*1\r\n:1\r\n"}));
  EXPECT_FALSE(AggregateElements("*2\r\n$1\r\na\r\n"));
  EXPECT_EQ(ReplyType("$-1\r\n"), "nil-bulk");
  EXPECT_EQ(ReplyType(":5\r\n"), "integer");
  EXPECT_EQ(ReplyType("_\r\n"), "null");
  auto map = AggregateElements("%1\r\n$1\r\nk\r\n:1\r\n");
  ASSERT_TRUE(map);
  EXPECT_EQ(*map, (std::vector<std::string>{"$1\r\nk\r\n", ":1\r\n"}));
  EXPECT_EQ(BulkPayload("$3\r\nabc\r\n"), "abc");
}

TEST(DifferentialCorpusFormat, CorpusFilesParse) {
  auto files = CorpusFiles();
  EXPECT_FALSE(files.empty()) << "no corpus in " << CorpusDir();
  for (const auto& file : files) {
    Corpus corpus = ParseCorpus(CorpusDir() / file);
    EXPECT_TRUE(corpus.errors.empty()) << file << ": " << corpus.errors.front();
    EXPECT_FALSE(corpus.steps.empty()) << file;
  }
}

}  // namespace
}  // namespace ringside::testing
