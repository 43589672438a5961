#include "shards/slot_table.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <new>

namespace ringside::shards::detail {

// Node is not standard-layout (it derives from Entry), but GCC and Clang lay out single
// non-virtual inheritance predictably, which is all offsetof needs here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(Node, key_len_byte) == offsetof(Entry, access) + sizeof(Entry::access) + 1,
              "the key length should sit in Entry's tail padding, after its representation tag");
static constexpr size_t kKeyLenOffset = offsetof(Node, key_len_byte);
#pragma GCC diagnostic pop

Node* Node::Create(std::string_view key, Entry&& e) {
  const bool long_key = key.size() >= kLongKey;
  const size_t header = kKeyLenOffset + 1 + (long_key ? sizeof(uint32_t) : 0);
  const size_t bytes = std::max(sizeof(Node), header + key.size());
  void* mem = ::operator new(bytes);
  assert((reinterpret_cast<uintptr_t>(mem) >> 48) == 0 && "node pointers must fit in 48 bits");
  Node* n = new (mem) Node(std::move(e));
  char* p = reinterpret_cast<char*>(&n->key_len_byte);
  if (long_key) {
    n->key_len_byte = kLongKey;
    const auto len = static_cast<uint32_t>(key.size());
    std::memcpy(p + 1, &len, sizeof(len));
    p += sizeof(len);
  } else {
    n->key_len_byte = static_cast<uint8_t>(key.size());
  }
  if (!key.empty()) std::memcpy(p + 1, key.data(), key.size());
  return n;
}

void Node::Destroy(Node* n) {
  n->~Node();
  ::operator delete(static_cast<void*>(n));
}

SlotTable::SlotTable(SlotTable&& other) noexcept
    : cells_(other.cells_), size_(other.size_), cap_(other.cap_) {
  other.cells_ = nullptr;
  other.size_ = other.cap_ = 0;
}

SlotTable::~SlotTable() { std::free(cells_); }

void SlotTable::Reset() {
  std::free(cells_);
  cells_ = nullptr;
  size_ = cap_ = 0;
}

Node* SlotTable::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  const uint64_t tag = Tag(hash);
  for (uint32_t i = Home(hash);; i = Next(i)) {
    const uint64_t cell = cells_[i];
    if (cell == 0) return nullptr;
    if ((cell & ~kPtrMask) == tag) {
      Node* n = CellNode(cell);
      if (n->key() == key) return n;
    }
  }
}

void SlotTable::Place(uint64_t cell, uint64_t hash) {
  uint32_t i = Home(hash);
  while (cells_[i] != 0) i = Next(i);
  cells_[i] = cell;
}

void SlotTable::Resize(uint32_t new_cap) {
  uint64_t* old = cells_;
  const uint32_t old_cap = cap_;
  cells_ = static_cast<uint64_t*>(std::calloc(new_cap, sizeof(uint64_t)));
  if (cells_ == nullptr) throw std::bad_alloc();
  cap_ = new_cap;
  for (uint32_t i = 0; i < old_cap; ++i) {
    if (old[i] != 0) Place(old[i], HashKey(CellNode(old[i])->key()));
  }
  std::free(old);
}

void SlotTable::Insert(Node* n, uint64_t hash) {
  // Keep the load at or below 3/4; growing by 1.5x keeps the average load near 5/8.
  if ((static_cast<uint64_t>(size_) + 1) * 4 > static_cast<uint64_t>(cap_) * 3) {
    Resize(std::max<uint32_t>(4, cap_ + cap_ / 2 + 1));
  }
  Place(Tag(hash) | reinterpret_cast<uintptr_t>(n), hash);
  ++size_;
}

void SlotTable::Erase(const Node* n, uint64_t hash) {
  uint32_t hole = Home(hash);
  while (CellNode(cells_[hole]) != n) hole = Next(hole);
  // Backward shift: pull later members of the probe run into the hole when their home
  // position allows it, so lookups never need tombstones.
  for (uint32_t j = Next(hole); cells_[j] != 0; j = Next(j)) {
    const uint32_t home = Home(HashKey(CellNode(cells_[j])->key()));
    const uint32_t dist_home = (j + cap_ - home) % cap_;
    const uint32_t dist_hole = (j + cap_ - hole) % cap_;
    if (dist_home >= dist_hole) {
      cells_[hole] = cells_[j];
      hole = j;
    }
  }
  cells_[hole] = 0;
  --size_;
  if (size_ == 0) {
    Reset();
  } else if (cap_ > 16 && static_cast<uint64_t>(size_) * 8 < cap_) {
    Resize(std::max<uint32_t>(4, size_ * 2));
  }
}

}  // namespace ringside::shards::detail
