// A set's members, in Redis 7.0's two encodings: an intset while every member is an integer
// (as Redis reads one) and there are at most set-max-intset-entries of them, and a table
// otherwise, converted as Redis converts (and, like Redis, never back while it lives).
//
// The table keeps its members in a vector with a hash index of positions, so a random member
// (SPOP, SRANDMEMBER) is one draw, and a removal moves the last member into the gap.
//
// Not thread-safe; owned by one shard.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shards/types/intset.h"

namespace ringside::shards {

// set-max-intset-entries, with Redis's default.
struct SetLimits {
  size_t max_intset_entries = 512;
};

class SetValue {
 public:
  enum class Encoding { kIntset, kTable };

  SetValue();
  ~SetValue();
  SetValue(SetValue&&) noexcept;
  SetValue& operator=(SetValue&&) noexcept;

  Encoding encoding() const { return table_ ? Encoding::kTable : Encoding::kIntset; }
  size_t size() const;
  bool empty() const { return size() == 0; }

  // True when `member` is new.
  bool Add(std::string_view member, const SetLimits& limits);
  // True when it was there.
  bool Remove(std::string_view member);
  bool Contains(std::string_view member) const;
  // The i-th member (0 <= i < size()): ascending in an intset, in no set order in a table.
  // An integer member is written into *buf. Valid until the next change.
  std::string_view At(size_t i, std::string* buf) const;
  // Every member, in At's order.
  void ForEach(const std::function<void(std::string_view member)>& fn) const;
  // The heap bytes the set takes, for memory accounting.
  size_t MemoryBytes() const;
  // Takes an intset in Redis's format (RESTORE): false, with *this unchanged, when it is not
  // well-formed. Converts to a table when it is past `limits`, as Redis does when it loads one.
  bool AssignIntset(std::string_view bytes, const SetLimits& limits);
  // A copy with the same encoding (COPY).
  SetValue Clone() const;
  // The intset, while that is the encoding (DUMP writes it as it is).
  const Intset& intset() const { return ints_; }

 private:
  struct Table;
  void ConvertToTable();

  Intset ints_;
  std::unique_ptr<Table> table_;
};

}  // namespace ringside::shards
