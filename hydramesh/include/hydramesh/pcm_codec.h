// PCM payload encoding: planar float samples <-> interleaved big-endian integers or floats.
//
// Quantisation is by rounding to nearest with clipping to the integer range, so a sample that is
// already k/32768 (PCM16) or k/8388608 (PCM24) survives a round trip exactly; float32 is
// bit-exact. Allocation-free; safe on the audio thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hydramesh/wire_format.h"

namespace hydramesh {

// Bytes of an encoded PCM payload.
inline std::size_t pcm_payload_bytes(Codec codec, int channels, int frames) {
  return static_cast<std::size_t>(pcm_sample_bytes(codec)) * static_cast<std::size_t>(channels) *
         static_cast<std::size_t>(frames);
}

// Encodes frames [offset, offset+frames) of each of channels planar inputs into out.
// REQUIRES: codec is PCM; out holds pcm_payload_bytes(codec, channels, frames).
void encode_pcm(Codec codec, const float* const* planar, int channels, int offset, int frames,
                std::uint8_t* out);

// Decodes an interleaved payload into planar outputs out[c][0..frames).
// REQUIRES: codec is PCM; payload holds pcm_payload_bytes(codec, channels, frames).
void decode_pcm(Codec codec, const std::uint8_t* payload, int channels, int frames,
                float* const* out);

}  // namespace hydramesh
