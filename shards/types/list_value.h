// ListValue: a list as Redis 7.0 keeps one, a quicklist: a sequence of listpack nodes, each
// holding as many elements as `list-max-listpack-size` lets it (by count, or by bytes when
// negative). A list of one node, which is every short list, is that listpack and nothing else;
// longer ones keep their nodes in a vector. Pushes and pops at either end touch one node; an
// index is found by walking node counts from the nearer end. Nodes fill, split and merge at
// the bounds Redis uses, so that a list built the same way has the same nodes (DUMP writes
// them as they are).
//
// Not thread-safe; owned by one shard. A moved-from ListValue may only be assigned to or
// destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shards/types/listpack.h"

namespace ringside::shards {

struct ListLimits {
  // list-max-listpack-size: at most this many elements per node when positive; when negative,
  // -1 … -5, at most 4, 8, 16, 32 or 64 KiB per node.
  int64_t fill = -2;
};

class ListValue {
 public:
  // An element's place: a node, and the entry's position in its listpack.
  struct Cursor {
    size_t node = 0;
    Listpack::Pos pos = 0;
  };

  ListValue();
  ListValue(ListValue&& o) noexcept;
  ListValue& operator=(ListValue&& o) noexcept;
  ~ListValue();

  size_t size() const;
  bool empty() const { return size() == 0; }

  void PushFront(std::string_view s, const ListLimits& limits);
  void PushBack(std::string_view s, const ListLimits& limits);
  // Removes the first or last element and returns it; the list must not be empty.
  std::string PopFront();
  std::string PopBack();

  // The element at `i` (< size()): a view into the list, or into *buf for an integer; valid
  // until the next change.
  std::string_view At(size_t i, std::string* buf) const;
  // Replaces the element at `i` (< size()).
  void Set(size_t i, std::string_view s);
  // Inserts `s` before the element at `i` (< size()), or after it when `after`.
  void Insert(size_t i, bool after, std::string_view s, const ListLimits& limits);
  // The same at a cursor on the element (LINSERT, which has walked to its pivot).
  void Insert(Cursor c, bool after, std::string_view s, const ListLimits& limits);
  // Removes `n` elements from `i` on (as many as there are).
  void Erase(size_t i, size_t n);
  // Removes the elements equal to `s`: the first `count` from the head when positive, the last
  // -count from the tail when negative, all when 0. The number removed.
  size_t Remove(std::string_view s, int64_t count);

  // Walking: Locate(i) for i < size(); Next/Prev move one element and return false (leaving
  // the cursor unusable) past either end. Cursors are valid until the next change.
  Cursor Locate(size_t i) const;
  Cursor Last() const { return Locate(size() - 1); }
  Listpack::Element Get(Cursor c) const { return Node(c.node).Get(c.pos); }
  bool Next(Cursor* c) const;
  bool Prev(Cursor* c) const;

  // The nodes in order (DUMP).
  size_t NodeCount() const { return more_ ? more_->nodes.size() : 1; }
  const Listpack& Node(size_t k) const { return more_ ? more_->nodes[k] : head_; }
  // Appends a node in Redis's listpack format (RESTORE); an empty one is skipped, as Redis
  // skips it. False, with *this unchanged, when it is malformed.
  bool AppendNode(std::string_view bytes);

  // The heap bytes the list takes, for memory accounting; O(1).
  size_t MemoryBytes() const;
  ListValue Clone() const;

 private:
  struct Nodes {
    std::vector<Listpack> nodes;
    size_t count = 0;  // elements in all nodes
    size_t bytes = 0;  // listpack bytes of all nodes
  };

  Listpack& MutableNode(size_t k) { return more_ ? more_->nodes[k] : head_; }
  // Turns the one-node form into the vector form.
  void Spread();
  // Inserts an empty node at index k (spreading first); returns it.
  Listpack& AddNode(size_t k);
  // Drops node k and its elements; the last node stays, emptied by its caller.
  void DropNode(size_t k);
  // Merges node k+1 into node k.
  void MergeNodes(size_t k);
  bool AllowMerge(size_t a, size_t b, const ListLimits& limits) const;
  // Redis's merges around the node a split left at `center`.
  void MergeAround(size_t center, const ListLimits& limits);
  // Account for a node that changed from `before` bytes and by `added` elements.
  void Adjust(size_t before, const Listpack& node, int64_t added);
  void InsertAt(size_t node, Listpack::Pos pos, std::string_view s, const ListLimits& limits,
                bool at_node_head, bool at_node_tail, bool after);

  Listpack head_;  // the only node while more_ is null, else empty
  std::unique_ptr<Nodes> more_;
};

}  // namespace ringside::shards
