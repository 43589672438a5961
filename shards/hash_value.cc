#include "shards/hash_value.h"

#include "shards/absl_view.h"

namespace ringside::shards {

bool HashValue::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (!table_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    auto [it, inserted] = table_->try_emplace(AbslView(field));
    it->second.assign(value);
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
    const auto it = table_->find(AbslView(field));
    if (it == table_->end()) return false;
    *value = it->second;
    return true;
  }
  const Listpack::Pos p = lp_.Find(field, lp_.First(), 2);
  if (p == lp_.End()) return false;
  *value = lp_.Get(lp_.Next(p)).View(buf);
  return true;
}

bool HashValue::Contains(std::string_view field) const {
  if (table_) return table_->contains(AbslView(field));
  return lp_.Find(field, lp_.First(), 2) != lp_.End();
}

bool HashValue::Erase(std::string_view field) {
  if (table_) return table_->erase(AbslView(field)) > 0;
  const Listpack::Pos p = lp_.Find(field, lp_.First(), 2);
  if (p == lp_.End()) return false;
  lp_.Erase(p, 2);
  return true;
}

void HashValue::ForEach(
    const std::function<void(std::string_view field, std::string_view value)>& fn) const {
  if (table_) {
    for (const auto& [f, v] : *table_) fn(f, v);
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
  size_t n = sizeof(Table) + table_->capacity() * (sizeof(Table::value_type) + 1);
  for (const auto& [f, v] : *table_) n += StringHeapBytes(f) + StringHeapBytes(v);
  return n;
}

void HashValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->reserve(lp_.size() / 2 + 1);
  ForEach([&](std::string_view f, std::string_view v) { table->emplace(f, v); });
  table_ = std::move(table);
  lp_ = Listpack();
}

}  // namespace ringside::shards
