// Reading what `hydramesh-probe --times-out` wrote, for tests and benchmarks that place a
// recording's faults in time against the JACK servers' xruns.
#pragma once

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hydramesh {

// A probe's first frame, the frames where its cycles stopped following on by the count (the
// server lost time in an xrun), and its server's xruns, in JACK's microsecond clock (the
// machine's monotonic clock, shared by every server on it).
struct ProbeTimes {
  std::vector<std::pair<double, double>> anchors;  // frame, usecs; the first is the start
  std::vector<double> xruns_us;
  double rate = 0;  // the server's sample rate

  bool ok() const { return !anchors.empty() && rate > 0; }  // the probe ran and wrote its file
  double start_us() const { return anchors.front().second; }

  // When the frame `frame` of the probe's stream was played or recorded. Counting frames from
  // the start instead was 0.8 s late after a minute in a noisy phase of this VM, which put
  // most glitches away from the xruns that caused them.
  double usecs_at(double frame) const {
    auto it = std::upper_bound(anchors.begin(), anchors.end(), frame,
                               [](double f, const auto& a) { return f < a.first; });
    const auto& [from_frame, from_us] = *std::prev(it);
    return from_us + (frame - from_frame) * 1e6 / rate;
  }
};

inline ProbeTimes read_probe_times(const std::string& path) {
  ProbeTimes t;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string what;
    double a = 0, b = 0;
    words >> what >> a;
    if (what == "rate") t.rate = a;
    if (what == "start") t.anchors.emplace_back(0.0, a);  // the probe writes it first
    if (what == "at" && words >> b && t.ok()) t.anchors.emplace_back(a, b);
    if (what == "xrun") t.xruns_us.push_back(a);
  }
  return t;
}

// An xrun as a stretch of time: from when the server's late cycle was due to when it ran (what
// an anchor shows: the server lost that time), or just the moment its xrun callback came.
struct XrunSpan {
  double begin_us = 0;
  double end_us = 0;
};

// The xruns of several probes' servers: each xrun callback, and each stretch of time the probe's
// anchors show lost (a stall outlasts the xrun that reports it: a stream across servers breaks
// from the moment a graph stopped, which can be a while before the callback). Sorted, and
// overlapping spans merged, so their ends are sorted too.
inline std::vector<XrunSpan> merged_xruns(const std::vector<ProbeTimes>& probes) {
  std::vector<XrunSpan> all;
  for (const ProbeTimes& p : probes) {
    for (double t : p.xruns_us)
      all.push_back({t, t});
    for (std::size_t i = 1; i < p.anchors.size(); ++i) {
      const auto& [frame, us] = p.anchors[i];
      const double due = p.anchors[i - 1].second + (frame - p.anchors[i - 1].first) * 1e6 / p.rate;
      if (us > due) all.push_back({due, us});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const XrunSpan& a, const XrunSpan& b) { return a.begin_us < b.begin_us; });
  std::vector<XrunSpan> merged;
  for (const XrunSpan& x : all) {
    if (!merged.empty() && x.begin_us <= merged.back().end_us) {
      merged.back().end_us = std::max(merged.back().end_us, x.end_us);
    } else {
      merged.push_back(x);
    }
  }
  return merged;
}

// A fault from 10 ms before to 50 ms after an xrun of any server in the chain counts as near
// it: a stalled graph on either side of a link reaches the far end's recording within the
// round trip plus the time the link needs to recover.
inline constexpr double kNearBeforeXrunUs = 10'000;
inline constexpr double kNearAfterXrunUs = 50'000;

// Whether a fault anywhere in [from_us, to_us] is near one of `xruns` (from merged_xruns).
inline bool near_xrun(const std::vector<XrunSpan>& xruns, double from_us, double to_us) {
  const auto it = std::lower_bound(xruns.begin(), xruns.end(), from_us - kNearAfterXrunUs,
                                   [](const XrunSpan& x, double t) { return x.end_us < t; });
  return it != xruns.end() && it->begin_us <= to_us + kNearBeforeXrunUs;
}

}  // namespace hydramesh
