// hydrameshd: the HydraMesh audio daemon. Argument parsing only; see hydramesh/mesh_node.h.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "archibald/flags.h"
#include "hydramesh/config.h"
#include "hydramesh/mesh_node.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

int fail(const archibald::Status& status, int code) {
  std::fprintf(stderr, "hydrameshd: %s\n", archibald::one_line(status.message()).c_str());
  return code;
}

int print_stats(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(archibald::Status::from_errno("status file " + path, errno), 1);
  std::stringstream text;
  text << in.rdbuf();
  auto stats = hydramesh::stats_from_json(text.str());
  if (!stats.ok()) return fail(stats.status().with_context(path), 1);
  std::fputs(hydramesh::format_stats_table(*stats).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  archibald::FlagParser flags("hydrameshd");
  std::string config_path, check_path, node_id, udp_address, secret_file, jack_server, client_name,
      status_file, dropout_log, codec, jitter;
  std::int64_t udp_port = 0, channels = 0;
  std::vector<std::string> peers;
  bool loopback = false, insecure = false, stats = false, help = false;
  flags.add_string("--config", &config_path, "JSON configuration file", "FILE", "-c");
  flags.add_string("--check-config", &check_path,
                   "check every key and value of a configuration file, then exit", "FILE");
  flags.add_string("--node-id", &node_id, "this node's name (default: host name)", "NAME");
  flags.add_string("--udp-address", &udp_address, "IPv4 address to bind (default 0.0.0.0)", "ADDR");
  flags.add_int("--udp-port", &udp_port, "UDP port (default 7777)", 1, 65535);
  flags.add_repeated("--peer", &peers, "static peer (repeatable; replaces 'peers')", "HOST:PORT");
  flags.add_string("--secret-file", &secret_file, "file holding the session secret", "FILE");
  flags.add_string("--jack-server", &jack_server, "JACK server name", "NAME");
  flags.add_string("--client-name", &client_name, "JACK client name (default hydramesh)", "NAME");
  flags.add_string("--status-file", &status_file, "write per-peer statistics here (JSON)", "FILE");
  flags.add_string("--dropout-log", &dropout_log,
                   "append a line here whenever a peer's playout conceals or skips", "FILE");
  flags.add_int("--channels", &channels, "send channels", 1, 64);
  flags.add_string("--codec", &codec, "pcm16 | pcm24 | float32 | opus", "CODEC");
  flags.add_string("--jitter-ms", &jitter, "jitter buffer target in ms, or 'auto'", "N|auto");
  flags.add_bool("--loopback", &loopback, "echo every received stream back to its sender");
  flags.add_bool("--insecure", &insecure, "no encryption or authentication (measurements only)");
  flags.add_bool("--stats", &stats, "print the statistics of the running daemon and exit");
  flags.add_bool("--help", &help, "show this help", "-h");
  std::vector<std::string> positionals;
  if (archibald::Status s = flags.parse(argc, argv, &positionals); !s.ok()) return fail(s, 2);
  if (help) {
    std::printf("usage: hydrameshd [--config FILE] [flags]\n%s", flags.help().c_str());
    return 0;
  }
  if (!positionals.empty()) {
    return fail(archibald::Status::invalid_argument("unexpected argument '" + positionals[0] + "'"),
                2);
  }

  // Used at build time (the NixOS module checks the file it generates): the secret and the JACK
  // server belong to the machine that runs the daemon, so only the file itself is judged.
  if (flags.is_set("--check-config")) {
    auto checked = hydramesh::load_config_file(check_path);
    if (!checked.ok()) return fail(checked.status(), 2);
    std::printf("hydrameshd: %s: configuration is valid\n", check_path.c_str());
    return 0;
  }

  hydramesh::DaemonConfig config;
  if (!config_path.empty()) {
    auto loaded = hydramesh::load_config_file(config_path);
    if (!loaded.ok()) return fail(loaded.status(), 2);
    config = std::move(*loaded);
  }
  if (stats) {
    const std::string path = status_file.empty() ? config.status_file : status_file;
    if (path.empty()) {
      return fail(
          archibald::Status::invalid_argument(
              "--stats needs the daemon's status file: --status-file FILE or 'status-file'"),
          2);
    }
    return print_stats(path);
  }

  hydramesh::ConfigOverrides o;
  if (flags.is_set("--node-id")) o.node_id = node_id;
  if (flags.is_set("--udp-address")) o.udp_address = udp_address;
  if (flags.is_set("--udp-port")) o.udp_port = static_cast<int>(udp_port);
  o.peers = peers;
  if (flags.is_set("--secret-file")) o.secret_file = secret_file;
  if (flags.is_set("--jack-server")) o.jack_server = jack_server;
  if (flags.is_set("--client-name")) o.jack_client_name = client_name;
  if (flags.is_set("--status-file")) o.status_file = status_file;
  if (flags.is_set("--dropout-log")) o.dropout_log = dropout_log;
  if (flags.is_set("--channels")) o.channels = static_cast<int>(channels);
  if (flags.is_set("--codec")) o.codec = codec;
  if (flags.is_set("--jitter-ms")) o.jitter_ms = jitter;
  o.loopback = loopback;
  o.insecure = insecure;
  if (archibald::Status s = hydramesh::apply_overrides(o, &config); !s.ok()) return fail(s, 2);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto node = hydramesh::MeshNode::start(config);
  if (!node.ok()) {
    const archibald::Code code = node.status().code();
    const bool config_error = code == archibald::Code::kInvalidArgument ||
                              code == archibald::Code::kPermissionDenied ||
                              code == archibald::Code::kNotSupported;
    return fail(node.status(), config_error ? 2 : 1);
  }
  if (archibald::Status s = (*node)->run(g_stop); !s.ok()) return fail(s, 1);
  return 0;
}
