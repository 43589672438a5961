// A key written the way Redis writes a key it rebuilds: SET of the value, with PXAT when it
// expires. For keys moved whole between shards (RENAME) and for AOF rewrites.
#pragma once

#include <string_view>

#include "backend/propagation.h"
#include "shards/store.h"

namespace ringside::backend {

// Records `key` of `db` as holding entry `e` on `sink`; a null sink records nothing.
void RecordEntryAsSet(PropagationSink* sink, int db, std::string_view key, const shards::Entry& e);

}  // namespace ringside::backend
