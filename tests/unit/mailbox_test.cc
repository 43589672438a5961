#include "shards/mailbox.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace ringside::shards {
namespace {

TEST(SpscQueue, PopsInPushOrderAndReportsEmpty) {
  SpscQueue<int> q(4);
  EXPECT_FALSE(q.TryPop().has_value());
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(q.TryPush(i));
  EXPECT_EQ(q.TryPop(), 1);
  EXPECT_EQ(q.TryPop(), 2);
  EXPECT_EQ(q.TryPop(), 3);
  EXPECT_FALSE(q.TryPop().has_value());
}

TEST(SpscQueue, RefusesWhenFullAndLeavesTheValueWithTheCaller) {
  SpscQueue<std::unique_ptr<int>> q(2);
  auto a = std::make_unique<int>(1), b = std::make_unique<int>(2), c = std::make_unique<int>(3);
  ASSERT_TRUE(q.TryPush(a));
  ASSERT_TRUE(q.TryPush(b));
  EXPECT_FALSE(q.TryPush(c));
  ASSERT_NE(c, nullptr);  // not moved from
  EXPECT_EQ(**q.TryPop(), 1);
  EXPECT_TRUE(q.TryPush(c));
  EXPECT_EQ(**q.TryPop(), 2);
  EXPECT_EQ(**q.TryPop(), 3);
}

TEST(SpscQueue, DestroysWhatIsLeft) {
  auto counter = std::make_shared<int>(0);
  {
    SpscQueue<std::shared_ptr<int>> q(8);
    for (int i = 0; i < 5; ++i) {
      auto p = counter;
      ASSERT_TRUE(q.TryPush(p));
    }
    EXPECT_EQ(counter.use_count(), 6);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

TEST(SpscQueue, TwoThreadsSeeEveryItemOnceInOrder) {
  constexpr int kItems = 1'000'000;
  SpscQueue<int> q(1024);
  std::thread producer([&] {
    for (int i = 0; i < kItems;) {
      int v = i;
      if (q.TryPush(v)) ++i;
    }
  });
  int expected = 0;
  while (expected < kItems) {
    if (auto v = q.TryPop()) {
      ASSERT_EQ(*v, expected);
      ++expected;
    }
  }
  producer.join();
  EXPECT_FALSE(q.TryPop().has_value());
}

}  // namespace
}  // namespace ringside::shards
