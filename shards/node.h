// A stored key: its Entry and the key bytes in one allocation. Only the store creates and
// frees nodes; an Entry* handed out by the store points into a Node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "shards/store.h"

namespace ringside::shards::detail {

// The key length lives in the tail padding of Entry (the Itanium ABI reuses a non-POD base's
// tail padding for derived members), and the key bytes follow it directly. Keys shorter than
// 255 bytes take one length byte; longer ones a marker byte and four more.
struct Node : Entry {
  uint8_t key_len_byte;

  static Node* Create(std::string_view key, Entry&& e);
  static void Destroy(Node* n);

  std::string_view key() const {
    const char* p = reinterpret_cast<const char*>(&key_len_byte);
    if (key_len_byte != kLongKey) return {p + 1, key_len_byte};
    uint32_t len;
    std::memcpy(&len, p + 1, sizeof(len));
    return {p + 1 + sizeof(len), len};
  }

  static constexpr uint8_t kLongKey = 255;

 private:
  explicit Node(Entry&& e) : Entry(std::move(e)) {}
};

inline uint64_t HashKey(std::string_view key) { return std::hash<std::string_view>{}(key); }

}  // namespace ringside::shards::detail
