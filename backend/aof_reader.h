// Reading an append-only file back: a pure function over the file's bytes that hands out one
// command at a time and says where and why it stopped. Loading (applying the commands to a
// shard) is the caller's business.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace ringside::backend {

struct AofScanResult {
  enum Status {
    kOk,         // every byte belonged to a complete command
    kTruncated,  // the bytes end inside a command (a crash mid-write): `offset` is its start
    kCorrupt,    // a command is malformed: `offset` is its start, `error` says what is wrong
  };
  Status status = kOk;
  size_t offset = 0;  // bytes of complete commands before the stop (== size when kOk)
  size_t commands = 0;
  std::string error;
};

// Calls `apply` with each command's arguments (views into `bytes`, valid during the call), in
// file order. Only RESP multibulk frames are accepted, as in Redis's own AOF loader. `apply`
// returns "" or why the command cannot be replayed; the scan then stops there as kCorrupt.
AofScanResult ScanAof(std::string_view bytes,
                      const std::function<std::string(std::span<const std::string_view>)>& apply);

// Whether a command name read back from a file is `lower` (given in lower case), in any case.
bool IsCommand(std::string_view name, std::string_view lower);

}  // namespace ringside::backend
