#include "hydramesh/wire_format.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "hydramesh/hello_message.h"

namespace hydramesh {
namespace {

PacketHeader sample_audio_header() {
  PacketHeader h;
  h.type = PacketType::kAudio;
  h.stream_id = 0x01020304;
  h.sequence = 0x1112131415161718ull;
  h.sample_clock = 0x2122232425262728ull;
  h.codec = Codec::kPcm24;
  h.channels = 2;
  h.frames = 64;
  return h;
}

TEST(WireFormatTest, HeaderIsNetworkByteOrder) {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  encode_header(sample_audio_header(), bytes.data());
  const std::array<std::uint8_t, kHeaderSize> expected = {
      0x48, 0x4D, 0x01, 0x01, 0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
      0x17, 0x18, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x02, 0x02, 0x00, 0x40};
  EXPECT_EQ(bytes, expected);
}

TEST(WireFormatTest, RoundTrip) {
  std::array<std::uint8_t, kHeaderSize + 4> bytes{};
  const PacketHeader in = sample_audio_header();
  encode_header(in, bytes.data());
  PacketHeader out;
  ASSERT_EQ(parse_header(bytes, &out), ParseError::kOk);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.stream_id, in.stream_id);
  EXPECT_EQ(out.sequence, in.sequence);
  EXPECT_EQ(out.sample_clock, in.sample_clock);
  EXPECT_EQ(out.codec, in.codec);
  EXPECT_EQ(out.channels, in.channels);
  EXPECT_EQ(out.frames, in.frames);
}

TEST(WireFormatTest, RejectsMalformedHeaders) {
  std::array<std::uint8_t, kHeaderSize> good{};
  encode_header(sample_audio_header(), good.data());
  PacketHeader out;
  EXPECT_EQ(parse_header(std::span(good).first(kHeaderSize - 1), &out), ParseError::kTooShort);
  auto mutate = [&](std::size_t at, std::uint8_t value) {
    auto copy = good;
    copy[at] = value;
    return parse_header(copy, &out);
  };
  EXPECT_EQ(mutate(0, 'X'), ParseError::kBadMagic);
  EXPECT_EQ(mutate(2, 2), ParseError::kBadVersion);
  EXPECT_EQ(mutate(3, 0), ParseError::kBadType);
  EXPECT_EQ(mutate(3, 5), ParseError::kBadType);
  EXPECT_EQ(mutate(24, 0), ParseError::kBadCodec);
  EXPECT_EQ(mutate(24, 9), ParseError::kBadCodec);
  EXPECT_EQ(mutate(25, 0), ParseError::kBadShape);
  EXPECT_EQ(mutate(25, kMaxChannels + 1), ParseError::kBadShape);
  EXPECT_EQ(mutate(26, 0xFF), ParseError::kBadShape);  // frames > kMaxPacketFrames
  // Non-audio packets carry no audio fields.
  PacketHeader ping;
  ping.type = PacketType::kPing;
  std::array<std::uint8_t, kHeaderSize> bytes{};
  encode_header(ping, bytes.data());
  EXPECT_EQ(parse_header(bytes, &out), ParseError::kOk);
  bytes[25] = 1;
  EXPECT_EQ(parse_header(bytes, &out), ParseError::kBadShape);
}

TEST(WireFormatTest, PacketFramesRespectMtuAndDividePeriod) {
  // 2 ch pcm24, 64 frames: 384 bytes fits a 1400-byte datagram whole.
  EXPECT_EQ(pcm_packet_frames(64, 2, Codec::kPcm24, 1400, true), 64);
  // 8 ch float32 at 256 frames needs 8 KiB: split into packets that fit and divide 256.
  const int frames = pcm_packet_frames(256, 8, Codec::kFloat32, 1400, true);
  EXPECT_EQ(256 % frames, 0);
  EXPECT_LE(kHeaderSize + kTagSize + static_cast<std::size_t>(frames) * 8 * 4, 1400u);
  EXPECT_EQ(frames, 32);
  // A non-power-of-two period still divides evenly.
  const int odd = pcm_packet_frames(100, 16, Codec::kFloat32, 1400, true);
  EXPECT_EQ(100 % odd, 0);
  EXPECT_EQ(pcm_packet_frames(64, 64, Codec::kFloat32, 256, true), 0);
}

TEST(WireFormatTest, CodecNames) {
  Codec c;
  ASSERT_TRUE(codec_from_name("float32", &c));
  EXPECT_EQ(c, Codec::kFloat32);
  EXPECT_FALSE(codec_from_name("mp3", &c));
}

TEST(HelloMessageTest, RoundTripAndValidation) {
  HelloMessage in;
  in.loopback = true;
  in.reply_requested = true;
  in.channels = 4;
  in.codec = Codec::kOpus;
  in.sample_rate = 48000;
  in.period = 64;
  in.node_id = "bob-2.studio";
  std::uint8_t buf[kMaxHelloSize];
  const std::size_t n = encode_hello(in, buf);
  HelloMessage out;
  ASSERT_TRUE(parse_hello({buf, n}, &out));
  EXPECT_EQ(out.node_id, in.node_id);
  EXPECT_TRUE(out.loopback);
  EXPECT_TRUE(out.reply_requested);
  EXPECT_EQ(out.channels, 4);
  EXPECT_EQ(out.sample_rate, 48000u);
  EXPECT_FALSE(parse_hello({buf, n - 1}, &out));  // length mismatch
  buf[10] = '/';                                  // not a node-id character
  EXPECT_FALSE(parse_hello({buf, n}, &out));
  // Sample rates outside 8-384 kHz are refused (a rate of 0 would reach the arithmetic).
  for (std::uint32_t rate : {0u, 7999u, 8000u, 384000u, 384001u}) {
    in.sample_rate = rate;
    const std::size_t m = encode_hello(in, buf);
    EXPECT_EQ(parse_hello({buf, m}, &out), rate >= 8000 && rate <= 384000) << rate;
  }
}

}  // namespace
}  // namespace hydramesh
