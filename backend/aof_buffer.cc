#include "backend/aof_buffer.h"

#include <utility>

namespace ringside::backend {

void AofBuffer::Record(int db, std::span<const std::string_view> argv) {
  if (db != db_) {
    const std::string number = std::to_string(db);
    const std::string_view select[] = {"SELECT", number};
    AppendCommand(&pending_, select);
    db_ = db;
  }
  AppendCommand(&pending_, argv);
}

std::string AofBuffer::Take() {
  taken_db_ = db_;
  return std::exchange(pending_, {});
}

}  // namespace ringside::backend
