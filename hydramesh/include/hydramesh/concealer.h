// Concealer: hides missing PCM packets without clicks.
//
// The concealer keeps the last kHistory frames of what was actually played, per channel:
// received audio, crossfades and concealment alike, so the history is one continuous waveform.
// When a packet is missing, conceal() continues the signal by repeating its last period: the
// repeat lag is the one whose preceding waveform best matches the last frames (normalised
// cross-correlation), searched only within the latest stretch played at full level (a repeat
// that reached back into a fade or a gap would jump at every turn). An offset that matches the
// junction's value and slope and dies out over kEntryFrames makes the join smooth. The repeat
// plays at full level for hold frames, then fades linearly to silence over fade frames. When
// there is no period to repeat (the stretch is too short, or its best match correlates below
// kMinCorrelation), the concealment plays the audio since the last silence once, fading out
// before it would turn. When audio returns, on_good() crossfades from the continued repeat into
// it over kReturnFrames, so even a return from silence is a short fade-in. A fresh concealer
// starts "faded out", which makes the start of a stream a fade-in too.
// setup() allocates; all other calls are allocation-free (audio thread). Not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "archibald/status.h"

namespace hydramesh {

class Concealer {
 public:
  static constexpr int kHistory = 4096;
  static constexpr int kMatchFrames = 64;
  static constexpr int kMinLag = 32;
  static constexpr int kMaxLag = 1024;
  static constexpr int kEntryFrames = 32;
  static constexpr int kReturnFrames = 64;
  // Least normalised correlation between the last frames and those a lag earlier for the
  // signal to count as periodic there.
  static constexpr double kMinCorrelation = 0.9;

  // hold_frames/fade_frames: full-level repeat, then fade length (defaults: 5 ms + 10 ms at 48k).
  // Their sum may be at most kHistory - kMaxLag - kReturnFrames (15 ms at 192 kHz fits).
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
  bool faded_out() const { return concealing_ && (silent_ || position_ >= hold_ + fade_); }

 private:
  float history_at(int channel, int back) const;  // back = 1 is the newest frame
  void begin_concealment();
  void set_entry(int channel, int lag);
  float extension(int channel, long position) const;
  // Appends one played frame (frame f of the planar block) to the history; full_level says it
  // belongs to a stretch that may be repeated.
  void append(const float* const* block, int f, bool full_level);

  int channels_ = 0;
  int hold_frames_ = 0;
  int fade_frames_ = 0;
  std::vector<std::unique_ptr<float[]>> history_;
  long history_end_ = 0;  // total frames ever appended (ring write position)
  long anchor_ = 0;       // history_end_ when the current concealment began
  int level_run_ = 0;     // newest history frames played at full level, continuously
  int sound_run_ = 0;     // newest history frames since the output was last silent
  bool concealing_ = true;
  bool silent_ = true;  // the current concealment has nothing to repeat
  long position_ = 0;   // frames generated since concealment began
  int hold_ = 0;        // this concealment's full-level and fade lengths
  int fade_ = 1;
  bool returning_ = false;  // crossfading from the repeat back into received audio
  int return_position_ = 0;
  std::vector<int> lag_;
  std::vector<float> correction_;  // value and slope offsets at the junction
  std::vector<float> slope_;
  std::vector<float> linear_;  // scratch: recent history of one channel, oldest first
};

}  // namespace hydramesh
