// The network thread: receive, authenticate, decrypt, replay-check, then queue audio for the
// audio thread, answer pings, record pongs, learn peers from HELLOs (roaming: a peer's address
// is wherever its latest authenticated HELLO came from), and echo streams in --loopback mode.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "byte_order.h"
#include "hydramesh/hello_message.h"
#include "hydramesh/packet_crypto.h"
#include "node_state.h"

namespace hydramesh {
namespace {

constexpr std::size_t kMaxRetiredStreams = 64;

void send_datagram(NodeState& s, const std::uint8_t* data, std::size_t size, const Endpoint& to) {
  const sockaddr_in sa = to.to_sockaddr();
  ::sendto(s.socket_fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL,
           reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
}

PeerSlot* active_slot(NodeState& s, const NetPeer& peer) {
  if (peer.slot < 0) return nullptr;
  PeerSlot& slot = s.slots[peer.slot];
  return slot.state.load(std::memory_order_acquire) == SlotState::kActive ? &slot : nullptr;
}

void handle_hello(NodeState& s, const PacketHeader& h, std::span<const std::uint8_t> datagram,
                  const Endpoint& from) {
  std::uint8_t body[kMaxHelloSize + 64];
  const std::ptrdiff_t n =
      open_datagram(s.secure ? &s.hello_key : nullptr, h, datagram, body, sizeof body);
  HelloMessage hello;
  if (n < 0 || !parse_hello({body, static_cast<std::size_t>(n)}, &hello)) {
    s.hello_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (hello.node_id == s.config.node_id) {
    if (h.stream_id != s.stream_id) s.hello_rejected.fetch_add(1, std::memory_order_relaxed);
    return;  // our own HELLO reflected, or another node with our id
  }
  NetPeer& peer = s.net_peers[hello.node_id];
  if (peer.have_stream && h.stream_id == peer.stream_id) {
    if (!peer.hello_window.is_fresh(h.sequence)) return;  // replayed HELLO: ignore
  } else {
    if (std::find(peer.retired_streams.begin(), peer.retired_streams.end(), h.stream_id) !=
        peer.retired_streams.end()) {
      return;  // a HELLO of an earlier run of this peer, replayed
    }
    if (peer.have_stream) {
      peer.retired_streams.push_back(peer.stream_id);
      if (peer.retired_streams.size() > kMaxRetiredStreams) {
        peer.retired_streams.erase(peer.retired_streams.begin());
      }
      s.stream_owner.erase(peer.stream_id);
    }
    peer.have_stream = true;
    peer.stream_id = h.stream_id;
    peer.receive_key =
        derive_stream_key(s.master_key, hello.node_id, s.config.node_id, h.stream_id);
    peer.audio_window.reset();
    peer.ping_window.reset();
    peer.pong_window.reset();
    peer.hello_window.reset();
    peer.have_sequence = false;
    peer.received = 0;
    s.stream_owner[h.stream_id] = hello.node_id;
  }
  peer.hello_window.mark(h.sequence);

  if (peer.slot < 0) {
    auto free_slot = std::find(s.slot_reserved.begin(), s.slot_reserved.end(), false);
    if (free_slot != s.slot_reserved.end()) {
      peer.slot = static_cast<int>(free_slot - s.slot_reserved.begin());
      *free_slot = true;
      PeerRequest request;
      request.slot = peer.slot;
      request.node_id = hello.node_id;
      // A looping-back peer sends our own stream back to us.
      request.channels = hello.loopback ? s.config.audio.channels : hello.channels;
      request.sample_rate = hello.loopback ? s.sample_rate : static_cast<int>(hello.sample_rate);
      request.endpoint = from;
      request.peer_loopback = hello.loopback;
      std::lock_guard<std::mutex> lock(s.requests_mutex);
      s.requests.push_back(std::move(request));
    }
  } else if (PeerSlot* slot = active_slot(s, peer)) {
    slot->endpoint.store(from.pack(), std::memory_order_relaxed);
    slot->peer_loopback.store(hello.loopback, std::memory_order_relaxed);
    slot->counters.last_heard_ns.store(monotonic_ns(), std::memory_order_relaxed);
  }
  if (hello.reply_requested) send_hello(s, from, /*reply_requested=*/false);
}

void echo_audio(NodeState& s, NetPeer& peer, PeerSlot& slot, const PacketHeader& h,
                const std::uint8_t* payload, std::size_t size) {
  PacketHeader echo = h;
  echo.stream_id = s.stream_id;
  echo.sequence = peer.echo_sequence++;
  const std::size_t length = seal_datagram(s.secure ? &slot.send_key : nullptr, echo,
                                           {payload, size}, s.net_scratch.get());
  send_datagram(s, s.net_scratch.get(), length, Endpoint::unpack(slot.endpoint.load()));
}

void handle_stream_packet(NodeState& s, const PacketHeader& h,
                          std::span<const std::uint8_t> datagram) {
  auto owner = s.stream_owner.find(h.stream_id);
  if (owner == s.stream_owner.end()) {
    s.unknown_stream.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  NetPeer& peer = s.net_peers[owner->second];
  PeerSlot* slot = active_slot(s, peer);
  if (slot == nullptr) return;  // ports are still being created
  ReplayWindow& window = h.type == PacketType::kAudio  ? peer.audio_window
                         : h.type == PacketType::kPing ? peer.ping_window
                                                       : peer.pong_window;
  if (!window.is_fresh(h.sequence)) {
    slot->counters.replayed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Key* key = s.secure ? &peer.receive_key : nullptr;

  if (h.type == PacketType::kAudio) {
    QueuedPacket* queued = slot->queue->producer_slot();
    std::uint8_t* target = queued != nullptr ? queued->payload.data() : s.net_scratch.get();
    const std::ptrdiff_t n = open_datagram(key, h, datagram, target, kMaxDatagram);
    if (n < 0) {
      slot->counters.auth_failures.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    window.mark(h.sequence);
    slot->counters.last_heard_ns.store(monotonic_ns(), std::memory_order_relaxed);
    if (!peer.have_sequence) {
      peer.have_sequence = true;
      peer.first_sequence = peer.highest_sequence = h.sequence;
    }
    peer.highest_sequence = std::max(peer.highest_sequence, h.sequence);
    ++peer.received;
    const std::uint64_t expected = peer.highest_sequence - peer.first_sequence + 1;
    slot->counters.received.store(peer.received, std::memory_order_relaxed);
    slot->counters.lost.store(expected > peer.received ? expected - peer.received : 0,
                              std::memory_order_relaxed);
    if (s.config.loopback) echo_audio(s, peer, *slot, h, target, static_cast<std::size_t>(n));
    if (queued == nullptr) {
      slot->counters.queue_overflows.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queued->header = h;
    queued->size = static_cast<std::uint16_t>(n);
    slot->queue->commit();
    return;
  }

  std::uint8_t body[64];
  const std::ptrdiff_t n = open_datagram(key, h, datagram, body, sizeof body);
  if (n != 8) {
    slot->counters.auth_failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  window.mark(h.sequence);
  slot->counters.last_heard_ns.store(monotonic_ns(), std::memory_order_relaxed);
  if (h.type == PacketType::kPing) {
    PacketHeader pong;
    pong.type = PacketType::kPong;
    pong.stream_id = s.stream_id;
    pong.sequence = s.pong_sequence.fetch_add(1, std::memory_order_relaxed);
    std::uint8_t out[kHeaderSize + 8 + kTagSize];
    const std::size_t length =
        seal_datagram(s.secure ? &slot->send_key : nullptr, pong, {body, 8}, out);
    send_datagram(s, out, length, Endpoint::unpack(slot->endpoint.load()));
  } else {
    const std::int64_t sent = static_cast<std::int64_t>(load_be64(body));
    const std::int64_t rtt = monotonic_ns() - sent;
    if (rtt >= 0 && rtt < 10'000'000'000) {
      slot->counters.ping_rtt_ns.store(rtt, std::memory_order_relaxed);
    }
  }
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void send_hello(NodeState& s, const Endpoint& to, bool reply_requested) {
  HelloMessage hello;
  hello.loopback = s.config.loopback;
  hello.reply_requested = reply_requested;
  hello.channels = static_cast<std::uint8_t>(s.config.audio.channels);
  hello.codec = s.config.audio.codec;
  hello.sample_rate = static_cast<std::uint32_t>(s.sample_rate);
  hello.period = static_cast<std::uint16_t>(s.period);
  hello.node_id = s.config.node_id;
  std::uint8_t body[kMaxHelloSize];
  const std::size_t body_size = encode_hello(hello, body);
  PacketHeader h;
  h.type = PacketType::kHello;
  h.stream_id = s.stream_id;
  h.sequence = s.hello_sequence.fetch_add(1, std::memory_order_relaxed);
  std::uint8_t out[kHeaderSize + kHelloNonceSize + kMaxHelloSize + kTagSize];
  const std::size_t length =
      seal_datagram(s.secure ? &s.hello_key : nullptr, h, {body, body_size}, out);
  send_datagram(s, out, length, to);
}

void send_ping(NodeState& s, PeerSlot& slot) {
  PacketHeader h;
  h.type = PacketType::kPing;
  h.stream_id = s.stream_id;
  h.sequence = s.ping_sequence.fetch_add(1, std::memory_order_relaxed);
  std::uint8_t body[8];
  store_be64(body, static_cast<std::uint64_t>(monotonic_ns()));
  std::uint8_t out[kHeaderSize + 8 + kTagSize];
  const std::size_t length = seal_datagram(s.secure ? &slot.send_key : nullptr, h, {body, 8}, out);
  send_datagram(s, out, length, Endpoint::unpack(slot.endpoint.load()));
}

void network_loop(NodeState* state) {
  NodeState& s = *state;
  while (!s.stopping.load(std::memory_order_acquire)) {
    sockaddr_in from{};
    socklen_t from_size = sizeof from;
    const ssize_t n = ::recvfrom(s.socket_fd, s.net_buffer.get(), kMaxDatagram + 1, 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_size);
    if (n < 0) continue;  // timeout (checks stopping) or EINTR
    if (static_cast<std::size_t>(n) > kMaxDatagram || from.sin_family != AF_INET) {
      s.malformed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::span<const std::uint8_t> datagram(s.net_buffer.get(), static_cast<std::size_t>(n));
    PacketHeader h;
    if (parse_header(datagram, &h) != ParseError::kOk) {
      s.malformed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (h.type == PacketType::kHello) {
      handle_hello(s, h, datagram, Endpoint::from_sockaddr(from));
    } else {
      handle_stream_packet(s, h, datagram);
    }
  }
}

}  // namespace hydramesh
