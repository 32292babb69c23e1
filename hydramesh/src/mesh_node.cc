// MeshNode start-up, the control loop and statistics. The audio thread lives in
// audio_engine.cc, the network thread in network_receiver.cc.
#include "hydramesh/mesh_node.h"

#include <fcntl.h>
#include <netinet/ip.h>
#include <sodium.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "node_state.h"

namespace hydramesh {
namespace {

using archibald::Status;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kHelloIntervalNs = 500 * kMs;
constexpr std::int64_t kPingIntervalNs = 1000 * kMs;
constexpr std::int64_t kStatusIntervalNs = 500 * kMs;
constexpr std::int64_t kSilentAfterNs = 2000 * kMs;
constexpr int kControlQueueCapacity = 64;
constexpr int kKeyUpdateCapacity = 8;
constexpr int kDropoutQueueCapacity = 256;  // per peer; drained every 20 ms

void log_line(const std::string& line) {
  std::fprintf(stderr, "hydrameshd: %s\n", archibald::one_line(line).c_str());
}

void on_jack_shutdown(jack_status_t /*code*/, const char* /*reason*/, void* arg) {
  static_cast<NodeState*>(arg)->jack_gone.store(true, std::memory_order_release);
}

Status open_socket(NodeState& s) {
  auto bind_ep =
      parse_endpoint(s.config.udp_address + ":" + std::to_string(s.config.udp_port), "udp-address");
  if (!bind_ep.ok()) return bind_ep.status();
  s.bind_endpoint = *bind_ep;
  s.socket_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s.socket_fd < 0) return Status::from_errno("socket", errno);
  const sockaddr_in sa = s.bind_endpoint.to_sockaddr();
  if (::bind(s.socket_fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    if (err == EADDRINUSE) {
      return Status::busy("UDP port " + s.bind_endpoint.to_string() +
                          " is already in use (another hydrameshd?); choose another --udp-port");
    }
    return Status::from_errno("bind UDP " + s.bind_endpoint.to_string(), err);
  }
  const int buffer_bytes = 1 << 20;
  setsockopt(s.socket_fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  setsockopt(s.socket_fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  const int tos = 0xB8;  // DSCP EF: expedited forwarding, as for VoIP media
  setsockopt(s.socket_fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  return {};
}

Status open_jack(NodeState& s) {
  const std::string& server = s.config.jack_server;
  int options = JackNoStartServer | JackUseExactName;
  if (!server.empty()) options |= JackServerName;
  jack_status_t status{};
  s.client = server.empty()
                 ? jack_client_open(s.config.jack_client_name.c_str(),
                                    static_cast<jack_options_t>(options), &status)
                 : jack_client_open(s.config.jack_client_name.c_str(),
                                    static_cast<jack_options_t>(options), &status, server.c_str());
  const std::string server_name = server.empty() ? "default" : server;
  if (s.client == nullptr) {
    // jack2 does not always set JackNameNotUnique; a second client with a unique name tells
    // whether the server is there and so the name is the problem.
    const std::string probe_name = "hydramesh-check-" + std::to_string(getpid());
    jack_client_t* probe = jack_client_open(
        probe_name.c_str(),
        static_cast<jack_options_t>(JackNoStartServer | (server.empty() ? 0 : JackServerName)),
        nullptr, server.c_str());
    if (probe != nullptr || (status & JackNameNotUnique)) {
      if (probe != nullptr) jack_client_close(probe);
      return Status::busy("JACK client name '" + s.config.jack_client_name +
                          "' is taken on server '" + server_name +
                          "' (another hydrameshd?); set 'jack-client-name'");
    }
    return Status::unavailable("cannot connect to JACK server '" + server_name +
                               "': is it running? (start jackd, or PipeWire with its JACK layer)");
  }
  s.sample_rate = static_cast<int>(jack_get_sample_rate(s.client));
  s.period = static_cast<int>(jack_get_buffer_size(s.client));
  const std::string send_name = s.config.jack_client_name + "-send";
  s.send_client =
      server.empty()
          ? jack_client_open(send_name.c_str(), static_cast<jack_options_t>(options), &status)
          : jack_client_open(send_name.c_str(), static_cast<jack_options_t>(options), &status,
                             server.c_str());
  if (s.send_client == nullptr) {
    return Status::busy("JACK client name '" + send_name + "' is taken on server '" + server_name +
                        "' (another hydrameshd?); set 'jack-client-name'");
  }
  for (int c = 0; c < s.config.audio.channels; ++c) {
    const std::string name = "send_" + std::to_string(c + 1);
    jack_port_t* port = jack_port_register(s.send_client, name.c_str(), JACK_DEFAULT_AUDIO_TYPE,
                                           JackPortIsInput, 0);
    if (port == nullptr) return Status::busy("cannot register JACK port '" + name + "'");
    s.send_ports.push_back(port);
  }
  if (s.config.audio.mix_bus) {
    for (int c = 0; c < s.config.audio.channels; ++c) {
      const std::string name = "mix_" + std::to_string(c + 1);
      jack_port_t* port =
          jack_port_register(s.client, name.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
      if (port == nullptr) return Status::busy("cannot register JACK port '" + name + "'");
      s.mix_ports.push_back(port);
    }
  }
  return {};
}

void activate_slot(NodeState& s, const PeerRequest& request) {
  PeerSlot& slot = s.slots[request.slot];
  slot.node_id = request.node_id;
  slot.channels = request.channels;
  slot.sample_rate = request.sample_rate;
  for (int c = 0; c < request.channels; ++c) {
    const std::string name = request.node_id + "_" + std::to_string(c + 1);
    jack_port_t* port =
        jack_port_register(s.client, name.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (port == nullptr) {
      log_line("peer " + request.node_id + ": cannot register JACK port '" + name +
               "' (name taken?); ignoring this peer");
      for (jack_port_t* p : slot.ports)
        jack_port_unregister(s.client, p);
      slot.ports.clear();
      return;
    }
    slot.ports.push_back(port);
  }
  slot.port_buffers.assign(static_cast<std::size_t>(request.channels), nullptr);
  slot.send_key = derive_stream_key(s.master_key, s.config.node_id, request.node_id, s.stream_id);
  PlayoutOptions options;
  options.channels = request.channels;
  options.sample_rate = s.sample_rate;
  options.source_rate = request.sample_rate;
  options.max_period = kMaxPacketFrames;
  options.payload_capacity = static_cast<std::size_t>(s.config.udp_mtu) - kHeaderSize;
  const double window_ms =
      (s.config.audio.jitter_adaptive ? 60.0 : s.config.audio.jitter_ms) + 200.0;
  options.slot_count = static_cast<int>(std::ceil(window_ms * request.sample_rate / 1000.0 / 16.0));
  options.target_ms = s.config.audio.jitter_ms;
  options.adaptive_target = s.config.audio.jitter_adaptive;
  options.drift_compensation = s.config.audio.drift_compensation;
  if (Status st = slot.playout.setup(options); !st.ok()) {
    log_line("peer " + request.node_id + ": " + st.message());
    return;
  }
  slot.endpoint.store(request.endpoint.pack(), std::memory_order_relaxed);
  slot.peer_loopback.store(request.peer_loopback, std::memory_order_relaxed);
  slot.audio_rtt_average = -1.0;
  slot.logged_concealed = 0;  // setup() reset the playout's counters
  slot.logged_skipped = 0;
  slot.counters.audio_rtt_frames.store(-1, std::memory_order_relaxed);
  slot.counters.last_heard_ns.store(monotonic_ns(), std::memory_order_relaxed);
  slot.state.store(SlotState::kActive, std::memory_order_release);
  log_line("peer " + request.node_id + " joined from " + request.endpoint.to_string() + " (" +
           std::to_string(request.channels) + " ch, " + std::to_string(request.sample_rate) +
           " Hz" + (request.peer_loopback ? ", loops back" : "") + ")");
}

// The dropout log: "dropout USECS PEER concealed N skipped M", USECS in JACK's microsecond clock
// (the machine's monotonic clock) when the receive callback's render concealed or skipped.
void write_dropouts(NodeState& s) {
  bool wrote = false;
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& slot = s.slots[i];
    if (!slot.dropouts) continue;
    for (DropoutEvent e; slot.dropouts->try_pop(&e);) {
      std::fprintf(s.dropout_log, "dropout %llu %s concealed %u skipped %u\n",
                   static_cast<unsigned long long>(e.usecs), slot.node_id.c_str(), e.concealed,
                   e.skipped);
      wrote = true;
    }
  }
  const std::uint64_t overflows = s.dropout_log_overflows.exchange(0, std::memory_order_relaxed);
  if (overflows > 0) {
    std::fprintf(s.dropout_log, "overflow %llu\n", static_cast<unsigned long long>(overflows));
    wrote = true;
  }
  if (wrote) std::fflush(s.dropout_log);
}

void write_status_file(const std::string& path, const NodeStatsSnapshot& stats) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;
    out << stats_to_json(stats);
    if (!out) return;
  }
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

MeshNode::MeshNode(std::unique_ptr<NodeState> state) : state_(std::move(state)) {}

archibald::Result<std::unique_ptr<MeshNode>> MeshNode::start(const DaemonConfig& config) {
  auto state = std::make_unique<NodeState>();
  NodeState& s = *state;
  s.config = config;
  s.secure = !config.insecure;
  ARCHIBALD_RETURN_IF_ERROR(init_crypto());
  if (s.secure) {
    auto secret = read_secret_file(config.secret_file);
    if (!secret.ok()) return secret.status();
    auto master = derive_master_key(*secret);
    if (!master.ok()) return master.status();
    s.master_key = *master;
    s.hello_key = derive_hello_key(s.master_key);
  }
  do {
    s.stream_id = randombytes_random();
  } while (s.stream_id == 0);
  for (const std::string& peer : config.peers) {
    auto ep = parse_endpoint(peer, "peer");
    if (!ep.ok()) return ep.status();
    s.static_peers.push_back(*ep);
  }
  auto node = std::unique_ptr<MeshNode>(new MeshNode(std::move(state)));
  if (!config.dropout_log.empty()) {
    s.dropout_log = std::fopen(config.dropout_log.c_str(), "a");
    if (s.dropout_log == nullptr) {
      return Status::invalid_argument("dropout-log: cannot open '" + config.dropout_log +
                                      "': " + std::strerror(errno));
    }
  }
  ARCHIBALD_RETURN_IF_ERROR(open_socket(s));
  ARCHIBALD_RETURN_IF_ERROR(open_jack(s));

  if (config.audio.codec == Codec::kOpus) {
    const int frame = opus_frame_frames(config.audio.opus_frame_ms, s.sample_rate);
    auto encoder = OpusPacketEncoder::create(s.sample_rate, config.audio.channels, frame,
                                             config.audio.opus_bitrate);
    if (!encoder.ok()) return encoder.status();
    s.opus = std::move(*encoder);
    for (int c = 0; c < config.audio.channels; ++c) {
      s.opus_fifo.push_back(std::make_unique<float[]>(static_cast<std::size_t>(frame)));
      s.opus_fifo_ptrs.push_back(s.opus_fifo.back().get());
    }
  }
  s.max_peers = config.max_peers;
  s.slots = std::make_unique<PeerSlot[]>(static_cast<std::size_t>(s.max_peers));
  s.slot_reserved.assign(static_cast<std::size_t>(s.max_peers), false);
  s.logged_active.assign(static_cast<std::size_t>(s.max_peers), false);
  s.inputs.assign(s.send_ports.size(), nullptr);
  s.mix_buffers.assign(s.mix_ports.size(), nullptr);
  s.plaintext = std::make_unique<std::uint8_t[]>(kMaxDatagram);
  s.datagram = std::make_unique<std::uint8_t[]>(kMaxDatagram);
  s.receive_datagram = std::make_unique<std::uint8_t[]>(kMaxDatagram + 1);
  s.receive_plaintext = std::make_unique<std::uint8_t[]>(kMaxDatagram);
  s.echo_datagram = std::make_unique<std::uint8_t[]>(kMaxDatagram);
  s.control_queue = std::make_unique<SpscQueue<QueuedDatagram>>(kControlQueueCapacity);
  for (int i = 0; i < s.max_peers; ++i) {
    s.slots[i].key_updates = std::make_unique<SpscQueue<StreamKeyUpdate>>(kKeyUpdateCapacity);
    if (!config.dropout_log.empty()) {
      s.slots[i].dropouts = std::make_unique<SpscQueue<DropoutEvent>>(kDropoutQueueCapacity);
    }
  }
  s.wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s.wake_fd < 0) return Status::from_errno("eventfd", errno);

  jack_set_process_callback(s.client, receive_callback, &s);
  jack_set_process_callback(s.send_client, send_callback, &s);
  jack_set_xrun_callback(s.client, xrun_callback, &s);
  jack_on_info_shutdown(s.client, on_jack_shutdown, &s);
  jack_on_info_shutdown(s.send_client, on_jack_shutdown, &s);
  s.network_thread = std::thread(network_loop, &s);
  if (jack_activate(s.send_client) != 0 || jack_activate(s.client) != 0) {
    return Status::unavailable("cannot activate the JACK clients");
  }

  log_line("node '" + config.node_id + "' on UDP " + s.bind_endpoint.to_string() + ", JACK '" +
           jack_get_client_name(s.client) + "' (send ports on '" +
           jack_get_client_name(s.send_client) + "') " + std::to_string(s.sample_rate) + " Hz / " +
           std::to_string(s.period) + " frames, " + std::to_string(config.audio.channels) + " ch " +
           std::string(codec_name(config.audio.codec)) + (s.secure ? ", encrypted" : "") +
           (config.loopback ? ", loopback" : ""));
  if (!s.secure) {
    log_line(
        "WARNING: --insecure: audio is sent UNENCRYPTED and UNAUTHENTICATED; anyone on the "
        "network can listen and inject audio. Use only for measurements.");
  }
  return node;
}

MeshNode::~MeshNode() {
  NodeState& s = *state_;
  s.stopping.store(true, std::memory_order_release);
  for (jack_client_t* client : {s.client, s.send_client}) {
    if (client != nullptr) {
      jack_deactivate(client);
      jack_client_close(client);
    }
  }
  if (s.network_thread.joinable()) s.network_thread.join();
  if (s.socket_fd >= 0) ::close(s.socket_fd);
  if (s.wake_fd >= 0) ::close(s.wake_fd);
  if (s.dropout_log != nullptr) {
    write_dropouts(s);  // what the audio thread queued before its client closed
    std::fclose(s.dropout_log);
  }
}

const std::string& MeshNode::jack_client_name() const {
  return state_->config.jack_client_name;
}

void MeshNode::poll_control() {
  NodeState& s = *state_;
  // Before a slot can be given to another peer: its queued events still carry the old name.
  if (s.dropout_log != nullptr) write_dropouts(s);
  std::vector<PeerRequest> requests;
  {
    std::lock_guard<std::mutex> lock(s.requests_mutex);
    requests.swap(s.requests);
  }
  for (const PeerRequest& r : requests)
    activate_slot(s, r);

  const std::int64_t now = monotonic_ns();
  if (now >= s.next_hello_ns) {
    s.next_hello_ns = now + kHelloIntervalNs;
    for (const Endpoint& ep : s.static_peers)
      send_hello(s, ep, /*reply_requested=*/true);
    for (int i = 0; i < s.max_peers; ++i) {
      PeerSlot& slot = s.slots[i];
      if (slot.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
      const Endpoint ep = Endpoint::unpack(slot.endpoint.load());
      if (std::find(s.static_peers.begin(), s.static_peers.end(), ep) == s.static_peers.end()) {
        send_hello(s, ep, /*reply_requested=*/false);
      }
    }
  }
  if (now >= s.next_ping_ns) {
    s.next_ping_ns = now + kPingIntervalNs;
    for (int i = 0; i < s.max_peers; ++i) {
      PeerSlot& slot = s.slots[i];
      if (slot.state.load(std::memory_order_acquire) == SlotState::kActive) send_ping(s, slot);
    }
  }
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& slot = s.slots[i];
    if (slot.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    const bool active = now - slot.counters.last_heard_ns.load() < kSilentAfterNs;
    if (active != s.logged_active[static_cast<std::size_t>(i)]) {
      s.logged_active[static_cast<std::size_t>(i)] = active;
      log_line("peer " + slot.node_id + (active ? " is up" : " went silent"));
    }
  }
  if (!s.config.status_file.empty() && now >= s.next_status_ns) {
    s.next_status_ns = now + kStatusIntervalNs;
    write_status_file(s.config.status_file, stats());
  }
}

archibald::Status MeshNode::run(const std::atomic<bool>& stop) {
  NodeState& s = *state_;
  while (!stop.load(std::memory_order_acquire)) {
    if (s.jack_gone.load(std::memory_order_acquire)) {
      return Status::unavailable("the JACK server shut down");
    }
    poll_control();
    usleep(20'000);  // new peers' ports within 20 ms; 50 wake-ups a second
  }
  // The audio stops first, so the last status file and dropout log hold the final counts.
  for (jack_client_t* client : {s.client, s.send_client})
    jack_deactivate(client);
  if (!s.config.status_file.empty()) write_status_file(s.config.status_file, stats());
  if (s.dropout_log != nullptr) write_dropouts(s);
  return {};
}

NodeStatsSnapshot MeshNode::stats() const {
  const NodeState& s = *state_;
  NodeStatsSnapshot out;
  out.node_id = s.config.node_id;
  out.stream_id = s.stream_id;
  out.udp_port = s.bind_endpoint.port;
  out.sample_rate = s.sample_rate;
  out.period = s.period;
  out.channels = s.config.audio.channels;
  out.codec = std::string(codec_name(s.config.audio.codec));
  out.secure = s.secure;
  out.loopback = s.config.loopback;
  out.xruns = s.xruns.load();
  out.malformed = s.malformed.load();
  out.unknown_stream = s.unknown_stream.load();
  out.hello_rejected = s.hello_rejected.load();
  out.control_overflows = s.control_overflows.load();
  const std::int64_t now = monotonic_ns();
  const double ms_per_frame = s.sample_rate > 0 ? 1000.0 / s.sample_rate : 0.0;
  for (int i = 0; i < s.max_peers; ++i) {
    const PeerSlot& slot = s.slots[i];
    if (slot.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    const PeerCounters& c = slot.counters;
    PeerStatsSnapshot p;
    p.node_id = slot.node_id;
    p.endpoint = Endpoint::unpack(slot.endpoint.load()).to_string();
    p.active = now - c.last_heard_ns.load() < kSilentAfterNs;
    p.loopback = slot.peer_loopback.load();
    p.channels = slot.channels;
    p.sample_rate = slot.sample_rate;
    p.received = c.received.load();
    p.lost = c.lost.load();
    p.late = c.late.load();
    p.concealed = c.concealed.load();
    p.duplicates = c.replayed.load() + c.duplicates.load();
    p.auth_failures = c.auth_failures.load();
    p.played = c.played.load();
    p.skipped = c.skipped.load();
    p.rebuffers = c.rebuffers.load();
    p.bad_packets = c.bad_packets.load();
    p.sent = c.sent.load();
    p.send_errors = c.send_errors.load();
    const double peer_ms_per_frame = slot.sample_rate > 0 ? 1000.0 / slot.sample_rate : 0.0;
    p.buffer_ms = c.buffer_frames.load() * peer_ms_per_frame;
    p.target_ms = c.target_frames.load() * peer_ms_per_frame;
    p.drift_ppm = static_cast<double>(c.drift_ppb.load()) / 1000.0;
    const std::int64_t rtt = c.ping_rtt_ns.load();
    p.rtt_ms = rtt >= 0 ? static_cast<double>(rtt) / 1e6 : -1.0;
    const std::int64_t audio_rtt = c.audio_rtt_frames.load();
    p.audio_rtt_ms = audio_rtt >= 0 ? static_cast<double>(audio_rtt) * ms_per_frame : -1.0;
    out.peers.push_back(std::move(p));
  }
  return out;
}

}  // namespace hydramesh
