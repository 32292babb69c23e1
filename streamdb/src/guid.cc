// Guid: random version-4 UUIDs and their canonical text form.
#include <sys/random.h>

#include <cerrno>

#include "streamdb/types.h"

namespace streamdb {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_dash_position(std::size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

Guid Guid::random() {
  Guid g;
  std::size_t got = 0;
  while (got < g.bytes.size()) {
    ssize_t n = ::getrandom(g.bytes.data() + got, g.bytes.size() - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    // getrandom only fails with EINTR here (the pool is initialised once the system runs).
  }
  g.bytes[6] = static_cast<std::uint8_t>((g.bytes[6] & 0x0f) | 0x40);  // version 4
  g.bytes[8] = static_cast<std::uint8_t>((g.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return g;
}

archibald::Result<Guid> Guid::parse(std::string_view text) {
  if (text.size() != 36) {
    return archibald::Status::invalid_argument("GUID must have 36 characters: '" +
                                               std::string(text) + "'");
  }
  Guid g;
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (is_dash_position(i)) {
      if (text[i] != '-') break;
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0 || is_dash_position(i + 1)) break;
    g.bytes[out++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  if (out != g.bytes.size()) {
    return archibald::Status::invalid_argument("not a GUID: '" + std::string(text) + "'");
  }
  return g;
}

std::string Guid::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0xf]);
  }
  return s;
}

}  // namespace streamdb
