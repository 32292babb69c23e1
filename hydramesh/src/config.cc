#include "hydramesh/config.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "archibald/flags.h"

namespace hydramesh {
namespace {

using archibald::Status;
using nlohmann::json;

Status bad(std::string_view source, std::string_view key, std::string_view expected,
           const json& value) {
  return Status::invalid_argument(std::string(source) + ": '" + std::string(key) + "' must be " +
                                  std::string(expected) + ", got " + value.dump());
}

Status check_keys(const json& object, const std::set<std::string>& known, std::string_view prefix,
                  std::string_view source) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!known.contains(it.key())) {
      return Status::invalid_argument(std::string(source) + ": unknown key '" +
                                      std::string(prefix) + it.key() + "'");
    }
  }
  return {};
}

Status get_int(const json& value, std::string_view key, long lo, long hi, std::string_view source,
               int* out) {
  if (!value.is_number_integer() || value.get<long>() < lo || value.get<long>() > hi) {
    return bad(source, key, "an integer in " + std::to_string(lo) + ".." + std::to_string(hi),
               value);
  }
  *out = static_cast<int>(value.get<long>());
  return {};
}

Status get_string(const json& value, std::string_view key, std::string_view source,
                  std::string* out) {
  if (!value.is_string()) return bad(source, key, "a string", value);
  *out = value.get<std::string>();
  return {};
}

Status get_bool(const json& value, std::string_view key, std::string_view source, bool* out) {
  if (!value.is_boolean()) return bad(source, key, "true or false", value);
  *out = value.get<bool>();
  return {};
}

Status parse_jitter(const json& value, std::string_view key, std::string_view source,
                    AudioConfig* audio) {
  if (value.is_string() && value.get<std::string>() == "auto") {
    audio->jitter_adaptive = true;
    return {};
  }
  if (!value.is_number() || value.get<double>() < 0.5 || value.get<double>() > 500.0) {
    return bad(source, key, "a number of milliseconds in 0.5..500 or \"auto\"", value);
  }
  audio->jitter_adaptive = false;
  audio->jitter_ms = value.get<double>();
  return {};
}

Status parse_codec(const json& value, std::string_view key, std::string_view source, Codec* out) {
  if (!value.is_string() || !codec_from_name(value.get<std::string>(), out)) {
    return bad(source, key, "one of \"pcm16\", \"pcm24\", \"float32\", \"opus\"", value);
  }
  return {};
}

Status parse_audio(const json& audio, std::string_view source, AudioConfig* out) {
  if (!audio.is_object()) return bad(source, "audio", "an object", audio);
  ARCHIBALD_RETURN_IF_ERROR(check_keys(audio,
                                       {"channels", "codec", "jitter-ms", "mix-bus",
                                        "drift-compensation", "opus-frame-ms", "opus-bitrate"},
                                       "audio.", source));
  for (auto it = audio.begin(); it != audio.end(); ++it) {
    const std::string key = "audio." + it.key();
    const json& v = it.value();
    if (it.key() == "channels") {
      ARCHIBALD_RETURN_IF_ERROR(get_int(v, key, 1, kMaxChannels, source, &out->channels));
    } else if (it.key() == "codec") {
      ARCHIBALD_RETURN_IF_ERROR(parse_codec(v, key, source, &out->codec));
    } else if (it.key() == "jitter-ms") {
      ARCHIBALD_RETURN_IF_ERROR(parse_jitter(v, key, source, out));
    } else if (it.key() == "mix-bus") {
      ARCHIBALD_RETURN_IF_ERROR(get_bool(v, key, source, &out->mix_bus));
    } else if (it.key() == "drift-compensation") {
      ARCHIBALD_RETURN_IF_ERROR(get_bool(v, key, source, &out->drift_compensation));
    } else if (it.key() == "opus-frame-ms") {
      if (!v.is_number() ||
          (v.get<double>() != 2.5 && v.get<double>() != 5.0 && v.get<double>() != 10.0)) {
        return bad(source, key, "2.5, 5 or 10", v);
      }
      out->opus_frame_ms = v.get<double>();
    } else if (it.key() == "opus-bitrate") {
      ARCHIBALD_RETURN_IF_ERROR(get_int(v, key, 6000, 510000, source, &out->opus_bitrate));
    }
  }
  return {};
}

}  // namespace

Status validate_node_id(std::string_view id, std::string_view what) {
  bool ok = !id.empty() && id.size() <= 32;
  for (char c : id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return Status::invalid_argument(std::string(what) +
                                    " must be 1..32 characters of A-Z a-z 0-9 . _ -, got '" +
                                    std::string(id) + "'");
  }
  return {};
}

