#include "hydramesh/peer_playout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "hydramesh/pcm_codec.h"
#include "signal_analysis.h"

namespace hydramesh {
namespace {

constexpr int kRate = 48000;
constexpr int kPeriod = 64;

// A simulated sender: 64-frame PCM16 packets of a test signal, produced at a clock that runs
// ppm faster than the receiver's, each delivered after a fixed delay plus its own extra delay
// (so a packet held up alone is overtaken by the next ones).
class SimulatedSender {
 public:
  SimulatedSender(TestSignal::Kind kind, double ppm) : signal_(kind, 440.0, kRate), ppm_(ppm) {}

  // Pushes every packet whose delivery time is <= now (seconds on the receiver's clock).
  void deliver_until(double now, PeerPlayout& playout, const std::vector<int>& lost = {}) {
    while (true) {
      const double produced = static_cast<double>(clock_ + kPeriod) / (kRate * (1.0 + ppm_ * 1e-6));
      if (produced > now) break;
      std::vector<float> block(kPeriod);
      for (float& x : block)
        x = signal_.next();
      sent_.insert(sent_.end(), block.begin(), block.end());
      const float* planar[] = {block.data()};
      InFlight packet;
      encode_pcm(Codec::kPcm16, planar, 1, 0, kPeriod, packet.payload);
      packet.header.stream_id = stream_id;
      packet.header.sequence = sequence_++;
      packet.header.sample_clock = clock_;
      packet.header.codec = Codec::kPcm16;
      packet.header.channels = 1;
      packet.header.frames = kPeriod;
      packet.arrival =
          produced + delay_ + (extra_delay ? extra_delay(packet.header.sequence, produced) : 0.0);
      if (std::find(lost.begin(), lost.end(), static_cast<int>(packet.header.sequence)) ==
          lost.end()) {
        in_flight_.push_back(packet);
      }
      clock_ += kPeriod;
    }
    std::stable_sort(in_flight_.begin(), in_flight_.end(),
                     [](const InFlight& a, const InFlight& b) { return a.arrival < b.arrival; });
    std::size_t n = 0;
    for (; n < in_flight_.size() && in_flight_[n].arrival <= now; ++n)
      playout.push(in_flight_[n].header, in_flight_[n].payload, sizeof in_flight_[n].payload);
    in_flight_.erase(in_flight_.begin(), in_flight_.begin() + static_cast<long>(n));
  }
  const std::vector<float>& sent() const { return sent_; }
  double delay_ = 0.0005;
  std::uint32_t stream_id = 7;
  // Extra network delay of a packet (seconds), from its sequence and production time.
  std::function<double(std::uint64_t, double)> extra_delay;

 private:
  struct InFlight {
    double arrival = 0;
    PacketHeader header;
    std::uint8_t payload[kPeriod * 2] = {};
  };
  TestSignal signal_;
  double ppm_;
  std::uint64_t clock_ = 0;
  std::uint64_t sequence_ = 0;
  std::vector<float> sent_;
  std::vector<InFlight> in_flight_;
};

// Seeded uniform numbers in [0, 1) for simulated stalls (a 64-bit LCG).
class Uniform {
 public:
  explicit Uniform(std::uint64_t seed) : seed_(seed) {}
  double operator()() {
    seed_ = seed_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(seed_ >> 11) / static_cast<double>(1ULL << 53);
  }

