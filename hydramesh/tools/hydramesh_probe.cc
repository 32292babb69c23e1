// hydramesh-probe: a JACK client that plays a deterministic test signal into ports and records
// other ports to a raw file, for tests, the demo and benchmarks.
//
//   hydramesh-probe --server NAME [--play PORT]... [--signal noise|sine:HZ]
//                   [--record PORT]... [--out FILE] [--milliseconds MS] [--name CLIENT]
//                   [--times-out FILE]
//
// Output file: float32, native byte order, frames interleaved across the recorded ports.
// It records from its first process cycle, so two probes on one server share a time base.
// --times-out writes "rate HZ" (the server's), "start USEC" (JACK's microsecond clock at that
// first frame), one "at FRAME USEC" line for each cycle that did not start where counting frames
// from the last such line puts it (the server lost time in an xrun: without these, a recording's
// frame index falls behind the clock by all the time lost), and one "xrun USEC" line per xrun of
// the server meanwhile. The clock is the machine's monotonic one, so probes on several servers
// can place xruns against one recording.
// SIGTERM or SIGINT ends it before --milliseconds, writing what it has recorded and its times.
#include <jack/jack.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "archibald/flags.h"
#include "hydramesh/test_signal.h"

namespace {

constexpr std::size_t kMaxXruns = 1 << 16;
constexpr std::size_t kMaxAnchors = 1 << 18;

// A frame index of the probe's stream and JACK's clock at it.
struct Anchor {
  std::uint64_t frame = 0;
  jack_time_t usecs = 0;
};

struct Probe {
  jack_client_t* client = nullptr;
  jack_port_t* out = nullptr;
  std::vector<jack_port_t*> inputs;
  std::unique_ptr<hydramesh::TestSignal> signal;
  std::vector<float> recording;  // preallocated: seconds * rate * inputs
  std::size_t recorded_frames = 0;
  std::size_t capacity_frames = 0;
  std::atomic<bool> done{false};
  std::atomic<bool> server_gone{false};
  double rate = 0;
  std::uint64_t frames_seen = 0;  // since the first process cycle
  // Preallocated: kMaxAnchors. The first is the first process cycle (frame 0).
  std::vector<Anchor> anchors;
  std::atomic<std::size_t> anchor_count{0};
  std::vector<jack_time_t> xrun_usecs;  // preallocated: kMaxXruns
  std::atomic<std::size_t> xruns{0};
};

int process(jack_nframes_t nframes, void* arg) {
  Probe& p = *static_cast<Probe*>(arg);
  const jack_time_t cycle_usecs = jack_frames_to_time(p.client, jack_last_frame_time(p.client));
  const std::size_t n = p.anchor_count.load(std::memory_order_relaxed);
  bool anchor = n == 0;
  if (n > 0 && n < kMaxAnchors) {
    const Anchor& last = p.anchors[n - 1];
    const double expected = static_cast<double>(last.usecs) +
                            static_cast<double>(p.frames_seen - last.frame) * 1e6 / p.rate;
    anchor = std::abs(static_cast<double>(cycle_usecs) - expected) > 0.5 * nframes * 1e6 / p.rate;
  }
  if (anchor) {
    p.anchors[n] = {p.frames_seen, cycle_usecs};
    p.anchor_count.store(n + 1, std::memory_order_release);
  }
  p.frames_seen += nframes;
  if (p.out != nullptr) {
    auto* out = static_cast<float*>(jack_port_get_buffer(p.out, nframes));
    for (jack_nframes_t i = 0; i < nframes; ++i)
      out[i] = p.signal ? p.signal->next() : 0.0f;
  }
  const std::size_t k = p.inputs.size();
  if (k > 0 && !p.done.load(std::memory_order_relaxed)) {
    for (jack_nframes_t i = 0; i < nframes && p.recorded_frames < p.capacity_frames; ++i) {
      for (std::size_t c = 0; c < k; ++c) {
        const auto* buf = static_cast<const float*>(jack_port_get_buffer(p.inputs[c], nframes));
        p.recording[p.recorded_frames * k + c] = buf[i];
      }
      ++p.recorded_frames;
    }
    if (p.recorded_frames >= p.capacity_frames) p.done.store(true, std::memory_order_release);
  }
  return 0;
}

// JACK's notification thread: one writer.
int on_xrun(void* arg) {
  Probe& p = *static_cast<Probe*>(arg);
  const std::size_t n = p.xruns.load(std::memory_order_relaxed);
  if (n < kMaxXruns) {
    p.xrun_usecs[n] = jack_get_time();
    p.xruns.store(n + 1, std::memory_order_release);
  }
  return 0;
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) {
  g_stop = 1;
}

void on_shutdown(void* arg) {
  static_cast<Probe*>(arg)->server_gone.store(true);
}

int fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "hydramesh-probe: %s\n", archibald::one_line(message).c_str());
  return code;
}

// "sine:HZ" with 0 < HZ < 24000 (a whole or decimal number); 0 when malformed.
double parse_sine_hz(const std::string& signal) {
  if (signal.rfind("sine:", 0) != 0 || signal.size() == 5) return 0;
  const char* begin = signal.c_str() + 5;
  char* end = nullptr;
  const double hz = std::strtod(begin, &end);
  if (*end != '\0' || !(hz > 0 && hz < 24000)) return 0;
  return hz;
}

}  // namespace

