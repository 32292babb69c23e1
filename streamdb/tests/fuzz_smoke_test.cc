// Runs the fuzz target's entry point over a few thousand pseudo-random inputs in every mode,
// so the parsers it reaches stay crash-free in the normal (sanitized) test suite too.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "fuzz_storage.h"

namespace streamdb::fuzz {
namespace {

TEST(FuzzSmokeTest, RandomInputsInEveryModeNeverCrash) {
  std::mt19937 rng(4242);
  for (int i = 0; i < 800; ++i) {
    std::vector<std::uint8_t> input(1 + rng() % 300);
    for (auto& b : input)
      b = static_cast<std::uint8_t>(rng());
    int mode = i % 4;
    input[0] = static_cast<std::uint8_t>(mode);
    if (mode == 1 || mode == 3) input.resize(1 + 3 * (1 + rng() % 4));  // edits to a segment
    EXPECT_EQ(storage_one_input(input.data(), input.size()), 0);
  }
}

}  // namespace
}  // namespace streamdb::fuzz
