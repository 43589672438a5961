// The propagation record: one canonical command per data change, in the form Redis itself
// propagates (relative expiries already made absolute). The local append-only file and the
// upstream forwarder consume the same records.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::backend {

struct PropagationRecord {
  int db = 0;
  std::vector<std::string> argv;
};

// Where one shard's records go (the local AOF, the upstream forwarder). Called on the shard's
// own thread, once per applied write, in the order the shard applied them.
class PropagationSink {
 public:
  virtual ~PropagationSink() = default;
  // A write to database `db`, as Redis would propagate it; `argv` is valid during the call only.
  virtual void Record(int db, std::span<const std::string_view> argv) = 0;
};

// Whether a record is a flush (FLUSHALL or FLUSHDB, the names ringside records them under).
inline bool IsFlushRecord(std::string_view name) {
  return name == "FLUSHALL" || name == "FLUSHDB";
}

// RESP multibulk encoding of one command, the format of Redis's AOF and of its replication
// stream.
std::string EncodeCommand(const std::vector<std::string>& argv);
void AppendCommand(std::string* out, std::span<const std::string_view> argv);

}  // namespace ringside::backend
