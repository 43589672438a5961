// The quicklist against a std::deque model: random pushes, pops, inserts, sets, erases and
// removals at several fills, checked element by element after every step, with node bounds
// (no node past its fill, no empty node) checked as well; then the fill rules at their edges.
#include "shards/types/list_value.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>

namespace ringside::shards {
namespace {

std::deque<std::string> Elements(const ListValue& l) {
  std::deque<std::string> out;
  if (l.empty()) return out;
  ListValue::Cursor c = l.Locate(0);
  std::string buf;
  do {
    out.emplace_back(l.Get(c).View(&buf));
  } while (l.Next(&c));
  return out;
}

void ExpectSame(const ListValue& l, const std::deque<std::string>& model, int fill) {
  ASSERT_EQ(l.size(), model.size());
  ASSERT_EQ(Elements(l), model);
  std::string buf;
  if (!model.empty()) {
    // Indexing from either half, and walking backwards.
    for (size_t i : {size_t{0}, model.size() / 3, model.size() / 2, model.size() - 1}) {
      ASSERT_EQ(l.At(i, &buf), model[i]) << i;
    }
    ListValue::Cursor c = l.Last();
    size_t i = model.size();
    do {
      ASSERT_EQ(l.Get(c).View(&buf), model[--i]);
    } while (l.Prev(&c));
    ASSERT_EQ(i, 0u);
  }
  size_t total = 0, bytes = 0;
  for (size_t k = 0; k < l.NodeCount(); ++k) {
    const Listpack& n = l.Node(k);
    if (l.NodeCount() > 1) {
      ASSERT_FALSE(n.empty()) << "node " << k;
    }
    if (fill > 0) {
      ASSERT_LE(n.size(), static_cast<size_t>(fill)) << "node " << k;
    }
    total += n.size();
    bytes += n.bytes();
  }
  ASSERT_EQ(total, model.size());
  ASSERT_GE(l.MemoryBytes(), bytes);
}

std::string RandomElement(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return std::to_string(static_cast<int>(rng() % 2000) - 1000);  // an integer entry
    case 1:
      return std::string(1 + rng() % 300, static_cast<char>('a' + rng() % 3));
    default:
      return std::string(1, static_cast<char>('a' + rng() % 3));
  }
}

class ListValueModel : public ::testing::TestWithParam<int> {};

TEST_P(ListValueModel, RandomEditsMatchADeque) {
  const ListLimits limits{GetParam()};
  std::mt19937 rng(23 + GetParam());
  for (int round = 0; round < 20; ++round) {
    ListValue l;
    std::deque<std::string> model;
    for (int step = 0; step < 400; ++step) {
      const std::string s = RandomElement(rng);
      const unsigned op = rng() % 10;
      if (op <= 2) {
        l.PushBack(s, limits);
        model.push_back(s);
      } else if (op == 3) {
        l.PushFront(s, limits);
        model.push_front(s);
      } else if (op == 4 && !model.empty()) {
        ASSERT_EQ(l.PopFront(), model.front());
        model.pop_front();
      } else if (op == 5 && !model.empty()) {
        ASSERT_EQ(l.PopBack(), model.back());
        model.pop_back();
      } else if (op == 6 && !model.empty()) {
        const size_t i = rng() % model.size();
        const bool after = rng() % 2 == 0;
        l.Insert(i, after, s, limits);
        model.insert(model.begin() + static_cast<ptrdiff_t>(i + (after ? 1 : 0)), s);
      } else if (op == 7 && !model.empty()) {
        const size_t i = rng() % model.size();
        l.Set(i, s);
        model[i] = s;
      } else if (op == 8 && !model.empty() && rng() % 4 == 0) {
        const size_t i = rng() % model.size();
        const size_t n = rng() % 20;
        l.Erase(i, n);
        model.erase(model.begin() + static_cast<ptrdiff_t>(i),
                    model.begin() + static_cast<ptrdiff_t>(std::min(model.size(), i + n)));
      } else if (op == 9 && rng() % 3 == 0) {
        const int64_t count = static_cast<int64_t>(rng() % 5) - 2;
        const std::string v(1, static_cast<char>('a' + rng() % 3));
        size_t expect = 0;
        if (count >= 0) {
          for (auto it = model.begin(); it != model.end();) {
            if (*it == v && (count == 0 || expect < static_cast<size_t>(count))) {
              it = model.erase(it);
              ++expect;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = model.size(); i-- > 0;) {
            if (model[i] == v && expect < static_cast<size_t>(-count)) {
              model.erase(model.begin() + static_cast<ptrdiff_t>(i));
              ++expect;
            }
          }
        }
        ASSERT_EQ(l.Remove(v, count), expect);
      }
      ExpectSame(l, model, GetParam());
      if (HasFatalFailure()) {
        FAIL() << "fill " << GetParam() << " round " << round << " step " << step;
      }
    }
    const ListValue copy = l.Clone();
    ExpectSame(copy, model, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Fills, ListValueModel, ::testing::Values(-2, -1, 1, 3, 16, 128));

TEST(ListValue, ShortListIsOneNode) {
  ListValue l;
  for (int i = 0; i < 100; ++i) l.PushBack("element", {});
  EXPECT_EQ(l.NodeCount(), 1u);
  EXPECT_EQ(l.MemoryBytes(), l.Node(0).bytes());
}

TEST(ListValue, PositiveFillCountsElementsPerNode) {
  ListValue l;
  for (int i = 0; i < 10; ++i) l.PushBack("x", {3});
  ASSERT_EQ(l.NodeCount(), 4u);  // 3 + 3 + 3 + 1
  EXPECT_EQ(l.Node(0).size(), 3u);
  EXPECT_EQ(l.Node(3).size(), 1u);
  for (int i = 0; i < 2; ++i) l.PushFront("y", {3});
  ASSERT_EQ(l.NodeCount(), 5u);  // a full head takes a new node in front
  EXPECT_EQ(l.Node(0).size(), 2u);
}

TEST(ListValue, NegativeFillBoundsNodeBytes) {
  ListValue l;
  const std::string big(1000, 'z');
  for (int i = 0; i < 20; ++i) l.PushBack(big, {-1});  // 4 KiB nodes
  for (size_t k = 0; k < l.NodeCount(); ++k) EXPECT_LE(l.Node(k).bytes(), 4096u) << k;
  EXPECT_EQ(l.NodeCount(), 5u);  // four 1,000-byte elements fit in 4 KiB with their headers
}

TEST(ListValue, AnElementPastTheSafetyLimitTakesANodeOfItsOwn) {
  ListValue l;
  l.PushBack("a", {100});
  l.PushBack(std::string(9000, 'b'), {100});
  l.PushBack("c", {100});
  EXPECT_EQ(l.NodeCount(), 3u);
}

TEST(ListValue, AppendNodeTakesWellFormedListpacksAndSkipsEmptyOnes) {
  ListValue l;
  Listpack lp;
  lp.Append("a");
  lp.Append("12");
  EXPECT_TRUE(l.AppendNode(lp.raw()));
  EXPECT_TRUE(l.AppendNode(lp.raw()));
  EXPECT_EQ(l.NodeCount(), 2u);
  EXPECT_EQ(Elements(l), (std::deque<std::string>{"a", "12", "a", "12"}));
  EXPECT_TRUE(l.AppendNode(Listpack().raw()));
  EXPECT_EQ(l.NodeCount(), 2u);
  EXPECT_FALSE(l.AppendNode("\x07\x00\x00\x00\x00\x00"));
  EXPECT_EQ(l.size(), 4u);
}

}  // namespace
}  // namespace ringside::shards
