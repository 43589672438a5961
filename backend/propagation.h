// The propagation record: one canonical command per data change, in the form Redis itself
// propagates (relative expiries already made absolute). The local append-only file and the
// upstream forwarder consume the same records.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringside::backend {

struct PropagationRecord {
  int db = 0;
  std::vector<std::string> argv;
};

// RESP multibulk encoding of one command, the format of Redis's AOF and of its replication
// stream.
std::string EncodeCommand(const std::vector<std::string>& argv);
void AppendCommand(std::string* out, const std::vector<std::string_view>& argv);

}  // namespace ringside::backend
