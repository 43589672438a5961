#include "shards/types/hash_value.h"

#include <algorithm>
#include <vector>

#include "shards/absl_view.h"

namespace ringside::shards {

bool HashValue::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (!table_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    auto [it, inserted] = table_->map.try_emplace(AbslView(field));
    const size_t before = inserted ? 0 : StringHeapBytes(it->second);
    it->second.assign(value);
    table_->string_bytes += StringHeapBytes(it->second) - before;
    if (inserted) table_->string_bytes += StringHeapBytes(it->first);
    return inserted;
  }
  const Listpack::Pos p = lp_.Find(field, lp_.First(), 2);
  if (p != lp_.End()) {
    lp_.Replace(lp_.Next(p), value);
    return false;
  }
  lp_.Append(field);
  lp_.Append(value);
  if (lp_.size() / 2 > limits.max_listpack_entries) ConvertToTable();
  return true;
}

bool HashValue::Get(std::string_view field, std::string* buf, std::string_view* value) const {
  if (table_) {
    const auto it = table_->map.find(AbslView(field));
    if (it == table_->map.end()) return false;
    *value = it->second;
    return true;
  }
  const Listpack::Pos p = lp_.Find(field, lp_.First(), 2);
  if (p == lp_.End()) return false;
  *value = lp_.Get(lp_.Next(p)).View(buf);
  return true;
}

bool HashValue::Contains(std::string_view field) const {
  if (table_) return table_->map.contains(AbslView(field));
  return lp_.Find(field, lp_.First(), 2) != lp_.End();
}

bool HashValue::Erase(std::string_view field) {
  if (table_) {
    const auto it = table_->map.find(AbslView(field));
    if (it == table_->map.end()) return false;
    table_->string_bytes -= StringHeapBytes(it->first) + StringHeapBytes(it->second);
    table_->map.erase(it);
    return true;
  }
  const Listpack::Pos p = lp_.Find(field, lp_.First(), 2);
  if (p == lp_.End()) return false;
  lp_.Erase(p, 2);
  return true;
}

void HashValue::ForEach(
    const std::function<void(std::string_view field, std::string_view value)>& fn) const {
  if (table_) {
    for (const auto& [f, v] : table_->map) fn(f, v);
    return;
  }
  std::string fbuf, vbuf;
  for (Listpack::Pos p = lp_.First(); p != lp_.End();) {
    const Listpack::Pos v = lp_.Next(p);
    fn(lp_.Get(p).View(&fbuf), lp_.Get(v).View(&vbuf));
    p = lp_.Next(v);
  }
}

size_t HashValue::MemoryBytes() const {
  if (!table_) return lp_.bytes();
  using Slot = std::pair<const std::string, std::string>;
  return sizeof(Table) + table_->map.capacity() * (sizeof(Slot) + 1) + table_->string_bytes;
}

bool HashValue::AssignListpack(std::string_view bytes, const HashLimits& limits) {
  Listpack lp;
  if (!lp.Assign(bytes) || lp.size() % 2 != 0) return false;
  bool too_long = false;
  std::vector<std::string> fields;
  std::string buf;
  for (Listpack::Pos p = lp.First(); p != lp.End(); p = lp.Next(lp.Next(p))) {
    const std::string_view f = lp.Get(p).View(&buf);
    std::string vbuf;
    const std::string_view v = lp.Get(lp.Next(p)).View(&vbuf);
    too_long =
        too_long || f.size() > limits.max_listpack_value || v.size() > limits.max_listpack_value;
    fields.emplace_back(f);
  }
  std::sort(fields.begin(), fields.end());
  if (std::adjacent_find(fields.begin(), fields.end()) != fields.end()) return false;
  table_.reset();
  lp_ = std::move(lp);
  if (too_long || lp_.size() / 2 > limits.max_listpack_entries) ConvertToTable();
  return true;
}

HashValue HashValue::Clone() const {
  HashValue out;
  if (table_) {
    out.table_ = std::make_unique<Table>(*table_);
  } else {
    out.lp_.Assign(lp_.raw());  // well-formed: it is this hash's own
  }
  return out;
}

void HashValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->map.reserve(lp_.size() / 2 + 1);
  ForEach([&](std::string_view f, std::string_view v) {
    auto [it, inserted] = table->map.emplace(f, v);
    table->string_bytes += StringHeapBytes(it->first) + StringHeapBytes(it->second);
  });
  table_ = std::move(table);
  lp_ = Listpack();
}

}  // namespace ringside::shards
