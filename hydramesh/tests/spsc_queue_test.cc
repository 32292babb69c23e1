#include "hydramesh/spsc_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace hydramesh {
namespace {

TEST(SpscQueueTest, FullAndEmpty) {
  SpscQueue<int> q(3);  // rounded up to 4
  EXPECT_EQ(q.capacity(), 4u);
  int v = 0;
  EXPECT_FALSE(q.try_pop(&v));
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(q.try_push(i));
  EXPECT_FALSE(q.try_push(99));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.try_pop(&v));
    EXPECT_EQ(v, i);
  }
}

TEST(SpscQueueTest, TransfersInOrderAcrossThreads) {
  SpscQueue<std::uint64_t> q(64);
  constexpr std::uint64_t kCount = 200000;
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kCount;) {
      if (q.try_push(i)) ++i;
    }
  });
  std::uint64_t expected = 0;
  while (expected < kCount) {
    std::uint64_t v;
    if (q.try_pop(&v)) {
      ASSERT_EQ(v, expected);
      ++expected;
    }
  }
  producer.join();
}

}  // namespace
}  // namespace hydramesh
