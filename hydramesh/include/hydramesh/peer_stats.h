// Statistics the daemon publishes per peer (status file, `hydrameshd --stats`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archibald/status.h"

namespace hydramesh {

struct PeerStatsSnapshot {
  std::string node_id;
  std::string endpoint;
  bool active = false;    // an authenticated packet arrived in the last 2 s
  bool loopback = false;  // the peer echoes our stream (round trip measured on audio)
  int channels = 0;
  int sample_rate = 0;
  std::uint64_t received = 0;       // authenticated audio packets
  std::uint64_t lost = 0;           // sequence numbers never received
  std::uint64_t late = 0;           // arrived after their playout time
  std::uint64_t concealed = 0;      // packets concealed at playout
  std::uint64_t duplicates = 0;     // replay-window and jitter-buffer duplicates
  std::uint64_t auth_failures = 0;  // failed authentication (wrong key, forged, corrupted)
  std::uint64_t played = 0;
  std::uint64_t skipped = 0;
  std::uint64_t rebuffers = 0;
  std::uint64_t bad_packets = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  double buffer_ms = 0.0;
  double target_ms = 0.0;
  double drift_ppm = 0.0;
  double rtt_ms = -1.0;        // ping round trip (network threads); -1 = not measured yet
  double audio_rtt_ms = -1.0;  // our audio, echoed by a --loopback peer, back at our ports
                               // (moving average over about 1 s)
};

struct NodeStatsSnapshot {
  std::string node_id;
  std::uint32_t stream_id = 0;
  int udp_port = 0;
  int sample_rate = 0;
  int period = 0;
  int channels = 0;
  std::string codec;
  bool secure = true;
  bool loopback = false;
  std::uint64_t xruns = 0;
  std::uint64_t malformed = 0;       // datagrams that failed to parse
  std::uint64_t unknown_stream = 0;  // audio/ping from a stream no HELLO introduced
  std::uint64_t hello_rejected = 0;  // HELLOs that failed authentication or validation
  // HELLOs, pings and pongs (or stream keys) dropped because the network thread fell behind.
  std::uint64_t control_overflows = 0;
  std::vector<PeerStatsSnapshot> peers;
};

std::string stats_to_json(const NodeStatsSnapshot& stats);
archibald::Result<NodeStatsSnapshot> stats_from_json(const std::string& text);
// A human-readable table, one line per peer.
std::string format_stats_table(const NodeStatsSnapshot& stats);

}  // namespace hydramesh
