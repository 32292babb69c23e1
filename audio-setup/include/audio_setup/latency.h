// audio-setup latency: scheduling latency measured the way cyclictest does it — one SCHED_FIFO
// thread pinned to each CPU, memory locked, absolute clock_nanosleep on CLOCK_MONOTONIC, the
// wake-up delay recorded in a preallocated histogram — with /dev/cpu_dma_latency held at 0 for
// the run and optional CPU load.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archibald/status.h"

namespace audio_setup {

struct LatencyOptions {
  std::vector<int> cpus;            // Empty: every CPU this process may run on.
  std::int64_t interval_us = 1000;  // Wake-up period of each thread.
  int priority = 80;                // SCHED_FIFO priority of the measuring threads.
  double duration_s = 10.0;
  bool load = false;             // One busy SCHED_OTHER thread per measured CPU.
  bool hold_dma_latency = true;  // Keep /dev/cpu_dma_latency open at 0 during the run.
};

// Parses "10", "2.5", "10s", "500ms", "2m" into seconds; kInvalidArgument otherwise.
archibald::Result<double> parse_duration(const std::string& text, const std::string& what);

// Parses a CPU list such as "0-2,5" for --cpus; kInvalidArgument on bad syntax or an empty list.
archibald::Result<std::vector<int>> parse_cpus(const std::string& text);

// Checks ranges (interval 50..1000000 us, priority 1..99, duration 0 < d <= 86400 s) and that
// every CPU exists and is in this process's affinity mask.
archibald::Status validate(const LatencyOptions& options);

// Histogram resolution and range: 0.1 us bins up to 10 ms; later wake-ups count as overflow
// but still enter min/avg/max exactly.
inline constexpr std::int64_t kBinNs = 100;
inline constexpr std::int64_t kHistogramNs = 10'000'000;

struct LatencyStats {
  int cpu = -1;  // -1 for the overall row.
  std::uint64_t samples = 0;
  std::uint64_t overflows = 0;  // Samples beyond the histogram range.
  double min_us = 0, avg_us = 0, p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::vector<std::uint64_t> histogram;  // kHistogramNs / kBinNs bins.
};

struct LatencyResult {
  LatencyOptions options;
  std::vector<LatencyStats> per_cpu;
  LatencyStats overall;
  bool realtime = false;  // SCHED_FIFO was granted to every measuring thread.
  bool memory_locked = false;
  std::string dma_latency;         // "held at 0 us", or why not.
  std::vector<std::string> notes;  // Everything that made the run less than cyclictest-grade.
};

// Runs the measurement for options.duration_s. Fails only when options are invalid or no
// thread could be started; a refused SCHED_FIFO or mlockall is reported in notes and the run
// continues at normal priority ("measure what can be measured").
archibald::Result<LatencyResult> measure_latency(const LatencyOptions& options);

// Percentile (0 < q <= 1) of a histogram, as the lower edge of the bin in microseconds.
double histogram_percentile(const std::vector<std::uint64_t>& histogram, std::uint64_t samples,
                            double q);

// {"min_us","avg_us","p50_us","p99_us","p999_us","max_us","samples", ..., "per_cpu": [...],
//  "histogram_us": [[us, count], ...]} (1 us buckets of the overall histogram, non-zero only).
std::string latency_json(const LatencyResult& result);
std::string latency_table(const LatencyResult& result);
// A self-contained SVG: log-count histogram per CPU and overall, p99 and max marked.
std::string latency_svg(const LatencyResult& result);

}  // namespace audio_setup
