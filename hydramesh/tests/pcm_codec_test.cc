#include "hydramesh/pcm_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hydramesh/test_signal.h"

namespace hydramesh {
namespace {

std::vector<float> round_trip(Codec codec, const std::vector<float>& in) {
  const int frames = static_cast<int>(in.size());
  std::vector<std::uint8_t> payload(pcm_payload_bytes(codec, 1, frames));
  const float* planar[] = {in.data()};
  encode_pcm(codec, planar, 1, 0, frames, payload.data());
  std::vector<float> out(in.size());
  float* out_planar[] = {out.data()};
  decode_pcm(codec, payload.data(), 1, frames, out_planar);
  return out;
}

TEST(PcmCodecTest, TestSignalSurvivesEveryPcmCodecExactly) {
  TestSignal noise(TestSignal::Kind::kNoise, 0, 48000);
  std::vector<float> in(4096);
  for (float& x : in)
    x = noise.next();
  for (Codec codec : {Codec::kPcm16, Codec::kPcm24, Codec::kFloat32}) {
    EXPECT_EQ(round_trip(codec, in), in) << codec_name(codec);
  }
}

TEST(PcmCodecTest, InterleavesBigEndian) {
  const float left[] = {0.5f, -1.0f};
  const float right[] = {-0.5f, 0.25f};
  const float* planar[] = {left, right};
  std::uint8_t bytes[8];
  encode_pcm(Codec::kPcm16, planar, 2, 0, 2, bytes);
  const std::uint8_t expected[] = {0x40, 0x00, 0xC0, 0x00, 0x80, 0x00, 0x20, 0x00};
  EXPECT_TRUE(std::equal(bytes, bytes + 8, expected));
  std::uint8_t b24[3];
  const float one[] = {-1.0f / 8388608.0f};
  const float* p24[] = {one};
  encode_pcm(Codec::kPcm24, p24, 1, 0, 1, b24);
  EXPECT_EQ(b24[0], 0xFF);
  EXPECT_EQ(b24[1], 0xFF);
  EXPECT_EQ(b24[2], 0xFF);
}

TEST(PcmCodecTest, ClipsAndSilencesNonFinite) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto out16 = round_trip(Codec::kPcm16, {2.0f, -2.0f, nan});
  EXPECT_FLOAT_EQ(out16[0], 32767.0f / 32768.0f);
  EXPECT_FLOAT_EQ(out16[1], -1.0f);
  EXPECT_EQ(out16[2], 0.0f);
  auto outf = round_trip(Codec::kFloat32, {nan, std::numeric_limits<float>::infinity()});
  EXPECT_EQ(outf[0], 0.0f);  // a received NaN/Inf never reaches the speakers
  EXPECT_EQ(outf[1], 0.0f);
}

TEST(PcmCodecTest, Pcm24ResolutionBeatsPcm16) {
  std::vector<float> in(480);
  for (std::size_t i = 0; i < in.size(); ++i)
    in[i] = 0.3f * std::sin(0.01f * static_cast<float>(i));
  double err16 = 0, err24 = 0;
  auto o16 = round_trip(Codec::kPcm16, in);
  auto o24 = round_trip(Codec::kPcm24, in);
  for (std::size_t i = 0; i < in.size(); ++i) {
    err16 = std::max(err16, static_cast<double>(std::fabs(o16[i] - in[i])));
    err24 = std::max(err24, static_cast<double>(std::fabs(o24[i] - in[i])));
  }
  EXPECT_LE(err16, 0.5 / 32768.0 + 1e-9);
  EXPECT_LE(err24, 0.5 / 8388608.0 + 1e-9);
}

}  // namespace
}  // namespace hydramesh
