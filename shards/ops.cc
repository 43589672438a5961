#include "shards/ops.h"

namespace ringside::shards {

OpResult<Entry*> OpFind(Store& store, int db, std::string_view key, ObjType type, bool read) {
  Entry* e = read ? store.FindForRead(db, key) : store.Find(db, key);
  if (e != nullptr && e->type() != type) return OpStatus::kWrongType;
  return e;
}

}  // namespace ringside::shards
