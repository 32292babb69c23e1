#include "hydramesh/peer_playout.h"

#include <zita-resampler/vresampler.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "hydramesh/opus_codec.h"
#include "hydramesh/pcm_codec.h"

namespace hydramesh {
namespace {

constexpr int kResampleChunk = 32;        // source frames fed to the resampler at a time
constexpr int kResamplerHalfLength = 16;  // 16 frames of filter delay: zita-n2j's minimum
constexpr double kLateWindowSeconds = 2.0;
constexpr double kQuietSecondsToShrink = 10.0;
constexpr double kSlackWindowSeconds = 0.25;
constexpr int kTrimPackets = 1;
constexpr double kHoldSeconds = 2.0;

int ms_to_frames(double ms, int rate) {
  return static_cast<int>(std::lround(ms * rate / 1000.0));
}

}  // namespace

PeerPlayout::PeerPlayout() = default;
PeerPlayout::~PeerPlayout() = default;

archibald::Status PeerPlayout::setup(const PlayoutOptions& options) {
  if (options.channels < 1 || options.channels > kMaxChannels || options.sample_rate < 8000 ||
      options.source_rate < 8000 || options.max_period < 1 || options.max_period > 8192) {
    return archibald::Status::invalid_argument("playout: bad channel count, rate or period");
  }
  options_ = options;
  ARCHIBALD_RETURN_IF_ERROR(buffer_.setup(options.slot_count, options.payload_capacity));
  ARCHIBALD_RETURN_IF_ERROR(concealer_.setup(options.channels,
                                             ms_to_frames(5.0, options.source_rate),
                                             ms_to_frames(10.0, options.source_rate)));
  block_.clear();
  block_ptrs_.clear();
  for (int c = 0; c < options.channels; ++c) {
    block_.push_back(std::make_unique<float[]>(kMaxPacketFrames));
    block_ptrs_.push_back(block_.back().get());
  }
  auto opus = OpusPacketDecoder::create(options.source_rate, options.channels, kMaxPacketFrames);
  opus_ = opus.ok() ? std::move(opus.value()) : nullptr;  // Opus packets are bad_packets then

  resampling_ = options.drift_compensation || options.source_rate != options.sample_rate;
  nominal_ratio_ = static_cast<double>(options.sample_rate) / options.source_rate;
  if (resampling_) {
    resampler_ = std::make_unique<VResampler>();
    if (resampler_->setup(nominal_ratio_, static_cast<unsigned>(options.channels),
                          kResamplerHalfLength) != 0) {
      return archibald::Status::invalid_argument("playout: resampler ratio out of range");
    }
    resample_in_ =
        std::make_unique<float[]>(static_cast<std::size_t>(kResampleChunk * options.channels));
    resample_out_ =
        std::make_unique<float[]>(static_cast<std::size_t>(options.max_period * options.channels));
    scratch_.clear();
    scratch_ptrs_.clear();
    for (int c = 0; c < options.channels; ++c) {
      scratch_.push_back(std::make_unique<float[]>(kResampleChunk));
      scratch_ptrs_.push_back(scratch_.back().get());
    }
    // Prime the filter so its delay is accounted for from the first output sample.
    resampler_->inp_count = static_cast<unsigned>(resampler_->inpsize() / 2 - 1);
    resampler_->inp_data = nullptr;
    resampler_->out_count = 0;
    resampler_->out_data = nullptr;
    resampler_->process();
  }
  target_frames_ = ms_to_frames(options.target_ms, options.source_rate);
  min_target_frames_ = ms_to_frames(options.min_target_ms, options.source_rate);
  max_target_frames_ = ms_to_frames(options.max_target_ms, options.source_rate);
  counters_ = PlayoutCounters{};
  counters_.target_frames = target_frames_;
  state_ = State::kBuffering;
  have_stream_ = false;
  block_len_ = block_pos_ = 0;
  return {};
}

void PeerPlayout::restart_stream(std::uint32_t stream_id) {
  if (have_stream_) ++counters_.stream_restarts;
  have_stream_ = true;
  stream_id_ = stream_id;
  buffer_.reset();
  state_ = State::kBuffering;
  concealer_.mark_discontinuity();
  if (opus_) opus_->reset();
  drift_.reset();
  held_slack_ = -1;
  held_spread_ = -1;
  bridging_ = false;
  inserted_frames_ = 0;
  lost_frames_ = 0.0;
}

void PeerPlayout::on_time_lost(double seconds) {
  if (seconds > 0.0) lost_frames_ += seconds * options_.source_rate;
}

void PeerPlayout::push(const PacketHeader& header, const std::uint8_t* payload, std::size_t size) {
  if (!have_stream_ || header.stream_id != stream_id_) restart_stream(header.stream_id);
  if (header.channels != options_.channels) {
    ++counters_.bad_packets;
    return;
  }
  switch (buffer_.insert(header, payload, size)) {
    case JitterBuffer::Insert::kStored:
      break;
    case JitterBuffer::Insert::kLate:
      ++counters_.late;
      on_late();
      break;
    case JitterBuffer::Insert::kDuplicate:
      ++counters_.duplicates;
      break;
    case JitterBuffer::Insert::kTooFarAhead:
      // We fell far behind (a stall, or the sender jumped): start over from this packet.
      ++counters_.rebuffers;
      buffer_.reset();
      state_ = State::kBuffering;
      concealer_.mark_discontinuity();
      buffer_.insert(header, payload, size);
      break;
    case JitterBuffer::Insert::kBadShape:
      if (header.frames != buffer_.packet_frames()) {
        // The sender changed its packet size (new period): re-anchor on the new size.
        ++counters_.rebuffers;
        buffer_.reset();
        state_ = State::kBuffering;
        concealer_.mark_discontinuity();
        buffer_.insert(header, payload, size);
      } else {
        ++counters_.bad_packets;
      }
      break;
  }
}

int PeerPlayout::skip_to(int keep_frames) {
  const int dropped = buffer_.drop_to(keep_frames);
  counters_.skipped += static_cast<std::uint64_t>(dropped);
  if (dropped > 0) {
    concealer_.mark_discontinuity();
    hold_seconds_ = kHoldSeconds;
  }
  return dropped;
}

bool PeerPlayout::decode(const StoredPacket& packet) {
  last_codec_ = packet.codec;
  if (packet.codec == Codec::kOpus) {
    return opus_ &&
           opus_->decode(packet.payload, packet.payload_size, block_ptrs_.data(), packet.frames);
  }
  if (packet.payload_size != pcm_payload_bytes(packet.codec, packet.channels, packet.frames)) {
    return false;
  }
  decode_pcm(packet.codec, packet.payload, packet.channels, packet.frames, block_ptrs_.data());
  return true;
}

void PeerPlayout::next_block(int wanted) {
  block_pos_ = 0;
  const int partial_skip = partial_skip_;
  partial_skip_ = 0;
  if (state_ == State::kBuffering) {
    if (buffer_.anchored() && buffer_.buffered_frames() >= refill_frames()) {
      buffer_.start();
      state_ = State::kPlaying;
      bridging_ = false;
      inserted_frames_ = 0;
      missing_run_frames_ = 0;
      held_slack_ = -1;
      hold_seconds_ = kHoldSeconds;
    } else {
      // Whatever played before (a stream that restarted or jumped) fades out, not off.
      block_len_ = std::min(wanted, kMaxPacketFrames);
      concealer_.conceal(block_ptrs_.data(), block_len_);
      block_clock_ = -1;
      return;
    }
  }
  const int packet_frames = buffer_.packet_frames();
  // Latency cap: a burst after a stall (or a sender clock that runs fast without drift
  // compensation) must not leave us far behind for good.
  const int slack =
      resampling_ ? ms_to_frames(40.0, options_.source_rate)
                  : target_frames_ + 2 * packet_frames + ms_to_frames(5.0, options_.source_rate);
  if (buffer_.buffered_frames() > target_frames_ + slack) {
    skip_to(target_frames_);
    trim_frames_ = 0;
    inserted_frames_ = 0;
  }
  // Latency trim: when the least slack over a whole window stayed kTrimPackets or more above
  // the target because a bridge inserted time the sender had not lost (the network held its
  // packets back), skip whole packets, up to what the bridges inserted, crossfaded, rather than
  // letting the drift loop take seconds to play the excess out. Packets that piled up while our
  // own graph stalled are not this trim's: skip_lost_time() takes them at the next render.
  if (packet_frames > 0 && trim_frames_ >= kTrimPackets * packet_frames) {
    const int excess = std::min(trim_frames_, inserted_frames_) / packet_frames * packet_frames;
    const int dropped = excess > 0 ? skip_to(buffer_.buffered_frames() - excess) : 0;
    held_slack_ -= dropped * packet_frames;
    inserted_frames_ -= dropped * packet_frames;
  }
  trim_frames_ = 0;
  // A missing packet with nothing after it yet is most likely late (the sender, its graph or
  // the network stalled), not lost. Then playout bridges: it conceals without moving on, as if
  // buffering again, until the buffer holds the target once more, and goes on from there; the
  // stall's time is inserted here as the sender lost it, and the margin is back for the next
  // one (the packet counts as late). A packet still missing when later ones are here is lost:
  // skipped, and concealed in its place only if no bridge covered it.
  const StoredPacket* packet = nullptr;
  std::uint64_t clock = 0;
  while (true) {
    clock = buffer_.read_clock();
    if (bridging_ && buffer_.buffered_frames() < refill_frames()) break;
    if (buffer_.arrived()) {
      packet = buffer_.take();
      bridging_ = false;
      break;
    }
    if (buffer_.buffered_frames() == 0) {
      ++counters_.late;
      on_late();
      bridging_ = true;
      break;
    }
    buffer_.take();
    if (!bridging_) break;
    bridging_ = false;
  }
  if (bridging_) {
    inserted_frames_ += packet_frames;
    bridged_in_window_ = true;
    hold_seconds_ = kHoldSeconds;
  }
  if (packet != nullptr && decode(*packet)) {
    // The part of a packet skip_lost_time() asked for: the block starts that much later.
    const int skip = std::clamp(partial_skip, 0, packet_frames - 1);
    if (skip > 0) {
      for (float* channel : block_ptrs_)
        std::memmove(channel, channel + skip,
                     static_cast<std::size_t>(packet_frames - skip) * sizeof(float));
    }
    block_len_ = packet_frames - skip;
    if (packet->codec != Codec::kOpus) concealer_.on_good(block_ptrs_.data(), block_len_);
    ++counters_.played;
    missing_run_frames_ = 0;
    block_clock_ = static_cast<std::int64_t>(clock) + skip;
    return;
  }
  if (packet != nullptr) ++counters_.bad_packets;
  if (last_codec_ == Codec::kOpus && opus_) {
    opus_->decode(nullptr, 0, block_ptrs_.data(), packet_frames);  // Opus PLC
  } else {
    concealer_.conceal(block_ptrs_.data(), packet_frames);
  }
  ++counters_.concealed;
  missing_run_frames_ += packet_frames;
  block_clock_ = -1;
  block_len_ = packet_frames;
  if (missing_run_frames_ >= ms_to_frames(kRebufferMs, options_.source_rate) &&
      buffer_.buffered_frames() == 0) {
    ++counters_.rebuffers;
    buffer_.reset();
    state_ = State::kBuffering;
  }
}

void PeerPlayout::read_source(float* const* out, int frames) {
  int done = 0;
  while (done < frames) {
    if (block_pos_ >= block_len_) next_block(frames - done);
    const int n = std::min(block_len_ - block_pos_, frames - done);
    for (int c = 0; c < options_.channels; ++c) {
      std::memcpy(out[c] + done, block_ptrs_[static_cast<std::size_t>(c)] + block_pos_,
                  static_cast<std::size_t>(n) * sizeof(float));
    }
    block_pos_ += n;
    done += n;
  }
}

double PeerPlayout::resampler_backlog() const {
  // The input handed to the resampler but not consumed yet (up to a chunk), plus the filter's
  // delay. Leaving out the first made the fill jump by a chunk whenever the ratio moved the
  // chunk boundaries, and the drift loop answered each jump with hundreds of ppm.
  return resampling_ ? resampler_->inp_count + resampler_->inpdist() : 0.0;
}

double PeerPlayout::fill_frames() const {
  return buffer_.buffered_frames() + (block_len_ - block_pos_) + resampler_backlog();
}

double PeerPlayout::slack_after(int frames) const {
  return fill_frames() - frames / nominal_ratio_;
}

void PeerPlayout::render_resampled(float* const* out, int frames) {
  if (frames != drift_period_frames_) {
    drift_period_frames_ = frames;
    drift_.setup(static_cast<double>(frames) / options_.sample_rate, options_.source_rate);
  }
  if (state_ == State::kPlaying && held_slack_ >= 0) {
    const double correction = drift_.update(held_slack_ - target_frames_, hold_seconds_ <= 0.0);
    hold_seconds_ -= static_cast<double>(frames) / options_.sample_rate;
    resampler_->set_rratio(1.0 / (1.0 + correction));
  }
  const int channels = options_.channels;
  resampler_->out_count = static_cast<unsigned>(frames);
  resampler_->out_data = resample_out_.get();
  while (resampler_->out_count > 0) {
    if (resampler_->inp_count == 0) {
      read_source(scratch_ptrs_.data(), kResampleChunk);
      for (int f = 0; f < kResampleChunk; ++f) {
        for (int c = 0; c < channels; ++c) {
          resample_in_[static_cast<std::size_t>(f * channels + c)] =
              scratch_ptrs_[static_cast<std::size_t>(c)][f];
        }
      }
      resampler_->inp_data = resample_in_.get();
      resampler_->inp_count = kResampleChunk;
    }
    resampler_->process();
  }
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c)
      out[c][f] = resample_out_[static_cast<std::size_t>(f * channels + c)];
  }
}

