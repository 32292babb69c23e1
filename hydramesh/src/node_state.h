// Private state shared by the three threads of a MeshNode (see mesh_node.h for who owns what).
#pragma once

#include <jack/jack.h>
#include <netinet/in.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "hydramesh/config.h"
#include "hydramesh/endpoint.h"
#include "hydramesh/opus_codec.h"
#include "hydramesh/peer_playout.h"
#include "hydramesh/replay_window.h"
#include "hydramesh/session_keys.h"
#include "hydramesh/spsc_queue.h"
#include "hydramesh/wire_format.h"

namespace hydramesh {

// A datagram the receive callback read from the socket but does not handle itself (HELLO, ping,
// pong), on its way to the network thread.
struct QueuedDatagram {
  sockaddr_in from{};
  PacketHeader header;  // parsed and checked by the receive callback
  std::uint16_t size = 0;
  std::array<std::uint8_t, kMaxDatagram> bytes{};
};

// The key of a peer's current stream, from the network thread (which learns it from HELLOs) to
// the receive callback (which authenticates and decrypts that stream's audio).
struct StreamKeyUpdate {
  std::uint32_t stream_id = 0;
  Key key{};
};

// Receive state of one peer's audio stream (receive callback only).
struct AudioReceiveState {
  std::uint32_t stream_id = 0;  // 0: no key yet
  Key key{};
  ReplayWindow window;
  bool have_sequence = false;
  std::uint64_t first_sequence = 0, highest_sequence = 0, received = 0;
  std::uint64_t echo_sequence = 0;  // --loopback: our sequence for the echoed stream
};

// Written by the audio and network threads (relaxed), read by the control thread.
struct PeerCounters {
  std::atomic<std::uint64_t> received{0}, lost{0}, replayed{0}, auth_failures{0}, sent{0},
      send_errors{0};
  std::atomic<std::uint64_t> played{0}, concealed{0}, late{0}, duplicates{0}, skipped{0},
      rebuffers{0}, bad_packets{0};
  std::atomic<int> buffer_frames{0}, target_frames{0};
  std::atomic<std::int64_t> drift_ppb{0};
  std::atomic<std::int64_t> ping_rtt_ns{-1};
  std::atomic<std::int64_t> audio_rtt_frames{-1};  // PeerSlot::audio_rtt_average, rounded
  std::atomic<std::int64_t> last_heard_ns{0};
};

// A render in which a peer's playout concealed or skipped (the audio thread's record for the
// dropout log): when, in JACK's microsecond clock, and how many packets.
struct DropoutEvent {
  std::uint64_t usecs = 0;
  std::uint32_t concealed = 0;
  std::uint32_t skipped = 0;
};

enum class SlotState : int { kFree = 0, kActive = 1 };

// One peer as the audio threads see it. Fields above `key_updates` are written by the control
// thread before state becomes kActive (release) and are immutable afterwards.
struct PeerSlot {
  std::atomic<SlotState> state{SlotState::kFree};
  std::string node_id;
  int channels = 0;
  int sample_rate = 0;
  std::vector<jack_port_t*> ports;
  std::vector<float*> port_buffers;  // audio-thread scratch
  Key send_key{};
  // Allocated for every slot at start-up: the network thread may queue a key as soon as it
  // reserves the slot; the receive callback applies them once the slot is active.
  std::unique_ptr<SpscQueue<StreamKeyUpdate>> key_updates;
  AudioReceiveState receive;  // receive callback only
  PeerPlayout playout;        // receive callback only
  // With a dropout log: the playout's counters at the last event, and the events for the
  // control thread to write (allocated at start-up; audio thread pushes, control thread pops).
  std::uint64_t logged_concealed = 0, logged_skipped = 0;
  std::unique_ptr<SpscQueue<DropoutEvent>> dropouts;
  // Moving average (about 1 s) of the round trip of our audio echoed by a --loopback peer, in
  // frames; negative until the first echo. Audio thread only; reset before the slot is active.
  double audio_rtt_average = -1.0;
  std::atomic<std::uint64_t> endpoint{0};
  std::atomic<bool> peer_loopback{false};
  PeerCounters counters;
};

// One peer as the network thread sees it (network thread only).
struct NetPeer {
  int slot = -1;
  bool have_stream = false;
  std::uint32_t stream_id = 0;
  Key receive_key{};
  ReplayWindow ping_window, pong_window, hello_window;
  std::vector<std::uint32_t> retired_streams;
};

struct PeerRequest {
  int slot = -1;
  std::string node_id;
  int channels = 0;
  int sample_rate = 0;
  Endpoint endpoint;
  bool peer_loopback = false;
};

struct NodeState {
  DaemonConfig config;
  bool secure = true;
  Key master_key{};
  Key hello_key{};
  std::uint32_t stream_id = 0;
  std::vector<Endpoint> static_peers;
  Endpoint bind_endpoint;

