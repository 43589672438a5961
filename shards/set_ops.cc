#include "shards/set_ops.h"

#include <algorithm>
#include <limits>

namespace ringside::shards {

namespace {

// Limits that never convert: for copies and scratch sets, whose encoding does not matter.
constexpr SetLimits kNoConversion{std::numeric_limits<size_t>::max()};

}  // namespace

OpResult<int64_t> OpSAdd(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> members) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kSet, false);
  if (!r.ok()) return r.status;
  if (r.value == nullptr) r.value = store.Add(db, key, Entry(SetValue()));
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  int64_t added = 0;
  for (std::string_view m : members) added += e.set().Add(m, store.limits().set) ? 1 : 0;
  store.Changed(e, before);
  return added;
}

OpResult<int64_t> OpSRem(Store& store, int db, std::string_view key,
                         std::span<const std::string_view> members) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kSet, false);
  if (!r.ok() || r.value == nullptr) return r.status;
  Entry& e = *r.value;
  const size_t before = e.ValueBytes();
  int64_t removed = 0;
  for (std::string_view m : members) {
    removed += e.set().Remove(m) ? 1 : 0;
    if (e.set().empty()) break;
  }
  store.Changed(e, before);
  if (e.set().empty()) store.Delete(db, key);
  return removed;
}

OpResult<std::vector<std::string>> OpSPop(Store& store, int db, std::string_view key,
                                          size_t count) {
  OpResult<Entry*> r = OpFind(store, db, key, ObjType::kSet, false);
  if (!r.ok()) return r.status;
  std::vector<std::string> out;
  if (r.value == nullptr || count == 0) return out;
  Entry& e = *r.value;
  SetValue& set = e.set();
  if (count >= set.size()) {
    out.reserve(set.size());
    set.ForEach([&](std::string_view m) { out.emplace_back(m); });
    store.Delete(db, key);
    return out;
  }
  const size_t before = e.ValueBytes();
  out.reserve(count);
  std::string buf;
  while (out.size() < count) {
    out.emplace_back(set.At(store.Random() % set.size(), &buf));
    set.Remove(out.back());
  }
  store.Changed(e, before);
  return out;
}

std::vector<std::string> RandomMembers(Store& store, const SetValue& set, int64_t count) {
  std::vector<std::string> out;
  std::string buf;
  const size_t size = set.size();
  if (count < 0) {
    const uint64_t n = static_cast<uint64_t>(-(count + 1)) + 1;
    out.reserve(n);
    for (uint64_t i = 0; i < n; ++i) out.emplace_back(set.At(store.Random() % size, &buf));
    return out;
  }
  const auto want = static_cast<size_t>(count);
  if (want >= size) {
    out.reserve(size);
    set.ForEach([&](std::string_view m) { out.emplace_back(m); });
    return out;
  }
  // A partial Fisher-Yates shuffle of positions: `want` distinct picks in O(want) draws.
  std::vector<uint32_t> pos(size);
  for (size_t i = 0; i < size; ++i) pos[i] = static_cast<uint32_t>(i);
  out.reserve(want);
  for (size_t i = 0; i < want; ++i) {
    const size_t j = i + store.Random() % (size - i);
    std::swap(pos[i], pos[j]);
    out.emplace_back(set.At(pos[i], &buf));
  }
  return out;
}

OpResult<bool> OpSMove(Store& store, int db, std::string_view src, std::string_view dst,
                       std::string_view member) {
  // Redis's order: an absent source first, then either key's type, then the member.
  OpResult<Entry*> from = OpFind(store, db, src, ObjType::kSet, false);
  if (from.ok() && from.value == nullptr) return false;
  OpResult<Entry*> to = OpFind(store, db, dst, ObjType::kSet, false);
  if (!from.ok() || !to.ok()) return OpStatus::kWrongType;
  if (!from.value->set().Contains(member)) return false;
  if (src == dst) return true;
  const std::string_view one[] = {member};
  OpSRem(store, db, src, one);
  OpSAdd(store, db, dst, one);
  return true;
}

SetValue ComputeSet(SetAlgebra op, std::span<const SetValue* const> inputs,
                    const SetLimits& limits) {
  SetValue out;
  if (inputs.empty()) return out;
  switch (op) {
    case SetAlgebra::kUnion:
      for (const SetValue* s : inputs) {
        if (s != nullptr) s->ForEach([&](std::string_view m) { out.Add(m, limits); });
      }
      break;
    case SetAlgebra::kInter: {
      if (std::any_of(inputs.begin(), inputs.end(), [](const SetValue* s) { return !s; })) break;
      // Walks the smallest set and keeps what every other one has.
      std::vector<const SetValue*> sets(inputs.begin(), inputs.end());
      std::sort(sets.begin(), sets.end(),
                [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < sets.size(); ++i) {
          if (!sets[i]->Contains(m)) return;
        }
        out.Add(m, limits);
      });
      break;
    }
    case SetAlgebra::kDiff:
      if (inputs[0] == nullptr) break;
      inputs[0]->ForEach([&](std::string_view m) {
        for (size_t i = 1; i < inputs.size(); ++i) {
          if (inputs[i] != nullptr && inputs[i]->Contains(m)) return;
        }
        out.Add(m, limits);
      });
      break;
  }
  return out;
}

size_t InterCard(std::span<const SetValue* const> inputs, size_t limit) {
  if (inputs.empty() ||
      std::any_of(inputs.begin(), inputs.end(), [](const SetValue* s) { return !s; })) {
    return 0;
  }
  std::vector<const SetValue*> sets(inputs.begin(), inputs.end());
  std::sort(sets.begin(), sets.end(),
            [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  size_t n = 0;
  std::string buf;
  for (size_t i = 0; i < sets[0]->size() && (limit == 0 || n < limit); ++i) {
    const std::string_view m = sets[0]->At(i, &buf);
    bool all = true;
    for (size_t j = 1; j < sets.size() && all; ++j) all = sets[j]->Contains(m);
    n += all ? 1 : 0;
  }
  return n;
}

SetValue CopySet(const SetValue& set) {
  SetValue out;
  set.ForEach([&](std::string_view m) { out.Add(m, kNoConversion); });
  return out;
}

int64_t OpStoreSet(Store& store, int db, std::string_view key, SetValue result) {
  const auto size = static_cast<int64_t>(result.size());
  if (size == 0) {
    store.Delete(db, key);
  } else {
    store.Add(db, key, Entry(std::move(result)));
  }
  return size;
}

}  // namespace ringside::shards
