// What the Op* functions of shards/ share: the outcome of an operation on a key, with the
// value it produced. Op functions run on the key's owner, change the store and account for
// what they changed; they never write replies and never touch another shard. The command
// families turn their results into replies and records.
#pragma once

#include <cstdint>
#include <string_view>

#include "shards/store.h"

namespace ringside::shards {

enum class OpStatus : uint8_t {
  kOk,
  kWrongType,   // the key holds a value of another type
  kNotInteger,  // a stored value the operation reads as an integer is not one
  kNotFloat,    // a stored value the operation reads as a float is not one
  kOverflow,    // the result does not fit a 64-bit integer
  kNanOrInf,    // the result would not be a finite number
  kNoSuchKey,   // the operation needs the key to exist (LSET)
  kOutOfRange,  // an index past the value's end (LSET)
};

template <class T>
struct OpResult {
  OpStatus status = OpStatus::kOk;
  T value{};

  OpResult() = default;
  OpResult(OpStatus s) : status(s) {}     // NOLINT: an error converts implicitly
  OpResult(T v) : value(std::move(v)) {}  // NOLINT: so does a value
  bool ok() const { return status == OpStatus::kOk; }
};

// The entry of `key` when it holds a `type` value, null (with kOk) when the key is absent, and
// kWrongType when it holds another type. `read` counts a keyspace hit or miss.
OpResult<Entry*> OpFind(Store& store, int db, std::string_view key, ObjType type, bool read);

}  // namespace ringside::shards
