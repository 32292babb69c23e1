#include "hydramesh/concealer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "signal_analysis.h"

namespace hydramesh {
namespace {

// Plays a 440 Hz sine in 64-frame packets through the concealer, losing the packets in `lost`.
std::vector<float> play(const std::vector<int>& lost, int packets, int* concealed) {
  Concealer concealer;
  EXPECT_TRUE(concealer.setup(1).ok());
  TestSignal sine(TestSignal::Kind::kSine, 440.0, 48000);
  std::vector<float> out;
  std::vector<float> block(64);
  float* ptr[] = {block.data()};
  *concealed = 0;
  for (int p = 0; p < packets; ++p) {
    for (float& x : block)
      x = sine.next();
    if (std::find(lost.begin(), lost.end(), p) != lost.end()) {
      concealer.conceal(ptr, 64);
      ++*concealed;
    } else {
      concealer.on_good(ptr, 64);
    }
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

constexpr double kClickThreshold = 0.02;  // 4% of the 0.5 amplitude

TEST(ConcealerTest, SingleLossesAreClickFree) {
  int concealed = 0;
  // Single losses, a burst, and losses close together (history that holds concealment).
  const auto out = play({20, 41, 42, 77, 79, 81, 100, 101, 102}, 120, &concealed);
  EXPECT_EQ(concealed, 9);
  // Skip the stream-start fade-in.
  EXPECT_EQ(testing::count_clicks(out, 440, 48000, kClickThreshold, 200), 0);
  // The repeat keeps the level up (not silence) during a short loss.
  double peak = 0;
  for (int i = 20 * 64; i < 21 * 64; ++i)
    peak = std::max(peak, std::fabs(static_cast<double>(out[i])));
  EXPECT_GT(peak, 0.4);
}

TEST(ConcealerTest, LongLossFadesToSilenceAndFadesBackIn) {
  std::vector<int> lost;
  for (int p = 30; p < 60; ++p)
    lost.push_back(p);  // 40 ms
  int concealed = 0;
  const auto out = play(lost, 100, &concealed);
  // Silent by the end of the gap (5 ms hold + 10 ms fade < 40 ms).
  for (int i = 55 * 64; i < 60 * 64; ++i)
    ASSERT_EQ(out[i], 0.0f) << i;
  EXPECT_EQ(testing::count_clicks(out, 440, 48000, kClickThreshold, 200), 0);
  double peak = 0;
  for (int i = 62 * 64; i < 64 * 64; ++i)
    peak = std::max(peak, std::fabs(static_cast<double>(out[i])));
  EXPECT_GT(peak, 0.45);  // back at full level after the return crossfade
}

TEST(ConcealerTest, DetectorSeesAHardCut) {
  // Guard against a test that cannot fail: a plain repeat of the last packet clicks.
  TestSignal sine(TestSignal::Kind::kSine, 440.0, 48000);
  std::vector<float> out;
  std::vector<float> last(64);
  for (int p = 0; p < 40; ++p) {
    std::vector<float> block(64);
    for (float& x : block)
      x = sine.next();
    if (p == 20) block = last;
    last = block;
    out.insert(out.end(), block.begin(), block.end());
  }
  EXPECT_GE(testing::count_clicks(out, 440, 48000, kClickThreshold), 1);
}

TEST(ConcealerTest, RejectsAFadeLongerThanItsHistoryHolds) {
  Concealer concealer;
  EXPECT_TRUE(concealer.setup(2, 960, 1920).ok());  // 5 + 10 ms at 192 kHz
  EXPECT_FALSE(concealer.setup(2, 1000, Concealer::kHistory).ok());
}

TEST(ConcealerTest, StartsWithAFadeIn) {
  Concealer concealer;
  ASSERT_TRUE(concealer.setup(1).ok());
  std::vector<float> block(64, 0.5f);
  float* ptr[] = {block.data()};
  concealer.on_good(ptr, 64);
  EXPECT_LT(block[0], 0.02f);
  EXPECT_GT(block[63], 0.49f);
}

TEST(ConcealerTest, RandomLossBurstsAreClickFree) {
  // Bursts of 1..20 lost packets separated by 1..6 good ones: concealments that begin soon
  // after a return, while the history still holds the gap before it.
  std::mt19937 rng(5);
  std::vector<int> lost;
  int p = 100;
  while (p < 8000) {
    const int burst = std::uniform_int_distribution<int>(1, 20)(rng);
    for (int i = 0; i < burst; ++i)
      lost.push_back(p++);
    p += std::uniform_int_distribution<int>(1, 6)(rng);
  }
  int concealed = 0;
  const auto out = play(lost, 8000, &concealed);
  EXPECT_EQ(testing::count_clicks(out, 440, 48000, kClickThreshold, 200), 0);
}

}  // namespace
}  // namespace hydramesh
