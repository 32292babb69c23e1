// Helpers for tests that judge audio: click detection on sines, alignment, SNR.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

#include "hydramesh/probe_times.h"
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

namespace hydramesh::testing {

// SNR (dB) of x as a sine of frequency hz: least-squares fit of a*sin + b*cos + c, then
// fitted power over residual power. Needs no alignment, so it suits codecs with delay.
inline double sine_snr_db(const std::vector<float>& x, double hz, double rate, std::size_t begin,
                          std::size_t end) {
  const double w = 2.0 * std::numbers::pi * hz / rate;
  double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0, s1 = 0, c1 = 0, x1 = 0;
  const double n = static_cast<double>(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const double s = std::sin(w * static_cast<double>(i)), c = std::cos(w * static_cast<double>(i));
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += x[i] * s;
    xc += x[i] * c;
    s1 += s;
    c1 += c;
    x1 += x[i];
  }
  // Solve the 3x3 normal equations by Cramer's rule.
  const double m[3][3] = {{ss, sc, s1}, {sc, cc, c1}, {s1, c1, n}};
  const double v[3] = {xs, xc, x1};
  auto det3 = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
           a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det3(m);
  double coef[3];
  for (int k = 0; k < 3; ++k) {
    double mk[3][3];
    for (int r = 0; r < 3; ++r) {
      for (int col = 0; col < 3; ++col)
        mk[r][col] = col == k ? v[r] : m[r][col];
    }
    coef[k] = det3(mk) / d;
  }
  double signal = 0, noise = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double fit = coef[0] * std::sin(w * static_cast<double>(i)) +
                       coef[1] * std::cos(w * static_cast<double>(i)) + coef[2];
    signal += fit * fit;
    noise += (x[i] - fit) * (x[i] - fit);
  }
  return 10.0 * std::log10(signal / std::max(noise, 1e-30));
}

}  // namespace hydramesh::testing

namespace hydramesh::testing {

// Splits recorded[from..to) into segments and checks each one sample for sample against the
// reference at its own alignment (the previous segment's, else searched). A JACK xrun drops a
// period and so moves the alignment: the segment it falls in is inexact, the next ones are
// exact again at the new alignment.
struct Exactness {
  int segments = 0;
  std::vector<std::size_t> inexact_from;  // recorded index where each inexact segment starts
};

inline Exactness check_exact_segments(const std::vector<float>& reference,
                                      const std::vector<float>& recorded, std::size_t from,
                                      std::size_t to, std::size_t segment) {
  Exactness result;
  long offset = 0;  // reference index minus recorded index (negative when recording began first)
  bool aligned = false;
  to = std::min(to, recorded.size());
  for (std::size_t s = from; s + segment <= to; s += segment) {
    ++result.segments;
    auto matches = [&](long off) {
      const long first = static_cast<long>(s) + off;
      if (first < 0 || static_cast<std::size_t>(first) + segment > reference.size()) return false;
      for (std::size_t i = 0; i < segment; ++i) {
        if (recorded[s + i] != reference[static_cast<std::size_t>(first) + i]) return false;
      }
      return true;
    };
    if (!aligned || !matches(offset)) {
      const long found = find_in_reference(reference, recorded, s);
      aligned = found >= 0;
      offset = found - static_cast<long>(s);
      if (!aligned || !matches(offset)) result.inexact_from.push_back(s);
    }
  }
  return result;
}

// Sample-exactness of the probe's noise in recorded[..to), from the end of the silence before
// the recorder's connection took effect, judged against the xruns of the servers in the chain:
// a stalled graph spoils what it touches, so only an inexact segment away from every xrun (see
// near_xrun; `times` places the recording) is a fault of the stream. `clear` says how many
// segments that judged: on a machine busy enough to xrun all the time, few.
struct TimedExactness {
  int segments = 0;
  int clear = 0;                     // segments away from every xrun
  std::vector<long> unexplained_ms;  // inexact segments away from every xrun: ms into the take
  int silent_takes = 0;              // recordings with nothing to judge: the stream never came
};

inline TimedExactness judge_exactness(const std::vector<float>& recorded, const ProbeTimes& times,
                                      const std::vector<XrunSpan>& xruns,
                                      std::size_t to = SIZE_MAX) {
  static const std::vector<float> reference = reference_noise(48000 * 30);
  constexpr std::size_t kSegment = 2400;
  TimedExactness result;
  if (!times.ok()) return result;  // nothing judged
  std::size_t from = 0;
  while (from < recorded.size() && recorded[from] == 0.0f)
    ++from;
  from += 64;
  const Exactness e = check_exact_segments(reference, recorded, from, to, kSegment);
  result.segments = e.segments;
  result.silent_takes = e.segments == 0 ? 1 : 0;
  for (int i = 0; i < e.segments; ++i) {
    const std::size_t s = from + static_cast<std::size_t>(i) * kSegment;
    const double begin_us = times.usecs_at(static_cast<double>(s));
    if (near_xrun(xruns, begin_us, times.usecs_at(static_cast<double>(s + kSegment)))) continue;
    ++result.clear;
    if (std::find(e.inexact_from.begin(), e.inexact_from.end(), s) != e.inexact_from.end())
      result.unexplained_ms.push_back(std::lround((begin_us - times.start_us()) / 1000.0));
  }
  return result;
}

// A take too busy to judge (fewer clear segments than a test's floor: the servers kept
// xrunning) is taken again, up to kMaxTakes in all. The clear segments of the takes add up
// towards the floor, and an unexplained segment in any take fails the test: the evidence asked
// for is the same, gathered in the calmer moments of a noisy machine.
constexpr int kMaxTakes = 4;

inline TimedExactness& operator+=(TimedExactness& total, const TimedExactness& take) {
  total.segments += take.segments;
  total.clear += take.clear;
  total.silent_takes += take.silent_takes;
  total.unexplained_ms.insert(total.unexplained_ms.end(), take.unexplained_ms.begin(),
                              take.unexplained_ms.end());
  return total;
}

}  // namespace hydramesh::testing
