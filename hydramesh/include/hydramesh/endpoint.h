// Endpoint: an IPv4 address and UDP port, packable into one 64-bit word so that the audio
// thread can read a peer's (roaming) address from a std::atomic without locks.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "archibald/status.h"

namespace hydramesh {

struct Endpoint {
  std::uint32_t address = 0;  // host byte order
  std::uint16_t port = 0;

  std::uint64_t pack() const { return (std::uint64_t{address} << 16) | port; }
  static Endpoint unpack(std::uint64_t v) {
    return {static_cast<std::uint32_t>(v >> 16), static_cast<std::uint16_t>(v & 0xFFFF)};
  }
  sockaddr_in to_sockaddr() const;
  static Endpoint from_sockaddr(const sockaddr_in& sa);
  std::string to_string() const;  // "127.0.0.1:7777"
  bool operator==(const Endpoint&) const = default;
};

// Parses "HOST:PORT" (dotted IPv4 or a host name resolved to IPv4 now). what names the value
// in errors, e.g. "peers[1]".
archibald::Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what);

}  // namespace hydramesh