  // Two JACK clients, so a graph that loops a peer's audio back into our send ports (a remote
  // musician playing along) has no feedback edge, hence no extra period: `client` owns the
  // receive and mix ports, `send_client` the send ports.
  jack_client_t* client = nullptr;
  jack_client_t* send_client = nullptr;
  int sample_rate = 0;
  int period = 0;
  std::vector<jack_port_t*> send_ports;
  std::vector<jack_port_t*> mix_ports;
  // One UDP socket. The receive callback reads it (non-blocking) at the start of every cycle:
  // audio it authenticates, decrypts and plays itself; everything else it queues for the
  // network thread and wakes it through wake_fd (an eventfd).
  int socket_fd = -1;
  int wake_fd = -1;
  std::unique_ptr<SpscQueue<QueuedDatagram>> control_queue;

  int max_peers = 0;
  std::unique_ptr<PeerSlot[]> slots;

  // Audio threads. frame_counter is the send callback's sample clock; clock_offset is
  // frame_counter minus JACK's frame time, so the receive callback can tell the current clock.
  std::uint64_t frame_counter = 0;
  std::atomic<std::int64_t> clock_offset{0};
  // The receive callback's last cycle (start time, size), to tell the time our graph lost.
  std::uint64_t last_cycle_usecs = 0;
  int last_cycle_frames = 0;
  std::vector<const float*> inputs;
  std::vector<float*> mix_buffers;
  std::unique_ptr<std::uint8_t[]> plaintext;
  std::unique_ptr<std::uint8_t[]> datagram;
  std::unique_ptr<std::uint8_t[]> receive_datagram;  // receive callback scratch
  std::unique_ptr<std::uint8_t[]> receive_plaintext;
  std::unique_ptr<std::uint8_t[]> echo_datagram;
  std::unique_ptr<OpusPacketEncoder> opus;
  std::vector<std::unique_ptr<float[]>> opus_fifo;
  std::vector<const float*> opus_fifo_ptrs;
  int opus_fifo_fill = 0;

  // Sequence counters per packet type of our stream.
  std::atomic<std::uint64_t> audio_sequence{0}, ping_sequence{0}, pong_sequence{0},
      hello_sequence{0};

  // Node-wide counters.
  std::atomic<std::uint64_t> xruns{0}, malformed{0}, unknown_stream{0}, hello_rejected{0},
      control_overflows{0}, dropout_log_overflows{0};

  // Network thread.
  std::thread network_thread;
  std::unordered_map<std::string, NetPeer> net_peers;
  std::unordered_map<std::uint32_t, std::string> stream_owner;
  std::vector<bool> slot_reserved;

  // Control thread.
  std::mutex requests_mutex;
  std::vector<PeerRequest> requests;  // guarded by requests_mutex (never touched by audio)
  std::atomic<bool> stopping{false};
  std::atomic<bool> jack_gone{false};
  std::int64_t next_hello_ns = 0, next_ping_ns = 0, next_status_ns = 0;
  std::vector<bool> logged_active;
  std::FILE* dropout_log = nullptr;  // control thread; null without "dropout-log"
};

// Monotonic clock in nanoseconds.
std::int64_t monotonic_ns();

// Audio thread entry points (audio_engine.cc).
int send_callback(jack_nframes_t frames, void* arg);
int receive_callback(jack_nframes_t frames, void* arg);
int xrun_callback(void* arg);

// Network thread body and senders usable from any non-audio thread (network_receiver.cc).
void network_loop(NodeState* state);
void send_hello(NodeState& state, const Endpoint& to, bool reply_requested);
void send_ping(NodeState& state, PeerSlot& slot);

}  // namespace hydramesh
