#include "audio_setup/latency.h"

#include <gtest/gtest.h>

namespace audio_setup {
namespace {

TEST(LatencyOptions, DurationsAcceptUnitsAndRejectNonsense) {
  EXPECT_DOUBLE_EQ(*parse_duration("10", "--duration"), 10.0);
  EXPECT_DOUBLE_EQ(*parse_duration("2.5s", "--duration"), 2.5);
  EXPECT_DOUBLE_EQ(*parse_duration("500ms", "--duration"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_duration("2m", "--duration"), 120.0);
  for (const char* bad : {"", "-1", "0", "abc", "10x", "s", "nan", "inf", "1e400"}) {
    EXPECT_FALSE(parse_duration(bad, "--duration").ok()) << bad;
  }
}

TEST(LatencyOptions, ValidateRejectsOutOfRangeAndUnknownCpus) {
  LatencyOptions o;
  EXPECT_TRUE(validate(o).ok());
  o.interval_us = 10;
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.priority = 100;
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.duration_s = 0.0001;  // shorter than one interval
  EXPECT_FALSE(validate(o).ok());
  o = {};
  o.cpus = {4095};
  EXPECT_EQ(validate(o).code(), archibald::Code::kInvalidArgument);
  EXPECT_FALSE(parse_cpus("x").ok());
  EXPECT_EQ(*parse_cpus("0-2,5"), (std::vector<int>{0, 1, 2, 5}));
}

TEST(LatencyHistogram, PercentilesAreLowerBinEdgesOfTheRank) {
  std::vector<std::uint64_t> h(static_cast<std::size_t>(kHistogramNs / kBinNs), 0);
  h[100] = 98;  // 10.0 us
  h[200] = 1;   // 20.0 us
  h[500] = 1;   // 50.0 us
  EXPECT_DOUBLE_EQ(histogram_percentile(h, 100, 0.5), 10.0);
  EXPECT_DOUBLE_EQ(histogram_percentile(h, 100, 0.99), 20.0);
  EXPECT_DOUBLE_EQ(histogram_percentile(h, 100, 0.999), 50.0);
  EXPECT_DOUBLE_EQ(histogram_percentile(h, 0, 0.99), 0.0);
}

TEST(LatencyMeasurement, WakesOncePerIntervalAndOrdersItsStatistics) {
  LatencyOptions o;
  o.cpus = {0};
  o.interval_us = 1000;
  o.duration_s = 0.4;
  archibald::Result<LatencyResult> r = measure_latency(o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const LatencyStats& s = r->overall;
  // Absolute sleeps: one wake-up per interval, minus any skipped after a very late wake-up.
  EXPECT_LE(s.samples, 401u);
  EXPECT_GE(s.samples, 300u);
  ASSERT_EQ(r->per_cpu.size(), 1u);
  EXPECT_EQ(r->per_cpu[0].samples, s.samples);
  EXPECT_GT(s.min_us, 0.0);
  EXPECT_LE(s.min_us, s.p50_us + 0.1);
  EXPECT_LE(s.p50_us, s.p99_us);
  EXPECT_LE(s.p99_us, s.p999_us);
  EXPECT_LE(s.p999_us, s.max_us);
  EXPECT_LE(s.min_us, s.avg_us);
  EXPECT_LE(s.avg_us, s.max_us);
}

}  // namespace
}  // namespace audio_setup
