// PeerPlayout: everything between one peer's received packets and our output ports.
//
//   push() -> JitterBuffer (reorder, duplicates, late) -> decode (PCM / Opus) or conceal
//          -> [VResampler driven by DriftController] -> render()
//
// Playout waits ("buffering") until the jitter buffer holds one render plus the target (the
// jitter margin), then plays one packet per packet-time. A missing packet is concealed (Opus
// PLC, or the Concealer for PCM). If packets after it are already here it is lost and skipped;
// if none are, it is late (a stall of the sender, its graph or the network): playout bridges,
// concealing without moving on until the buffer is refilled to the target, so the stall's time
// is inserted rather than the stream's next packets thrown away as late. Inserted time that
// leaves the buffer a packet or more above target (the network or the sender's graph held
// packets back, but the sender lost no time) is skipped again at the end of a slack window. After
// kRebufferMs of nothing it goes back to buffering, so a peer that stops and restarts comes back at
// the target latency. A new stream id (the peer restarted) resets the stream. With drift
// compensation (or different sample rates) output goes through zita-resampler's VResampler, whose
// ratio the DriftController steers so the least slack stays at the target; the loop's integral (its
// clock estimate) holds for a while after anything that moves the fill in a step (playout starting,
// a bridge, a skip), so such a step is played out or trimmed, not learnt as a clock difference.
// Without drift compensation, frames are passed through bit-exact and a fill far above target is
// cut back by skipping packets (crossfaded). The adaptive target grows by one packet when late
// packets recur and shrinks after a quiet interval. setup() allocates; push(), render() and
// counters() are allocation-free and lock-free and are called only from the audio thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "archibald/status.h"
#include "hydramesh/concealer.h"
#include "hydramesh/drift_controller.h"
#include "hydramesh/jitter_buffer.h"
#include "hydramesh/wire_format.h"

class VResampler;

namespace hydramesh {

class OpusPacketDecoder;

struct PlayoutOptions {
  int channels = 2;         // output channels (the peer's send channels)
  int sample_rate = 48000;  // our rate
  int source_rate = 48000;  // the peer's nominal rate
  int max_period = 4096;    // largest render() size
  std::size_t payload_capacity = 1400;
  int slot_count = 512;    // jitter buffer capacity in packets
  double target_ms = 5.0;  // fixed target, or the adaptive start value
  bool adaptive_target = false;
  double min_target_ms = 1.0;  // adaptive bounds
  double max_target_ms = 60.0;
  bool drift_compensation = true;
};

// Monotonic counters and gauges; read by the audio thread to publish statistics.
struct PlayoutCounters {
  std::uint64_t played = 0;       // packets decoded and played
  std::uint64_t concealed = 0;    // packets concealed at playout
  std::uint64_t late = 0;         // packets that arrived after their playout time
  std::uint64_t duplicates = 0;   // same sample clock stored twice
  std::uint64_t skipped = 0;      // packets dropped, whole or in part, to cut latency back
  std::uint64_t rebuffers = 0;    // returns to buffering after a long gap or overflow
  std::uint64_t bad_packets = 0;  // wrong channel count, frame count or payload size
  std::uint64_t stream_restarts = 0;
  int buffer_frames = 0;  // fill before the last render, in source frames
  int target_frames = 0;
  double drift_ppm = 0.0;
  bool playing = false;
};

class PeerPlayout {
 public:
  static constexpr double kRebufferMs = 100.0;

  PeerPlayout();
  ~PeerPlayout();
  PeerPlayout(const PeerPlayout&) = delete;
  PeerPlayout& operator=(const PeerPlayout&) = delete;

  archibald::Status setup(const PlayoutOptions& options);

  void push(const PacketHeader& header, const std::uint8_t* payload, std::size_t size);
  // Our graph lost this much time (its server ran no cycles meanwhile: an xrun) while the peer
  // went on sending, so the next render finds that time piled up in the buffer. The render
  // skips the pile at once, crossfaded, where our own output has its seam anyway, instead of
  // carrying it as latency for the seconds the drift loop needs to play it out. Never more than
  // the time lost, never into the target: if the sender lost the same time (one machine
  // stalled), nothing piled up and nothing is skipped.
  void on_time_lost(double seconds);
  // Writes frames to out[0..options.channels). REQUIRES: frames <= max_period.
  void render(float* const* out, int frames);

