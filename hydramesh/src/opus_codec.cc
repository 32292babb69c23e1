#include "hydramesh/opus_codec.h"

#include <opus/opus_multistream.h>

#include <cmath>
#include <string>
#include <vector>

namespace hydramesh {
namespace {

std::vector<unsigned char> identity_mapping(int channels) {
  std::vector<unsigned char> mapping(static_cast<std::size_t>(channels));
  for (int c = 0; c < channels; ++c)
    mapping[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c);
  return mapping;
}

bool opus_rate(int sample_rate) {
  return sample_rate == 8000 || sample_rate == 12000 || sample_rate == 16000 ||
         sample_rate == 24000 || sample_rate == 48000;
}

}  // namespace

int opus_frame_frames(double frame_ms, int sample_rate) {
  if (frame_ms != 2.5 && frame_ms != 5.0 && frame_ms != 10.0) return 0;
  return static_cast<int>(std::lround(frame_ms * sample_rate / 1000.0));
}

archibald::Result<std::unique_ptr<OpusPacketEncoder>> OpusPacketEncoder::create(int sample_rate,
                                                                                int channels,
                                                                                int frame_frames,
                                                                                int bitrate) {
  if (!opus_rate(sample_rate)) {
    return archibald::Status::not_supported(
        "opus: sample rate " + std::to_string(sample_rate) +
        " is not supported (use 48000, 24000, 16000, 12000 or 8000)");
  }
  std::unique_ptr<OpusPacketEncoder> enc(new OpusPacketEncoder());
  int error = 0;
  const auto mapping = identity_mapping(channels);
  enc->encoder_ =
      opus_multistream_encoder_create(sample_rate, channels, channels, 0, mapping.data(),
                                      OPUS_APPLICATION_RESTRICTED_LOWDELAY, &error);
  if (error != OPUS_OK || enc->encoder_ == nullptr) {
    return archibald::Status::invalid_argument(std::string("opus encoder: ") +
                                               opus_strerror(error));
  }
  opus_multistream_encoder_ctl(enc->encoder_, OPUS_SET_BITRATE(bitrate * channels));
  opus_multistream_encoder_ctl(enc->encoder_, OPUS_SET_VBR(0));
  enc->channels_ = channels;
  enc->frame_frames_ = frame_frames;
  enc->interleaved_ = std::make_unique<float[]>(static_cast<std::size_t>(channels * frame_frames));
  return enc;
}

OpusPacketEncoder::~OpusPacketEncoder() {
  if (encoder_ != nullptr) opus_multistream_encoder_destroy(encoder_);
}

int OpusPacketEncoder::encode(const float* const* planar, int offset, std::uint8_t* out,
                              int capacity) {
  for (int f = 0; f < frame_frames_; ++f) {
    for (int c = 0; c < channels_; ++c) {
      interleaved_[static_cast<std::size_t>(f * channels_ + c)] = planar[c][offset + f];
    }
  }
  const int n =
      opus_multistream_encode_float(encoder_, interleaved_.get(), frame_frames_, out, capacity);
  return n < 0 ? -1 : n;
}

archibald::Result<std::unique_ptr<OpusPacketDecoder>> OpusPacketDecoder::create(int sample_rate,
                                                                                int channels,
                                                                                int max_frames) {
  if (!opus_rate(sample_rate)) {
    return archibald::Status::not_supported("opus: sample rate " + std::to_string(sample_rate) +
                                            " is not supported");
  }
  std::unique_ptr<OpusPacketDecoder> dec(new OpusPacketDecoder());
  int error = 0;
  const auto mapping = identity_mapping(channels);
  dec->decoder_ =
      opus_multistream_decoder_create(sample_rate, channels, channels, 0, mapping.data(), &error);
  if (error != OPUS_OK || dec->decoder_ == nullptr) {
    return archibald::Status::invalid_argument(std::string("opus decoder: ") +
                                               opus_strerror(error));
  }
  dec->channels_ = channels;
  dec->max_frames_ = max_frames;
  dec->interleaved_ = std::make_unique<float[]>(static_cast<std::size_t>(channels * max_frames));
  return dec;
}

OpusPacketDecoder::~OpusPacketDecoder() {
  if (decoder_ != nullptr) opus_multistream_decoder_destroy(decoder_);
}

void OpusPacketDecoder::reset() {
  opus_multistream_decoder_ctl(decoder_, OPUS_RESET_STATE);
}

bool OpusPacketDecoder::decode(const std::uint8_t* data, int size, float* const* out, int frames) {
  int n = -1;
  if (frames <= max_frames_) {
    n = opus_multistream_decode_float(decoder_, data, data == nullptr ? 0 : size,
                                      interleaved_.get(), frames, 0);
  }
  const bool ok = n == frames;
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels_; ++c) {
      out[c][f] = ok ? interleaved_[static_cast<std::size_t>(f * channels_ + c)] : 0.0f;
    }
  }
  return ok;
}

}  // namespace hydramesh
