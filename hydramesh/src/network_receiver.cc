// The network thread: handles the datagrams the receive callback queues for it (everything but
// audio): learns peers and their stream keys from HELLOs (roaming: a peer's address is wherever
// its latest authenticated HELLO came from), answers pings and records pongs.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
  bool key_changed = false;
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
    peer.ping_window.reset();
    peer.pong_window.reset();
    peer.hello_window.reset();
    s.stream_owner[h.stream_id] = hello.node_id;
    key_changed = true;
  }
  peer.hello_window.mark(h.sequence);

  if (peer.slot < 0) {
    auto free_slot = std::find(s.slot_reserved.begin(), s.slot_reserved.end(), false);
    if (free_slot != s.slot_reserved.end()) {
      peer.slot = static_cast<int>(free_slot - s.slot_reserved.begin());
      *free_slot = true;
      key_changed = true;
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
  if (key_changed && peer.slot >= 0) {
    // Applied by the receive callback once the slot is active. The queue holds far more than
    // the restarts of one peer between two audio cycles; should it be full, the peer's next
    // HELLO (every 0.5 s) cannot fix it, so count it.
    if (!s.slots[peer.slot].key_updates->try_push(StreamKeyUpdate{h.stream_id, peer.receive_key})) {
      s.control_overflows.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (hello.reply_requested) send_hello(s, from, /*reply_requested=*/false);
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
  if (h.type != PacketType::kPing && h.type != PacketType::kPong) return;  // audio: not here
  ReplayWindow& window = h.type == PacketType::kPing ? peer.ping_window : peer.pong_window;
  if (!window.is_fresh(h.sequence)) {
    slot->counters.replayed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Key* key = s.secure ? &peer.receive_key : nullptr;
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
    pollfd wake{s.wake_fd, POLLIN, 0};
    if (::poll(&wake, 1, 50) > 0) {  // the timeout only checks `stopping`
      std::uint64_t count = 0;
      if (::read(s.wake_fd, &count, sizeof count) < 0) continue;
    }
    while (QueuedDatagram* queued = s.control_queue->front()) {
      const std::span<const std::uint8_t> datagram(queued->bytes.data(), queued->size);
      if (queued->header.type == PacketType::kHello) {
        handle_hello(s, queued->header, datagram, Endpoint::from_sockaddr(queued->from));
      } else {
        handle_stream_packet(s, queued->header, datagram);
      }
      s.control_queue->pop();
    }
  }
}

}  // namespace hydramesh
