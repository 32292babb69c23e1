// DriftController: the delay-locked loop that keeps a jitter buffer at its target fill while the
// sender's sound-card clock runs faster or slower than ours.
//
// Once per audio period it is given the buffer fill error (frames above target) and returns the
// rate correction: the fraction by which playout should consume input faster than nominal
// (+0.001 = consume 1000 ppm faster). The measured error is low-passed first (fill jumps by a
// packet whenever one arrives), then drives a proportional-integral loop whose integral term
// settles on the clock difference, reported as drift_ppm(). Tuned for a loop bandwidth of about
// 0.1 Hz, critically damped. Pure arithmetic: allocation-free, audio-thread safe.
#pragma once

namespace hydramesh {

class DriftController {
 public:
  // period_seconds: the time between update() calls; sample_rate: of the error's frames.
  void setup(double period_seconds, double sample_rate);
  void reset();

  // error_frames = fill - target. Returns the correction, clamped to +-kMaxCorrection. With
  // integrate false, the integral (the clock estimate) holds and only the proportional term
  // acts on the error.
  double update(double error_frames, bool integrate = true);

  double correction() const { return correction_; }
  // The integral term: the loop's estimate of the sender's clock offset, in ppm.
  double drift_ppm() const { return integral_ * 1e6; }

  static constexpr double kMaxCorrection = 0.003;

 private:
  double period_ = 0.0;
  double sample_rate_ = 48000.0;
  double lowpass_coeff_ = 0.0;
  double kp_ = 0.0;
  double ki_ = 0.0;
  double filtered_ = 0.0;
  double integral_ = 0.0;
  double correction_ = 0.0;
  bool primed_ = false;
};

}  // namespace hydramesh
