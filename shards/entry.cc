// Entry's two value representations and the moves between them.
#include <cstring>
#include <memory>
#include <new>

#include "shards/store.h"

namespace ringside::shards {

Value CopyValue(std::string_view bytes) {
  if (bytes.size() < kSharedValueMin) return std::string(bytes);
  std::shared_ptr<char[]> buf = std::make_shared_for_overwrite<char[]>(bytes.size());
  std::memcpy(buf.get(), bytes.data(), bytes.size());
  return SharedBytes{std::move(buf), bytes.size()};
}

Entry::Entry(ObjType t, Value v, Millis expire) : str_(), expire_at(expire), type(t) {
  SetValue(std::move(v));
}

Entry::Entry(Entry&& o) noexcept
    : str_(), expire_at(o.expire_at), access(o.access), type(o.type) {
  SetValue(o.TakeValue());
}

Entry& Entry::operator=(Entry&& o) noexcept {
  if (this != &o) {
    SetValue(o.TakeValue());
    expire_at = o.expire_at;
    access = o.access;
    type = o.type;
  }
  return *this;
}

Entry::~Entry() { Destroy(); }

void Entry::Destroy() {
  if (shared_) {
    bytes_.~SharedBytes();
  } else {
    str_.~basic_string();
  }
}

void Entry::SetValue(Value v) {
  Destroy();
  if (auto* bytes = std::get_if<SharedBytes>(&v)) {
    new (&bytes_) SharedBytes(std::move(*bytes));
    shared_ = true;
  } else {
    new (&str_) std::string(std::move(std::get<std::string>(v)));
    shared_ = false;
  }
}

Value Entry::TakeValue() {
  Value out = shared_ ? Value(std::move(bytes_)) : Value(std::move(str_));
  SetValue(std::string());
  return out;
}

std::string& Entry::MutableStr() {
  if (shared_) SetValue(std::string(bytes_.view()));
  return str_;
}

}  // namespace ringside::shards