  const PlayoutCounters& counters() const { return counters_; }
  // Sender sample clock of the first frame of the last render(), or -1 when it was concealed
  // or silent (used for the round-trip measurement of echoed streams).
  std::int64_t last_render_clock() const { return last_render_clock_; }

 private:
  enum class State { kBuffering, kPlaying };

  void restart_stream(std::uint32_t stream_id);
  void read_source(float* const* out, int frames);
  void next_block(int wanted);
  // Skips whole packets so that at most keep_frames stay buffered, counted and crossfaded;
  // returns the packets skipped.
  int skip_to(int keep_frames);
  // What the buffer holds before playout starts or resumes: one render plus the target.
  int refill_frames() const { return target_frames_ + std::max(render_frames_, 1); }
  bool decode(const StoredPacket& packet);
  void on_late();
  void adapt_target(double seconds);
  void track_slack(int frames);
  // Skips the pile the time our graph lost left (see on_time_lost).
  void skip_lost_time(int frames);
  void render_resampled(float* const* out, int frames);
  double resampler_backlog() const;
  double fill_frames() const;
  // Source frames still buffered once a render of `frames` has taken its share.
  double slack_after(int frames) const;

  PlayoutOptions options_;
  JitterBuffer buffer_;
  Concealer concealer_;
  DriftController drift_;
  std::unique_ptr<VResampler> resampler_;
  std::unique_ptr<OpusPacketDecoder> opus_;
  bool resampling_ = false;
  double nominal_ratio_ = 1.0;  // output rate / input rate

  State state_ = State::kBuffering;
  bool have_stream_ = false;
  std::uint32_t stream_id_ = 0;
  int target_frames_ = 0;
  int min_target_frames_ = 0;
  int max_target_frames_ = 0;
  int missing_run_frames_ = 0;
  bool bridging_ = false;  // a block was concealed for the packet at the read clock, not lost
  std::int64_t block_clock_ = -1;  // sender clock of block_[.][0], -1 when concealed
  std::int64_t last_render_clock_ = -1;

  // Decoded (or concealed) audio of the current packet, planar.
  std::vector<std::unique_ptr<float[]>> block_;
  std::vector<float*> block_ptrs_;
  int block_len_ = 0;
  int block_pos_ = 0;

  // Resampler buffers (interleaved) and planar scratch for read_source().
  std::unique_ptr<float[]> resample_in_;
  std::unique_ptr<float[]> resample_out_;
  std::vector<std::unique_ptr<float[]>> scratch_;
  std::vector<float*> scratch_ptrs_;

  // Adaptive target: late packets in the current window, and time since the last late one.
  double quiet_seconds_ = 0.0;
  double late_window_seconds_ = 0.0;
  int recent_late_ = 0;
  int drift_period_frames_ = 0;
  int render_frames_ = 0;
  int window_min_slack_ = 0;
  int window_max_slack_ = -1;
  double window_seconds_ = 0.0;
  int held_slack_ = -1;             // least slack of the last complete window; -1 when unknown
  int held_spread_ = -1;            // most minus least slack of the last window without a bridge
  int trim_frames_ = 0;             // excess of the last window's least slack over the target
  int inserted_frames_ = 0;         // time bridges inserted that may still be skipped again
  bool bridged_in_window_ = false;  // a bridge inserted time during the current window
  double lost_frames_ = 0.0;        // time our graph lost since the last render, source frames
  int partial_skip_ = 0;            // frames to skip at the start of the next packet
  double hold_seconds_ = 0.0;       // the drift loop's integral holds while this is positive
  Codec last_codec_ = Codec::kPcm16;

  PlayoutCounters counters_;
};

}  // namespace hydramesh
