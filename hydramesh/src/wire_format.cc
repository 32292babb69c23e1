#include "hydramesh/wire_format.h"

#include "byte_order.h"

namespace hydramesh {

std::string_view parse_error_name(ParseError error) {
  switch (error) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kTooShort:
      return "too_short";
    case ParseError::kBadMagic:
      return "bad_magic";
    case ParseError::kBadVersion:
      return "bad_version";
    case ParseError::kBadType:
      return "bad_type";
    case ParseError::kBadCodec:
      return "bad_codec";
    case ParseError::kBadShape:
      return "bad_shape";
  }
  return "unknown";
}

void encode_header(const PacketHeader& header, std::uint8_t* out) {
  out[0] = 0x48;
  out[1] = 0x4D;
  out[2] = kWireVersion;
  out[3] = static_cast<std::uint8_t>(header.type);
  store_be32(out + 4, header.stream_id);
  store_be64(out + 8, header.sequence);
  const bool audio = header.type == PacketType::kAudio;
  store_be64(out + 16, audio ? header.sample_clock : 0);
  out[24] = audio ? static_cast<std::uint8_t>(header.codec) : 0;
  out[25] = audio ? header.channels : 0;
  store_be16(out + 26, audio ? header.frames : 0);
}

ParseError parse_header(std::span<const std::uint8_t> datagram, PacketHeader* out) {
  if (datagram.size() < kHeaderSize) return ParseError::kTooShort;
  const std::uint8_t* p = datagram.data();
  if (p[0] != 0x48 || p[1] != 0x4D) return ParseError::kBadMagic;
  if (p[2] != kWireVersion) return ParseError::kBadVersion;
  if (p[3] < 1 || p[3] > 4) return ParseError::kBadType;
  PacketHeader h;
  h.type = static_cast<PacketType>(p[3]);
  h.stream_id = load_be32(p + 4);
  h.sequence = load_be64(p + 8);
  h.sample_clock = load_be64(p + 16);
  const std::uint8_t codec = p[24];
  h.channels = p[25];
  h.frames = load_be16(p + 26);
  if (h.type == PacketType::kAudio) {
    if (codec < 1 || codec > 4) return ParseError::kBadCodec;
    h.codec = static_cast<Codec>(codec);
    if (h.channels < 1 || h.channels > kMaxChannels) return ParseError::kBadShape;
    if (h.frames < 1 || h.frames > kMaxPacketFrames) return ParseError::kBadShape;
  } else if (codec != 0 || h.channels != 0 || h.frames != 0 || h.sample_clock != 0) {
    return ParseError::kBadShape;
  }
  *out = h;
  return ParseError::kOk;
}

int pcm_sample_bytes(Codec codec) {
  switch (codec) {
    case Codec::kPcm16:
      return 2;
    case Codec::kPcm24:
      return 3;
    case Codec::kFloat32:
      return 4;
    case Codec::kOpus:
      return 0;
  }
  return 0;
}

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::kPcm16:
      return "pcm16";
    case Codec::kPcm24:
      return "pcm24";
    case Codec::kFloat32:
      return "float32";
    case Codec::kOpus:
      return "opus";
  }
  return "unknown";
}

bool codec_from_name(std::string_view name, Codec* out) {
  for (Codec c : {Codec::kPcm16, Codec::kPcm24, Codec::kFloat32, Codec::kOpus}) {
    if (codec_name(c) == name) {
      *out = c;
      return true;
    }
  }
  return false;
}

int pcm_packet_frames(int period, int channels, Codec codec, std::size_t mtu, bool secure) {
  const std::size_t overhead = kHeaderSize + (secure ? kTagSize : 0);
  if (mtu <= overhead) return 0;
  const std::size_t budget = mtu - overhead;
  const std::size_t frame_bytes =
      static_cast<std::size_t>(channels) * static_cast<std::size_t>(pcm_sample_bytes(codec));
  for (int frames = period; frames >= 1; --frames) {
    if (period % frames == 0 && static_cast<std::size_t>(frames) * frame_bytes <= budget) {
      return frames;
    }
  }
  return 0;
}

}  // namespace hydramesh
