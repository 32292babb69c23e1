#include "hydramesh/drift_controller.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hydramesh {

void DriftController::setup(double period_seconds, double sample_rate) {
  period_ = period_seconds;
  sample_rate_ = sample_rate;
  // Measurement low-pass at 1 Hz; loop natural frequency 0.1 Hz, damping 1 (slow next to the
  // 0.25 s slack window the error is measured over, so the window adds little phase lag).
  lowpass_coeff_ = 1.0 - std::exp(-2.0 * std::numbers::pi * 1.0 * period_seconds);
  const double omega = 2.0 * std::numbers::pi * 0.1;
  kp_ = 2.0 * omega;
  ki_ = omega * omega;
  reset();
}

void DriftController::reset() {
  filtered_ = 0.0;
  integral_ = 0.0;
  correction_ = 0.0;
  primed_ = false;
}

double DriftController::update(double error_frames, bool integrate) {
  const double error_seconds = error_frames / sample_rate_;
  if (!primed_) {
    filtered_ = error_seconds;
    primed_ = true;
  } else {
    filtered_ += lowpass_coeff_ * (error_seconds - filtered_);
  }
  if (integrate) integral_ += ki_ * filtered_ * period_;
  integral_ = std::clamp(integral_, -kMaxCorrection, kMaxCorrection);
  correction_ = std::clamp(integral_ + kp_ * filtered_, -kMaxCorrection, kMaxCorrection);
  return correction_;
}

}  // namespace hydramesh
