// `audio-setup latency` command-line contract: JSON fields, invalid options, SVG that renders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace audio_setup {
namespace {

using testing::run_cli;

TEST(CliLatency, JsonHasTheContractFieldsPerCpuAndOverall) {
  auto r = run_cli("latency --json --duration 300ms --interval 500 --priority 70 --cpus 0");
  ASSERT_EQ(r.exit_status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* key : {"min_us", "avg_us", "p50_us", "p99_us", "p999_us", "max_us", "samples"}) {
    EXPECT_TRUE(j.contains(key) && j[key].is_number()) << key;
    ASSERT_EQ(j["per_cpu"].size(), 1u);
    EXPECT_TRUE(j["per_cpu"][0].contains(key)) << key;
  }
  EXPECT_EQ(j["per_cpu"][0]["cpu"], 0);
  EXPECT_EQ(j["interval_us"], 500);
  EXPECT_EQ(j["priority"], 70);
  EXPECT_GE(j["samples"].get<int>(), 450);  // 300 ms / 500 us = 600 wake-ups
  EXPECT_LE(j["samples"].get<int>(), 601);
  std::uint64_t in_histogram = 0;
  for (const auto& bucket : j["histogram_us"])
    in_histogram += bucket[1].get<std::uint64_t>();
  EXPECT_EQ(in_histogram + j["overflows"].get<std::uint64_t>(), j["samples"].get<std::uint64_t>());
}

// A wake-up late by whole periods (here the process is stopped for 300 ms of a 2 s run) is
// one late sample, and the periods it missed are skipped, as cyclictest does: they are not
// made up by a burst of immediate wake-ups that would each count as a sample.
TEST(CliLatency, PeriodsMissedByALateWakeUpAreSkippedNotMadeUp) {
  auto r = run_cli(
      "latency --json --duration 2s --interval 1000 --cpus 0 & pid=$!; sleep 0.6; "
      "kill -STOP $pid; sleep 0.3; kill -CONT $pid; wait $pid");
  ASSERT_EQ(r.exit_status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_GE(j["max_us"].get<double>(), 200'000) << "the stop did not land inside the run";
  EXPECT_LE(j["samples"].get<int>(), 1850);  // about 1700; 2000 if the missed ones were made up
  EXPECT_GE(j["samples"].get<int>(), 1200);
}

TEST(CliLatency, InvalidOptionsAreErrorsNotSilentDefaults) {
  for (const char* args :
       {"latency --interval 10", "latency --interval abc", "latency --priority 0",
        "latency --priority 100", "latency --duration -1", "latency --duration 1x",
        "latency --cpus 9999", "latency --cpus a-b", "latency --load=yes", "latency --bogus"}) {
    auto r = run_cli(args, /*merge_stderr=*/true);
    EXPECT_EQ(r.exit_status, 2) << args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << ": " << r.out;
  }
}

TEST(CliLatency, SvgPlotIsWellFormedAndRenders) {
  std::string dir = ::testing::TempDir() + "audio_setup_svg_" + std::to_string(getpid());
  std::string svg = dir + ".svg";
  std::string png = dir + ".png";
  auto r = run_cli("latency --duration 200ms --cpus 0 --load --svg " + svg);
  ASSERT_EQ(r.exit_status, 0) << r.out;
  std::ifstream in(svg);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("</svg>"), std::string::npos);
  // rsvg-convert (librsvg2-bin, in deps/debian-packages.txt) parses the XML strictly and renders.
  ASSERT_EQ(std::system(("rsvg-convert -o " + png + " " + svg).c_str()), 0);
  std::ifstream png_in(png, std::ios::binary);
  char magic[8] = {};
  png_in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  std::remove(svg.c_str());
  std::remove(png.c_str());
}

}  // namespace
}  // namespace audio_setup
