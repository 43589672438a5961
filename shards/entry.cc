// Entry's value representations and the moves between them.
#include <cstring>
#include <memory>
#include <new>

#include "shards/number_text.h"
#include "shards/store.h"

namespace ringside::shards {

Value CopyValue(std::string_view bytes) {
  if (bytes.size() < kSharedValueMin) return SmallString(bytes);
  std::shared_ptr<char[]> buf = std::make_shared_for_overwrite<char[]>(bytes.size());
  std::memcpy(buf.get(), bytes.data(), bytes.size());
  return SharedBytes{std::move(buf), bytes.size()};
}

Entry::Entry(Value v, Millis expire) : str_(), expire_at(expire) { AssignString(std::move(v)); }

Entry::Entry(HashValue h, Millis expire)
    : hash_(std::move(h)), expire_at(expire), rep_(Rep::kHash) {}

Entry::Entry(SetValue s, Millis expire) : set_(std::move(s)), expire_at(expire), rep_(Rep::kSet) {}

Entry::Entry(ListValue l, Millis expire)
    : list_(std::move(l)), expire_at(expire), rep_(Rep::kList) {}

Entry::Entry(Entry&& o) noexcept : expire_at(o.expire_at), access(o.access) { MoveFrom(o); }

Entry& Entry::operator=(Entry&& o) noexcept {
  if (this != &o) {
    Destroy();
    MoveFrom(o);
    expire_at = o.expire_at;
    access = o.access;
  }
  return *this;
}

Entry::~Entry() { Destroy(); }

void Entry::MoveFrom(Entry& o) {
  rep_ = o.rep_;
  switch (o.rep_) {
    case Rep::kStr:
    case Rep::kStrText:
    case Rep::kStrRaw:
      new (&str_) SmallString(std::move(o.str_));
      o.rep_ = Rep::kStr;
      return;  // o keeps a (moved-from, empty) string
    case Rep::kShared:
      new (&bytes_) SharedBytes(std::move(o.bytes_));
      break;
    case Rep::kHash:
      new (&hash_) HashValue(std::move(o.hash_));
      break;
    case Rep::kSet:
      new (&set_) SetValue(std::move(o.set_));
      break;
    case Rep::kList:
      new (&list_) ListValue(std::move(o.list_));
      break;
  }
  o.Destroy();
  new (&o.str_) SmallString();
  o.rep_ = Rep::kStr;
}

void Entry::Destroy() {
  switch (rep_) {
    case Rep::kStr:
    case Rep::kStrText:
    case Rep::kStrRaw:
      str_.~SmallString();
      break;
    case Rep::kShared:
      bytes_.~SharedBytes();
      break;
    case Rep::kHash:
      hash_.~HashValue();
      break;
    case Rep::kSet:
      set_.~SetValue();
      break;
    case Rep::kList:
      list_.~ListValue();
      break;
  }
}

void Entry::AssignString(Value v) {
  Destroy();
  if (auto* bytes = std::get_if<SharedBytes>(&v)) {
    new (&bytes_) SharedBytes(std::move(*bytes));
    rep_ = Rep::kShared;
  } else {
    new (&str_) SmallString(std::move(std::get<SmallString>(v)));
    rep_ = Rep::kStr;
  }
}

SmallString& Entry::MutableStr() {
  if (Shared()) AssignString(SmallString(bytes_.view()));
  rep_ = Rep::kStrRaw;
  return str_;
}

Entry Entry::Clone() const {
  switch (rep_) {
    case Rep::kHash:
      return Entry(hash_.Clone(), expire_at);
    case Rep::kSet:
      return Entry(set_.Clone(), expire_at);
    case Rep::kList:
      return Entry(list_.Clone(), expire_at);
    case Rep::kShared:
      return Entry(Value(bytes_), expire_at);
    default: {
      Entry e(Value(str_), expire_at);
      e.rep_ = rep_;
      return e;
    }
  }
}

std::string_view Entry::EncodingName() const {
  switch (rep_) {
    case Rep::kHash:
      return hash_.encoding() == HashValue::Encoding::kListpack ? "listpack" : "hashtable";
    case Rep::kSet:
      return set_.encoding() == SetValue::Encoding::kIntset ? "intset" : "hashtable";
    case Rep::kList:
      return "quicklist";  // Redis 7.0 keeps every list as one
    case Rep::kStrRaw:
    case Rep::kShared:
      return "raw";
    case Rep::kStr: {
      int64_t v;
      if (StrictInt64(str_, &v)) return "int";
      return str_.size() <= 44 ? "embstr" : "raw";
    }
    case Rep::kStrText:
      return str_.size() <= 44 ? "embstr" : "raw";
  }
  return "raw";
}

size_t Entry::ValueBytes() const {
  switch (rep_) {
    case Rep::kHash:
      return hash_.MemoryBytes();
    case Rep::kSet:
      return set_.MemoryBytes();
    case Rep::kList:
      return list_.MemoryBytes();
    default:
      return value_size();
  }
}

}  // namespace ringside::shards
