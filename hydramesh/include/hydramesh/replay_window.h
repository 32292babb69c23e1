// Sliding-window replay protection for one (key, packet type) sequence space.
//
// A sequence is fresh when it is newer than the newest seen, or within the last kWindow
// sequences and not seen yet. Call is_fresh() before the (costly) authentication and mark()
// only after the packet authenticated, so forged packets cannot move the window.
// Allocation-free; not thread-safe (one owner).
#pragma once

#include <array>
#include <cstdint>

namespace hydramesh {

class ReplayWindow {
 public:
  static constexpr std::uint64_t kWindow = 1024;

  void reset();
  bool is_fresh(std::uint64_t sequence) const;
  // REQUIRES: is_fresh(sequence).
  void mark(std::uint64_t sequence);

 private:
  bool test_bit(std::uint64_t sequence) const;
  void set_bit(std::uint64_t sequence, bool value);

  bool any_ = false;
  std::uint64_t newest_ = 0;
  std::array<std::uint64_t, kWindow / 64> bits_{};
};

}  // namespace hydramesh