 private:
  std::uint64_t seed_;
};

// Seeded random stalls of the sender's graph (or the network), for SimulatedSender::extra_delay:
// from 1 s to `seconds`, one every gap to gap + spread seconds, each holding back for 0.5-4.5 ms
// what is sent during it, which then arrives all at once (the sender loses no time).
std::function<double(std::uint64_t, double)> sender_stalls(std::uint64_t seed, double seconds,
                                                           double gap, double spread) {
  Uniform uniform(seed);
  std::vector<std::pair<double, double>> stalls;  // [from, to) of sender time
  for (double t = 1.0; t < seconds; t += gap + spread * uniform())
    stalls.emplace_back(t, t + 0.0005 + 0.004 * uniform());
  return [stalls](std::uint64_t, double t) {
    for (const auto& [from, to] : stalls)
      if (t >= from && t < to) return to - t;
    return 0.0;
  };
}

PlayoutOptions options(bool drift, double target_ms = 4.0) {
  PlayoutOptions o;
  o.channels = 1;
  o.target_ms = target_ms;
  o.drift_compensation = drift;
  o.max_period = kPeriod;
  o.payload_capacity = 256;
  return o;
}

std::vector<float> render(PeerPlayout& playout, SimulatedSender& sender, int periods,
                          const std::vector<int>& lost = {}, int* start_period = nullptr) {
  std::vector<float> out;
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  for (int k = 0; k < periods; ++k) {
    sender.deliver_until(static_cast<double>(k) * kPeriod / kRate, playout, lost);
    playout.render(ptr, kPeriod);
    out.insert(out.end(), block.begin(), block.end());
    if (start_period != nullptr && *start_period < 0 && playout.counters().playing)
      *start_period = k;
  }
  return out;
}

TEST(PeerPlayoutTest, PcmIsBitExactWithoutDriftCompensation) {
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(false)).ok());
  SimulatedSender sender(TestSignal::Kind::kNoise, 0.0);
  const auto out = render(playout, sender, 400);
  // Find the stream in the output after the start fade-in, then compare everything after it.
  std::size_t first = 0;
  while (first < out.size() && out[first] == 0.0f)
    ++first;
  const std::size_t at = first + 128;
  const long offset = testing::find_in_reference(sender.sent(), out, at);
  ASSERT_GE(offset, 0);
  std::size_t compared = 0;
  for (std::size_t i = at; i < out.size() && offset + (i - at) < sender.sent().size(); ++i) {
    ASSERT_EQ(out[i], sender.sent()[static_cast<std::size_t>(offset) + (i - at)]) << i;
    ++compared;
  }
  EXPECT_GT(compared, 20000u);
  EXPECT_EQ(playout.counters().concealed, 0u);
  // Latency: output index minus input index is the target (4 ms = 192 frames) within a period.
  const long latency = static_cast<long>(at) - offset;
  EXPECT_GE(latency, 192 - kPeriod);
  EXPECT_LE(latency, 192 + 2 * kPeriod);
}

TEST(PeerPlayoutTest, CountsLossDuplicatesAndLateAndConcealsWithoutClicks) {
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(false)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  const auto out = render(playout, sender, 600, {100, 101, 250, 400});
  EXPECT_EQ(playout.counters().concealed, 4u);
  EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0);
  // Duplicate and late packets.
  PacketHeader h;
  h.stream_id = 7;
  h.codec = Codec::kPcm16;
  h.channels = 1;
  h.frames = kPeriod;
  std::uint8_t payload[kPeriod * 2] = {};
  h.sample_clock = 100 * kPeriod;  // long played
  playout.push(h, payload, sizeof payload);
  EXPECT_EQ(playout.counters().late, 1u);
  h.channels = 2;  // wrong shape for this peer
  playout.push(h, payload, sizeof payload);
  EXPECT_EQ(playout.counters().bad_packets, 1u);
}

TEST(PeerPlayoutTest, NewStreamIdRestartsTheStream) {
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(false)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  render(playout, sender, 50);
  PacketHeader h;
  h.stream_id = 8;
  h.codec = Codec::kPcm16;
  h.channels = 1;
  h.frames = kPeriod;
  std::uint8_t payload[kPeriod * 2] = {};
  playout.push(h, payload, sizeof payload);
  EXPECT_EQ(playout.counters().stream_restarts, 1u);
  EXPECT_FALSE(playout.counters().late);
}

