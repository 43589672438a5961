// The keys of one slot of one database: an open-addressing hash table (linear probing,
// backward-shift deletion) of Node pointers. Each cell packs the pointer with 16 bits of the
// key's hash, so probing past other keys rarely touches their nodes. The table never owns
// the nodes; the store creates and destroys them. 16 bytes when empty, and nothing allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shards/node.h"

namespace ringside::shards::detail {

class SlotTable {
 public:
  SlotTable() = default;
  SlotTable(SlotTable&& other) noexcept;
  SlotTable& operator=(SlotTable&&) = delete;
  SlotTable(const SlotTable&) = delete;
  ~SlotTable();

  Node* Find(std::string_view key, uint64_t hash) const;
  // `n`'s key must not be present.
  void Insert(Node* n, uint64_t hash);
  // Removes `n` (which must be present); does not free it.
  void Erase(const Node* n, uint64_t hash);
  // Forgets every node without freeing them, and releases the cells.
  void Reset();

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  // Node in cell i, or nullptr for an empty cell.
  Node* At(size_t i) const { return CellNode(cells_[i]); }

  template <typename F>
  void ForEach(F&& f) const {
    for (uint32_t i = 0; i < cap_; ++i) {
      if (cells_[i] != 0) f(CellNode(cells_[i]));
    }
  }

 private:
  static constexpr int kTagShift = 48;
  static constexpr uint64_t kPtrMask = (uint64_t{1} << kTagShift) - 1;

  static Node* CellNode(uint64_t cell) { return reinterpret_cast<Node*>(cell & kPtrMask); }
  static uint64_t Tag(uint64_t hash) { return hash & ~kPtrMask; }
  uint32_t Home(uint64_t hash) const {
    return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * cap_) >> 32);
  }
  uint32_t Next(uint32_t i) const { return i + 1 == cap_ ? 0 : i + 1; }
  void Resize(uint32_t new_cap);
  void Place(uint64_t cell, uint64_t hash);

  uint64_t* cells_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 0;
};

}  // namespace ringside::shards::detail
