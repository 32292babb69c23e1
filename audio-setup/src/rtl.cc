#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "audio_setup/rtl.h"
#include "fft.h"
#include "jack_client.h"

namespace audio_setup {
namespace {

using archibald::Result;
using archibald::Status;

constexpr float kAmplitude = 0.5f;
constexpr double kMinPeakToNoise = 8.0;

// State shared with the process callback. Buffers are sized before activation; the callback
// only indexes them and touches atomics.
struct Loop {
  jack_port_t* out = nullptr;
  jack_port_t* in = nullptr;
  std::vector<float> sequence;                  // Period P, a power of two.
  std::vector<float> capture;                   // 3P frames.
  std::uint64_t frame = 0;                      // Frames played since activation (callback only).
  std::atomic<std::uint64_t> capture_start{0};  // Global frame of capture[0].
  std::atomic<std::size_t> captured{0};
  std::atomic<bool> restart{false};
};

int process(jack_nframes_t nframes, void* arg) {
  auto* loop = static_cast<Loop*>(arg);
  auto* out = static_cast<float*>(jack_port_get_buffer(loop->out, nframes));
  auto* in = static_cast<const float*>(jack_port_get_buffer(loop->in, nframes));
  const std::size_t mask = loop->sequence.size() - 1;
  std::size_t captured = loop->captured.load(std::memory_order_relaxed);
  if (loop->restart.load(std::memory_order_acquire)) {
    captured = 0;
    loop->capture_start.store(loop->frame, std::memory_order_relaxed);
    loop->restart.store(false, std::memory_order_relaxed);
  }
  for (jack_nframes_t i = 0; i < nframes; ++i) {
    out[i] = loop->sequence[(loop->frame + i) & mask];
    if (captured < loop->capture.size()) loop->capture[captured++] = in[i];
  }
  loop->frame += nframes;
  loop->captured.store(captured, std::memory_order_release);
  return 0;
}

// Periodic pseudo-random ±kAmplitude sequence from a 31-bit Fibonacci LFSR (taps 31, 28).
std::vector<float> make_sequence(std::size_t period) {
  std::vector<float> s(period);
  std::uint32_t state = 0x5EED1234u & 0x7FFFFFFFu;
  for (float& v : s) {
    std::uint32_t bit = ((state >> 30) ^ (state >> 27)) & 1u;
    state = ((state << 1) | bit) & 0x7FFFFFFFu;
    v = bit ? kAmplitude : -kAmplitude;
  }
  return s;
}

struct Peak {
  double lag = 0;  // Frames, fractional.
  double peak_to_noise = 0;
};

// Circular cross-correlation of one period of the recording with the sequence.
Peak correlate(const std::vector<float>& recording, const std::vector<float>& sequence) {
  const std::size_t n = sequence.size();
  std::vector<std::complex<double>> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = recording[i];
    b[i] = sequence[i];
  }
  fft(a, false);
  fft(b, false);
  for (std::size_t i = 0; i < n; ++i)
    a[i] *= std::conj(b[i]);
  fft(a, true);
  std::size_t best = 0;
  double best_abs = -1;
  for (std::size_t i = 0; i < n; ++i) {
    double v = std::abs(a[i].real());
    if (v > best_abs) {
      best_abs = v;
      best = i;
    }
  }
  double energy = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t d = std::min((i + n - best) % n, (best + n - i) % n);
    if (d <= 2) continue;
    energy += a[i].real() * a[i].real();
    ++count;
  }
  double noise = std::sqrt(energy / static_cast<double>(std::max<std::size_t>(count, 1)));
  Peak p;
  p.peak_to_noise = noise > 0 ? best_abs / noise : (best_abs > 0 ? 1e9 : 0);
  // Parabolic refinement on the (sign-corrected) neighbours.
  double sign = a[best].real() < 0 ? -1 : 1;
  double l = sign * a[(best + n - 1) % n].real();
  double c = sign * a[best].real();
  double r = sign * a[(best + 1) % n].real();
  double denom = l - 2 * c + r;
  double delta = std::abs(denom) > 1e-12 ? 0.5 * (l - r) / denom : 0;
  delta = std::clamp(delta, -0.5, 0.5);
  p.lag = static_cast<double>(best) + delta;
  return p;
}

Status connect_ports(jack_client_t* c, const Loop& loop, const RtlOptions& o) {
  jack_port_t* out_target = jack_port_by_name(c, o.out_port.c_str());
  jack_port_t* in_source = jack_port_by_name(c, o.in_port.c_str());
  if (out_target == nullptr) return Status::not_found("--out " + o.out_port + ": no such port");
  if (in_source == nullptr) return Status::not_found("--in " + o.in_port + ": no such port");
  if (!(jack_port_flags(out_target) & JackPortIsInput)) {
    return Status::invalid_argument("--out " + o.out_port +
                                    ": not an input port (the signal "
                                    "is sent to it)");
  }
  if (!(jack_port_flags(in_source) & JackPortIsOutput)) {
    return Status::invalid_argument("--in " + o.in_port +
                                    ": not an output port (the signal "
                                    "is read from it)");
  }
  if (jack_connect(c, jack_port_name(loop.out), o.out_port.c_str()) != 0) {
    return Status::io_error("cannot connect to " + o.out_port);
  }
  if (jack_connect(c, o.in_port.c_str(), jack_port_name(loop.in)) != 0) {
    return Status::io_error("cannot connect from " + o.in_port);
  }
  return {};
}

}  // namespace

