#include "shards/list_ops.h"

namespace ringside::shards {

bool ClampRange(int64_t size, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += size;
  if (*stop < 0) *stop += size;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= size) return false;
  if (*stop >= size) *stop = size - 1;
  return true;
}

OpResult<int64_t> OpPush(Store& store, int db, std::string_view key, ListEnd end,
                         std::span<const std::string_view> values, bool only_existing) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok()) return r.status;
  if (r.value == nullptr) {
    if (only_existing) return int64_t{0};
    r.value = store.Add(db, key, Entry(ListValue()));
  }
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  ListValue& l = e.list();
  const ListLimits& limits = store.limits().list;
  for (std::string_view v : values) {
    if (end == ListEnd::kHead) {
      l.PushFront(v, limits);
    } else {
      l.PushBack(v, limits);
    }
  }
  store.Changed(e, before);
  return static_cast<int64_t>(l.size());
}

OpResult<std::vector<std::string>> OpPop(Store& store, int db, std::string_view key, ListEnd end,
                                         size_t count) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok()) return r.status;
  std::vector<std::string> out;
  if (r.value == nullptr) return out;
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  ListValue& l = e.list();
  while (out.size() < count && !l.empty()) {
    out.push_back(end == ListEnd::kHead ? l.PopFront() : l.PopBack());
  }
  store.Changed(e, before);
  if (l.empty()) store.Delete(db, key);
  return out;
}

OpResult<bool> OpLSet(Store& store, int db, std::string_view key, int64_t index,
                      std::string_view value) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok()) return r.status;
  if (r.value == nullptr) return OpStatus::kNoSuchKey;
  Entry& e = *r.value;
  const auto size = static_cast<int64_t>(e.list().size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return OpStatus::kOutOfRange;
  const size_t before = e.ValueBytes();
  e.list().Set(static_cast<size_t>(index), value);
  store.Changed(e, before);
  return true;
}

OpResult<bool> OpLTrim(Store& store, int db, std::string_view key, int64_t start, int64_t stop) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok() || r.value == nullptr) return r.status;
  Entry& e = *r.value;
  ListValue& l = e.list();
  const auto size = static_cast<int64_t>(l.size());
  const size_t before = e.ValueBytes();
  if (!ClampRange(size, &start, &stop)) {
    store.Changed(e, before);
    store.Delete(db, key);
    return true;
  }
  l.Erase(static_cast<size_t>(stop) + 1, static_cast<size_t>(size - stop - 1));
  l.Erase(0, static_cast<size_t>(start));
  store.Changed(e, before);
  if (l.empty()) store.Delete(db, key);
  return true;
}

OpResult<int64_t> OpLRem(Store& store, int db, std::string_view key, int64_t count,
                         std::string_view value) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok()) return r.status;
  if (r.value == nullptr) return int64_t{0};
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  const size_t removed = e.list().Remove(value, count);
  store.Changed(e, before);
  if (e.list().empty()) store.Delete(db, key);
  return static_cast<int64_t>(removed);
}

OpResult<int64_t> OpLInsert(Store& store, int db, std::string_view key, bool after,
                            std::string_view pivot, std::string_view value) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kList, false);
  if (!r.ok()) return r.status;
  if (r.value == nullptr) return int64_t{0};
  Entry& e = *r.value;
  ListValue& l = e.list();
  ListValue::Cursor c = l.Locate(0);
  do {
    if (l.Get(c).Equals(pivot)) {
      const size_t before = e.ValueBytes();
      l.Insert(c, after, value, store.limits().list);
      store.Changed(e, before);
      return static_cast<int64_t>(l.size());
    }
  } while (l.Next(&c));
  return int64_t{-1};
}

}  // namespace ringside::shards
