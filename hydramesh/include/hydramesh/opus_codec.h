// Opus for HydraMesh: one mono Opus stream per channel in a multistream packet (RFC 7845
// mapping family 255 framing), in the restricted low-delay mode (no lookahead beyond the
// 2.5 ms CELT overlap), with 2.5, 5 or 10 ms frames.
// create() allocates; encode()/decode() do not allocate or lock and run on the audio thread.
#pragma once

#include <cstdint>
#include <memory>

#include "archibald/status.h"

struct OpusMSEncoder;
struct OpusMSDecoder;

namespace hydramesh {

// Frame size in frames for a frame length of 2.5, 5 or 10 ms; 0 when not allowed.
int opus_frame_frames(double frame_ms, int sample_rate);

class OpusPacketEncoder {
 public:
  // sample_rate must be 8000, 12000, 16000, 24000 or 48000; bitrate is per channel, in bit/s.
  static archibald::Result<std::unique_ptr<OpusPacketEncoder>> create(int sample_rate, int channels,
                                                                      int frame_frames,
                                                                      int bitrate);
  ~OpusPacketEncoder();

  // Encodes frame_frames() frames of planar[c][offset..]. Returns the packet size, or -1.
  int encode(const float* const* planar, int offset, std::uint8_t* out, int capacity);
  int frame_frames() const { return frame_frames_; }

 private:
  OpusPacketEncoder() = default;
  OpusMSEncoder* encoder_ = nullptr;
  int channels_ = 0;
  int frame_frames_ = 0;
  std::unique_ptr<float[]> interleaved_;
};

class OpusPacketDecoder {
 public:
  static archibald::Result<std::unique_ptr<OpusPacketDecoder>> create(int sample_rate, int channels,
                                                                      int max_frames);
  ~OpusPacketDecoder();

  // Decodes one packet into planar out[c][0..frames); data == nullptr runs packet-loss
  // concealment for `frames`. Returns false (and writes silence) on a corrupt packet.
  bool decode(const std::uint8_t* data, int size, float* const* out, int frames);
  void reset();

 private:
  OpusPacketDecoder() = default;
  OpusMSDecoder* decoder_ = nullptr;
  int channels_ = 0;
  int max_frames_ = 0;
  std::unique_ptr<float[]> interleaved_;
};

}  // namespace hydramesh
