// A key and its database, as the backend keeps track of keys: a view for lookups and an owned
// copy for containers, hashed and compared alike so that a view finds an owned key.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace ringside::backend {

struct DbKey {
  int db;
  std::string_view key;
};
struct DbKeyOwned {
  int db;
  std::string key;
};
struct DbKeyHash {
  using is_transparent = void;
  size_t operator()(const DbKey& k) const {
    return std::hash<std::string_view>()(k.key) ^ (static_cast<size_t>(k.db) * 0x9e3779b97f4a7c15u);
  }
  size_t operator()(const DbKeyOwned& k) const { return (*this)(DbKey{k.db, k.key}); }
};
struct DbKeyEq {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return a.db == b.db && std::string_view(a.key) == std::string_view(b.key);
  }
};

}  // namespace ringside::backend
