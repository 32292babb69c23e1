// The body of a HELLO datagram (sealed with the session hello key; see docs/protocol.md):
//
//   offset size field
//        0    1 flags: bit 0 = sender runs --loopback, bit 1 = please answer with a HELLO
//        1    1 send channels
//        2    1 codec
//        3    1 node id length L (1..32)
//        4    4 sample rate (Hz)
//        8    2 period (frames)
//       10    L node id ([A-Za-z0-9._-])
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hydramesh/wire_format.h"

namespace hydramesh {

struct HelloMessage {
  bool loopback = false;
  bool reply_requested = false;
  std::uint8_t channels = 0;
  Codec codec = Codec::kPcm24;
  std::uint32_t sample_rate = 0;
  std::uint16_t period = 0;
  std::string node_id;
};

inline constexpr std::size_t kMaxHelloSize = 10 + 32;

// Writes the body to out (capacity kMaxHelloSize) and returns its size.
std::size_t encode_hello(const HelloMessage& hello, std::uint8_t* out);
// false when the body is malformed (lengths, node id characters, channel count, codec, rate).
bool parse_hello(std::span<const std::uint8_t> body, HelloMessage* out);

}  // namespace hydramesh
