#include "hydramesh/concealer.h"

#include <algorithm>
#include <cmath>

namespace hydramesh {

archibald::Status Concealer::setup(int channels, int hold_frames, int fade_frames) {
  if (channels < 1 || hold_frames < 0 || fade_frames < 1) {
    return archibald::Status::invalid_argument("concealer: bad channel count or fade lengths");
  }
  channels_ = channels;
  hold_frames_ = hold_frames;
  fade_frames_ = fade_frames;
  history_.clear();
  for (int c = 0; c < channels; ++c)
    history_.push_back(std::make_unique<float[]>(kHistory));
  lag_.assign(static_cast<std::size_t>(channels), kMinLag);
  correction_.assign(static_cast<std::size_t>(channels), 0.0f);
  linear_.assign(kMaxLag + kMatchFrames, 0.0f);
  reset();
  return {};
}

void Concealer::reset() {
  history_end_ = 0;
  history_fill_ = 0;
  concealing_ = true;
  silent_ = true;
  returning_ = false;
  position_ = 0;
}

float Concealer::history_at(int channel, int back) const {
  return history_[static_cast<std::size_t>(channel)]
                 [static_cast<std::size_t>((history_end_ - back) & (kHistory - 1))];
}

namespace {

// Normalised match of the kMatchFrames frames before `now` against those before `now - lag`,
// looking at every `stride`-th frame. x points at a linear copy of the recent history.
double match_score(const float* x, int now, int lag, int match, int stride) {
  double xy = 0, yy = 0;
  for (int i = 1; i <= match; i += stride) {
    const double y = x[now - lag - i];
    xy += x[now - i] * y;
    yy += y * y;
  }
  return yy > 1e-12 ? xy / std::sqrt(yy) : -1e300;
}

}  // namespace

void Concealer::begin_concealment() {
  concealing_ = true;
  returning_ = false;
  position_ = 0;
  silent_ = history_fill_ < kMatchFrames + kMinLag + 2;
  if (silent_) return;
  const int max_lag = static_cast<int>(std::min<long>(kMaxLag, history_fill_ - kMatchFrames));
  const int span = max_lag + kMatchFrames;  // frames of history the search reads
  float* x = linear_.data();
  for (int c = 0; c < channels_; ++c) {
    for (int i = 0; i < span; ++i)
      x[i] = history_at(c, span - i);
    // Coarse: every 4th lag over every 4th frame; then every lag near the best, all frames.
    int best = max_lag;
    double best_score = -1e300;
    for (int lag = kMinLag; lag <= max_lag; lag += 4) {
      const double score = match_score(x, span, lag, kMatchFrames, 4);
      if (score > best_score) {
        best_score = score;
        best = lag;
      }
    }
    best_score = -1e300;
    const int centre = best;
    for (int lag = std::max(kMinLag, centre - 3); lag <= std::min(max_lag, centre + 3); ++lag) {
      const double score = match_score(x, span, lag, kMatchFrames, 1);
      if (score > best_score) {
        best_score = score;
        best = lag;
      }
    }
    lag_[static_cast<std::size_t>(c)] = best;
    // Linear prediction of the next sample vs. the first repeated sample.
    const float predicted = 2.0f * history_at(c, 1) - history_at(c, 2);
    correction_[static_cast<std::size_t>(c)] = predicted - history_at(c, best);
  }
}

float Concealer::extension(int channel, long position) const {
  if (silent_) return 0.0f;
  float gain = 1.0f;
  if (position >= hold_frames_ + fade_frames_) return 0.0f;
  if (position >= hold_frames_) {
    gain =
        1.0f - static_cast<float>(position - hold_frames_ + 1) / static_cast<float>(fade_frames_);
  }
  const int lag = lag_[static_cast<std::size_t>(channel)];
  // Repeat the last `lag` frames: frame position maps to history (lag - position % lag) back.
  const int back = lag - static_cast<int>(position % lag);
  float x = history_at(channel, back);
  if (position < kEntryFrames) {
    x += correction_[static_cast<std::size_t>(channel)] *
         (1.0f - static_cast<float>(position) / static_cast<float>(kEntryFrames));
  }
  return gain * x;
}

void Concealer::conceal(float* const* out, int frames) {
  if (!concealing_) begin_concealment();
  for (int c = 0; c < channels_; ++c) {
    for (int f = 0; f < frames; ++f)
      out[c][f] = extension(c, position_ + f);
  }
  position_ += frames;
}

void Concealer::mark_discontinuity() {
  if (!concealing_) {
    begin_concealment();
  }
}

void Concealer::on_good(float* const* block, int frames) {
  if (concealing_) {
    concealing_ = false;
    returning_ = true;
    return_position_ = 0;
  }
  if (returning_) {
    // The crossfade may span several short blocks; position_ stays frozen meanwhile.
    const int n = std::min(frames, kReturnFrames - return_position_);
    for (int c = 0; c < channels_; ++c) {
      for (int f = 0; f < n; ++f) {
        const float w =
            static_cast<float>(return_position_ + f + 1) / static_cast<float>(kReturnFrames + 1);
        block[c][f] = w * block[c][f] + (1.0f - w) * extension(c, position_ + return_position_ + f);
      }
    }
    return_position_ += n;
    returning_ = return_position_ < kReturnFrames;
  }
  for (int f = 0; f < frames; ++f) {
    const std::size_t i = static_cast<std::size_t>((history_end_ + f) & (kHistory - 1));
    for (int c = 0; c < channels_; ++c)
      history_[static_cast<std::size_t>(c)][i] = block[c][f];
  }
  history_end_ += frames;
  history_fill_ = std::min<long>(kHistory, history_fill_ + frames);
}

}  // namespace hydramesh
