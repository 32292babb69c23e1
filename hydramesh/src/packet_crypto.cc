#include "hydramesh/packet_crypto.h"

#include <sodium.h>

#include <cstring>

#include "byte_order.h"

namespace hydramesh {
namespace {

static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kTagSize);

void sequence_nonce(const PacketHeader& header, std::uint8_t nonce[24]) {
  std::memset(nonce, 0, 24);
  nonce[0] = static_cast<std::uint8_t>(header.type);
  store_be32(nonce + 4, header.stream_id);
  store_be64(nonce + 16, header.sequence);
}

}  // namespace

std::size_t seal_datagram(const Key* key, const PacketHeader& header,
                          std::span<const std::uint8_t> payload, std::uint8_t* out) {
  encode_header(header, out);
  std::uint8_t* body = out + kHeaderSize;
  if (key == nullptr) {
    if (!payload.empty()) std::memmove(body, payload.data(), payload.size());
    return kHeaderSize + payload.size();
  }
  std::uint8_t nonce[24];
  if (header.type == PacketType::kHello) {
    randombytes_buf(nonce, sizeof nonce);
    std::memcpy(body, nonce, sizeof nonce);
    body += sizeof nonce;
  } else {
    sequence_nonce(header, nonce);
  }
  unsigned long long sealed = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(body, &sealed, payload.data(), payload.size(), out,
                                             kHeaderSize, nullptr, nonce, key->data());
  return static_cast<std::size_t>(body - out) + static_cast<std::size_t>(sealed);
}

std::ptrdiff_t open_datagram(const Key* key, const PacketHeader& header,
                             std::span<const std::uint8_t> datagram, std::uint8_t* out,
                             std::size_t out_capacity) {
  if (datagram.size() < kHeaderSize) return -1;
  const std::uint8_t* body = datagram.data() + kHeaderSize;
  std::size_t body_size = datagram.size() - kHeaderSize;
  if (key == nullptr) {
    if (body_size > out_capacity) return -1;
    if (body_size > 0) std::memcpy(out, body, body_size);
    return static_cast<std::ptrdiff_t>(body_size);
  }
  std::uint8_t nonce[24];
  if (header.type == PacketType::kHello) {
    if (body_size < kHelloNonceSize) return -1;
    std::memcpy(nonce, body, kHelloNonceSize);
    body += kHelloNonceSize;
    body_size -= kHelloNonceSize;
  } else {
    sequence_nonce(header, nonce);
  }
  if (body_size < kTagSize || body_size - kTagSize > out_capacity) return -1;
  unsigned long long opened = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &opened, nullptr, body, body_size,
                                                 datagram.data(), kHeaderSize, nonce,
                                                 key->data()) != 0) {
    return -1;
  }
  return static_cast<std::ptrdiff_t>(opened);
}

}  // namespace hydramesh
