// The JACK process callbacks (send client and receive client). Everything here runs on audio
// threads: it touches only preallocated buffers, atomics and lock-free queues, and its syscalls
// never block: sendto(MSG_DONTWAIT) per peer (a full socket buffer drops the packet and counts
// it), recvfrom(MSG_DONTWAIT) until the socket is empty, and a write to a non-blocking eventfd.
//
// The receive callback reads the socket itself instead of a network thread doing it: a packet
// then waits for nothing but the next cycle (no wake-up of a normal-priority thread that a busy
// machine delays by milliseconds), and the process saves two context switches per packet.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hydramesh/packet_crypto.h"
#include "hydramesh/pcm_codec.h"
#include "hydramesh/rt_section.h"
#include "node_state.h"

namespace hydramesh {
namespace {

void send_to_peers(NodeState& s, const PacketHeader& header, const std::uint8_t* payload,
                   std::size_t size) {
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& peer = s.slots[i];
    if (peer.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    const std::uint64_t packed = peer.endpoint.load(std::memory_order_relaxed);
    if (packed == 0) continue;
    const std::size_t length = seal_datagram(s.secure ? &peer.send_key : nullptr, header,
                                             {payload, size}, s.datagram.get());
    const sockaddr_in to = Endpoint::unpack(packed).to_sockaddr();
    const ssize_t sent =
        ::sendto(s.socket_fd, s.datagram.get(), length, MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (sent == static_cast<ssize_t>(length)) {
      peer.counters.sent.fetch_add(1, std::memory_order_relaxed);
    } else {
      peer.counters.send_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

PacketHeader audio_header(NodeState& s, std::uint64_t clock, int frames) {
  PacketHeader h;
  h.type = PacketType::kAudio;
  h.stream_id = s.stream_id;
  h.sequence = s.audio_sequence.fetch_add(1, std::memory_order_relaxed);
  h.sample_clock = clock;
  h.codec = s.config.audio.codec;
  h.channels = static_cast<std::uint8_t>(s.config.audio.channels);
  h.frames = static_cast<std::uint16_t>(frames);
  return h;
}

void send_pcm(NodeState& s, int frames) {
  const Codec codec = s.config.audio.codec;
  const int channels = s.config.audio.channels;
  const int packet_frames = pcm_packet_frames(frames, channels, codec,
                                              static_cast<std::size_t>(s.config.udp_mtu), s.secure);
  if (packet_frames == 0) return;
  for (int offset = 0; offset < frames; offset += packet_frames) {
    const PacketHeader h =
        audio_header(s, s.frame_counter + static_cast<std::uint64_t>(offset), packet_frames);
    encode_pcm(codec, s.inputs.data(), channels, offset, packet_frames, s.plaintext.get());
    send_to_peers(s, h, s.plaintext.get(), pcm_payload_bytes(codec, channels, packet_frames));
  }
}

void send_opus(NodeState& s, int frames) {
  const int channels = s.config.audio.channels;
  const int frame_frames = s.opus->frame_frames();
  int consumed = 0;
  while (consumed < frames) {
    const int n = std::min(frames - consumed, frame_frames - s.opus_fifo_fill);
    for (int c = 0; c < channels; ++c) {
      std::memcpy(s.opus_fifo[static_cast<std::size_t>(c)].get() + s.opus_fifo_fill,
                  s.inputs[static_cast<std::size_t>(c)] + consumed,
                  static_cast<std::size_t>(n) * sizeof(float));
    }
    s.opus_fifo_fill += n;
    consumed += n;
    if (s.opus_fifo_fill == frame_frames) {
      // The FIFO's first frame is frame_frames before the end of what was consumed so far.
      const std::uint64_t clock = s.frame_counter + static_cast<std::uint64_t>(consumed) -
                                  static_cast<std::uint64_t>(frame_frames);
      const int capacity = s.config.udp_mtu - static_cast<int>(kHeaderSize + kTagSize);
      const int size = s.opus->encode(s.opus_fifo_ptrs.data(), 0, s.plaintext.get(), capacity);
      if (size > 0) {
        send_to_peers(s, audio_header(s, clock, frame_frames), s.plaintext.get(),
                      static_cast<std::size_t>(size));
      }
      s.opus_fifo_fill = 0;
    }
  }
}

// At most this many datagrams are read per cycle, so a flood cannot stall the audio thread;
// the rest wait in the socket for the next cycle (or are dropped by the kernel).
constexpr int kMaxDatagramsPerCycle = 64;

void apply_key_updates(PeerSlot& peer) {
  StreamKeyUpdate update;
  while (peer.key_updates->try_pop(&update)) {
    AudioReceiveState& r = peer.receive;
    r.stream_id = update.stream_id;
    r.key = update.key;
    r.window.reset();
    r.have_sequence = false;
    r.received = 0;
  }
}

PeerSlot* audio_slot(NodeState& s, std::uint32_t stream_id) {
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& peer = s.slots[i];
    if (peer.state.load(std::memory_order_acquire) == SlotState::kActive &&
        peer.receive.stream_id == stream_id) {
      return &peer;
    }
  }
  return nullptr;
}

// --loopback: send a peer's stream straight back to it, as our stream.
void echo_audio(NodeState& s, PeerSlot& peer, const PacketHeader& h, const std::uint8_t* payload,
                std::size_t size) {
  PacketHeader echo = h;
  echo.stream_id = s.stream_id;
  echo.sequence = peer.receive.echo_sequence++;
  const std::size_t length = seal_datagram(s.secure ? &peer.send_key : nullptr, echo,
                                           {payload, size}, s.echo_datagram.get());
  const sockaddr_in to =
      Endpoint::unpack(peer.endpoint.load(std::memory_order_relaxed)).to_sockaddr();
  ::sendto(s.socket_fd, s.echo_datagram.get(), length, MSG_DONTWAIT | MSG_NOSIGNAL,
           reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

void receive_audio(NodeState& s, const PacketHeader& h, std::span<const std::uint8_t> datagram,
                   std::int64_t now_ns) {
  PeerSlot* peer = audio_slot(s, h.stream_id);
  if (peer == nullptr) {
    // No HELLO introduced this stream (yet): a stranger, or a peer whose ports are still being
    // created.
    s.unknown_stream.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  AudioReceiveState& r = peer->receive;
  if (!r.window.is_fresh(h.sequence)) {
    peer->counters.replayed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::ptrdiff_t n = open_datagram(s.secure ? &r.key : nullptr, h, datagram,
                                         s.receive_plaintext.get(), kMaxDatagram);
  if (n < 0) {
    peer->counters.auth_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  r.window.mark(h.sequence);
  peer->counters.last_heard_ns.store(now_ns, std::memory_order_relaxed);
  if (!r.have_sequence) {
    r.have_sequence = true;
    r.first_sequence = r.highest_sequence = h.sequence;
  }
  r.highest_sequence = std::max(r.highest_sequence, h.sequence);
  ++r.received;
  const std::uint64_t expected = r.highest_sequence - r.first_sequence + 1;
  peer->counters.received.store(r.received, std::memory_order_relaxed);
  peer->counters.lost.store(expected > r.received ? expected - r.received : 0,
                            std::memory_order_relaxed);
  const std::size_t size = static_cast<std::size_t>(n);
  if (s.config.loopback) echo_audio(s, *peer, h, s.receive_plaintext.get(), size);
  peer->playout.push(h, s.receive_plaintext.get(), size);
}

// Reads every datagram waiting in the socket: audio is played, the rest goes to the network
// thread.
void drain_socket(NodeState& s) {
  bool queued_any = false;
  std::int64_t now_ns = -1;  // read once per cycle, and only when something arrived
  for (int i = 0; i < kMaxDatagramsPerCycle; ++i) {
    sockaddr_in from{};
    socklen_t from_size = sizeof from;
    std::uint8_t* buffer = s.receive_datagram.get();
    const ssize_t n = ::recvfrom(s.socket_fd, buffer, kMaxDatagram + 1, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &from_size);
    if (n < 0) break;  // empty (EAGAIN) or interrupted: the next cycle reads the rest
    if (static_cast<std::size_t>(n) > kMaxDatagram || from.sin_family != AF_INET) {
      s.malformed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::span<const std::uint8_t> datagram(buffer, static_cast<std::size_t>(n));
    PacketHeader h;
    if (parse_header(datagram, &h) != ParseError::kOk) {
      s.malformed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (h.type == PacketType::kAudio) {
      if (now_ns < 0) now_ns = monotonic_ns();
      receive_audio(s, h, datagram, now_ns);
      continue;
    }
    QueuedDatagram* slot = s.control_queue->producer_slot();
    if (slot == nullptr) {
      s.control_overflows.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    slot->from = from;
    slot->header = h;
    slot->size = static_cast<std::uint16_t>(n);
    std::memcpy(slot->bytes.data(), buffer, static_cast<std::size_t>(n));
    s.control_queue->commit();
    queued_any = true;
  }
  if (queued_any) {
    const std::uint64_t one = 1;
    // Non-blocking eventfd: a failed write means the counter is already nonzero (awake).
    [[maybe_unused]] const ssize_t written = ::write(s.wake_fd, &one, sizeof one);
  }
}

void publish(PeerSlot& peer) {
  const PlayoutCounters& c = peer.playout.counters();
  PeerCounters& out = peer.counters;
  out.played.store(c.played, std::memory_order_relaxed);
  out.concealed.store(c.concealed, std::memory_order_relaxed);
  out.late.store(c.late, std::memory_order_relaxed);
  out.duplicates.store(c.duplicates, std::memory_order_relaxed);
  out.skipped.store(c.skipped, std::memory_order_relaxed);
  out.rebuffers.store(c.rebuffers, std::memory_order_relaxed);
  out.bad_packets.store(c.bad_packets, std::memory_order_relaxed);
  out.buffer_frames.store(c.buffer_frames, std::memory_order_relaxed);
  out.target_frames.store(c.target_frames, std::memory_order_relaxed);
  out.drift_ppb.store(static_cast<std::int64_t>(c.drift_ppm * 1000.0), std::memory_order_relaxed);
}

// With a dropout log: one event for a render in which the playout concealed or skipped. A full
// queue (the control thread writes every 20 ms) drops the event and counts it.
void record_dropouts(NodeState& s, PeerSlot& peer) {
  const PlayoutCounters& c = peer.playout.counters();
  if (c.concealed == peer.logged_concealed && c.skipped == peer.logged_skipped) return;
  // jack_get_time(), not the cycle's start by JACK's frame clock: that jumps back when the
  // server resets its clock after an xrun, and these events are read beside xruns.
  const DropoutEvent event{jack_get_time(),
                           static_cast<std::uint32_t>(c.concealed - peer.logged_concealed),
                           static_cast<std::uint32_t>(c.skipped - peer.logged_skipped)};
  peer.logged_concealed = c.concealed;
  peer.logged_skipped = c.skipped;
  if (!peer.dropouts->try_push(event)) {
    s.dropout_log_overflows.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

int send_callback(jack_nframes_t nframes, void* arg) {
  RtSection rt_section;
  NodeState& s = *static_cast<NodeState*>(arg);
  const int frames = static_cast<int>(nframes);
  if (frames > kMaxPacketFrames) return 0;  // buffers are sized for this; never true in practice
  s.clock_offset.store(static_cast<std::int64_t>(s.frame_counter) -
                           static_cast<std::int64_t>(jack_last_frame_time(s.send_client)),
                       std::memory_order_relaxed);
  for (std::size_t c = 0; c < s.send_ports.size(); ++c) {
    s.inputs[c] = static_cast<const float*>(jack_port_get_buffer(s.send_ports[c], nframes));
  }
  if (!s.config.loopback) {
    if (s.opus) {
      send_opus(s, frames);
    } else {
      send_pcm(s, frames);
    }
  }
  s.frame_counter += static_cast<std::uint64_t>(frames);
  return 0;
}

int receive_callback(jack_nframes_t nframes, void* arg) {
  RtSection rt_section;
  NodeState& s = *static_cast<NodeState*>(arg);
  const int frames = static_cast<int>(nframes);
  if (frames > kMaxPacketFrames) return 0;
  for (std::size_t c = 0; c < s.mix_ports.size(); ++c) {
    s.mix_buffers[c] = static_cast<float*>(jack_port_get_buffer(s.mix_ports[c], nframes));
    std::fill(s.mix_buffers[c], s.mix_buffers[c] + frames, 0.0f);
  }
  // Our own send clock now, for the round trip of streams a --loopback peer echoes.
  const std::int64_t now_clock = static_cast<std::int64_t>(jack_last_frame_time(s.client)) +
                                 s.clock_offset.load(std::memory_order_relaxed);
  // Time our graph lost since the last cycle: an xrun, in which the server ran no cycles while
  // the peers went on sending (half a period of tolerance, as the probe's anchors).
  const std::uint64_t cycle_usecs = jack_frames_to_time(s.client, jack_last_frame_time(s.client));
  const double lost_seconds =
      s.last_cycle_frames > 0
          ? (static_cast<double>(cycle_usecs) - static_cast<double>(s.last_cycle_usecs)) * 1e-6 -
                static_cast<double>(s.last_cycle_frames) / s.sample_rate
          : 0.0;
  s.last_cycle_usecs = cycle_usecs;
  s.last_cycle_frames = frames;
  const bool lost_time = lost_seconds > 0.5 * frames / s.sample_rate;
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& peer = s.slots[i];
    if (peer.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    apply_key_updates(peer);
    if (lost_time) peer.playout.on_time_lost(lost_seconds);
  }
  drain_socket(s);
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& peer = s.slots[i];
    if (peer.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    for (std::size_t c = 0; c < peer.ports.size(); ++c) {
      peer.port_buffers[c] = static_cast<float*>(jack_port_get_buffer(peer.ports[c], nframes));
    }
    peer.playout.render(peer.port_buffers.data(), frames);
    const std::size_t mixed = std::min(peer.port_buffers.size(), s.mix_buffers.size());
    for (std::size_t c = 0; c < mixed; ++c) {
      for (int f = 0; f < frames; ++f)
        s.mix_buffers[c][f] += peer.port_buffers[c][f];
    }
    publish(peer);
    if (peer.dropouts) record_dropouts(s, peer);
    const std::int64_t clock = peer.playout.last_render_clock();
    if (peer.peer_loopback.load(std::memory_order_relaxed) && clock >= 0) {
      // One cycle's reading jumps when the jitter buffer skips or rebuffers after an xrun; the
      // figure users read is its moving average over about a second, like a probe's.
      const double sample = static_cast<double>(now_clock - clock);
      const double weight = std::min(1.0, static_cast<double>(frames) / s.sample_rate);
      peer.audio_rtt_average =
          peer.audio_rtt_average < 0.0
              ? sample
              : peer.audio_rtt_average + weight * (sample - peer.audio_rtt_average);
      peer.counters.audio_rtt_frames.store(std::llround(peer.audio_rtt_average),
                                           std::memory_order_relaxed);
    }
  }
  return 0;
}

int xrun_callback(void* arg) {
  static_cast<NodeState*>(arg)->xruns.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

}  // namespace hydramesh
