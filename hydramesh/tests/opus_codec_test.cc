#include "hydramesh/opus_codec.h"

#include <gtest/gtest.h>

#include <vector>

#include "signal_analysis.h"

namespace hydramesh {
namespace {

// Encodes 1 s of a 1 kHz sine (amplitude 0.5) in frames of frame_ms, decoding every packet
// except the ones `lost` (concealed by Opus PLC instead).
std::vector<float> opus_round_trip(double frame_ms, int bitrate, int lose_every, int* max_size) {
  const int frames = opus_frame_frames(frame_ms, 48000);
  auto enc = OpusPacketEncoder::create(48000, 1, frames, bitrate);
  auto dec = OpusPacketDecoder::create(48000, 1, 4096);
  EXPECT_TRUE(enc.ok() && dec.ok());
  TestSignal sine(TestSignal::Kind::kSine, 1000.0, 48000);
  std::vector<float> in(static_cast<std::size_t>(frames)), out;
  std::vector<float> block(static_cast<std::size_t>(frames));
  const float* in_ptr[] = {in.data()};
  float* out_ptr[] = {block.data()};
  std::uint8_t packet[1500];
  *max_size = 0;
  for (int p = 0; p < 48000 / frames; ++p) {
    for (float& x : in)
      x = sine.next();
    const int n = (*enc)->encode(in_ptr, 0, packet, sizeof packet);
    EXPECT_GT(n, 0);
    *max_size = std::max(*max_size, n);
    const bool lost = lose_every > 0 && p % lose_every == lose_every - 1;
    EXPECT_TRUE((*dec)->decode(lost ? nullptr : packet, n, out_ptr, frames));
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

TEST(OpusCodecTest, FrameSizes) {
  EXPECT_EQ(opus_frame_frames(2.5, 48000), 120);
  EXPECT_EQ(opus_frame_frames(5, 48000), 240);
  EXPECT_EQ(opus_frame_frames(10, 48000), 480);
  EXPECT_EQ(opus_frame_frames(20, 48000), 0);
  EXPECT_FALSE(OpusPacketEncoder::create(44100, 2, 110, 96000).ok());
}

TEST(OpusCodecTest, LowDelayFramesKeepASineAbove25DbSnr) {
  for (double ms : {2.5, 5.0, 10.0}) {
    int max_size = 0;
    const auto out = opus_round_trip(ms, 96000, 0, &max_size);
    const double snr = testing::sine_snr_db(out, 1000, 48000, 4800, out.size());
    EXPECT_GT(snr, 25.0) << ms << " ms frames";
    EXPECT_LE(max_size, 1400 - 28 - 16) << "an Opus packet must fit the datagram";
  }
}

TEST(OpusCodecTest, PacketLossConcealmentKeepsTheToneGoing) {
  int max_size = 0;
  const auto out = opus_round_trip(2.5, 96000, 10, &max_size);  // 10% loss
  // PLC is not silence: every lost 2.5 ms frame still carries most of the tone's energy.
  for (std::size_t p = 9; p < out.size() / 120; p += 10) {
    double energy = 0;
    for (std::size_t i = p * 120; i < (p + 1) * 120; ++i)
      energy += out[i] * out[i];
    EXPECT_GT(energy / 120.0, 0.5 * 0.125) << "frame " << p;  // a 0.5 sine has power 0.125
  }
  EXPECT_GT(testing::sine_snr_db(out, 1000, 48000, 4800, out.size()), 10.0);
}

TEST(OpusCodecTest, CorruptPacketsDecodeToSilenceNotCrash) {
  auto dec = OpusPacketDecoder::create(48000, 2, 4096);
  ASSERT_TRUE(dec.ok());
  std::vector<float> l(120), r(120);
  float* out[] = {l.data(), r.data()};
  const std::uint8_t garbage[] = {0xFF, 0xFF, 0xFF, 0x00, 0x13};
  EXPECT_FALSE((*dec)->decode(garbage, sizeof garbage, out, 120));
  for (float x : l)
    ASSERT_EQ(x, 0.0f);
}

}  // namespace
}  // namespace hydramesh