TEST(PeerPlayoutTest, ARestartedPeerFadesOutAndBackInWithoutClicks) {
  // The peer restarts (new stream id, its signal from phase zero): the old stream fades out
  // instead of stopping dead, and the new one fades in once buffered.
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(false)).ok());
  SimulatedSender before(TestSignal::Kind::kSine, 0.0);
  SimulatedSender after(TestSignal::Kind::kSine, 0.0);
  after.stream_id = 8;
  std::vector<float> out;
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  constexpr int kSwitch = 300;
  for (int k = 0; k < 600; ++k) {
    const double now = static_cast<double>(k) * kPeriod / kRate;
    if (k < kSwitch) {
      before.deliver_until(now, playout);
    } else {
      after.deliver_until(now - static_cast<double>(kSwitch) * kPeriod / kRate, playout);
    }
    playout.render(ptr, kPeriod);
    out.insert(out.end(), block.begin(), block.end());
  }
  EXPECT_EQ(playout.counters().stream_restarts, 1u);
  EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0);
  double peak = 0;  // the new stream plays at full level by the end
  for (std::size_t i = out.size() - 1000; i < out.size(); ++i)
    peak = std::max(peak, std::fabs(static_cast<double>(out[i])));
  EXPECT_GT(peak, 0.45);
}

TEST(PeerPlayoutTest, ASenderThatLosesTimeIsBridgedNotRebuffered) {
  // The sender's graph stalls for 12 ms and then goes on where it stopped (its JACK server lost
  // the time): every later packet arrives 12 ms later than before. The gap is concealed once;
  // what follows is played, not thrown away as late, and the latency settles back to target.
  for (bool drift : {false, true}) {
    PeerPlayout playout;
    ASSERT_TRUE(playout.setup(options(drift)).ok());
    SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
    sender.extra_delay = [](std::uint64_t, double t) { return t >= 2.0 ? 0.012 : 0.0; };
    const auto out = render(playout, sender, 30 * kRate / kPeriod);
    const PlayoutCounters& c = playout.counters();
    EXPECT_EQ(c.rebuffers, 0u) << drift;
    EXPECT_EQ(c.late, 1u) << drift;        // the first packet after the stall
    EXPECT_LE(c.concealed, 12u) << drift;  // 12 ms is 9 packets
    EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0) << drift;
    EXPECT_NEAR(c.buffer_frames, 192, 2 * kPeriod) << drift;
  }
}

TEST(PeerPlayoutTest, LatencyLeftByADelaySpikeIsTrimmedWithinASecond) {
  // The network holds everything sent between 2.00 and 2.02 s back until 2.02 s: playout
  // bridges the gap, and the 20 ms it inserted are skipped again soon after, not played out
  // over many seconds by the drift loop. (Without drift compensation the latency cap already
  // skips such a burst at once.)
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(true)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  sender.extra_delay = [](std::uint64_t, double t) {
    return t >= 2.0 && t < 2.02 ? 2.02 - t : 0.0;
  };
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  // Latency: our frame count minus the sender clock of what we play (its sample clocks count
  // from our time zero).
  std::int64_t before = -1, highest = 0, after = -1;
  for (int k = 0; k < 5 * kRate / kPeriod; ++k) {
    const double now = static_cast<double>(k) * kPeriod / kRate;
    sender.deliver_until(now, playout);
    playout.render(ptr, kPeriod);
    const std::int64_t clock = playout.last_render_clock();
    if (clock < 0) continue;
    const std::int64_t latency = static_cast<std::int64_t>(k) * kPeriod - clock;
    if (before < 0 && now >= 1.9) before = latency;
    if (now > 2.0 && now < 2.2) highest = std::max(highest, latency);
    if (after < 0 && now >= 3.0) after = latency;
  }
  EXPECT_GT(highest, before + 4 * kPeriod);  // the bridge did insert the spike
  EXPECT_LE(after, before + 2 * kPeriod);
  EXPECT_GT(playout.counters().skipped, 0u);
}

// Our graph loses 2-15 ms at random moments (its server runs no cycles: an xrun) while the
// sender goes on, or, with same_machine, the sender's graph stops for the same time too.
struct TimeLossRun {
  std::vector<float> out;
  std::int64_t latency_before = -1;  // frames, just before the first loss
  std::int64_t worst_after = 0;      // the highest latency 50 ms or more after any loss
  PlayoutCounters counters;
};