void PeerPlayout::on_late() {
  if (!options_.adaptive_target) return;
  quiet_seconds_ = 0.0;
  if (++recent_late_ >= 2 && buffer_.packet_frames() > 0) {
    target_frames_ = std::min(max_target_frames_, target_frames_ + buffer_.packet_frames());
    hold_seconds_ = kHoldSeconds;  // the fill now stands a packet below the target: a step
    recent_late_ = 0;
  }
}

void PeerPlayout::adapt_target(double seconds) {
  if (!options_.adaptive_target) return;
  late_window_seconds_ += seconds;
  if (late_window_seconds_ >= kLateWindowSeconds) {
    late_window_seconds_ = 0.0;
    recent_late_ = 0;  // isolated late packets do not add up across windows
  }
  quiet_seconds_ += seconds;
  if (quiet_seconds_ >= kQuietSecondsToShrink && buffer_.packet_frames() > 0) {
    quiet_seconds_ = 0.0;
    target_frames_ = std::max(min_target_frames_, target_frames_ - buffer_.packet_frames());
    hold_seconds_ = kHoldSeconds;  // the fill now stands a packet above the target: a step
  }
}

void PeerPlayout::track_slack(int frames) {
  if (state_ != State::kPlaying) {
    window_min_slack_ = INT_MAX;
    window_max_slack_ = -1;
    window_seconds_ = 0.0;
    return;
  }
  // Slack: source frames still buffered once this render has taken its share. Its minimum over
  // a window is the margin that actually protected us; the loop steers that to the target,
  // whatever the phase between the sender's and our periods.
  //
  // A render that finds the buffer dry (negative slack: part of it is concealed) counts as
  // zero slack, not as its full deficit. Such a dropout is almost always a stall of a whole
  // JACK graph or of the sender (tens of milliseconds on a busy machine) that no margin of a
  // millisecond or two could have covered; weighting it by its size only swings latency up for
  // the next ten seconds while the loop recovers. A phase in which packets keep arriving just
  // after our cycle still gives a deficit of the whole target in every window, so the loop
  // still moves playout to where they arrive in time.
  const int slack = std::max(0, static_cast<int>(slack_after(frames)));
  window_min_slack_ = std::min(window_min_slack_, slack);
  window_max_slack_ = std::max(window_max_slack_, slack);
  window_seconds_ += static_cast<double>(frames) / options_.sample_rate;
  if (held_slack_ < 0) held_slack_ = slack;  // until the first window completes
  if (window_seconds_ >= kSlackWindowSeconds) {
    held_slack_ = window_min_slack_;
    if (!bridged_in_window_) held_spread_ = window_max_slack_ - window_min_slack_;
    trim_frames_ = held_slack_ - target_frames_;
    // A window without a bridge and without excess: whatever was inserted has been absorbed.
    if (!bridged_in_window_ && trim_frames_ < kTrimPackets * buffer_.packet_frames()) {
      inserted_frames_ = 0;
    }
    bridged_in_window_ = false;
    window_min_slack_ = INT_MAX;
    window_max_slack_ = -1;
    window_seconds_ = 0.0;
  }
}

