#include "hydramesh/peer_stats.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace hydramesh {

using nlohmann::json;

std::string stats_to_json(const NodeStatsSnapshot& s) {
  json peers = json::array();
  for (const PeerStatsSnapshot& p : s.peers) {
    peers.push_back({{"node-id", p.node_id},
                     {"endpoint", p.endpoint},
                     {"active", p.active},
                     {"loopback", p.loopback},
                     {"channels", p.channels},
                     {"sample-rate", p.sample_rate},
                     {"received", p.received},
                     {"lost", p.lost},
                     {"late", p.late},
                     {"concealed", p.concealed},
                     {"duplicates", p.duplicates},
                     {"auth-failures", p.auth_failures},
                     {"played", p.played},
                     {"skipped", p.skipped},
                     {"rebuffers", p.rebuffers},
                     {"bad-packets", p.bad_packets},
                     {"sent", p.sent},
                     {"send-errors", p.send_errors},
                     {"buffer-ms", p.buffer_ms},
                     {"target-ms", p.target_ms},
                     {"drift-ppm", p.drift_ppm},
                     {"rtt-ms", p.rtt_ms},
                     {"audio-rtt-ms", p.audio_rtt_ms}});
  }
  json root = {{"node-id", s.node_id},
               {"stream-id", s.stream_id},
               {"udp-port", s.udp_port},
               {"sample-rate", s.sample_rate},
               {"period", s.period},
               {"channels", s.channels},
               {"codec", s.codec},
               {"secure", s.secure},
               {"loopback", s.loopback},
               {"xruns", s.xruns},
               {"malformed", s.malformed},
               {"unknown-stream", s.unknown_stream},
               {"hello-rejected", s.hello_rejected},
               {"control-overflows", s.control_overflows},
               {"peers", peers}};
  return root.dump(2) + "\n";
}

archibald::Result<NodeStatsSnapshot> stats_from_json(const std::string& text) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return archibald::Status::corruption("status file is not valid JSON");
  }
  try {
    NodeStatsSnapshot s;
    s.node_id = root.at("node-id").get<std::string>();
    s.stream_id = root.at("stream-id").get<std::uint32_t>();
    s.udp_port = root.at("udp-port").get<int>();
    s.sample_rate = root.at("sample-rate").get<int>();
    s.period = root.at("period").get<int>();
    s.channels = root.at("channels").get<int>();
    s.codec = root.at("codec").get<std::string>();
    s.secure = root.at("secure").get<bool>();
    s.loopback = root.at("loopback").get<bool>();
    s.xruns = root.at("xruns").get<std::uint64_t>();
    s.malformed = root.at("malformed").get<std::uint64_t>();
    s.unknown_stream = root.at("unknown-stream").get<std::uint64_t>();
    s.hello_rejected = root.at("hello-rejected").get<std::uint64_t>();
    s.control_overflows = root.at("control-overflows").get<std::uint64_t>();
    for (const json& j : root.at("peers")) {
      PeerStatsSnapshot p;
      p.node_id = j.at("node-id").get<std::string>();
      p.endpoint = j.at("endpoint").get<std::string>();
      p.active = j.at("active").get<bool>();
      p.loopback = j.at("loopback").get<bool>();
      p.channels = j.at("channels").get<int>();
      p.sample_rate = j.at("sample-rate").get<int>();
      p.received = j.at("received").get<std::uint64_t>();
      p.lost = j.at("lost").get<std::uint64_t>();
      p.late = j.at("late").get<std::uint64_t>();
      p.concealed = j.at("concealed").get<std::uint64_t>();
      p.duplicates = j.at("duplicates").get<std::uint64_t>();
      p.auth_failures = j.at("auth-failures").get<std::uint64_t>();
      p.played = j.at("played").get<std::uint64_t>();
      p.skipped = j.at("skipped").get<std::uint64_t>();
      p.rebuffers = j.at("rebuffers").get<std::uint64_t>();
      p.bad_packets = j.at("bad-packets").get<std::uint64_t>();
      p.sent = j.at("sent").get<std::uint64_t>();
      p.send_errors = j.at("send-errors").get<std::uint64_t>();
      p.buffer_ms = j.at("buffer-ms").get<double>();
      p.target_ms = j.at("target-ms").get<double>();
      p.drift_ppm = j.at("drift-ppm").get<double>();
      p.rtt_ms = j.at("rtt-ms").get<double>();
      p.audio_rtt_ms = j.at("audio-rtt-ms").get<double>();
      s.peers.push_back(std::move(p));
    }
    return s;
  } catch (const json::exception& e) {
    return archibald::Status::corruption(std::string("status file: ") + e.what());
  }
}

std::string format_stats_table(const NodeStatsSnapshot& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "node %s  stream %08x  %d Hz  period %d  %d ch %s  %s%s  xruns %llu\n",
                s.node_id.c_str(), s.stream_id, s.sample_rate, s.period, s.channels,
                s.codec.c_str(), s.secure ? "encrypted" : "INSECURE",
                s.loopback ? "  loopback" : "", static_cast<unsigned long long>(s.xruns));
  out += line;
  std::snprintf(line, sizeof line, "%-12s %-21s %-6s %9s %6s %6s %9s %5s %5s %8s %8s %8s %8s %9s\n",
                "peer", "endpoint", "state", "received", "lost", "late", "concealed", "dup", "auth",
                "buf-ms", "target", "drift", "rtt-ms", "audio-rtt");
  out += line;
  for (const PeerStatsSnapshot& p : s.peers) {
    std::snprintf(
        line, sizeof line,
        "%-12s %-21s %-6s %9llu %6llu %6llu %9llu %5llu %5llu %8.2f %8.2f %8.1f %8.3f %9.3f\n",
        p.node_id.c_str(), p.endpoint.c_str(), p.active ? "up" : "silent",
        static_cast<unsigned long long>(p.received), static_cast<unsigned long long>(p.lost),
        static_cast<unsigned long long>(p.late), static_cast<unsigned long long>(p.concealed),
        static_cast<unsigned long long>(p.duplicates),
        static_cast<unsigned long long>(p.auth_failures), p.buffer_ms, p.target_ms, p.drift_ppm,
        p.rtt_ms, p.audio_rtt_ms);
    out += line;
  }
  return out;
}

}  // namespace hydramesh
