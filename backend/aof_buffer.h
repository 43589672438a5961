// The bytes one shard's append-only file gains: propagation records encoded as RESP commands,
// with a SELECT wherever the database changes (and before the first record), exactly as
// redis-server writes its AOF. The writer takes the bytes out and owns getting them to disk.
// Shard-thread only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "backend/propagation.h"

namespace ringside::backend {

class AofBuffer final : public PropagationSink {
 public:
  void Record(int db, std::span<const std::string_view> argv) override;
  // The same for a command already encoded as RESP.
  void RecordEncoded(int db, std::string_view command);

  // The encoded bytes not yet taken; the next Take starts after them.
  std::string Take();
  // The database the bytes taken so far leave the file in (-1 none): what a new file that
  // continues this stream must SELECT first.
  int taken_db() const { return taken_db_; }
  // The database all the bytes so far (taken or not) leave the file in; -1 none yet.
  int db() const { return db_; }
  size_t size() const { return pending_.size(); }
  // Forgets which database the file is in, so the next record starts with a SELECT (a new
  // file, or one whose tail was rewritten).
  void ForgetDb() { db_ = -1; }

 private:
  void SelectDb(int db);

  std::string pending_;
  int db_ = -1;  // the database the bytes so far leave the file in; -1 none yet
  int taken_db_ = -1;
};

}  // namespace ringside::backend
