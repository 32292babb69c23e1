// libFuzzer target: everything a hostile datagram reaches before authentication can stop it,
// plus what an authenticated-but-malicious peer reaches after it: header parsing, HELLO
// parsing, opening (insecure mode, so the payload gets through), the jitter buffer and the
// decoders (PCM size checks, Opus on garbage) and concealment.
// Built only with ARCHIBALD_FUZZ (clang -fsanitize=fuzzer); the dev build runs the same entry
// point over random inputs in FuzzEntryPointTest.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "hydramesh/hello_message.h"
#include "hydramesh/packet_crypto.h"
#include "hydramesh/peer_playout.h"
#include "hydramesh/replay_window.h"
#include "hydramesh/wire_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hydramesh;
  static PeerPlayout* playout = [] {
    auto* p = new PeerPlayout();
    PlayoutOptions o;
    o.channels = 2;
    o.max_period = 256;
    o.payload_capacity = kMaxDatagram;
    o.slot_count = 64;
    o.target_ms = 1.0;
    if (!p->setup(o).ok()) __builtin_trap();
    return p;
  }();
  static ReplayWindow window;
  if (size > kMaxDatagram) return 0;
  const std::span<const std::uint8_t> datagram(data, size);
  PacketHeader header;
  if (parse_header(datagram, &header) != ParseError::kOk) return 0;
  std::uint8_t payload[kMaxDatagram];
  const Key key{};
  open_datagram(&key, header, datagram, payload, sizeof payload);  // the authenticated path
  const std::ptrdiff_t n = open_datagram(nullptr, header, datagram, payload, sizeof payload);
  if (n < 0) return 0;
  if (header.type == PacketType::kHello) {
    HelloMessage hello;
    parse_hello({payload, static_cast<std::size_t>(n)}, &hello);
    return 0;
  }
  if (header.type != PacketType::kAudio) return 0;
  if (window.is_fresh(header.sequence)) window.mark(header.sequence);
  playout->push(header, payload, static_cast<std::size_t>(n));
  std::vector<float> left(256), right(256);
  float* out[] = {left.data(), right.data()};
  playout->render(out, static_cast<int>(1 + (header.sequence % 256)));
  for (float x : left) {
    if (!(x == x)) __builtin_trap();  // never NaN out of the decoders
  }
  return 0;
}
