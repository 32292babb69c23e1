#include "hydramesh/hello_message.h"

#include <cstring>

#include "byte_order.h"
#include "hydramesh/config.h"

namespace hydramesh {

std::size_t encode_hello(const HelloMessage& hello, std::uint8_t* out) {
  const std::size_t length = std::min<std::size_t>(hello.node_id.size(), 32);
  out[0] = static_cast<std::uint8_t>((hello.loopback ? 1 : 0) | (hello.reply_requested ? 2 : 0));
  out[1] = hello.channels;
  out[2] = static_cast<std::uint8_t>(hello.codec);
  out[3] = static_cast<std::uint8_t>(length);
  store_be32(out + 4, hello.sample_rate);
  store_be16(out + 8, hello.period);
  std::memcpy(out + 10, hello.node_id.data(), length);
  return 10 + length;
}

bool parse_hello(std::span<const std::uint8_t> body, HelloMessage* out) {
  if (body.size() < 10) return false;
  const std::uint8_t* p = body.data();
  const std::size_t length = p[3];
  if (length < 1 || length > 32 || body.size() != 10 + length) return false;
  if ((p[0] & ~3u) != 0 || p[1] < 1 || p[1] > kMaxChannels || p[2] < 1 || p[2] > 4) return false;
  HelloMessage h;
  h.loopback = (p[0] & 1) != 0;
  h.reply_requested = (p[0] & 2) != 0;
  h.channels = p[1];
  h.codec = static_cast<Codec>(p[2]);
  h.sample_rate = load_be32(p + 4);
  h.period = load_be16(p + 8);
  h.node_id.assign(reinterpret_cast<const char*>(p + 10), length);
  if (h.sample_rate < 8000 || h.sample_rate > 384000) return false;
  if (!validate_node_id(h.node_id, "node id").ok()) return false;
  *out = std::move(h);
  return true;
}

}  // namespace hydramesh
