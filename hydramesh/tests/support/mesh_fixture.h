// Starting hydrameshd daemons and probes for integration tests.
#pragma once

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness.h"

namespace hydramesh::testing {

// A UDP port on 127.0.0.1 that was free a moment ago.
int free_udp_port();

struct DaemonSpec {
  std::string node_id;
  std::string jack_server;
  int udp_port = 0;
  std::vector<int> peer_ports;  // on 127.0.0.1
  std::string codec = "pcm24";
  std::string jitter_ms = "20";  // JSON value: a number or "\"auto\""
  bool drift_compensation = false;
  bool loopback = false;
  bool insecure = false;
  std::string extra_audio_json;  // e.g. ", \"opus-frame-ms\": 5"
};

inline DaemonSpec daemon_spec(const std::string& node_id, const std::string& jack_server,
                              int udp_port, std::vector<int> peer_ports) {
  DaemonSpec spec;
  spec.node_id = node_id;
  spec.jack_server = jack_server;
  spec.udp_port = udp_port;
  spec.peer_ports = std::move(peer_ports);
  return spec;
}

// The JACK client name of a test daemon ("hydramesh-alice-PID"), so its ports are
// "hydramesh-alice-PID-send:send_1" and "hydramesh-alice-PID:bob_1". Unique per test process:
// jack2 names client sockets without the server name, so two tests opening a client of one
// name at once on two servers can collide.
inline std::string client_name(const std::string& node_id) {
  return "hydramesh-" + node_id + "-" + std::to_string(getpid());
}
inline std::string port(const std::string& node_id, const std::string& port_name) {
  const bool send = port_name.rfind("send_", 0) == 0;  // send ports are on "<client>-send"
  return client_name(node_id) + (send ? "-send:" : ":") + port_name;
}

class MeshFixture {
 public:
  explicit MeshFixture(const std::string& test_name);
  const std::string& dir() const { return dir_; }
  const std::string& secret_file() const { return secret_file_; }

  // Writes <dir>/<node>.json and starts hydrameshd --config on it.
  Child start_daemon(const DaemonSpec& spec);
  std::string status_path(const std::string& node_id) const;
  std::string dropout_log_path(const std::string& node_id) const;
  std::string log_path(const std::string& node_id) const;
  // Waits until node's status shows peer playing audio.
  bool wait_for_stream(const std::string& node_id, const std::string& peer, double timeout_s = 20);

  // Probe: plays `signal` into port on server for ms milliseconds, or until stopped (it then
  // still writes its times: see hydramesh/probe_times.h) to <dir>/<name>-<server>.times.
  Child play(const std::string& server, const std::string& port, const std::string& signal, int ms,
             const std::string& name = "player");
  // Probe: records ports on server for ms milliseconds into <dir>/<file>, and its times into
  // <dir>/<file>.times.
  Child start_recording(const std::string& server, const std::vector<std::string>& ports, int ms,
                        const std::string& file, const std::string& name = "recorder");
  // The same, blocking until done. Returns false when the probe failed.
  bool record(const std::string& server, const std::vector<std::string>& ports, int ms,
              const std::string& file, const std::string& name = "recorder");
  // Probe: plays and records nothing for ms milliseconds or until stopped; its times, with its
  // server's xruns, go to <dir>/xruns-<server>.times.
  Child watch_xruns(const std::string& server, int ms);

 private:
  std::string dir_;
  std::string secret_file_;
};

// An idle JACK server beside a test's own, with nothing on it but an xrun watcher during each
// take: it tells a machine too busy to run audio at all from a test whose own servers xrun
// because of what runs on them (a daemon's process callback that overran would xrun its server,
// not the canary).
class Canary {
 public:
  explicit Canary(MeshFixture& mesh) : mesh_(mesh), server_("hmCanary", mesh.dir()) {}
  bool ready() { return server_.ready(); }

  void start_take();
  void end_take();

  // Every take so far had kBusyXrunsPerSecond or more on the canary (a calm machine gives it a
  // few a minute; one too busy for audio, tens a second).
  bool busy_in_every_take() const { return takes_ > 0 && busy_takes_ == takes_; }
  std::string report() const;

  static constexpr double kBusyXrunsPerSecond = 3.0;

 private:
  MeshFixture& mesh_;
  JackServer server_;
  Child watcher_;
  std::chrono::steady_clock::time_point take_start_;
  int takes_ = 0;
  int busy_takes_ = 0;
  std::string counts_;
};

}  // namespace hydramesh::testing