void PeerPlayout::skip_lost_time(int frames) {
  const double lost = lost_frames_;
  lost_frames_ = 0.0;
  const int packet_frames = buffer_.packet_frames();
  if (lost <= 0.0 || state_ != State::kPlaying || bridging_ || held_spread_ < 0 ||
      packet_frames <= 0) {
    return;
  }
  // The pile raised the slack of every render alike. What this render would leave above the
  // target, less how far the slack of one render can stand above that of another (the spread
  // of the last window without a bridge: a render between two arrivals of packets longer than
  // our period sees more), is skipped, so that the least slack from here on is the target.
  // What stood above the target before goes too (the seam is there anyway), but never more
  // than that, the time lost and a packet (the pile comes in packets): if the sender lost the
  // same time, nothing piled up and nothing more goes. Whole packets are dropped from the
  // buffer, the rest from the start of the next packet: skipping only whole packets left up to
  // a packet behind every time, the drift loop's integral learnt those leftovers as a clock
  // difference, and the buffer ran dry between losses.
  const double above_usual = slack_after(frames) - target_frames_ - held_spread_;
  const double most = lost + packet_frames + std::max(0, held_slack_ - target_frames_);
  const int pile = static_cast<int>(std::min(above_usual, most));
  if (pile <= 0) return;
  const int packets = std::min(pile / packet_frames, buffer_.buffered_frames() / packet_frames);
  if (packets > 0) skip_to(buffer_.buffered_frames() - packets * packet_frames);
  partial_skip_ = pile - packets * packet_frames;
  if (partial_skip_ > 0) {
    concealer_.mark_discontinuity();
    ++counters_.skipped;  // a part of a packet: a dropout all the same
  }
  hold_seconds_ = kHoldSeconds;
}

void PeerPlayout::render(float* const* out, int frames) {
  adapt_target(static_cast<double>(frames) / options_.sample_rate);
  render_frames_ = frames;
  skip_lost_time(frames);
  track_slack(frames);
  // The sender clock of this render's first frame: the next one the blocks hold, less what
  // waits in the resampler before it.
  const std::int64_t first_clock =
      block_clock_ >= 0
          ? block_clock_ + block_pos_ - static_cast<std::int64_t>(std::lround(resampler_backlog()))
          : -1;
  if (resampling_) {
    render_resampled(out, frames);
  } else {
    read_source(out, frames);
  }
  last_render_clock_ = first_clock;
  counters_.buffer_frames = held_slack_;
  counters_.target_frames = target_frames_;
  counters_.drift_ppm = resampling_ ? drift_.drift_ppm() : 0.0;
  counters_.playing = state_ == State::kPlaying;
}

}  // namespace hydramesh
