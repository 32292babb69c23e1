// Runs the libFuzzer entry point (fuzz/packet_parser_fuzz.cc) over random and mutated
// datagrams in the normal sanitizer build, so it is exercised even without clang.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hydramesh/wire_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace hydramesh {
namespace {

TEST(FuzzEntryPointTest, RandomAndMutatedDatagrams) {
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> d(rng() % 700);
    for (auto& b : d)
      b = static_cast<std::uint8_t>(rng());
    if (d.size() >= kHeaderSize && i % 4 != 0) {
      PacketHeader h;
      h.type = i % 3 == 0 ? PacketType::kHello : PacketType::kAudio;
      h.stream_id = 1 + rng() % 3;
      h.sequence = rng() % 4096;
      h.sample_clock = (rng() % 64) * 64;
      h.codec = static_cast<Codec>(1 + rng() % 4);
      h.channels = static_cast<std::uint8_t>(1 + rng() % 3);
      h.frames = static_cast<std::uint16_t>(i % 2 ? 64 : 1 + rng() % 300);
      if (h.type == PacketType::kHello) h.sample_clock = 0;
      encode_header(h, d.data());
    }
    ASSERT_EQ(LLVMFuzzerTestOneInput(d.data(), d.size()), 0);
  }
}

}  // namespace
}  // namespace hydramesh