int main(int argc, char** argv) {
  archibald::FlagParser flags("hydramesh-probe");
  std::string server, signal = "noise", out_path, times_path, name = "probe";
  std::vector<std::string> play, record;
  std::int64_t seconds_ms = 2000;
  bool help = false;
  flags.add_string("--server", &server, "JACK server name", "NAME");
  flags.add_string("--name", &name, "JACK client name", "NAME");
  flags.add_repeated("--play", &play, "port to feed the test signal into", "PORT");
  flags.add_string("--signal", &signal, "noise or sine:HZ", "KIND");
  flags.add_repeated("--record", &record, "port to record", "PORT");
  flags.add_string("--out", &out_path, "raw float32 recording", "FILE");
  flags.add_string("--times-out", &times_path, "start time, clock anchors and xruns (usecs)",
                   "FILE");
  flags.add_int("--milliseconds", &seconds_ms, "recording (or playing) length", 10, 3'600'000,
                "MS");
  flags.add_bool("--help", &help, "show this help", "-h");
  std::vector<std::string> rest;
  if (auto s = flags.parse(argc, argv, &rest); !s.ok()) return fail(s.message(), 2);
  if (help) {
    std::printf("usage: hydramesh-probe --server NAME [flags]\n%s", flags.help().c_str());
    return 0;
  }
  if (!rest.empty()) return fail("unexpected argument '" + rest.front() + "'", 2);
  const double sine_hz = signal == "noise" ? 0 : parse_sine_hz(signal);
  if (signal != "noise" && sine_hz == 0) {
    return fail("--signal: expected noise or sine:HZ (0 < HZ < 24000), got '" + signal + "'", 2);
  }

  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);

  jack_status_t status{};
  jack_client_t* client = jack_client_open(
      name.c_str(), static_cast<jack_options_t>(JackNoStartServer | JackServerName), &status,
      server.c_str());
  if (client == nullptr) return fail("cannot connect to JACK server '" + server + "'");
  Probe probe;
  probe.client = client;
  probe.xrun_usecs.resize(kMaxXruns);
  probe.anchors.resize(kMaxAnchors);
  const double rate = jack_get_sample_rate(client);
  probe.rate = rate;
  if (!play.empty()) {
    const auto kind =
        sine_hz > 0 ? hydramesh::TestSignal::Kind::kSine : hydramesh::TestSignal::Kind::kNoise;
    probe.signal = std::make_unique<hydramesh::TestSignal>(kind, sine_hz, rate);
    probe.out = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  }
  for (std::size_t i = 0; i < record.size(); ++i) {
    const std::string port = "in_" + std::to_string(i + 1);
    probe.inputs.push_back(
        jack_port_register(client, port.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0));
  }
  probe.capacity_frames = static_cast<std::size_t>(rate * static_cast<double>(seconds_ms) / 1000.0);
  probe.recording.assign(probe.capacity_frames * record.size(), 0.0f);
  jack_set_process_callback(client, process, &probe);
  jack_set_xrun_callback(client, on_xrun, &probe);
  jack_on_shutdown(client, on_shutdown, &probe);
  if (jack_activate(client) != 0) return fail("cannot activate");
  for (const std::string& port : play) {
    if (jack_connect(client, jack_port_name(probe.out), port.c_str()) != 0) {
      jack_client_close(client);
      return fail("cannot connect to " + port);
    }
  }
  for (std::size_t i = 0; i < record.size(); ++i) {
    if (jack_connect(client, record[i].c_str(), jack_port_name(probe.inputs[i])) != 0) {
      jack_client_close(client);
      return fail("cannot connect from " + record[i]);
    }
  }
  // Without recording, play for the given time (by the clock: sleeps overshoot).
  const jack_time_t deadline = jack_get_time() + static_cast<jack_time_t>(seconds_ms) * 1000;
  while (!probe.server_gone.load() && g_stop == 0) {
    if (!record.empty() && probe.done.load(std::memory_order_acquire)) break;
    if (record.empty() && jack_get_time() >= deadline) break;
    usleep(10'000);
  }
  jack_deactivate(client);
  jack_client_close(client);
  if (probe.server_gone.load()) return fail("the JACK server went away");
  if (!out_path.empty()) {
    const std::size_t samples = probe.recorded_frames * probe.inputs.size();  // all, unless stopped
    FILE* f = std::fopen(out_path.c_str(), "wb");
    if (f == nullptr) return fail("cannot write " + out_path);
    const std::size_t written = std::fwrite(probe.recording.data(), sizeof(float), samples, f);
    if (std::fclose(f) != 0 || written != samples) {
      return fail("cannot write " + out_path);
    }
  }
  if (!times_path.empty()) {
    FILE* f = std::fopen(times_path.c_str(), "w");
    if (f == nullptr) return fail("cannot write " + times_path);
    const std::size_t anchors = probe.anchor_count.load(std::memory_order_acquire);
    const jack_time_t start = anchors > 0 ? probe.anchors[0].usecs : 0;
    std::fprintf(f, "rate %.0f\nstart %llu\n", probe.rate, static_cast<unsigned long long>(start));
    for (std::size_t i = 1; i < anchors; ++i) {
      std::fprintf(f, "at %llu %llu\n", static_cast<unsigned long long>(probe.anchors[i].frame),
                   static_cast<unsigned long long>(probe.anchors[i].usecs));
    }
    const std::size_t n = probe.xruns.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      std::fprintf(f, "xrun %llu\n", static_cast<unsigned long long>(probe.xrun_usecs[i]));
    if (std::fclose(f) != 0) return fail("cannot write " + times_path);
  }
  return 0;
}
