// hydrameshd configuration: the JSON file (kebab-case keys) and command-line overrides.
//
//   {
//     "node-id": "alice",            // [A-Za-z0-9._-]{1,32}; default: the host name
//     "udp-address": "0.0.0.0",      // IPv4 address to bind
//     "udp-port": 7777,
//     "udp-mtu": 1400,               // largest datagram sent, 256..1472 bytes
//     "peers": ["10.0.0.2:7777"],    // static peers, HOST:PORT
//     "secret-file": "/etc/hydramesh/secret",
//     "insecure": false,             // no encryption or authentication (measurements only)
//     "jack-server": "default",
//     "jack-client-name": "hydramesh",
//     "status-file": "/run/hydramesh/status.json",
//     "dropout-log": "/var/log/hydramesh/dropouts.log",  // one line per dropout (see README)
//     "max-peers": 16,
//     "loopback": false,             // echo every received stream back to its sender
//     "audio": {
//       "channels": 2,               // send channels, 1..64
//       "codec": "pcm24",            // pcm16 | pcm24 | float32 | opus
//       "jitter-ms": 5,              // number, or "auto" (adaptive, starting at 5 ms)
//       "mix-bus": false,            // also output the sum of all peers
//       "drift-compensation": true,  // resample to follow the sender's clock
//       "opus-frame-ms": 2.5,        // 2.5 | 5 | 10
//       "opus-bitrate": 96000        // per channel, bit/s
//     }
//   }
//
// Every key is checked: an unknown key or a bad value is one error line naming the key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/status.h"
#include "hydramesh/endpoint.h"
#include "hydramesh/wire_format.h"

namespace hydramesh {

struct AudioConfig {
  int channels = 2;
  Codec codec = Codec::kPcm24;
  double jitter_ms = 5.0;
  bool jitter_adaptive = false;
  bool mix_bus = false;
  bool drift_compensation = true;
  double opus_frame_ms = 2.5;
  int opus_bitrate = 96000;
};

struct DaemonConfig {
  std::string node_id;
  std::string udp_address = "0.0.0.0";
  int udp_port = 7777;
  int udp_mtu = 1400;
  std::vector<std::string> peers;
  std::string secret_file;
  bool insecure = false;
  std::string jack_server;  // empty: the default server
  std::string jack_client_name = "hydramesh";
  std::string status_file;
  std::string dropout_log;  // appended to: when each peer's playout concealed or skipped
  int max_peers = 16;
  bool loopback = false;
  AudioConfig audio;
};

// Values given on the command line; each set one replaces the config file's value.
struct ConfigOverrides {
  std::optional<std::string> node_id;
  std::optional<std::string> udp_address;
  std::optional<int> udp_port;
  std::vector<std::string> peers;  // non-empty: replaces "peers"
  std::optional<std::string> secret_file;
  std::optional<std::string> jack_server;
  std::optional<std::string> jack_client_name;
  std::optional<std::string> status_file;
  std::optional<std::string> dropout_log;
  std::optional<int> channels;
  std::optional<std::string> codec;
  std::optional<std::string> jitter_ms;  // "N" or "auto"
  bool loopback = false;
  bool insecure = false;
};

// Parses JSON text; source names the file in errors ("hydramesh.json: ...").
archibald::Result<DaemonConfig> parse_config(std::string_view json_text, std::string_view source);
archibald::Result<DaemonConfig> load_config_file(const std::string& path);

// Applies overrides, fills defaults (node-id from the host name) and checks the result as a
// whole (a secret file unless insecure; Opus frame/rate combinations are checked at start).
archibald::Status apply_overrides(const ConfigOverrides& overrides, DaemonConfig* config);

// Checks a node id: 1..32 of [A-Za-z0-9._-] (it becomes part of JACK port names).
archibald::Status validate_node_id(std::string_view id, std::string_view what);

}  // namespace hydramesh