Result<RtlResult> measure_round_trip(const RtlOptions& o) {
  if (o.out_port.empty() || o.in_port.empty()) {
    return Status::invalid_argument(
        "--out and --in name the ports of the loop, e.g. --out "
        "system:playback_1 --in system:capture_1");
  }
  if (!(o.timeout_s > 0)) return Status::invalid_argument("--timeout: must be positive");
  Result<JackClientPtr> client = open_jack_client(o.client_name, o.server);
  if (!client.ok()) return client.status();
  jack_client_t* c = client->get();

  RtlResult result;
  result.sample_rate = jack_get_sample_rate(c);
  result.period = jack_get_buffer_size(c);
  std::size_t period = 1;
  while (period < result.sample_rate / 2)
    period <<= 1;  // At least half a second.

  Loop loop;
  loop.sequence = make_sequence(period);
  loop.capture.assign(3 * period, 0.0f);
  loop.out = jack_port_register(c, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  loop.in = jack_port_register(c, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  if (loop.out == nullptr || loop.in == nullptr) return Status::io_error("cannot register ports");
  if (jack_set_process_callback(c, process, &loop) != 0 || jack_activate(c) != 0) {
    return Status::io_error("cannot activate the JACK client");
  }
  // From here the callback runs: deactivate before `loop` goes out of scope on every path.
  struct Deactivate {
    jack_client_t* c;
    ~Deactivate() { jack_deactivate(c); }
  } deactivate{c};
  if (Status s = connect_ports(c, loop, o); !s.ok()) return s;
  // Connecting restarts the capture, so that it holds only frames played while connected.
  loop.restart.store(true, std::memory_order_release);

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  std::vector<float> window(period);
  double best_ratio = 0;
  int windows = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (loop.restart.load(std::memory_order_acquire) ||
        loop.captured.load(std::memory_order_acquire) < loop.capture.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    // capture[2P..3P) is steady state for any delay up to 2P; the lag is unique below P.
    std::copy(loop.capture.begin() + static_cast<std::ptrdiff_t>(2 * period), loop.capture.end(),
              window.begin());
    std::uint64_t start = loop.capture_start.load(std::memory_order_relaxed);
    Peak p = correlate(window, loop.sequence);
    ++windows;
    best_ratio = std::max(best_ratio, p.peak_to_noise);
    if (p.peak_to_noise >= kMinPeakToNoise) {
      double lag =
          std::fmod(p.lag + static_cast<double>(start % period), static_cast<double>(period));
      jack_latency_range_t play{}, cap{};
      jack_port_get_latency_range(loop.out, JackPlaybackLatency, &play);
      jack_port_get_latency_range(loop.in, JackCaptureLatency, &cap);
      result.frames = std::round(lag * 1000) / 1000;
      result.ms = std::round(result.frames * 1e6 / result.sample_rate) / 1000;
      result.declared_frames = play.max + cap.max;
      result.extra_frames = result.frames - result.declared_frames;
      result.peak_to_noise = std::round(p.peak_to_noise * 10) / 10;
      return result;
    }
    loop.restart.store(true, std::memory_order_release);
  }
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.1f", best_ratio);
  if (windows == 0) {
    char need[32];
    std::snprintf(need, sizeof need, "%.1f",
                  3.0 * static_cast<double>(period) / result.sample_rate + 0.2);
    return Status::aborted("--timeout " + std::to_string(static_cast<int>(std::ceil(o.timeout_s))) +
                           " s is shorter than one measurement (about " + need + " s at " +
                           std::to_string(result.sample_rate) + " Hz)");
  }
  return Status::aborted("no signal returned from " + o.in_port + " within " +
                         std::to_string(static_cast<int>(std::ceil(o.timeout_s))) +
                         " s (correlation peak/noise " + ratio + ", needs " +
                         std::to_string(static_cast<int>(kMinPeakToNoise)) + "): check that " +
                         o.out_port + " loops back to " + o.in_port);
}

std::string rtl_json(const RtlResult& r) {
  nlohmann::ordered_json j = {{"frames", r.frames},
                              {"ms", r.ms},
                              {"extra_frames", r.extra_frames},
                              {"declared_frames", r.declared_frames},
                              {"sample_rate", r.sample_rate},
                              {"period", r.period},
                              {"peak_to_noise", r.peak_to_noise}};
  return j.dump(2) + "\n";
}

std::string rtl_text(const RtlResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "round trip: %.3f frames = %.3f ms at %u Hz (period %u)\n"
                "declared by the ports: %u frames; extra: %.3f frames\n",
                r.frames, r.ms, r.sample_rate, r.period, r.declared_frames, r.extra_frames);
  return buf;
}

}  // namespace audio_setup
