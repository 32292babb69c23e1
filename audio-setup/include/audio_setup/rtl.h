// audio-setup rtl: round-trip latency of a loop of JACK ports — a loopback cable between a
// sound card's output and input, or a network path. audio-setup plays a periodic
// pseudo-random binary sequence (period 2^k frames, at least half a second) into --out,
// records --in, and finds the delay as the peak of the circular cross-correlation of the
// recording with the sequence (computed by FFT), refined to a fraction of a frame.
//
// audio-setup xruns: counts the xruns the JACK (or PipeWire-JACK) graph reports.
#pragma once

#include <cstdint>
#include <string>

#include "archibald/status.h"

namespace audio_setup {

struct RtlOptions {
  std::string server;    // JACK server name; empty for the default server.
  std::string out_port;  // Where the test signal goes, e.g. "system:playback_1".
  std::string in_port;   // Where it comes back, e.g. "system:capture_1".
  double timeout_s = 10.0;
  std::string client_name = "audio-setup-rtl";
};

struct RtlResult {
  double frames = 0;                  // Measured round trip, frames (fractional).
  double ms = 0;                      // The same in milliseconds.
  double extra_frames = 0;            // frames minus the latency the ports declare.
  std::uint32_t declared_frames = 0;  // Playback latency of --out + capture latency of --in.
  std::uint32_t sample_rate = 0;
  std::uint32_t period = 0;
  double peak_to_noise = 0;  // Correlation peak over the RMS of the rest: confidence.
};

// Connects to the server, registers two ports, connects them to out_port/in_port itself, and
// measures. Errors: kUnavailable (no server), kNotFound (a port does not exist),
// kInvalidArgument (wrong port direction), kAborted (no signal returned within timeout_s).
archibald::Result<RtlResult> measure_round_trip(const RtlOptions& options);

std::string rtl_json(const RtlResult& result);  // {"frames","ms","extra_frames",...}
std::string rtl_text(const RtlResult& result);

struct XrunOptions {
  std::string server;
  double duration_s = 60.0;
  std::string client_name = "audio-setup-xruns";
};

struct XrunResult {
  std::uint64_t xruns = 0;
  double seconds = 0;
  std::uint32_t sample_rate = 0;
  std::uint32_t period = 0;
  float max_delayed_usecs = 0;  // jack_get_max_delayed_usecs at the end.
};

// Counts xrun notifications for duration_s. kUnavailable when no server runs.
archibald::Result<XrunResult> count_xruns(const XrunOptions& options);
std::string xruns_json(const XrunResult& result);

}  // namespace audio_setup
