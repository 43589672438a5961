// The quicklist: node fill rules, splits and merges as Redis 7.0's quicklist.c decides them.
#include "shards/types/list_value.h"

#include <algorithm>
#include <utility>

namespace ringside::shards {

namespace {

// The node sizes the negative fill levels stand for, and the bound on a node's size when the
// fill counts elements (a node past it takes no more, whatever its count).
constexpr size_t kFillBytes[] = {4096, 8192, 16384, 32768, 65536};
constexpr size_t kSafetyLimit = 8192;
constexpr int64_t kFillMax = (1 << 15) - 1;

int64_t Fill(const ListLimits& limits) { return std::clamp<int64_t>(limits.fill, -5, kFillMax); }

bool MeetsBytes(size_t bytes, int64_t fill) {
  return fill < 0 && bytes <= kFillBytes[static_cast<size_t>(-fill - 1)];
}

// Whether a node of `bytes` bytes and `count` elements is within the fill.
bool WithinFill(size_t bytes, size_t count, int64_t fill) {
  if (MeetsBytes(bytes, fill)) return true;
  if (bytes > kSafetyLimit) return false;
  return static_cast<int64_t>(count) <= fill;
}

// Whether `node` may take one more element of `len` bytes: its size estimated with the
// largest entry overhead such an element could have, as Redis estimates it.
bool AllowInsert(const Listpack& node, size_t len, const ListLimits& limits) {
  const size_t overhead = (len < 254 ? 1 : 5) + (len < 64 ? 1 : len < 16384 ? 2 : 5);
  return WithinFill(node.bytes() + len + overhead, node.size() + 1, Fill(limits));
}

std::string Copy(const Listpack::Element& e) {
  std::string buf;
  return std::string(e.View(&buf));
}

Listpack CloneNode(const Listpack& lp) {
  Listpack out;
  out.Assign(lp.raw());
  return out;
}

}  // namespace

ListValue::ListValue() = default;
ListValue::~ListValue() = default;

ListValue::ListValue(ListValue&& o) noexcept = default;
ListValue& ListValue::operator=(ListValue&& o) noexcept = default;

size_t ListValue::size() const { return more_ ? more_->count : head_.size(); }

size_t ListValue::MemoryBytes() const {
  if (!more_) return head_.bytes();
  return more_->bytes + sizeof(Nodes) + more_->nodes.capacity() * sizeof(Listpack);
}

void ListValue::Adjust(size_t before, const Listpack& node, int64_t added) {
  if (!more_) return;
  more_->bytes += node.bytes() - before;
  more_->count += static_cast<size_t>(added);
}

void ListValue::Spread() {
  if (more_) return;
  more_ = std::make_unique<Nodes>();
  more_->count = head_.size();
  more_->bytes = head_.bytes();
  more_->nodes.push_back(std::move(head_));
  head_ = Listpack();
}

Listpack& ListValue::AddNode(size_t k) {
  Spread();
  auto it = more_->nodes.emplace(more_->nodes.begin() + static_cast<ptrdiff_t>(k));
  more_->bytes += it->bytes();
  return *it;
}

void ListValue::DropNode(size_t k) {
  if (!more_) return;  // the one node stays, empty
  more_->bytes -= more_->nodes[k].bytes();
  more_->count -= more_->nodes[k].size();
  more_->nodes.erase(more_->nodes.begin() + static_cast<ptrdiff_t>(k));
  if (more_->nodes.size() == 1) {
    head_ = std::move(more_->nodes[0]);
    more_.reset();
  }
}

void ListValue::MergeNodes(size_t k) {
  Listpack& a = more_->nodes[k];
  Listpack& b = more_->nodes[k + 1];
  const size_t before = a.bytes();
  const size_t moved = b.size();
  for (Listpack::Pos p = b.First(); p != b.End(); p = b.Next(p)) {
    std::string buf;
    a.Append(b.Get(p).View(&buf));
  }
  Adjust(before, a, static_cast<int64_t>(moved));
  DropNode(k + 1);
}

bool ListValue::AllowMerge(size_t a, size_t b, const ListLimits& limits) const {
  const size_t n = NodeCount();
  if (a >= n || b >= n) return false;
  // The merged listpack loses one header and end byte.
  const size_t bytes = Node(a).bytes() + Node(b).bytes() - (Listpack::kHeaderSize + 1);
  return WithinFill(bytes, Node(a).size() + Node(b).size(), Fill(limits));
}

void ListValue::MergeAround(size_t center, const ListLimits& limits) {
  // As Redis: prev-prev with prev, next with next-next, then the center with prev and the
  // result with next. Indices shift as nodes merge.
  if (center >= 2 && AllowMerge(center - 2, center - 1, limits)) {
    MergeNodes(center - 2);
    --center;
  }
  if (AllowMerge(center + 1, center + 2, limits)) MergeNodes(center + 1);
  size_t target = center;
  if (center >= 1 && AllowMerge(center - 1, center, limits)) {
    MergeNodes(center - 1);
    target = center - 1;
  }
  if (AllowMerge(target, target + 1, limits)) MergeNodes(target);
}

void ListValue::PushFront(std::string_view s, const ListLimits& limits) {
  if (!empty() && !AllowInsert(Node(0), s.size(), limits)) AddNode(0);
  Listpack& node = MutableNode(0);
  const size_t before = node.bytes();
  node.Insert(node.First(), s);
  Adjust(before, node, 1);
}

void ListValue::PushBack(std::string_view s, const ListLimits& limits) {
  if (!empty() && !AllowInsert(Node(NodeCount() - 1), s.size(), limits)) AddNode(NodeCount());
  Listpack& node = MutableNode(NodeCount() - 1);
  const size_t before = node.bytes();
  node.Append(s);
  Adjust(before, node, 1);
}

std::string ListValue::PopFront() {
  Listpack& node = MutableNode(0);
  std::string out = Copy(node.Get(node.First()));
  const size_t before = node.bytes();
  node.Erase(node.First(), 1);
  Adjust(before, node, -1);
  if (node.empty()) DropNode(0);
  return out;
}

std::string ListValue::PopBack() {
  const size_t k = NodeCount() - 1;
  Listpack& node = MutableNode(k);
  const Listpack::Pos last = node.Prev(node.End());
  std::string out = Copy(node.Get(last));
  const size_t before = node.bytes();
  node.Erase(last, 1);
  Adjust(before, node, -1);
  if (node.empty()) DropNode(k);
  return out;
}

ListValue::Cursor ListValue::Locate(size_t i) const {
  Cursor c;
  const size_t n = NodeCount();
  size_t offset = i;
  if (n > 1) {
    if (i < size() / 2) {
      while (offset >= Node(c.node).size()) offset -= Node(c.node++).size();
    } else {
      size_t from_end = size() - 1 - i;
      c.node = n - 1;
      while (from_end >= Node(c.node).size()) from_end -= Node(c.node--).size();
      offset = Node(c.node).size() - 1 - from_end;
    }
  }
  const Listpack& lp = Node(c.node);
  if (offset < lp.size() / 2) {
    c.pos = lp.First();
    for (size_t j = 0; j < offset; ++j) c.pos = lp.Next(c.pos);
  } else {
    c.pos = lp.End();
    for (size_t j = lp.size(); j > offset; --j) c.pos = lp.Prev(c.pos);
  }
  return c;
}

bool ListValue::Next(Cursor* c) const {
  const Listpack& lp = Node(c->node);
  c->pos = lp.Next(c->pos);
  if (c->pos != lp.End()) return true;
  if (c->node + 1 >= NodeCount()) return false;
  ++c->node;
  c->pos = Node(c->node).First();
  return true;
}

bool ListValue::Prev(Cursor* c) const {
  if (c->pos != Node(c->node).First()) {
    c->pos = Node(c->node).Prev(c->pos);
    return true;
  }
  if (c->node == 0) return false;
  --c->node;
  const Listpack& lp = Node(c->node);
  c->pos = lp.Prev(lp.End());
  return true;
}

std::string_view ListValue::At(size_t i, std::string* buf) const {
  return Get(Locate(i)).View(buf);
}

void ListValue::Set(size_t i, std::string_view s) {
  const Cursor c = Locate(i);
  Listpack& node = MutableNode(c.node);
  const size_t before = node.bytes();
  node.Replace(c.pos, s);
  Adjust(before, node, 0);
}

void ListValue::Insert(size_t i, bool after, std::string_view s, const ListLimits& limits) {
  Insert(Locate(i), after, s, limits);
}

void ListValue::Insert(Cursor c, bool after, std::string_view s, const ListLimits& limits) {
  const Listpack& lp = Node(c.node);
  InsertAt(c.node, c.pos, s, limits, c.pos == lp.First(), lp.Next(c.pos) == lp.End(), after);
}

void ListValue::InsertAt(size_t k, Listpack::Pos pos, std::string_view s, const ListLimits& limits,
                         bool at_node_head, bool at_node_tail, bool after) {
  const bool full = !AllowInsert(Node(k), s.size(), limits);
  const bool has_next = k + 1 < NodeCount();
  const bool has_prev = k > 0;
  auto insert = [&](size_t node_index, bool at_end, Listpack::Pos at) {
    Listpack& node = MutableNode(node_index);
    const size_t before = node.bytes();
    node.Insert(at_end ? node.End() : at, s);
    Adjust(before, node, 1);
  };
  if (!full) {
    const Listpack& node = Node(k);
    insert(k, false, after ? node.Next(pos) : pos);
    return;
  }
  if (after && at_node_tail && has_next) {
    if (AllowInsert(Node(k + 1), s.size(), limits)) {
      insert(k + 1, false, Node(k + 1).First());
    } else {
      AddNode(k + 1);
      insert(k + 1, true, 0);
    }
    return;
  }
  if (!after && at_node_head && has_prev) {
    if (AllowInsert(Node(k - 1), s.size(), limits)) {
      insert(k - 1, true, 0);
    } else {
      AddNode(k);
      insert(k, true, 0);
    }
    return;
  }
  // Split node k at the element: after it, the node keeps the elements up to it and a new
  // node after it takes the rest, `s` first; before it, the node keeps the element and what
  // follows and a new node before it takes what precedes, `s` last.
  Spread();
  size_t center;
  {
    Listpack& node = more_->nodes[k];
    const Listpack::Pos cut = after ? node.Next(pos) : pos;
    Listpack moved;
    size_t moved_count = 0;
    const Listpack::Pos from = after ? cut : node.First();
    const Listpack::Pos to = after ? node.End() : cut;
    for (Listpack::Pos p = from; p != to; p = node.Next(p)) {
      std::string buf;
      moved.Append(node.Get(p).View(&buf));
      ++moved_count;
    }
    if (after) moved.Insert(moved.First(), s);
    if (!after) moved.Append(s);
    const size_t before = node.bytes();
    node.Erase(from, moved_count);
    Adjust(before, node, -static_cast<int64_t>(moved_count));
    const size_t at = after ? k + 1 : k;
    Listpack& added = AddNode(at);
    const size_t empty_bytes = added.bytes();
    added = std::move(moved);
    Adjust(empty_bytes, added, static_cast<int64_t>(added.size()));
    center = after ? k : k + 1;
  }
  MergeAround(center, limits);
}

void ListValue::Erase(size_t i, size_t n) {
  if (n == 0 || i >= size()) return;
  Cursor c = Locate(i);
  while (n > 0 && c.node < NodeCount()) {
    Listpack& node = MutableNode(c.node);
    size_t in_node = 0;
    for (Listpack::Pos p = c.pos; p != node.End() && in_node < n; p = node.Next(p)) ++in_node;
    const size_t before = node.bytes();
    node.Erase(c.pos, in_node);
    Adjust(before, node, -static_cast<int64_t>(in_node));
    n -= in_node;
    if (node.empty() && NodeCount() > 1) {
      DropNode(c.node);
    } else {
      ++c.node;
    }
    if (c.node < NodeCount()) c.pos = Node(c.node).First();
  }
}

size_t ListValue::Remove(std::string_view s, int64_t count) {
  const bool from_tail = count < 0;
  const size_t limit = count == 0 ? SIZE_MAX : static_cast<size_t>(from_tail ? -count : count);
  size_t removed = 0;
  size_t k = from_tail ? NodeCount() - 1 : 0;
  while (removed < limit && k < NodeCount()) {
    Listpack& node = MutableNode(k);
    const size_t before = node.bytes();
    size_t here = 0;
    if (!from_tail) {
      Listpack::Pos p = node.First();
      while (p != node.End() && removed + here < limit) {
        if (node.Get(p).Equals(s)) {
          node.Erase(p, 1);  // p now holds the next entry
          ++here;
        } else {
          p = node.Next(p);
        }
      }
    } else if (!node.empty()) {
      Listpack::Pos p = node.Prev(node.End());
      while (removed + here < limit) {
        const bool first = p == node.First();
        const Listpack::Pos prev = first ? p : node.Prev(p);
        if (node.Get(p).Equals(s)) {
          node.Erase(p, 1);  // entries before p keep their positions
          ++here;
        }
        if (first) break;
        p = prev;
      }
    }
    Adjust(before, node, -static_cast<int64_t>(here));
    removed += here;
    const bool dropped = node.empty() && NodeCount() > 1;
    if (dropped) DropNode(k);
    if (from_tail) {
      if (k == 0) break;
      --k;
    } else if (!dropped) {
      ++k;
    }
  }
  return removed;
}

bool ListValue::AppendNode(std::string_view bytes) {
  Listpack lp;
  if (!lp.Assign(bytes)) return false;
  if (lp.empty()) return true;
  if (empty()) {
    head_ = std::move(lp);
    return true;
  }
  Spread();
  more_->count += lp.size();
  more_->bytes += lp.bytes();
  more_->nodes.push_back(std::move(lp));
  return true;
}

ListValue ListValue::Clone() const {
  ListValue out;
  if (!more_) {
    out.head_ = CloneNode(head_);
    return out;
  }
  out.more_ = std::make_unique<Nodes>();
  out.more_->count = more_->count;
  out.more_->bytes = more_->bytes;
  out.more_->nodes.reserve(more_->nodes.size());
  for (const Listpack& lp : more_->nodes) out.more_->nodes.push_back(CloneNode(lp));
  return out;
}

}  // namespace ringside::shards