TimeLossRun run_time_loss(bool same_machine, bool tell_playout) {
  PeerPlayout playout;
  EXPECT_TRUE(playout.setup(options(true, 1.0)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  Uniform uniform(777);
  TimeLossRun run;
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  double lost_total = 0.0, next_loss = 2.0, last_loss_end = -1.0;
  for (int p = 0; p < 20 * kRate / kPeriod; ++p) {
    double now = static_cast<double>(p) * kPeriod / kRate + lost_total;
    if (now >= next_loss) {
      const double lost = 0.002 + 0.013 * uniform();
      lost_total += lost;
      now += lost;
      last_loss_end = now;
      next_loss = now + 0.3 + 0.7 * uniform();
      if (tell_playout) playout.on_time_lost(lost);
    }
    // The sender's clock: it counts from time zero, and stops with ours on one machine.
    const double sender_time = same_machine ? now - lost_total : now;
    sender.deliver_until(sender_time, playout);
    playout.render(ptr, kPeriod);
    run.out.insert(run.out.end(), block.begin(), block.end());
    const std::int64_t clock = playout.last_render_clock();
    if (clock < 0) continue;
    // Latency: the sender's clock now minus the sender clock of what we play.
    const std::int64_t latency = std::llround(sender_time * kRate) - clock;
    if (last_loss_end < 0 && now >= 1.9) run.latency_before = latency;
    if (last_loss_end >= 0 && now >= last_loss_end + 0.05)
      run.worst_after = std::max(run.worst_after, latency);
  }
  run.counters = playout.counters();
  return run;
}

TEST(PeerPlayoutTest, TimeOurGraphLosesIsSkippedAtOnceNotCarriedAsLatency) {
  const TimeLossRun run = run_time_loss(false, true);
  ASSERT_GT(run.latency_before, 0);
  // Within 50 ms of every loss, latency is back within a packet of where it was: the pile was
  // skipped, frame-exact and never into the margin (nothing concealed, no clicks).
  EXPECT_LE(run.worst_after, run.latency_before + kPeriod)
      << "skipped " << run.counters.skipped << " late " << run.counters.late;
  EXPECT_GT(run.counters.skipped, 0u);
  EXPECT_EQ(run.counters.concealed, 0u);
  EXPECT_EQ(run.counters.rebuffers, 0u);
  EXPECT_EQ(testing::count_clicks(run.out, 440, kRate, 0.02, 1000), 0);
  // Not told, the playout carries the piles as latency until the drift loop plays them out.
  const TimeLossRun untold = run_time_loss(false, false);
  EXPECT_GT(untold.worst_after, untold.latency_before + 4 * kPeriod);
}

TEST(PeerPlayoutTest, SkippingPartOfAPacketCountsAsASkip) {
  // Our graph loses a millisecond (48 frames) while the sender goes on: the pile is less
  // than a packet, skipped from the start of the next one. That is a dropout too, and counted.
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(true, 1.0)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  std::vector<float> out;
  double lost = 0.0;
  for (int p = 0; p < 4 * kRate / kPeriod; ++p) {
    if (lost == 0.0 && static_cast<double>(p) * kPeriod / kRate >= 2.0) {
      lost = 0.001;
      playout.on_time_lost(lost);
    }
    sender.deliver_until(static_cast<double>(p) * kPeriod / kRate + lost, playout);
    playout.render(ptr, kPeriod);
    out.insert(out.end(), block.begin(), block.end());
  }
  EXPECT_EQ(playout.counters().skipped, 1u);
  EXPECT_EQ(playout.counters().concealed, 0u);
  EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0);
}

TEST(PeerPlayoutTest, TimeBothEndsLoseTogetherIsNotSkipped) {
  // One machine stalled: the sender lost the same time, nothing piled up, nothing is skipped.
  const TimeLossRun run = run_time_loss(true, true);
  EXPECT_EQ(run.counters.skipped, 0u);
  EXPECT_EQ(run.counters.concealed, 0u);
  EXPECT_EQ(testing::count_clicks(run.out, 440, kRate, 0.02, 1000), 0);
}

TEST(PeerPlayoutTest, PeerThatStopsIsFadedThenRebufferedAtTarget) {
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(options(false)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  std::vector<int> gap;
  for (int p = 200; p < 500; ++p)
    gap.push_back(p);  // 400 ms outage
  const auto out = render(playout, sender, 800, gap);
  EXPECT_GE(playout.counters().rebuffers, 1u);
  EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0);
  // Concealment stopped once the buffer was declared empty (100 ms), not for the whole gap.
  EXPECT_LT(playout.counters().concealed, 120u);
  EXPECT_NEAR(playout.counters().buffer_frames, 192, 2 * kPeriod);
}

TEST(PeerPlayoutTest, RandomStallsOnEitherSideAreBridgedWithoutClicks) {
  // What a busy machine does to a 1 ms target: every 0.1-0.7 s the sender's graph (or the
  // network) holds its packets back for 0.5-4.5 ms, and our own render runs 0.5-1.5 ms late.
  // Every stall that bites is bridged; none may click or rebuffer.
  struct Case {
    bool sender_stalls, receiver_stalls;
  };
  for (const Case& k : {Case{true, false}, Case{false, true}, Case{true, true}}) {
    PeerPlayout playout;
    ASSERT_TRUE(playout.setup(options(true, 1.0)).ok());
    SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
    constexpr double kSeconds = 20.0;
    if (k.sender_stalls) sender.extra_delay = sender_stalls(12345, kSeconds, 0.1, 0.6);
    Uniform uniform(54321);
    std::vector<float> out, block(kPeriod);
    float* ptr[] = {block.data()};
    double next_late_render = 1.3;
    double worst_ppm = 0;  // the largest clock estimate, either way, after the first 5 s
    for (int p = 0; p < static_cast<int>(kSeconds * kRate / kPeriod); ++p) {
      double now = static_cast<double>(p) * kPeriod / kRate;
      if (k.receiver_stalls && now >= next_late_render) {
        now += 0.0005 + 0.001 * uniform();
        next_late_render += 0.1 + 0.6 * uniform();
      }
      sender.deliver_until(now, playout);
      playout.render(ptr, kPeriod);
      out.insert(out.end(), block.begin(), block.end());
      if (now >= 5.0) worst_ppm = std::max(worst_ppm, std::fabs(playout.counters().drift_ppm));
    }
    const PlayoutCounters& c = playout.counters();
    const std::string what = std::string(k.sender_stalls ? "sender" : "") +
                             (k.receiver_stalls ? " receiver" : "") + " stalls";
    EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0) << what;
    EXPECT_EQ(c.rebuffers, 0u) << what;
    // The trim takes back only time the bridges inserted (every bridged block is concealed).
    EXPECT_LE(c.skipped, c.concealed) << what;
    // The clocks run alike: the time bridges inserted is not learnt as a clock difference.
    // (Learning it wound the loop's estimate up to its 3000 ppm limit, and the loop then drained
    // the buffer dry: 36 packets concealed against 29.)
    EXPECT_LT(worst_ppm, 100.0) << what;
    if (k.sender_stalls) {
      EXPECT_GE(c.late, 10u) << what;  // the stalls did bite
    }
  }
}

