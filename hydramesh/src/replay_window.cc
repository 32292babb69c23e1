#include "hydramesh/replay_window.h"

namespace hydramesh {

void ReplayWindow::reset() {
  any_ = false;
  newest_ = 0;
  bits_.fill(0);
}

bool ReplayWindow::test_bit(std::uint64_t sequence) const {
  const std::uint64_t i = sequence % kWindow;
  return (bits_[i / 64] >> (i % 64)) & 1u;
}

void ReplayWindow::set_bit(std::uint64_t sequence, bool value) {
  const std::uint64_t i = sequence % kWindow;
  const std::uint64_t mask = std::uint64_t{1} << (i % 64);
  if (value) {
    bits_[i / 64] |= mask;
  } else {
    bits_[i / 64] &= ~mask;
  }
}

bool ReplayWindow::is_fresh(std::uint64_t sequence) const {
  if (!any_ || sequence > newest_) return true;
  if (newest_ - sequence >= kWindow) return false;  // too old to tell: reject
  return !test_bit(sequence);
}

void ReplayWindow::mark(std::uint64_t sequence) {
  if (!any_) {
    any_ = true;
    newest_ = sequence;
    bits_.fill(0);
  } else if (sequence > newest_) {
    const std::uint64_t advance = sequence - newest_;
    if (advance >= kWindow) {
      bits_.fill(0);
    } else {
      for (std::uint64_t s = newest_ + 1; s < sequence; ++s)
        set_bit(s, false);
    }
    newest_ = sequence;
  }
  set_bit(sequence, true);
}

}  // namespace hydramesh
