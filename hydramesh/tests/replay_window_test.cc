#include "hydramesh/replay_window.h"

#include <gtest/gtest.h>

namespace hydramesh {
namespace {

TEST(ReplayWindowTest, AcceptsEachSequenceOnce) {
  ReplayWindow w;
  for (std::uint64_t s : {5u, 6u, 8u, 7u}) {
    ASSERT_TRUE(w.is_fresh(s)) << s;
    w.mark(s);
  }
  for (std::uint64_t s : {5u, 6u, 7u, 8u})
    EXPECT_FALSE(w.is_fresh(s)) << s;
  EXPECT_TRUE(w.is_fresh(4));  // older but inside the window and never seen
  EXPECT_TRUE(w.is_fresh(9));
}

TEST(ReplayWindowTest, RejectsTooOldAndHandlesBigJumps) {
  ReplayWindow w;
  w.mark(10);
  w.mark(10 + ReplayWindow::kWindow + 5);
  EXPECT_FALSE(w.is_fresh(10));
  EXPECT_FALSE(w.is_fresh(5));  // beyond the window: cannot tell, so reject
  EXPECT_TRUE(w.is_fresh(10 + ReplayWindow::kWindow + 4));
  // Bits of sequences skipped by a jump are clear (fresh), not stale from the ring's last lap.
  w.mark(10 + 2 * ReplayWindow::kWindow);
  EXPECT_TRUE(w.is_fresh(10 + 2 * ReplayWindow::kWindow - 1));
  w.reset();
  EXPECT_TRUE(w.is_fresh(10));
}

}  // namespace
}  // namespace hydramesh
