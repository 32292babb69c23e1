// Small statistics and timing helpers shared by the workloads and the report.
#pragma once

#include <chrono>
#include <vector>

namespace streamdb_bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

// Nearest-rank percentile, p in [0, 100]. REQUIRES: !values.empty().
double percentile(std::vector<double> values, double p);

// The middle value (mean of the two middle ones for an even count). REQUIRES: !values.empty().
double median(std::vector<double> values);

}  // namespace streamdb_bench
