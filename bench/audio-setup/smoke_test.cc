// Smoke test of the benchmark program at a tiny size: it runs both tools and writes valid JSON.
// It asserts nothing about speed; the comparison is made by hand with the full benchmark.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

TEST(BenchLatencySmoke, RunsBothToolsAndWritesJson) {
  std::string out = ::testing::TempDir() + "bench_latency_" + std::to_string(getpid()) + ".json";
  std::string cmd = std::string(BENCH_BINARY) +
                    " --rounds 1 --duration 1 --warmup 0 --cpus 0 --json-out " + out +
                    " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  const auto& round = j["rounds"][0];
  EXPECT_GT(round["audio_setup"]["samples"].get<int>(), 500);
  EXPECT_GT(round["cyclictest"]["samples"].get<int>(), 500);
  EXPECT_GT(j["median_p99_us"]["audio_setup"].get<double>(), 0);
  EXPECT_GT(j["median_p99_us"]["cyclictest"].get<double>(), 0);
  EXPECT_EQ(j["config"]["cyclictest_args"], "-q -m -h 10000 -p 80 -i 1000 -D 1 -t 1 -a 0");
  EXPECT_TRUE(j["comparable"].is_boolean());
  std::remove(out.c_str());
}
