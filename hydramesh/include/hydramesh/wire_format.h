// The HydraMesh datagram header (wire format version 1), documented in docs/protocol.md.
//
// Every datagram starts with a fixed 28-byte header in network byte order:
//
//   offset size field
//        0    2 magic "HM" (0x48 0x4D)
//        2    1 version (kWireVersion)
//        3    1 type (PacketType)
//        4    4 stream id: random per sender start; selects the receive key
//        8    8 sequence: per (stream, type), starts at 0, +1 per packet; the AEAD nonce
//       16    8 sample clock: sender frame index of the first frame (audio only, else 0)
//       24    1 codec (Codec; audio only, else 0)
//       25    1 channels (audio only, else 0)
//       26    2 frames per channel (audio only, else 0)
//
// The header is the AEAD associated data; the payload that follows is ciphertext plus a 16-byte
// tag (or plaintext in --insecure mode). All functions here are allocation-free and safe to call
// on the audio thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hydramesh {

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kHeaderSize = 28;
inline constexpr std::size_t kTagSize = 16;
inline constexpr int kMaxChannels = 64;
inline constexpr int kMaxPacketFrames = 4096;
// Largest datagram we ever build or accept; udp-mtu is validated against it.
inline constexpr std::size_t kMaxDatagram = 1472;  // the UDP payload of a 1500-byte Ethernet frame
inline constexpr std::size_t kMinMtu = 256;

enum class PacketType : std::uint8_t {
  kAudio = 1,  // encoded audio frames
  kHello = 2,  // announces node id, stream id and audio format; sealed with the session key
  kPing = 3,   // round-trip probe: 8-byte sender timestamp
  kPong = 4,   // answer to a ping: the same 8 bytes
};

enum class Codec : std::uint8_t {
  kPcm16 = 1,    // signed 16-bit big-endian, interleaved
  kPcm24 = 2,    // signed 24-bit big-endian, interleaved
  kFloat32 = 3,  // IEEE 754 binary32 big-endian, interleaved
  kOpus = 4,     // one Opus packet (RFC 6716)
};

struct PacketHeader {
  PacketType type = PacketType::kAudio;
  std::uint32_t stream_id = 0;
  std::uint64_t sequence = 0;
  std::uint64_t sample_clock = 0;
  Codec codec = Codec::kPcm16;  // ignored unless type == kAudio
  std::uint8_t channels = 0;
  std::uint16_t frames = 0;
};

enum class ParseError : std::uint8_t {
  kOk,
  kTooShort,    // fewer than kHeaderSize bytes
  kBadMagic,    // not a HydraMesh datagram
  kBadVersion,  // a version this build does not speak
  kBadType,
  kBadCodec,
  kBadShape,  // channels or frames out of range, or non-zero where they must be zero
};

// Stable lower-case name ("bad_magic") for logs and statistics.
std::string_view parse_error_name(ParseError error);

// Writes the header into out[0..kHeaderSize).
void encode_header(const PacketHeader& header, std::uint8_t* out);

// Parses and validates the header at the start of datagram. On kOk, *out holds it and the
// payload is datagram.subspan(kHeaderSize). Never reads past datagram.size().
ParseError parse_header(std::span<const std::uint8_t> datagram, PacketHeader* out);

// Bytes per sample for the PCM codecs; 0 for Opus.
int pcm_sample_bytes(Codec codec);

// The codec's config/CLI name ("pcm16", "pcm24", "float32", "opus").
std::string_view codec_name(Codec codec);
// Parses a codec name; false when unknown.
bool codec_from_name(std::string_view name, Codec* out);

// Largest frames-per-packet that divides period and whose PCM datagram fits in mtu, so every
// packet of a stream has the same size. Returns 0 when even one frame does not fit.
int pcm_packet_frames(int period, int channels, Codec codec, std::size_t mtu, bool secure);

}  // namespace hydramesh
