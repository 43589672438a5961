#include "shards/hash_ops.h"

#include <cmath>

#include "shards/number_text.h"

namespace ringside::shards {

namespace {

// The hash of `key` for a write: the stored one, or a new empty one when the key is absent.
OpResult<Entry*> HashForWrite(Store& store, int db, std::string_view key) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kHash, false);
  if (r.ok() && r.value == nullptr) r.value = store.Add(db, key, Entry(HashValue()));
  return r;
}

}  // namespace

OpResult<int64_t> OpHSet(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> pairs) {
  OpResult<Entry*> r = HashForWrite(store, db, key);
  if (!r.ok()) return r.status;
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  int64_t added = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    added += e.hash().Set(pairs[i], pairs[i + 1], store.limits().hash) ? 1 : 0;
  }
  store.Changed(e, before);
  return added;
}

OpResult<bool> OpHSetNx(Store& store, int db, std::string_view key, std::string_view field,
                        std::string_view value) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kHash, false);
  if (!r.ok()) return r.status;
  if (r.value != nullptr && r.value->hash().Contains(field)) return false;
  const std::string_view pair[] = {field, value};
  OpHSet(store, db, key, pair);
  return true;
}

OpResult<int64_t> OpHDel(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> fields) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kHash, false);
  if (!r.ok() || r.value == nullptr) return r.status;
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  int64_t removed = 0;
  for (std::string_view f : fields) {
    removed += e.hash().Erase(f) ? 1 : 0;
    if (e.hash().empty()) break;
  }
  store.Changed(e, before);
  if (e.hash().empty()) store.Delete(db, key);
  return removed;
}

OpResult<int64_t> OpHIncrBy(Store& store, int db, std::string_view key, std::string_view field,
                            int64_t delta) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kHash, false);
  if (!r.ok()) return r.status;
  int64_t value = 0;
  if (r.value != nullptr) {
    std::string buf;
    std::string_view old;
    if (r.value->hash().Get(field, &buf, &old) && !StrictInt64(old, &value)) {
      return OpStatus::kNotInteger;
    }
  }
  if (__builtin_add_overflow(value, delta, &value)) return OpStatus::kOverflow;
  const std::string text = std::to_string(value);
  const std::string_view pair[] = {field, text};
  OpHSet(store, db, key, pair);
  return value;
}

OpResult<std::string> OpHIncrByFloat(Store& store, int db, std::string_view key,
                                     std::string_view field, long double delta) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kHash, false);
  if (!r.ok()) return r.status;
  long double value = 0;
  if (r.value != nullptr) {
    std::string buf;
    std::string_view old;
    if (r.value->hash().Get(field, &buf, &old) && !ParseLongDouble(old, &value)) {
      return OpStatus::kNotFloat;
    }
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return OpStatus::kNanOrInf;
  std::string text = FormatLongDouble(value);
  const std::string_view pair[] = {field, text};
  OpHSet(store, db, key, pair);
  return text;
}

}  // namespace ringside::shards
