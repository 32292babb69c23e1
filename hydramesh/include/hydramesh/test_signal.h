// Deterministic test signals for tests, the demo and benchmarks.
//
// kNoise is white noise whose every sample is k/32768 with |k| <= 16384 (amplitude 0.5), so it
// passes PCM16, PCM24 and float32 unchanged: a receiver can check it sample by sample.
// kSine is a sine of the given frequency and amplitude 0.5, for concealment and SNR checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace hydramesh {

class TestSignal {
 public:
  enum class Kind { kNoise, kSine };

  TestSignal(Kind kind, double frequency_hz, double sample_rate)
      : kind_(kind), step_(2.0 * std::numbers::pi * frequency_hz / sample_rate) {}

  float next() {
    if (kind_ == Kind::kSine) {
      return static_cast<float>(0.5 * std::sin(step_ * static_cast<double>(index_++)));
    }
    // xorshift32; the top 16 bits, halved, as a signed 16-bit value.
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    const auto k = static_cast<std::int16_t>(state_ >> 16);
    return static_cast<float>(k / 2) / 32768.0f;
  }

 private:
  Kind kind_;
  double step_;
  std::uint64_t index_ = 0;
  std::uint32_t state_ = 2463534242u;
};

}  // namespace hydramesh
