#include "backend/aof_buffer.h"

#include <utility>

namespace ringside::backend {

void AofBuffer::Record(int db, std::span<const std::string_view> argv) {
  SelectDb(db);
  AppendCommand(&pending_, argv);
}

void AofBuffer::RecordEncoded(int db, std::string_view command) {
  SelectDb(db);
  pending_.append(command);
}

void AofBuffer::SelectDb(int db) {
  if (db == db_) return;
  const std::string number = std::to_string(db);
  const std::string_view select[] = {"SELECT", number};
  AppendCommand(&pending_, select);
  db_ = db;
}

std::string AofBuffer::Take() {
  taken_db_ = db_;
  return std::exchange(pending_, {});
}

}  // namespace ringside::backend
