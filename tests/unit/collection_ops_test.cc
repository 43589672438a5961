// The hash and set Op* functions on a real Store: results, wrong types, emptied keys going
// away, TTLs kept, and memory accounting that returns to where it started.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shards/hash_ops.h"
#include "shards/rdb.h"
#include "shards/set_ops.h"
#include "shards/store.h"

namespace ringside::shards {
namespace {

class CollectionOpsTest : public ::testing::Test {
 protected:
  CollectionOpsTest() : store_(0, 1, 16, &clock_) {}

  std::set<std::string> Members(std::string_view key) {
    std::set<std::string> out;
    auto r = OpFind(store_, 0, key, ObjType::kSet, false);
    if (r.ok() && r.value != nullptr) {
      r.value->set().ForEach([&](std::string_view m) { out.emplace(m); });
    }
    return out;
  }

  FakeClock clock_;
  Store store_;
};

TEST_F(CollectionOpsTest, HashWritesAndTheirResults) {
  const std::string_view pairs[] = {"a", "1", "b", "2", "a", "3"};
  auto r = OpHSet(store_, 0, "h", pairs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value, 2);  // "a" twice counts once
  Entry* e = store_.Find(0, "h");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type(), ObjType::kHash);
  std::string buf;
  std::string_view v;
  ASSERT_TRUE(e->hash().Get("a", &buf, &v));
  EXPECT_EQ(v, "3");
  EXPECT_FALSE(OpHSetNx(store_, 0, "h", "a", "x").value);
  EXPECT_TRUE(OpHSetNx(store_, 0, "h", "c", "x").value);
  EXPECT_EQ(OpHIncrBy(store_, 0, "h", "a", 4).value, 7);
  EXPECT_EQ(OpHIncrBy(store_, 0, "h", "c", 1).status, OpStatus::kNotInteger);
  EXPECT_EQ(OpHIncrByFloat(store_, 0, "h", "a", 0.5L).value, "7.5");
  EXPECT_EQ(OpHIncrByFloat(store_, 0, "h", "c", 1).status, OpStatus::kNotFloat);
  const std::string_view max[] = {"m", "9223372036854775807"};
  OpHSet(store_, 0, "h", max);
  EXPECT_EQ(OpHIncrBy(store_, 0, "h", "m", 1).status, OpStatus::kOverflow);
}

TEST_F(CollectionOpsTest, WrongTypeLeavesTheKeyAlone) {
  store_.Set(0, "s", std::string("v"));
  const std::string_view pair[] = {"f", "v"};
  EXPECT_EQ(OpHSet(store_, 0, "s", pair).status, OpStatus::kWrongType);
  EXPECT_EQ(OpSAdd(store_, 0, "s", pair).status, OpStatus::kWrongType);
  EXPECT_EQ(OpSPop(store_, 0, "s", 1).status, OpStatus::kWrongType);
  OpSAdd(store_, 0, "set", pair);
  EXPECT_EQ(OpHDel(store_, 0, "set", pair).status, OpStatus::kWrongType);
  EXPECT_EQ(OpSMove(store_, 0, "set", "s", "f").status, OpStatus::kWrongType);
  EXPECT_EQ(store_.Find(0, "s")->value(), "v");
  EXPECT_EQ(Members("set"), (std::set<std::string>{"f", "v"}));
}

TEST_F(CollectionOpsTest, EmptiedCollectionsAreDeletedAndKeepNoBytes) {
  const size_t start = store_.UsedBytes();
  std::vector<std::string> fields;
  for (int i = 0; i < 300; ++i) fields.push_back("field" + std::to_string(i));
  std::vector<std::string_view> pairs;
  for (const auto& f : fields) {
    pairs.push_back(f);
    pairs.push_back(f);
  }
  OpHSet(store_, 0, "h", pairs);  // past 128 fields: a table
  EXPECT_EQ(store_.Find(0, "h")->hash().encoding(), HashValue::Encoding::kTable);
  EXPECT_GT(store_.UsedBytes(), start + 300 * 10);
  std::vector<std::string_view> names(fields.begin(), fields.end());
  EXPECT_EQ(OpHDel(store_, 0, "h", names).value, 300);
  EXPECT_EQ(store_.Find(0, "h"), nullptr);
  EXPECT_EQ(store_.UsedBytes(), start);

  OpSAdd(store_, 0, "s", names);
  OpSAdd(store_, 0, "s2", names);
  EXPECT_EQ(OpSPop(store_, 0, "s", 299).value.size(), 299u);
  EXPECT_EQ(OpSRem(store_, 0, "s", names).value, 1);
  EXPECT_EQ(store_.Find(0, "s"), nullptr);
  EXPECT_EQ(OpSPop(store_, 0, "s2", 1000).value.size(), 300u);  // all of it
  EXPECT_EQ(store_.Find(0, "s2"), nullptr);
  EXPECT_EQ(store_.UsedBytes(), start);
}

TEST_F(CollectionOpsTest, ChangesKeepTheTtl) {
  const std::string_view one[] = {"1"};
  OpSAdd(store_, 0, "s", one);
  Entry* e = store_.Find(0, "s");
  store_.SetExpire(0, "s", e, clock_.NowMs() + 10'000);
  const std::string_view two[] = {"2"};
  OpSAdd(store_, 0, "s", two);
  EXPECT_EQ(store_.Find(0, "s")->expire_at, clock_.NowMs() + 10'000);
  clock_.Advance(10'001);
  EXPECT_EQ(store_.Find(0, "s"), nullptr);          // expired lazily, like any key
  EXPECT_EQ(OpSAdd(store_, 0, "s", two).value, 1);  // a new set, with no TTL
  EXPECT_EQ(store_.Find(0, "s")->expire_at, kNoExpiry);
}

TEST_F(CollectionOpsTest, SetAlgebra) {
  const std::string_view a[] = {"1", "2", "3", "x"};
  const std::string_view b[] = {"2", "3", "4"};
  OpSAdd(store_, 0, "a", a);
  OpSAdd(store_, 0, "b", b);
  const SetValue* sa = &store_.Find(0, "a")->set();
  const SetValue* sb = &store_.Find(0, "b")->set();
  const SetValue* both[] = {sa, sb};
  const SetValue* with_missing[] = {sa, nullptr};
  SetLimits limits;
  auto members = [](const SetValue& s) {
    std::set<std::string> out;
    s.ForEach([&](std::string_view m) { out.emplace(m); });
    return out;
  };
  EXPECT_EQ(members(ComputeSet(SetAlgebra::kInter, both, limits)),
            (std::set<std::string>{"2", "3"}));
  EXPECT_EQ(members(ComputeSet(SetAlgebra::kUnion, both, limits)),
            (std::set<std::string>{"1", "2", "3", "4", "x"}));
  EXPECT_EQ(members(ComputeSet(SetAlgebra::kDiff, both, limits)),
            (std::set<std::string>{"1", "x"}));
  EXPECT_TRUE(ComputeSet(SetAlgebra::kInter, with_missing, limits).empty());
  EXPECT_EQ(ComputeSet(SetAlgebra::kDiff, with_missing, limits).size(), 4u);
  EXPECT_EQ(InterCard(both, 0), 2u);
  EXPECT_EQ(InterCard(both, 1), 1u);
  // An intersection of integers is an intset, as Redis stores it.
  EXPECT_EQ(ComputeSet(SetAlgebra::kInter, both, limits).encoding(), SetValue::Encoding::kIntset);
  EXPECT_EQ(CopySet(*sa).size(), 4u);
  EXPECT_EQ(OpStoreSet(store_, 0, "d", ComputeSet(SetAlgebra::kDiff, both, limits)), 2);
  EXPECT_EQ(Members("d"), (std::set<std::string>{"1", "x"}));
  EXPECT_EQ(OpStoreSet(store_, 0, "d", SetValue()), 0);
  EXPECT_EQ(store_.Find(0, "d"), nullptr);
}

TEST_F(CollectionOpsTest, RandomMembersFollowRedisCountRules) {
  const std::string_view m[] = {"a", "b", "c", "d", "e"};
  OpSAdd(store_, 0, "s", m);
  const SetValue& s = store_.Find(0, "s")->set();
  auto distinct = RandomMembers(store_, s, 3);
  EXPECT_EQ(std::set<std::string>(distinct.begin(), distinct.end()).size(), 3u);
  EXPECT_EQ(RandomMembers(store_, s, 50).size(), 5u);  // the whole set
  auto repeated = RandomMembers(store_, s, -50);
  EXPECT_EQ(repeated.size(), 50u);
  for (const auto& x : repeated) EXPECT_TRUE(s.Contains(x));
  EXPECT_TRUE(RandomMembers(store_, s, 0).empty());
}

TEST_F(CollectionOpsTest, TakeAndPutMoveACollectionWhole) {
  const std::string_view m[] = {"1", "2", "x"};
  OpSAdd(store_, 0, "s", m);
  const size_t used = store_.UsedBytes();
  std::optional<Entry> e = store_.Take(0, "s");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type(), ObjType::kSet);
  store_.Put(0, "t", std::move(*e));
  EXPECT_EQ(Members("t"), (std::set<std::string>{"1", "2", "x"}));
  EXPECT_EQ(store_.UsedBytes(), used);  // the same key length, the same value
}

TEST_F(CollectionOpsTest, CloneCopiesEveryTypeApart) {
  const std::string_view pairs[] = {"f", "1", "g", "2"};
  OpHSet(store_, 0, "h", pairs);
  const std::string_view members[] = {"1", "x"};
  OpSAdd(store_, 0, "s", members);
  Entry h = store_.Find(0, "h")->Clone();
  Entry s = store_.Find(0, "s")->Clone();
  h.hash().Set("f", "changed", store_.limits().hash);
  s.set().Remove("x");
  std::string buf;
  std::string_view v;
  ASSERT_TRUE(store_.Find(0, "h")->hash().Get("f", &buf, &v));
  EXPECT_EQ(v, "1");  // the original is untouched
  EXPECT_TRUE(store_.Find(0, "s")->set().Contains("x"));
  EXPECT_EQ(s.set().size(), 1u);
  EXPECT_EQ(s.set().encoding(), SetValue::Encoding::kTable);  // the same encoding
}

TEST_F(CollectionOpsTest, EncodingNamesFollowHowTheValueWasWritten) {
  EXPECT_EQ(store_.Set(0, "i", std::string("-12"))->EncodingName(), "int");
  EXPECT_EQ(store_.Set(0, "z", std::string("012"))->EncodingName(), "embstr");
  EXPECT_EQ(store_.Set(0, "e", std::string(44, 'a'))->EncodingName(), "embstr");
  EXPECT_EQ(store_.Set(0, "r", std::string(45, 'a'))->EncodingName(), "raw");
  Entry* changed = store_.Set(0, "c", std::string("1"));
  changed->MutableStr().append("2");
  EXPECT_EQ(changed->EncodingName(), "raw");  // changed in place, as Redis's APPEND leaves it
  EXPECT_EQ(changed->Clone().EncodingName(), "raw");
  const std::string_view m[] = {"1"};
  OpSAdd(store_, 0, "s", m);
  EXPECT_EQ(store_.Find(0, "s")->EncodingName(), "intset");
  OpHSet(store_, 0, "h", std::vector<std::string_view>{"f", "v"});
  EXPECT_EQ(store_.Find(0, "h")->EncodingName(), "listpack");
}

TEST_F(CollectionOpsTest, SwapDbTradesKeysAndExpiries) {
  store_.Set(0, "a", std::string("zero"), clock_.NowMs() + 5000);
  store_.Set(1, "b", std::string("one"));
  store_.SwapDb(0, 1);
  EXPECT_EQ(store_.Find(0, "a"), nullptr);
  EXPECT_EQ(store_.Find(1, "a")->value(), "zero");
  EXPECT_EQ(store_.Find(0, "b")->value(), "one");
  EXPECT_EQ(store_.ExpiresCount(1), 1u);
  clock_.Advance(5001);
  EXPECT_EQ(store_.ActiveExpire(10), 1u);  // the expiry index moved with its keys
  EXPECT_EQ(store_.KeyCount(1), 0u);
  store_.SwapDb(2, 0);  // with a database never used
  EXPECT_EQ(store_.Find(2, "b")->value(), "one");
  EXPECT_EQ(store_.KeyCount(0), 0u);
}

TEST(Rdb, Crc64IsRedisOwn) { EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caull); }

TEST_F(CollectionOpsTest, DumpPayloadsRoundTripEveryEncoding) {
  store_.Set(0, "s", std::string("hello"));
  store_.Set(0, "n", std::string("-70000"));
  store_.Set(0, "long", std::string(1000, 'x'));
  OpHSet(store_, 0, "h", std::vector<std::string_view>{"a", "1", "b", "two"});
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back(std::to_string(i));
  std::vector<std::string_view> pairs, members(many.begin(), many.end());
  for (const auto& m : many) {
    pairs.push_back(m);
    pairs.push_back(m);
  }
  OpHSet(store_, 0, "hbig", pairs);
  OpSAdd(store_, 0, "i", std::vector<std::string_view>{"1", "2", "3"});
  OpSAdd(store_, 0, "w", std::vector<std::string_view>{"a", "b"});
  OpSAdd(store_, 0, "ibig", members);
  for (const char* key : {"s", "n", "long", "h", "hbig", "i", "w", "ibig"}) {
    SCOPED_TRACE(key);
    const Entry& e = *store_.Find(0, key);
    const std::string payload = DumpPayload(e);
    Entry back;
    ASSERT_EQ(ParsePayload(payload, store_.limits(), &back), RestoreError::kNone);
    EXPECT_EQ(back.type(), e.type());
    EXPECT_EQ(back.EncodingName(), e.EncodingName());
    // The same bytes again, but for a hash table's order, which is its own history's.
    if (e.EncodingName() != "hashtable") {
      EXPECT_EQ(DumpPayload(back), payload);
    }
    if (e.type() == ObjType::kSet) {
      EXPECT_EQ(back.set().size(), e.set().size());
    }
    if (e.type() == ObjType::kHash) {
      EXPECT_EQ(back.hash().size(), e.hash().size());
    }
    // Any byte changed fails the checksum; a truncated payload fails too.
    for (size_t i = 0; i < payload.size(); i += 7) {
      std::string bad = payload;
      bad[i] = static_cast<char>(bad[i] ^ 0x20);
      EXPECT_NE(ParsePayload(bad, store_.limits(), &back), RestoreError::kNone) << i;
    }
    EXPECT_NE(ParsePayload(payload.substr(0, payload.size() - 1), store_.limits(), &back),
              RestoreError::kNone);
  }
}

TEST_F(CollectionOpsTest, RestoredCollectionsTakeTheConfiguredEncodings) {
  OpSAdd(store_, 0, "i", std::vector<std::string_view>{"1", "2", "3", "4", "5"});
  OpHSet(store_, 0, "h", std::vector<std::string_view>{"a", "1", "b", "2", "c", "3"});
  TypeLimits small;
  small.set.max_intset_entries = 4;
  small.hash.max_listpack_entries = 2;
  Entry back;
  ASSERT_EQ(ParsePayload(DumpPayload(*store_.Find(0, "i")), small, &back), RestoreError::kNone);
  EXPECT_EQ(back.EncodingName(), "hashtable");
  ASSERT_EQ(ParsePayload(DumpPayload(*store_.Find(0, "h")), small, &back), RestoreError::kNone);
  EXPECT_EQ(back.EncodingName(), "hashtable");
  EXPECT_EQ(back.hash().size(), 3u);
}

}  // namespace
}  // namespace ringside::shards
