#include "mesh_fixture.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "hydramesh/probe_times.h"

namespace hydramesh::testing {

int free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

MeshFixture::MeshFixture(const std::string& test_name)
    : dir_(make_test_dir(test_name)), secret_file_(dir_ + "/secret") {
  write_file(secret_file_, "  band-rehearsal-secret-42\n", 0600);
}

std::string MeshFixture::status_path(const std::string& node_id) const {
  return dir_ + "/" + node_id + ".status.json";
}

std::string MeshFixture::dropout_log_path(const std::string& node_id) const {
  return dir_ + "/" + node_id + ".dropouts.log";
}

std::string MeshFixture::log_path(const std::string& node_id) const {
  return dir_ + "/" + node_id + ".log";
}

Child MeshFixture::start_daemon(const DaemonSpec& spec) {
  std::string peers;
  for (int p : spec.peer_ports) {
    peers += (peers.empty() ? "" : ", ") + std::string("\"127.0.0.1:") + std::to_string(p) + "\"";
  }
  const std::string config =
      "{\n  \"node-id\": \"" + spec.node_id + "\",\n  \"udp-address\": \"127.0.0.1\",\n" +
      "  \"udp-port\": " + std::to_string(spec.udp_port) + ",\n  \"peers\": [" + peers + "],\n" +
      "  \"secret-file\": \"" + secret_file_ +
      "\",\n  \"insecure\": " + (spec.insecure ? "true" : "false") + ",\n  \"jack-server\": \"" +
      spec.jack_server + "\",\n  \"jack-client-name\": \"" + client_name(spec.node_id) +
      "\",\n  \"status-file\": \"" + status_path(spec.node_id) + "\",\n  \"dropout-log\": \"" +
      dropout_log_path(spec.node_id) +
      "\",\n  \"loopback\": " + (spec.loopback ? "true" : "false") +
      ",\n  \"audio\": {\"channels\": 1, \"codec\": \"" + spec.codec +
      "\", \"jitter-ms\": " + spec.jitter_ms +
      ", \"drift-compensation\": " + (spec.drift_compensation ? "true" : "false") +
      spec.extra_audio_json + "}\n}\n";
  const std::string path = dir_ + "/" + spec.node_id + ".json";
  write_file(path, config, 0644);
  // A status file left by an earlier daemon of this node must not pass for this one's.
  std::remove(status_path(spec.node_id).c_str());
  return Child({HYDRAMESHD_PATH, "--config", path}, log_path(spec.node_id));
}

bool MeshFixture::wait_for_stream(const std::string& node_id, const std::string& peer,
                                  double timeout_s) {
  // 100 packets played from now on: a peer that left and came back again still shows what it
  // played before, and only a stream that is playing now adds to it.
  const NodeStatsSnapshot at_start = read_status(status_path(node_id));
  const PeerStatsSnapshot* before = find_peer(at_start, peer);
  const std::uint64_t played_before = before != nullptr ? before->played : 0;
  return wait_until(
      [&] {
        const NodeStatsSnapshot s = read_status(status_path(node_id));
        const PeerStatsSnapshot* p = find_peer(s, peer);
        return p != nullptr && p->active && p->played > played_before + 100;
      },
      timeout_s);
}

Child MeshFixture::play(const std::string& server, const std::string& port,
                        const std::string& signal, int ms, const std::string& name) {
  // JACK client names are unique across servers: jack2 names client sockets without the
  // server name, so two clients of one name opening at once on two servers can collide.
  const std::string base = dir_ + "/" + name + "-" + server;
  return Child(
      {HYDRAMESH_PROBE_PATH, "--server", server, "--name", name + "-" + server, "--play", port,
       "--signal", signal, "--milliseconds", std::to_string(ms), "--times-out", base + ".times"},
      base + ".log");
}

Child MeshFixture::start_recording(const std::string& server, const std::vector<std::string>& ports,
                                   int ms, const std::string& file, const std::string& name) {
  std::vector<std::string> argv = {HYDRAMESH_PROBE_PATH,
                                   "--server",
                                   server,
                                   "--name",
                                   name + "-" + server,
                                   "--out",
                                   dir_ + "/" + file,
                                   "--times-out",
                                   dir_ + "/" + file + ".times",
                                   "--milliseconds",
                                   std::to_string(ms)};
  for (const std::string& p : ports) {
    argv.push_back("--record");
    argv.push_back(p);
  }
  return Child(argv, dir_ + "/" + name + "-" + server + ".log");
}

Child MeshFixture::watch_xruns(const std::string& server, int ms) {
  const std::string base = dir_ + "/xruns-" + server;
  return Child({HYDRAMESH_PROBE_PATH, "--server", server, "--name", "xruns-" + server,
                "--milliseconds", std::to_string(ms), "--times-out", base + ".times"},
               base + ".log");
}

bool MeshFixture::record(const std::string& server, const std::vector<std::string>& ports, int ms,
                         const std::string& file, const std::string& name) {
  return start_recording(server, ports, ms, file, name).wait_exit(ms / 1000.0 + 30.0) == 0;
}

void Canary::start_take() {
  take_start_ = std::chrono::steady_clock::now();
  watcher_ = mesh_.watch_xruns(server_.name(), 60000);
}

void Canary::end_take() {
  watcher_.stop();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - take_start_).count();
  const ProbeTimes times = read_probe_times(mesh_.dir() + "/xruns-" + server_.name() + ".times");
  const std::size_t xruns = times.xruns_us.size();
  ++takes_;
  if (times.ok() && static_cast<double>(xruns) >= kBusyXrunsPerSecond * seconds) ++busy_takes_;
  char line[64];
  std::snprintf(line, sizeof line, "%s%zu in %.1f s", counts_.empty() ? "" : ", ", xruns, seconds);
  counts_ += line;
  std::printf("canary: take %d: %zu xruns in %.1f s\n", takes_, xruns, seconds);
}

std::string Canary::report() const {
  return "an idle JACK server beside the test's had " + counts_ + " (xruns in each take)";
}

}  // namespace hydramesh::testing
