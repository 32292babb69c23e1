// Sealing and opening datagrams with XChaCha20-Poly1305-IETF (libsodium).
//
// Audio, ping and pong datagrams:  header (28) || ciphertext || tag (16)
//   key: the sender's stream key towards this receiver; nonce (24 bytes): type, 3 zero bytes,
//   stream id (BE32), 8 zero bytes, sequence (BE64). Each (stream, type) has its own sequence
//   counter, so a nonce is never reused under one key.
// Hello datagrams:                 header (28) || random nonce (24) || ciphertext || tag (16)
//   key: the session hello key shared by all members.
// The header is the associated data, so no header field can be altered in flight.
// key == nullptr means --insecure: the payload travels in clear with no tag.
// All functions are allocation-free; seal/open of audio are safe on the audio thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "hydramesh/session_keys.h"
#include "hydramesh/wire_format.h"

namespace hydramesh {

inline constexpr std::size_t kHelloNonceSize = 24;

// Bytes a datagram needs beyond the header for a payload of n bytes.
inline std::size_t sealed_payload_size(PacketType type, std::size_t n, bool secure) {
  if (!secure) return n;
  return n + kTagSize + (type == PacketType::kHello ? kHelloNonceSize : 0);
}

// Writes the datagram for (header, payload) into out and returns its size.
// REQUIRES: out holds kHeaderSize + sealed_payload_size(header.type, payload.size(), key).
std::size_t seal_datagram(const Key* key, const PacketHeader& header,
                          std::span<const std::uint8_t> payload, std::uint8_t* out);

// Authenticates and decrypts a datagram whose header parsed as `header`. Writes the payload to
// out (capacity out_capacity) and returns its size, or -1 when the datagram is forged, corrupt,
// truncated or sealed with another key; out is then unspecified.
std::ptrdiff_t open_datagram(const Key* key, const PacketHeader& header,
                             std::span<const std::uint8_t> datagram, std::uint8_t* out,
                             std::size_t out_capacity);

}  // namespace hydramesh
