#include "shards/types/set_value.h"

#include <absl/hash/hash.h>

#include <charconv>

#include "shards/absl_view.h"
#include "shards/number_text.h"

namespace ringside::shards {

// Members by position, and an index of positions hashed and compared by the member they hold,
// so a lookup by bytes finds the position without a second copy of the member.
struct SetValue::Table {
  struct Hash {
    using is_transparent = void;
    const std::vector<std::string>* members;
    size_t operator()(uint32_t i) const {
      return absl::Hash<absl::string_view>{}(AbslView((*members)[i]));
    }
    size_t operator()(std::string_view s) const {
      return absl::Hash<absl::string_view>{}(AbslView(s));
    }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<std::string>* members;
    std::string_view Of(uint32_t i) const { return (*members)[i]; }
    std::string_view Of(std::string_view s) const { return s; }
    template <class L, class R>
    bool operator()(const L& l, const R& r) const {
      return Of(l) == Of(r);
    }
  };

  std::vector<std::string> members;
  size_t string_bytes = 0;  // the heap bytes of `members`' strings, kept as they change
  absl::flat_hash_set<uint32_t, Hash, Eq> index{0, Hash{&members}, Eq{&members}};

  Table() = default;
  Table(const Table&) = delete;  // the functors point at `members`
  Table& operator=(const Table&) = delete;

  bool Add(std::string_view m) {
    if (index.contains(m)) return false;
    members.emplace_back(m);
    string_bytes += StringHeapBytes(members.back());
    index.insert(static_cast<uint32_t>(members.size() - 1));
    return true;
  }
  bool Remove(std::string_view m) {
    const auto it = index.find(m);
    if (it == index.end()) return false;
    const uint32_t pos = *it;
    const uint32_t last = static_cast<uint32_t>(members.size() - 1);
    string_bytes -= StringHeapBytes(members[pos]);
    index.erase(it);
    if (pos != last) {
      // The last member moves into the gap: its index entry is made again for its new place.
      // (A short string moved into a long one's place may leave that buffer in use.)
      string_bytes -= StringHeapBytes(members[last]);
      index.erase(last);
      members[pos] = std::move(members[last]);
      string_bytes += StringHeapBytes(members[pos]);
      index.insert(pos);
    }
    members.pop_back();
    return true;
  }
};

SetValue::SetValue() = default;
SetValue::~SetValue() = default;
SetValue::SetValue(SetValue&&) noexcept = default;
SetValue& SetValue::operator=(SetValue&&) noexcept = default;

size_t SetValue::size() const { return table_ ? table_->members.size() : ints_.size(); }

bool SetValue::Add(std::string_view member, const SetLimits& limits) {
  if (!table_) {
    int64_t v;
    if (StrictInt64(member, &v)) {
      if (!ints_.Add(v)) return false;
      if (ints_.size() > limits.max_intset_entries) ConvertToTable();
      return true;
    }
    ConvertToTable();
  }
  return table_->Add(member);
}

bool SetValue::Remove(std::string_view member) {
  if (table_) return table_->Remove(member);
  int64_t v;
  return StrictInt64(member, &v) && ints_.Remove(v);
}

bool SetValue::Contains(std::string_view member) const {
  if (table_) return table_->index.contains(member);
  int64_t v;
  return StrictInt64(member, &v) && ints_.Contains(v);
}

std::string_view SetValue::At(size_t i, std::string* buf) const {
  if (table_) return table_->members[i];
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), ints_.At(i));
  buf->assign(digits, end);
  return *buf;
}

void SetValue::ForEach(const std::function<void(std::string_view member)>& fn) const {
  std::string buf;
  for (size_t i = 0; i < size(); ++i) fn(At(i, &buf));
}

size_t SetValue::MemoryBytes() const {
  if (!table_) return ints_.bytes();
  size_t n = sizeof(Table) + table_->members.capacity() * sizeof(std::string) +
             table_->index.capacity() * (sizeof(uint32_t) + 1);
  return n + table_->string_bytes;
}

bool SetValue::AssignIntset(std::string_view bytes, const SetLimits& limits) {
  Intset ints;
  if (!ints.Assign(bytes)) return false;
  table_.reset();
  ints_ = std::move(ints);
  if (ints_.size() > limits.max_intset_entries) ConvertToTable();
  return true;
}

SetValue SetValue::Clone() const {
  SetValue out;
  if (table_) {
    // The index's functors point at their own table's members: it is built anew.
    out.table_ = std::make_unique<Table>();
    out.table_->members.reserve(table_->members.size());
    for (const std::string& m : table_->members) out.table_->Add(m);
  } else {
    out.ints_.Assign(ints_.raw());  // well-formed: it is this set's own
  }
  return out;
}

void SetValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->members.reserve(ints_.size() + 1);
  ForEach([&](std::string_view m) { table->Add(m); });
  table_ = std::move(table);
  ints_ = Intset();
}

}  // namespace ringside::shards
