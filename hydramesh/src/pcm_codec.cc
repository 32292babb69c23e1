#include "hydramesh/pcm_codec.h"

#include <bit>
#include <cmath>

#include "byte_order.h"

namespace hydramesh {
namespace {

inline std::int32_t quantize(float x, float scale, std::int32_t lo, std::int32_t hi) {
  if (!(x == x)) return 0;  // NaN becomes silence rather than full scale
  const float scaled = std::nearbyint(x * scale);
  if (scaled <= static_cast<float>(lo)) return lo;
  if (scaled >= static_cast<float>(hi)) return hi;
  return static_cast<std::int32_t>(scaled);
}

}  // namespace

void encode_pcm(Codec codec, const float* const* planar, int channels, int offset, int frames,
                std::uint8_t* out) {
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) {
      const float x = planar[c][offset + f];
      switch (codec) {
        case Codec::kPcm16: {
          const std::int32_t v = quantize(x, 32768.0f, -32768, 32767);
          store_be16(out, static_cast<std::uint16_t>(v));
          out += 2;
          break;
        }
        case Codec::kPcm24: {
          const std::int32_t v = quantize(x, 8388608.0f, -8388608, 8388607);
          const auto u = static_cast<std::uint32_t>(v);
          out[0] = static_cast<std::uint8_t>(u >> 16);
          out[1] = static_cast<std::uint8_t>(u >> 8);
          out[2] = static_cast<std::uint8_t>(u);
          out += 3;
          break;
        }
        case Codec::kFloat32:
          store_be32(out, std::bit_cast<std::uint32_t>(x));
          out += 4;
          break;
        case Codec::kOpus:
          return;
      }
    }
  }
}

void decode_pcm(Codec codec, const std::uint8_t* payload, int channels, int frames,
                float* const* out) {
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) {
      switch (codec) {
        case Codec::kPcm16:
          out[c][f] = static_cast<float>(static_cast<std::int16_t>(load_be16(payload))) / 32768.0f;
          payload += 2;
          break;
        case Codec::kPcm24: {
          std::uint32_t u =
              (std::uint32_t{payload[0]} << 16) | (std::uint32_t{payload[1]} << 8) | payload[2];
          if (u & 0x800000u) u |= 0xFF000000u;  // sign-extend
          out[c][f] = static_cast<float>(static_cast<std::int32_t>(u)) / 8388608.0f;
          payload += 3;
          break;
        }
        case Codec::kFloat32: {
          const float x = std::bit_cast<float>(load_be32(payload));
          out[c][f] = std::isfinite(x) ? x : 0.0f;  // a hostile NaN/Inf must not reach speakers
          payload += 4;
          break;
        }
        case Codec::kOpus:
          return;
      }
    }
  }
}

}  // namespace hydramesh
