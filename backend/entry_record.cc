#include "backend/entry_record.h"

#include <string>
#include <vector>

namespace ringside::backend {

namespace {

// Collects the items of one collection into commands of `per_command` items each.
class Batcher {
 public:
  Batcher(PropagationSink* sink, int db, std::string_view cmd, std::string_view key,
          size_t per_command)
      : sink_(sink), db_(db), per_command_(per_command) {
    argv_.emplace_back(cmd);
    argv_.emplace_back(key);
  }
  void Add(std::string_view item) {
    argv_.emplace_back(item);
    if (argv_.size() - 2 == per_command_) Flush();
  }
  void Flush() {
    if (argv_.size() == 2) return;
    std::vector<std::string_view> views(argv_.begin(), argv_.end());
    sink_->Record(db_, views);
    argv_.resize(2);
  }

 private:
  PropagationSink* sink_;
  int db_;
  size_t per_command_;
  std::vector<std::string> argv_;
};

}  // namespace

void RecordEntry(PropagationSink* sink, int db, std::string_view key, const shards::Entry& e,
                 bool replace) {
  if (sink == nullptr) return;
  const std::string when = e.expire_at == shards::kNoExpiry ? "" : std::to_string(e.expire_at);
  if (e.type() == shards::ObjType::kString) {
    if (when.empty()) {
      const std::string_view argv[] = {"SET", key, e.value()};
      sink->Record(db, argv);
    } else {
      const std::string_view argv[] = {"SET", key, e.value(), "PXAT", when};
      sink->Record(db, argv);
    }
    return;
  }
  if (replace) {
    const std::string_view del[] = {"DEL", key};
    sink->Record(db, del);
  }
  if (e.type() == shards::ObjType::kHash) {
    // Each field goes with its value: a batch holds kRecordBatch pairs.
    Batcher b(sink, db, "HSET", key, 2 * kRecordBatch);
    e.hash().ForEach([&](std::string_view f, std::string_view v) {
      b.Add(f);
      b.Add(v);
    });
    b.Flush();
  } else if (e.type() == shards::ObjType::kList) {
    Batcher b(sink, db, "RPUSH", key, kRecordBatch);
    const shards::ListValue& l = e.list();
    shards::ListValue::Cursor c = l.Locate(0);
    std::string buf;
    do {
      b.Add(l.Get(c).View(&buf));
    } while (l.Next(&c));
    b.Flush();
  } else {
    Batcher b(sink, db, "SADD", key, kRecordBatch);
    e.set().ForEach([&](std::string_view m) { b.Add(m); });
    b.Flush();
  }
  if (!when.empty()) {
    const std::string_view argv[] = {"PEXPIREAT", key, when};
    sink->Record(db, argv);
  }
}

}  // namespace ringside::backend
