// List operations (see shards/ops.h): the writes of the list commands on one key. Reads go
// through OpFind and ListValue directly. A list emptied by an operation is deleted, as in
// Redis.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shards/ops.h"

namespace ringside::shards {

enum class ListEnd : uint8_t { kHead, kTail };

// Pushes `values` one by one at `end` (so LPUSH a b c leaves c first), creating the list when
// the key is absent unless `only_existing` (LPUSHX/RPUSHX: then 0 and nothing is created).
// The list's length afterwards.
OpResult<int64_t> OpPush(Store& store, int db, std::string_view key, ListEnd end,
                         std::span<const std::string_view> values, bool only_existing);
// Removes up to `count` elements from `end`, in the order they came off; none when the key is
// absent.
OpResult<std::vector<std::string>> OpPop(Store& store, int db, std::string_view key, ListEnd end,
                                         size_t count);
// Replaces the element at `index` (negative counts from the tail). kNoSuchKey when the key is
// absent, kOutOfRange when the index is past either end.
OpResult<bool> OpLSet(Store& store, int db, std::string_view key, int64_t index,
                      std::string_view value);
// Keeps the elements from `start` to `stop` (inclusive, negative from the tail, as LRANGE
// reads them), deleting the key when none is left.
OpResult<bool> OpLTrim(Store& store, int db, std::string_view key, int64_t start, int64_t stop);
// Removes elements equal to `value` (see ListValue::Remove); the number removed.
OpResult<int64_t> OpLRem(Store& store, int db, std::string_view key, int64_t count,
                         std::string_view value);
// Inserts `value` before (or `after`) the first element equal to `pivot`: the new length, -1
// when no element is the pivot, 0 when the key is absent.
OpResult<int64_t> OpLInsert(Store& store, int db, std::string_view key, bool after,
                            std::string_view pivot, std::string_view value);

// The inclusive range [start, stop] of a list of `size` elements, with Redis's clamping of
// negative and overlong indices; false when it is empty.
bool ClampRange(int64_t size, int64_t* start, int64_t* stop);

}  // namespace ringside::shards
