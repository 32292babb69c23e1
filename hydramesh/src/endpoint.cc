#include "hydramesh/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

#include "archibald/flags.h"

namespace hydramesh {

sockaddr_in Endpoint::to_sockaddr() const {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(address);
  sa.sin_port = htons(port);
  return sa;
}

Endpoint Endpoint::from_sockaddr(const sockaddr_in& sa) {
  return {ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)};
}

std::string Endpoint::to_string() const {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255) + ":" +
         std::to_string(port);
}

archibald::Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return archibald::Status::invalid_argument(std::string(what) + ": expected HOST:PORT, got '" +
                                               std::string(text) + "'");
  }
  auto port = archibald::parse_int(text.substr(colon + 1), 1, 65535, std::string(what) + " port");
  if (!port.ok()) return port.status();
  const std::string host(text.substr(0, colon));
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* result = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
      return archibald::Status::invalid_argument(std::string(what) + ": cannot resolve host '" +
                                                 host + "'");
    }
    addr = reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr;
    freeaddrinfo(result);
  }
  return Endpoint{ntohl(addr.s_addr), static_cast<std::uint16_t>(*port)};
}

}  // namespace hydramesh
