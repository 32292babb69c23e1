// Concealer: hides missing PCM packets without clicks.
//
// While audio arrives, on_good() keeps the last kHistory frames per channel. When a packet is
// missing, conceal() continues the signal by repeating its last period: the repeat lag is the
// one whose preceding waveform best matches the last frames (normalised cross-correlation), and
// a linear-prediction offset, faded out over kEntryFrames, makes the junction continuous. The
// repeat plays at full level for kHoldFrames, then fades linearly to silence over kFadeFrames.
// When audio returns, on_good() crossfades from the continued repeat into it over kReturnFrames,
// so even a return from silence is a short fade-in. A fresh concealer starts "faded out", which
// makes the start of a stream a fade-in too.
// setup() allocates; all other calls are allocation-free (audio thread). Not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "archibald/status.h"

namespace hydramesh {

class Concealer {
 public:
  static constexpr int kHistory = 2048;
  static constexpr int kMatchFrames = 64;
  static constexpr int kMinLag = 32;
  static constexpr int kMaxLag = 1024;
  static constexpr int kEntryFrames = 32;
  static constexpr int kReturnFrames = 64;

  // hold_frames/fade_frames: full-level repeat, then fade length (defaults: 5 ms + 10 ms at 48k).
  archibald::Status setup(int channels, int hold_frames = 240, int fade_frames = 480);
  void reset();

  // Audio that is about to be played; crossfaded in place when returning from concealment.
  void on_good(float* const* block, int frames);
  // Writes frames of concealment for every channel.
  void conceal(float* const* out, int frames);
  // The next good block does not continue the previous one (frames were skipped): crossfade.
  void mark_discontinuity();

  bool concealing() const { return concealing_; }
  // True once a concealment has faded all the way to silence.
  bool faded_out() const { return concealing_ && position_ >= hold_frames_ + fade_frames_; }

 private:
  float history_at(int channel, int back) const;  // back = 1 is the newest frame
  void begin_concealment();
  float extension(int channel, long position) const;

  int channels_ = 0;
  int hold_frames_ = 0;
  int fade_frames_ = 0;
  std::vector<std::unique_ptr<float[]>> history_;
  long history_end_ = 0;   // total frames ever appended (ring write position)
  long history_fill_ = 0;  // valid frames in the ring
  bool concealing_ = true;
  bool silent_ = true;      // the current concealment has nothing to repeat
  long position_ = 0;       // frames generated since concealment began
  bool returning_ = false;  // crossfading from the repeat back into received audio
  int return_position_ = 0;
  std::vector<int> lag_;
  std::vector<float> correction_;
  std::vector<float> linear_;  // scratch: recent history of one channel, oldest first
};

}  // namespace hydramesh
