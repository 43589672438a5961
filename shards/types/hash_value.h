// A hash's fields and values, in Redis 7.0's two encodings: a listpack (field, value, field,
// value, ...) while the hash is small, and a hash table once it has more than
// hash-max-listpack-entries fields or a field or value longer than hash-max-listpack-value
// bytes, as Redis converts it (and, like Redis, never back while it lives).
//
// Not thread-safe; owned by one shard.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "shards/types/listpack.h"

namespace ringside::shards {

// hash-max-listpack-entries and hash-max-listpack-value, with Redis's defaults.
struct HashLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

class HashValue {
 public:
  enum class Encoding { kListpack, kTable };

  HashValue() = default;
  HashValue(HashValue&&) noexcept = default;
  HashValue& operator=(HashValue&&) noexcept = default;

  Encoding encoding() const { return table_ ? Encoding::kTable : Encoding::kListpack; }
  size_t size() const { return table_ ? table_->map.size() : lp_.size() / 2; }
  bool empty() const { return size() == 0; }

  // Sets `field` to `value`, converting to a table first when the hash outgrows `limits`.
  // True when the field is new.
  bool Set(std::string_view field, std::string_view value, const HashLimits& limits);
  // The value of `field`: a view into the hash, or into *buf for a number the listpack holds
  // as an integer; valid until the next change. False when there is no such field.
  bool Get(std::string_view field, std::string* buf, std::string_view* value) const;
  bool Contains(std::string_view field) const;
  // True when the field was there.
  bool Erase(std::string_view field);
  // Every field and value, in the hash's own order (the listpack's, or the table's).
  void ForEach(const std::function<void(std::string_view field, std::string_view value)>& fn) const;
  // The heap bytes the hash takes, for memory accounting; O(1).
  size_t MemoryBytes() const;
  // Takes a listpack in Redis's format (RESTORE): false, with *this unchanged, when it is not
  // well-formed or its fields are not pairs of distinct fields and values. Converts to a table
  // when it is past `limits`, as Redis does when it loads one.
  bool AssignListpack(std::string_view bytes, const HashLimits& limits);
  // A copy with the same encoding (COPY).
  HashValue Clone() const;
  // The listpack, while that is the encoding (DUMP writes it as it is).
  const Listpack& listpack() const { return lp_; }

 private:
  // The table, with the heap bytes its strings hold kept as they change, so MemoryBytes is
  // O(1) whatever the hash's size.
  struct Table {
    absl::flat_hash_map<std::string, std::string> map;
    size_t string_bytes = 0;
  };
  void ConvertToTable();

  Listpack lp_;
  std::unique_ptr<Table> table_;
};

}  // namespace ringside::shards
