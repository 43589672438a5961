// Hash operations (see shards/ops.h): the writes of the hash commands. Reads go through
// OpFind and HashValue directly. A hash emptied by an operation is deleted, as in Redis.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shards/ops.h"

namespace ringside::shards {

// Sets each (field, value) of `pairs`, creating the hash when the key is absent; the number
// of fields that were new.
OpResult<int64_t> OpHSet(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> pairs);
// Sets `field` only when the hash lacks it; true when it was set.
OpResult<bool> OpHSetNx(Store& store, int db, std::string_view key, std::string_view field,
                        std::string_view value);
// Removes `fields`; the number that were there.
OpResult<int64_t> OpHDel(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> fields);
// Adds `delta` to the integer in `field` (0 when absent); the new value. kNotInteger when the
// field holds something else, kOverflow when the sum does not fit.
OpResult<int64_t> OpHIncrBy(Store& store, int db, std::string_view key, std::string_view field,
                            int64_t delta);
// Adds `delta` to the long double in `field` (0 when absent); the new value as stored, in
// Redis's text for it. kNotFloat when the field holds something else, kNanOrInf when the sum
// is not finite.
OpResult<std::string> OpHIncrByFloat(Store& store, int db, std::string_view key,
                                     std::string_view field, long double delta);

}  // namespace ringside::shards