struct DriftRun {
  PlayoutCounters counters;
  double max_error_after_settle = 0;        // instantaneous fill vs. target, frames
  double max_mean_error_after_settle = 0;   // 1-second mean fill vs. target, frames
  double max_drift_error_after_settle = 0;  // the loop's estimate vs. the sender's offset, ppm
};

DriftRun run_drift(double ppm, bool compensation, double seconds) {
  PeerPlayout playout;
  EXPECT_TRUE(playout.setup(options(compensation)).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, ppm);
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  DriftRun run;
  const int periods = static_cast<int>(seconds * kRate / kPeriod);
  std::uint64_t concealed_at_settle = 0;
  double window_sum = 0;
  int window_count = 0;
  for (int k = 0; k < periods; ++k) {
    const double now = static_cast<double>(k) * kPeriod / kRate;
    sender.deliver_until(now, playout);
    playout.render(ptr, kPeriod);
    if (now >= 10.0) {
      if (concealed_at_settle == 0) concealed_at_settle = playout.counters().concealed + 1;
      const double error = playout.counters().buffer_frames - 192;
      run.max_error_after_settle = std::max(run.max_error_after_settle, std::fabs(error));
      run.max_drift_error_after_settle =
          std::max(run.max_drift_error_after_settle, std::fabs(playout.counters().drift_ppm - ppm));
      window_sum += error;
      if (++window_count == kRate / kPeriod) {
        run.max_mean_error_after_settle =
            std::max(run.max_mean_error_after_settle, std::fabs(window_sum / window_count));
        window_sum = 0;
        window_count = 0;
      }
    }
  }
  run.counters = playout.counters();
  run.counters.concealed -= concealed_at_settle - 1;  // concealments after settling
  return run;
}

