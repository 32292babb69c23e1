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
  w.reset();
  EXPECT_TRUE(w.is_fresh(10));
}

// Sequences skipped by a jump shorter than the window are fresh (a reordered packet arriving
// late is played), not taken for replays because their slots in the ring were set a lap ago.
TEST(ReplayWindowTest, SequencesSkippedByAJumpAreFresh) {
  ReplayWindow w;
  for (std::uint64_t s = 0; s < 2 * ReplayWindow::kWindow; ++s)
    w.mark(s);  // every slot set
  const std::uint64_t newest = 2 * ReplayWindow::kWindow - 1;
  w.mark(newest + 5);
  for (std::uint64_t s = newest + 1; s < newest + 5; ++s)
    EXPECT_TRUE(w.is_fresh(s)) << s;
  EXPECT_FALSE(w.is_fresh(newest));
  EXPECT_FALSE(w.is_fresh(newest + 5));
}

}  // namespace
}  // namespace hydramesh
