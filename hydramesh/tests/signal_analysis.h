// Helpers for tests that judge audio: click detection on sines, alignment, SNR.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

#include "hydramesh/test_signal.h"

namespace hydramesh::testing {

// Counts clicks in a recording of a sine of frequency hz: places where the second-order
// sine predictor residual x[n] - 2cos(w)x[n-1] + x[n-2] exceeds threshold (a pure sine of any
// amplitude and phase gives 0; slow fades give little; a discontinuity gives a spike).
// Spikes closer than 64 samples count once.
inline int count_clicks(const std::vector<float>& x, double hz, double rate, double threshold,
                        std::size_t begin = 2, std::size_t end = SIZE_MAX) {
  const double c = 2.0 * std::cos(2.0 * std::numbers::pi * hz / rate);
  int clicks = 0;
  std::size_t last = 0;
  end = std::min(end, x.size());
  for (std::size_t n = std::max<std::size_t>(begin, 2); n < end; ++n) {
    const double r = x[n] - c * x[n - 1] + x[n - 2];
    if (std::fabs(r) > threshold) {
      if (clicks == 0 || n - last > 64) ++clicks;
      last = n;
    }
  }
  return clicks;
}

// The deterministic noise the probe plays, from its first sample.
inline std::vector<float> reference_noise(std::size_t frames) {
  TestSignal noise(TestSignal::Kind::kNoise, 0, 48000);
  std::vector<float> out(frames);
  for (float& v : out)
    v = noise.next();
  return out;
}

// Finds where recorded[at..at+64) occurs in reference; returns the reference index or -1.
inline long find_in_reference(const std::vector<float>& reference,
                              const std::vector<float>& recorded, std::size_t at) {
  if (at + 64 > recorded.size()) return -1;
  for (std::size_t r = 0; r + 64 <= reference.size(); ++r) {
    if (reference[r] != recorded[at]) continue;
    bool match = true;
    for (std::size_t i = 1; i < 64 && match; ++i)
      match = reference[r + i] == recorded[at + i];
    if (match) return static_cast<long>(r);
  }
  return -1;
}

}  // namespace hydramesh::testing
