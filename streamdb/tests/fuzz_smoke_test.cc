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
  for (int i = 0; i < 600; ++i) {
    std::vector<std::uint8_t> input(1 + rng() % 300);
    for (auto& b : input)
      b = static_cast<std::uint8_t>(rng());
    input[0] = static_cast<std::uint8_t>(i % 3);
    if (i % 3 == 1) input.resize(1 + 3 * (1 + rng() % 4));  // a few edits to a real segment
    EXPECT_EQ(storage_one_input(input.data(), input.size()), 0);
  }
}

}  // namespace
}  // namespace streamdb::fuzz
