#include "backend/entry_record.h"

#include <string>

namespace ringside::backend {

void RecordEntryAsSet(PropagationSink* sink, int db, std::string_view key, const shards::Entry& e) {
  if (sink == nullptr) return;
  if (e.expire_at == shards::kNoExpiry) {
    const std::string_view argv[] = {"SET", key, e.value()};
    sink->Record(db, argv);
    return;
  }
  const std::string when = std::to_string(e.expire_at);
  const std::string_view argv[] = {"SET", key, e.value(), "PXAT", when};
  sink->Record(db, argv);
}

}  // namespace ringside::backend
