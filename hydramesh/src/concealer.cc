#include "hydramesh/concealer.h"

#include <algorithm>
#include <cmath>

namespace hydramesh {

archibald::Status Concealer::setup(int channels, int hold_frames, int fade_frames) {
  if (channels < 1 || hold_frames < 0 || fade_frames < 1 ||
      hold_frames + fade_frames > kHistory - kMaxLag - kReturnFrames) {
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
  slope_.assign(static_cast<std::size_t>(channels), 0.0f);
  linear_.assign(kMaxLag + kMatchFrames, 0.0f);
  reset();
  return {};
}

void Concealer::reset() {
  history_end_ = 0;
  level_run_ = 0;
  sound_run_ = 0;
  concealing_ = true;
  silent_ = true;
  returning_ = false;
  position_ = 0;
  hold_ = hold_frames_;
  fade_ = fade_frames_;
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

void Concealer::set_entry(int channel, int lag) {
  // The offset that joins the repeat to what was just played: at the junction it matches the
  // linear prediction's value and the last slope, and it dies out smoothly over kEntryFrames.
  const float h1 = history_at(channel, 1), h2 = history_at(channel, 2);
  const float r0 = history_at(channel, lag), r1 = lag > 1 ? history_at(channel, lag - 1) : r0;
  const auto c = static_cast<std::size_t>(channel);
  lag_[c] = lag;
  correction_[c] = (2.0f * h1 - h2) - r0;
  slope_[c] = (h1 - h2) - (r1 - r0);
}

void Concealer::begin_concealment() {
  concealing_ = true;
  returning_ = false;
  position_ = 0;
  anchor_ = history_end_;
  hold_ = hold_frames_;
  fade_ = fade_frames_;
  silent_ = sound_run_ < 2;
  if (silent_) return;
  if (level_run_ >= kMatchFrames + kMinLag + 2) {
    const int max_lag = std::min(kMaxLag, level_run_ - kMatchFrames);
    const int span = max_lag + kMatchFrames;  // frames of history the search reads
    float* x = linear_.data();
    bool periodic = true;
    for (int c = 0; c < channels_ && periodic; ++c) {
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
      double xx = 0;
      for (int i = 1; i <= kMatchFrames; ++i)
        xx += static_cast<double>(x[span - i]) * x[span - i];
      // A repeat that does not match what precedes it jumps at every turn: not periodic enough.
      periodic = xx < 1e-9 || best_score >= kMinCorrelation * std::sqrt(xx);
      set_entry(c, best);
    }
    if (periodic) return;
  }
  // No period to repeat (the steady stretch is too short, or the signal is not periodic): play
  // the stretch since the last silence once, fading to silence before the repeat would turn.
  const int lag = std::min(sound_run_, kMaxLag);
  hold_ = 0;
  fade_ = lag;
  for (int c = 0; c < channels_; ++c)
    set_entry(c, lag);
}

float Concealer::extension(int channel, long position) const {
  if (silent_ || position >= hold_ + fade_) return 0.0f;
  float gain = 1.0f;
  if (position >= hold_) {
    gain = 1.0f - static_cast<float>(position - hold_ + 1) / static_cast<float>(fade_);
  }
  const int lag = lag_[static_cast<std::size_t>(channel)];
  // Repeat the `lag` frames before the concealment began: frame position maps to history
  // (lag - position % lag) back from there. What is appended meanwhile (at most hold + fade +
  // kReturnFrames frames) never reaches that far back in the ring.
  const int back = lag - static_cast<int>(position % lag);
  float x = history_[static_cast<std::size_t>(channel)]
                    [static_cast<std::size_t>((anchor_ - back) & (kHistory - 1))];
  if (position < kEntryFrames) {
    // Cubic Hermite basis: value and slope at the junction, zero value and slope at the end.
    const float t = static_cast<float>(position) / static_cast<float>(kEntryFrames);
    const auto c = static_cast<std::size_t>(channel);
    x += correction_[c] * ((2.0f * t - 3.0f) * t * t + 1.0f) +
         slope_[c] * static_cast<float>(kEntryFrames) * ((t - 2.0f) * t + 1.0f) * t;
  }
  return gain * x;
}

void Concealer::append(const float* const* block, int f, bool full_level) {
  const std::size_t i = static_cast<std::size_t>(history_end_ & (kHistory - 1));
  bool sound = false;
  for (int c = 0; c < channels_; ++c) {
    history_[static_cast<std::size_t>(c)][i] = block[c][f];
    sound = sound || block[c][f] != 0.0f;
  }
  ++history_end_;
  sound_run_ = sound ? std::min(kHistory, sound_run_ + 1) : 0;
  level_run_ = full_level ? std::min(kHistory, level_run_ + 1) : 0;
}

void Concealer::conceal(float* const* out, int frames) {
  if (!concealing_) begin_concealment();
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels_; ++c)
      out[c][f] = extension(c, position_);
    append(out, f, !silent_ && position_ < hold_);
    ++position_;
  }
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
  int f = 0;
  if (returning_) {
    // The crossfade may span several short blocks; position_ stays frozen meanwhile. It joins
    // the steady stretch only if the repeat it fades from was still at full level.
    const int n = std::min(frames, kReturnFrames - return_position_);
    for (; f < n; ++f) {
      const long at = position_ + return_position_ + f;
      const float w =
          static_cast<float>(return_position_ + f + 1) / static_cast<float>(kReturnFrames + 1);
      for (int c = 0; c < channels_; ++c)
        block[c][f] = w * block[c][f] + (1.0f - w) * extension(c, at);
      append(block, f, !silent_ && at < hold_);
    }
    return_position_ += n;
    returning_ = return_position_ < kReturnFrames;
  }
  for (; f < frames; ++f)
    append(block, f, true);
}

}  // namespace hydramesh
