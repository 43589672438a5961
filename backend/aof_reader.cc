#include "backend/aof_reader.h"

#include <cctype>
#include <cstdint>
#include <vector>

// The AOF is the client protocol written down, so the client protocol's parser (a library of
// its own, with no I/O) reads it.
#include "resp/parser.h"

namespace ringside::backend {

AofScanResult ScanAof(std::string_view bytes,
                      const std::function<std::string(std::span<const std::string_view>)>& apply) {
  resp::Limits limits;
  limits.max_bulk_len = INT64_MAX / 2;
  resp::Parser parser(limits);
  std::vector<std::string_view> args;
  AofScanResult result;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const std::string_view rest = bytes.substr(pos);
    if (rest[0] != '*') {
      result.status = AofScanResult::kCorrupt;
      result.error = "expected '*' at the start of a command";
      break;
    }
    const resp::ParseResult r = parser.Parse(rest, &args);
    if (r.status == resp::ParseStatus::kNeedMore) {
      result.status = AofScanResult::kTruncated;
      break;
    }
    if (r.status == resp::ParseStatus::kError) {
      result.status = AofScanResult::kCorrupt;
      result.error = std::string(r.error);
      break;
    }
    if (!args.empty()) {
      std::string refused = apply(args);
      if (!refused.empty()) {
        result.status = AofScanResult::kCorrupt;
        result.error = std::move(refused);
        break;
      }
      ++result.commands;
    }
    pos += r.consumed;
  }
  result.offset = pos;
  return result;
}

bool IsCommand(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
  }
  return true;
}

}  // namespace ringside::backend
