// Running a command's key parts on their shard once read-through knows each key: the
// handler here, or, for a key that holds another type upstream, the part passed to the
// upstream and its reply relayed (read_through.cc). For a command, or key groups of one,
// that could not run at once because a key is being loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/command.h"
#include "proxy/owned_args.h"
#include "resp/writer.h"

namespace ringside::proxy {

class Worker;

// One key's part of a command, for read-through (read_through.cc): the whole command
// (args[start..start+count), its key at args[key]), or one key group of a multi-key command
// (args[0] followed by args[start..start+count), its key first).
struct KeyPart {
  uint32_t start = 0;
  uint32_t count = 0;
  uint32_t key = 0;
  bool group = false;
  static KeyPart Whole(size_t argc, int first_key) {
    return {0, static_cast<uint32_t>(argc), static_cast<uint32_t>(first_key), false};
  }
  static KeyPart Group(size_t start, size_t step) {
    return {static_cast<uint32_t>(start), static_cast<uint32_t>(step), static_cast<uint32_t>(start),
            true};
  }
};

// Whether every part may run now (KeyReady for each).
bool PartsReady(Worker& w, const CommandRow& row, int db, std::span<const std::string_view> args,
                std::span<const KeyPart> parts);
// Runs the parts of one command of `row` on this shard, each once its key is known here:
// the handler, or, for a key that holds another type upstream, the part passed to the
// upstream and its reply relayed. `done` gets the replies in part order, here, possibly
// before RunParts returns. `args` holds the command's arguments.
using PartsDone = std::function<void(Worker& w, std::vector<resp::Output>& replies)>;
void RunParts(Worker& w, const CommandRow& row, int db, resp::Protocol proto, const Caller& who,
              std::shared_ptr<OwnedArgs> args, std::vector<KeyPart> parts, PartsDone done);

}  // namespace ringside::proxy