TEST(PeerPlayoutTest, DriftLoopLearnsTheClockNotTheTimeBridgesInsert) {
  // Every 4-6 s the sender's graph stalls for 0.5-4.5 ms and then catches up (it loses no
  // time): each stall is bridged, and the bridge leaves the fill a step above the target. The
  // loop's clock estimate must stay on the sender's true offset; learning those steps put it
  // 100-300 ppm off and drained the buffer into further bridges. (A sender that runs slow with
  // a margin under one packet is not covered: each time the phase between the two ends' periods
  // turns, a packet misses its render and is bridged too, with or without stalls.)
  for (double ppm : {0.0, 500.0}) {
    PeerPlayout playout;
    ASSERT_TRUE(playout.setup(options(true, 1.0)).ok());
    SimulatedSender sender(TestSignal::Kind::kSine, ppm);
    constexpr double kSeconds = 40.0;
    sender.extra_delay = sender_stalls(4242, kSeconds, 4.0, 2.0);
    std::vector<float> out, block(kPeriod);
    float* ptr[] = {block.data()};
    double error_sum = 0;  // the estimate's error, summed over the renders after 10 s
    int renders = 0;
    for (int p = 0; p < static_cast<int>(kSeconds * kRate / kPeriod); ++p) {
      const double now = static_cast<double>(p) * kPeriod / kRate;
      sender.deliver_until(now, playout);
      playout.render(ptr, kPeriod);
      out.insert(out.end(), block.begin(), block.end());
      if (now >= 10.0) {
        error_sum += playout.counters().drift_ppm - ppm;
        ++renders;
      }
    }
    const PlayoutCounters& c = playout.counters();
    EXPECT_GE(c.late, 3u) << ppm;  // the stalls did bite
    EXPECT_LT(std::fabs(error_sum / renders), 50.0) << ppm;
    EXPECT_EQ(c.rebuffers, 0u) << ppm;
    EXPECT_EQ(testing::count_clicks(out, 440, kRate, 0.02, 1000), 0) << ppm;
  }
}

TEST(PeerPlayoutTest, DriftLoopHoldsTheBufferAtPlusMinus1000Ppm) {
  for (double ppm : {1000.0, -1000.0}) {
    const DriftRun run = run_drift(ppm, true, 25.0);
    EXPECT_EQ(run.counters.concealed, 0u) << ppm;
    EXPECT_EQ(run.counters.skipped, 0u) << ppm;
    EXPECT_EQ(run.counters.rebuffers, 0u) << ppm;
    // The least slack per window sits on the target (the jitter margin).
    EXPECT_LT(run.max_error_after_settle, 2.0 * kPeriod) << ppm;
    EXPECT_LT(run.max_mean_error_after_settle, 24.0) << ppm;  // 0.5 ms
    EXPECT_LT(run.max_drift_error_after_settle, 100.0) << ppm;
  }
}