archibald::Result<DaemonConfig> parse_config(std::string_view json_text, std::string_view source) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) {
    return Status::invalid_argument(std::string(source) + ": not valid JSON");
  }
  if (!root.is_object()) return bad(source, "(top level)", "an object", root);
  ARCHIBALD_RETURN_IF_ERROR(
      check_keys(root,
                 {"node-id", "udp-address", "udp-port", "udp-mtu", "peers", "secret-file",
                  "insecure", "jack-server", "jack-client-name", "status-file", "dropout-log",
                  "max-peers", "loopback", "audio"},
                 "", source));
  DaemonConfig config;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "node-id") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.node_id));
      ARCHIBALD_RETURN_IF_ERROR(
          validate_node_id(config.node_id, std::string(source) + ": 'node-id'"));
    } else if (key == "udp-address") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.udp_address));
      auto ep = parse_endpoint(config.udp_address + ":1", std::string(source) + ": 'udp-address'");
      if (!ep.ok()) return ep.status();
    } else if (key == "udp-port") {
      ARCHIBALD_RETURN_IF_ERROR(get_int(v, key, 1, 65535, source, &config.udp_port));
    } else if (key == "udp-mtu") {
      ARCHIBALD_RETURN_IF_ERROR(get_int(v, key, static_cast<long>(kMinMtu),
                                        static_cast<long>(kMaxDatagram), source, &config.udp_mtu));
    } else if (key == "peers") {
      if (!v.is_array()) return bad(source, key, "an array of \"HOST:PORT\" strings", v);
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string what = std::string(source) + ": 'peers[" + std::to_string(i) + "]'";
        if (!v[i].is_string())
          return bad(source, "peers[" + std::to_string(i) + "]", "a \"HOST:PORT\" string", v[i]);
        auto ep = parse_endpoint(v[i].get<std::string>(), what);
        if (!ep.ok()) return ep.status();
        config.peers.push_back(v[i].get<std::string>());
      }
    } else if (key == "secret-file") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.secret_file));
    } else if (key == "insecure") {
      ARCHIBALD_RETURN_IF_ERROR(get_bool(v, key, source, &config.insecure));
    } else if (key == "jack-server") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.jack_server));
    } else if (key == "jack-client-name") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.jack_client_name));
      if (config.jack_client_name.empty() || config.jack_client_name.size() > 48) {
        return bad(source, key, "a name of 1..48 characters", v);
      }
    } else if (key == "status-file") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.status_file));
    } else if (key == "dropout-log") {
      ARCHIBALD_RETURN_IF_ERROR(get_string(v, key, source, &config.dropout_log));
    } else if (key == "max-peers") {
      ARCHIBALD_RETURN_IF_ERROR(get_int(v, key, 1, 256, source, &config.max_peers));
    } else if (key == "loopback") {
      ARCHIBALD_RETURN_IF_ERROR(get_bool(v, key, source, &config.loopback));
    } else if (key == "audio") {
      ARCHIBALD_RETURN_IF_ERROR(parse_audio(v, source, &config.audio));
    }
  }
  return config;
}

archibald::Result<DaemonConfig> load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::from_errno("config file " + path, errno);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), path);
}

Status apply_overrides(const ConfigOverrides& o, DaemonConfig* config) {
  if (o.node_id) {
    ARCHIBALD_RETURN_IF_ERROR(validate_node_id(*o.node_id, "--node-id"));
    config->node_id = *o.node_id;
  }
  if (o.udp_address) {
    auto ep = parse_endpoint(*o.udp_address + ":1", "--udp-address");
    if (!ep.ok()) return ep.status();
    config->udp_address = *o.udp_address;
  }
  if (o.udp_port) config->udp_port = *o.udp_port;
  if (!o.peers.empty()) {
    for (const std::string& p : o.peers) {
      auto ep = parse_endpoint(p, "--peer");
      if (!ep.ok()) return ep.status();
    }
    config->peers = o.peers;
  }
  if (o.secret_file) config->secret_file = *o.secret_file;
  if (o.jack_server) config->jack_server = *o.jack_server;
  if (o.jack_client_name) config->jack_client_name = *o.jack_client_name;
  if (o.status_file) config->status_file = *o.status_file;
  if (o.dropout_log) config->dropout_log = *o.dropout_log;
  if (o.channels) config->audio.channels = *o.channels;
  if (o.codec && !codec_from_name(*o.codec, &config->audio.codec)) {
    return Status::invalid_argument("--codec: expected pcm16, pcm24, float32 or opus, got '" +
                                    *o.codec + "'");
  }
  if (o.jitter_ms) {
    if (*o.jitter_ms == "auto") {
      config->audio.jitter_adaptive = true;
    } else {
      char* end = nullptr;
      const double ms = std::strtod(o.jitter_ms->c_str(), &end);
      if (o.jitter_ms->empty() || *end != '\0' || !(ms >= 0.5 && ms <= 500.0)) {
        return Status::invalid_argument(
            "--jitter-ms: expected milliseconds in 0.5..500 or 'auto', got '" + *o.jitter_ms + "'");
      }
      config->audio.jitter_adaptive = false;
      config->audio.jitter_ms = ms;
    }
  }
  if (o.loopback) config->loopback = true;
  if (o.insecure) config->insecure = true;
  if (config->node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string id;
    for (const char* p = host; *p != '\0' && id.size() < 32; ++p) {
      const char c = *p;
      id.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-');
    }
    config->node_id = id.empty() ? "hydramesh" : id;
  }
  if (!config->insecure && config->secret_file.empty()) {
    return Status::invalid_argument(
        "no session secret: set 'secret-file' or --secret-file FILE (or --insecure for "
        "measurements)");
  }
  if (config->audio.codec != Codec::kOpus &&
      pcm_packet_frames(1, config->audio.channels, config->audio.codec,
                        static_cast<std::size_t>(config->udp_mtu), !config->insecure) == 0) {
    return Status::invalid_argument("udp-mtu " + std::to_string(config->udp_mtu) +
                                    " is too small for one frame of " +
                                    std::to_string(config->audio.channels) + " channels");
  }
  return {};
}

}  // namespace hydramesh
