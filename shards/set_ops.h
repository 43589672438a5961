// Set operations (see shards/ops.h): the writes of the set commands, random members, and the
// set algebra of SINTER, SUNION and SDIFF over sets gathered from any shard. Reads go through
// OpFind and SetValue directly. A set emptied by an operation is deleted, as in Redis.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shards/ops.h"

namespace ringside::shards {

// Adds `members`, creating the set when the key is absent; the number that were new.
OpResult<int64_t> OpSAdd(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> members);
// Removes `members`; the number that were there.
OpResult<int64_t> OpSRem(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> members);
// Removes and returns up to `count` members picked at random (all of them, and the key, when
// count is at least the set's size).
OpResult<std::vector<std::string>> OpSPop(Store& store, int db, std::string_view key, size_t count);
// SRANDMEMBER's picks: `count` >= 0 distinct members (the whole set when it has no more),
// count < 0 that many members drawn independently.
std::vector<std::string> RandomMembers(Store& store, const SetValue& set, int64_t count);
// Moves `member` from `src` to `dst` (both owned by this store); true when it was in src.
// False when src is absent; else kWrongType when either key holds another type.
OpResult<bool> OpSMove(Store& store, int db, std::string_view src, std::string_view dst,
                       std::string_view member);

enum class SetAlgebra : uint8_t { kUnion, kInter, kDiff };
// SUNION, SINTER or SDIFF of `inputs` in argument order (null for an absent key), as a new set
// built the way Redis builds a *STORE result: an intset while the members allow.
SetValue ComputeSet(SetAlgebra op, std::span<const SetValue* const> inputs,
                    const SetLimits& limits);
// SINTERCARD: the intersection's size, counting no further than `limit` (0: no limit).
size_t InterCard(std::span<const SetValue* const> inputs, size_t limit);
// A copy of `set`, for taking it to another shard.
SetValue CopySet(const SetValue& set);
// Stores `result` as `key` (replacing whatever it held; an empty result deletes the key);
// returns its size.
int64_t OpStoreSet(Store& store, int db, std::string_view key, SetValue result);

}  // namespace ringside::shards