TEST(PeerPlayoutTest, DriftLoopHoldsStillWithoutDrift) {
  // The fill counts what waits inside the resampler too. Without it the fill jumped by a
  // resampler chunk (32 frames) whenever the ratio moved the chunk boundaries, and the loop,
  // answering each jump, kept its estimate swinging by 60 ppm and the fill by 18 frames.
  const DriftRun run = run_drift(0.0, true, 25.0);
  EXPECT_EQ(run.counters.concealed, 0u);
  EXPECT_LT(run.max_error_after_settle, 4.0);
  EXPECT_LT(run.max_drift_error_after_settle, 20.0);
}

TEST(PeerPlayoutTest, WithoutTheLoopTheSameDriftUnderrunsOrOverflows) {
  const DriftRun slow = run_drift(-1000.0, false, 20.0);
  EXPECT_GT(slow.counters.concealed, 0u);
  const DriftRun fast = run_drift(1000.0, false, 20.0);
  EXPECT_GT(fast.counters.skipped, 0u);
}

}  // namespace
}  // namespace hydramesh

namespace hydramesh {
namespace {

TEST(PeerPlayoutTest, ResamplingKeepsASineClean) {
  for (double ppm : {0.0, 1000.0}) {
    PeerPlayout playout;
    ASSERT_TRUE(playout.setup(options(true)).ok());
    SimulatedSender sender(TestSignal::Kind::kSine, ppm);
    const auto out = render(playout, sender, 3000);
    double worst = 0;
    const double c = 2.0 * std::cos(2.0 * std::numbers::pi * 440.0 / kRate);
    for (std::size_t n = 48000; n < out.size(); ++n) {
      worst = std::max(worst, std::fabs(out[n] - c * out[n - 1] + out[n - 2]));
    }
    EXPECT_LT(worst, 2e-3) << ppm;
    EXPECT_EQ(playout.counters().concealed, 0u);
  }
}

}  // namespace
}  // namespace hydramesh

namespace hydramesh {
namespace {

TEST(PeerPlayoutTest, AdaptiveTargetGrowsOnRecurringLateAndShrinksWhenQuiet) {
  PlayoutOptions o = options(true);
  o.target_ms = 2.0;
  o.adaptive_target = true;
  PeerPlayout playout;
  ASSERT_TRUE(playout.setup(o).ok());
  SimulatedSender sender(TestSignal::Kind::kSine, 0.0);
  // For the first 8 s, every 40th packet is held up 6 ms (a recurring stall); then quiet.
  sender.extra_delay = [](std::uint64_t seq, double t) {
    return t < 8.0 && seq % 40 == 0 ? 0.006 : 0.0;
  };
  std::vector<float> block(kPeriod);
  float* ptr[] = {block.data()};
  const int initial = 96;
  int peak = 0;
  std::uint64_t late_at_6s = 0, late_at_8s = 0;
  for (int k = 0; k < static_cast<int>(30.0 * kRate / kPeriod); ++k) {
    const double now = static_cast<double>(k) * kPeriod / kRate;
    sender.deliver_until(now, playout);
    playout.render(ptr, kPeriod);
    peak = std::max(peak, playout.counters().target_frames);
    if (late_at_6s == 0 && now >= 6.0) late_at_6s = playout.counters().late + 1;
    if (late_at_8s == 0 && now >= 8.0) late_at_8s = playout.counters().late + 1;
  }
  EXPECT_GT(peak, initial + 3 * kPeriod) << "grew on recurring late packets";
  EXPECT_EQ(late_at_8s, late_at_6s) << "after growing, the stalls no longer make packets late";
  EXPECT_LT(playout.counters().target_frames, peak) << "shrank after a quiet interval";
  EXPECT_GE(playout.counters().target_frames, 48);  // never below min-target (1 ms)
}

}  // namespace
}  // namespace hydramesh
