// A key written the way Redis writes a key it rebuilds: SET of a string's value (with PXAT
// when it expires); a collection as HSET or SADD commands of up to kRecordBatch items each,
// then PEXPIREAT when it expires. For keys moved whole between shards (RENAME), results
// stored by gathering commands (SUNIONSTORE, ...), and AOF rewrites.
#pragma once

#include <cstddef>
#include <string_view>

#include "backend/propagation.h"
#include "shards/store.h"

namespace ringside::backend {

// Items (fields with their values, or members) per command, as in Redis's AOF rewrite.
inline constexpr size_t kRecordBatch = 64;

// Records `key` of `db` as holding entry `e` on `sink`; a null sink records nothing. With
// `replace`, a collection's records start with DEL of the key, so they replace whatever it
// held (a string's SET does so anyway); an AOF rewrite, which starts from nothing, needs none.
void RecordEntry(PropagationSink* sink, int db, std::string_view key, const shards::Entry& e,
                 bool replace);

}  // namespace ringside::backend
