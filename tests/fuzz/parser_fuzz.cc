// Fuzz target for the RESP request parser.
//
// Each input is fed three ways, as a connection would feed it: whole, in two pieces split at a
// point derived from the input's bytes, and in three pieces (one byte at a time as well for
// short inputs). Every way must yield the same commands, the same `consumed` values and the
// same final status or error. Every command must point inside its frame and must survive a
// round trip through the encoder.
//
// Built with clang's -fsanitize=fuzzer this is a libFuzzer target. Built with
// RINGSIDE_FUZZ_STANDALONE it gets its own main() that replays the seed corpus and
// deterministic mutations of it, for toolchains without libFuzzer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/writer.h"

namespace {

using ringside::resp::Limits;
using ringside::resp::Parser;
using ringside::resp::ParseResult;
using ringside::resp::ParseStatus;
using ringside::resp::Writer;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "parser_fuzz: check failed: %s\n", what);
    std::abort();
  }
}

struct Event {
  ParseStatus status;
  size_t consumed;
  std::vector<std::string> args;
  std::string error;

  bool operator==(const Event&) const = default;
};

// Encodes `args` as a client would and checks that a fresh parser reads back the same.
void CheckRoundTrip(const std::vector<std::string>& args) {
  std::string wire;
  Writer w(&wire);
  w.ArrayHeader(static_cast<int64_t>(args.size()));
  for (const auto& a : args) w.Bulk(a);
  Limits unlimited;
  unlimited.max_args = static_cast<int64_t>(args.size()) + 1;
  Parser parser(unlimited);
  std::vector<std::string_view> views;
  const ParseResult r = parser.Parse(wire, &views);
  Require(r.status == ParseStatus::kCommand, "round trip parses");
  Require(r.consumed == wire.size(), "round trip consumes the whole encoding");
  Require(views.size() == args.size(), "round trip keeps the argument count");
  for (size_t i = 0; i < args.size(); ++i) Require(views[i] == args[i], "round trip keeps bytes");
}

// Feeds `input` arriving in pieces that end at `cuts` (ascending). Each call sees a freshly
// allocated, exactly sized copy of the unconsumed bytes, so stale pointers and over-reads
// are caught by ASan. Records each command, then the final kNeedMore or kError.
std::vector<Event> Run(std::string_view input, const std::vector<size_t>& cuts,
                       const Limits& limits, bool check_round_trip) {
  Parser parser(limits);
  std::vector<Event> events;
  std::string pending;
  std::vector<std::string_view> args;
  size_t arrived = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  ParseResult last{ParseStatus::kNeedMore, 0, {}};
  for (size_t end : ends) {
    if (end < arrived || end > input.size()) continue;
    pending.append(input.substr(arrived, end - arrived));
    arrived = end;
    while (true) {
      auto copy = std::make_unique<char[]>(pending.size());
      if (!pending.empty()) std::memcpy(copy.get(), pending.data(), pending.size());
      const std::string_view data(copy.get(), pending.size());
      last = parser.Parse(data, &args);
      if (last.status != ParseStatus::kCommand) {
        Require(last.consumed == 0, "consumed is 0 unless a command was parsed");
        if (last.status == ParseStatus::kError) {
          Require(!last.error.empty(), "errors have text");
          Require(args.empty(), "no arguments with an error");
          events.push_back({last.status, 0, {}, std::string(last.error)});
          return events;
        }
        Require(args.empty(), "no arguments while more bytes are needed");
        break;
      }
      Require(last.consumed > 0 && last.consumed <= data.size(), "0 < consumed <= size");
      const bool multibulk = data[0] == '*';
      Event e{last.status, last.consumed, {}, {}};
      for (std::string_view a : args) {
        const bool inside =
            a.data() >= data.data() && a.data() + a.size() <= data.data() + last.consumed;
        // Only a quoted inline word may live outside the frame, in the parser's own storage.
        Require(inside || (!multibulk && a.size() <= last.consumed), "argument within frame");
        e.args.emplace_back(a);
      }
      if (check_round_trip) CheckRoundTrip(e.args);
      events.push_back(std::move(e));
      pending.erase(0, last.consumed);
    }
  }
  events.push_back({ParseStatus::kNeedMore, 0, {}, {}});
  return events;
}

uint64_t Fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t h = Fnv1a(data, size);

  // Small limits half the time, so that every limit is within the fuzzer's reach.
  Limits limits;
  if (h & 1) {
    limits.max_bulk_len = 64;
    limits.max_args = 8;
    limits.max_inline = 32;
  }

  const std::vector<Event> whole = Run(input, {}, limits, true);
  const size_t split = size == 0 ? 0 : (h >> 8) % (size + 1);
  Require(Run(input, {split}, limits, false) == whole, "two pieces parse like one");
  const size_t a = size == 0 ? 0 : (h >> 24) % (size + 1);
  const size_t b = size == 0 ? 0 : (h >> 44) % (size + 1);
  Require(Run(input, {std::min(a, b), std::max(a, b)}, limits, false) == whole,
          "three pieces parse like one");
  if (size <= 512) {
    std::vector<size_t> every;
    for (size_t i = 1; i < size; ++i) every.push_back(i);
    Require(Run(input, every, limits, false) == whole, "byte by byte parses like one");
  }
  return 0;
}

#ifdef RINGSIDE_FUZZ_STANDALONE
// Replays every file named on the command line (or in a directory named there), then runs
// deterministic mutations of them: `parser_fuzz [-runs=N] path...`.
#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : Next() % n; }
};

constexpr std::string_view kTokens[] = {
    "*", "$", "\r\n", "\r", "\n", "\"", "'",      "\\",     "\\x", "-1",
    "0", "1", "2",    "10", " ",  "\t", "*1\r\n", "$3\r\n", "-",   "99999999999999999999"};

std::string Mutate(std::string s, const std::vector<std::string>& seeds, Rng& rng) {
  const size_t steps = 1 + rng.Below(4);
  for (size_t i = 0; i < steps; ++i) {
    switch (rng.Below(6)) {
      case 0:
        if (!s.empty()) s[rng.Below(s.size())] = static_cast<char>(rng.Next());
        break;
      case 1:
        s.insert(rng.Below(s.size() + 1), kTokens[rng.Below(std::size(kTokens))]);
        break;
      case 2:
        if (!s.empty()) {
          const size_t at = rng.Below(s.size());
          s.erase(at, 1 + rng.Below(8));
        }
        break;
      case 3:
        if (!s.empty()) {
          const size_t at = rng.Below(s.size());
          s.insert(rng.Below(s.size() + 1), s.substr(at, 1 + rng.Below(16)));
        }
        break;
      case 4: {
        const std::string& other = seeds[rng.Below(seeds.size())];
        s = s.substr(0, rng.Below(s.size() + 1)) + other.substr(rng.Below(other.size() + 1));
        break;
      }
      default:
        s += seeds[rng.Below(seeds.size())];
        break;
    }
  }
  return s;
}

void Test(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 5000;
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("-runs=", 0) == 0) {
      runs = std::strtol(arg.c_str() + 6, nullptr, 10);
      continue;
    }
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        files.push_back(entry.path());
      }
    } else {
      files.emplace_back(arg);
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (seeds.empty()) seeds.emplace_back("*1\r\n$4\r\nPING\r\n");
  for (const auto& s : seeds) Test(s);
  Rng rng;
  for (long i = 0; i < runs; ++i) Test(Mutate(seeds[rng.Below(seeds.size())], seeds, rng));
  std::printf("parser_fuzz: %zu seeds and %ld mutations passed\n", seeds.size(), runs);
  return 0;
}
#endif
