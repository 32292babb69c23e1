// The JACK process callbacks (send client and receive client). Everything here runs on audio
// threads: it touches only
// preallocated buffers, atomics and lock-free queues, and its one syscall is a non-blocking
// sendto() per peer (MSG_DONTWAIT: a full socket buffer drops the packet and counts it).
#include <sys/socket.h>

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
  for (int i = 0; i < s.max_peers; ++i) {
    PeerSlot& peer = s.slots[i];
    if (peer.state.load(std::memory_order_acquire) != SlotState::kActive) continue;
    while (QueuedPacket* packet = peer.queue->front()) {
      peer.playout.push(packet->header, packet->payload.data(), packet->size);
      peer.queue->pop();
    }
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
