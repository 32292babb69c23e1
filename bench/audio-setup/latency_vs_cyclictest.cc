// Benchmark: `audio-setup latency` against `cyclictest` (Debian rt-tests), run alternately in
// one process with the same interval, priority, duration and CPUs. Both p99 values are computed
// the same way, from each tool's 1-us histogram; the medians of the rounds are compared.
//
//   bench_latency_vs_cyclictest [--rounds 5] [--duration 10] [--interval 1000] [--priority 80]
//                               [--cpus 0-1] [--json-out FILE]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "archibald/flags.h"

namespace {

struct Run {
  std::uint64_t samples = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double seconds = 0;
};

bool run_command(const std::string& cmd, std::string* out) {
  FILE* pipe = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return false;
  char buf[65536];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    out->append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Percentile of a 1-us histogram (index = microseconds), counting `overflow` samples above it.
double percentile(const std::map<std::uint64_t, std::uint64_t>& hist, std::uint64_t overflow,
                  std::uint64_t range_us, double q) {
  std::uint64_t total = overflow;
  for (const auto& [us, n] : hist)
    total += n;
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (const auto& [us, n] : hist) {
    seen += n;
    if (seen >= rank) return static_cast<double>(us);
  }
  return static_cast<double>(range_us);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

double now_s() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

bool run_audio_setup(const std::string& common, Run* run) {
  std::string out;
  double t0 = now_s();
  if (!run_command(std::string(AUDIO_SETUP_BINARY) + " latency --json " + common, &out)) {
    return false;
  }
  run->seconds = now_s() - t0;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) return false;
  std::map<std::uint64_t, std::uint64_t> hist;
  for (const auto& b : j["histogram_us"])
    hist[b[0].get<std::uint64_t>()] += b[1].get<std::uint64_t>();
  std::uint64_t overflow = j["overflows"].get<std::uint64_t>();
  run->samples = j["samples"].get<std::uint64_t>();
  run->p50_us = percentile(hist, overflow, 10000, 0.50);
  run->p99_us = percentile(hist, overflow, 10000, 0.99);
  run->max_us = j["max_us"].get<double>();
  return true;
}

bool run_cyclictest(const std::string& args, Run* run) {
  std::string out;
  double t0 = now_s();
  if (!run_command("cyclictest " + args, &out)) return false;
  run->seconds = now_s() - t0;
  std::map<std::uint64_t, std::uint64_t> hist;
  std::uint64_t overflow = 0;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    if (line.rfind("# Histogram Overflows:", 0) == 0) {
      std::string skip;
      words >> skip >> skip >> skip;
      std::uint64_t n = 0;
      while (words >> n)
        overflow += n;
    } else if (line.rfind("# Max Latencies:", 0) == 0) {
      std::string skip;
      words >> skip >> skip >> skip;
      double m = 0;
      while (words >> m)
        run->max_us = std::max(run->max_us, m);
    } else if (!line.empty() && line[0] != '#') {
      std::uint64_t us = 0, n = 0, sum = 0;
      if (!(words >> us)) continue;
      while (words >> n)
        sum += n;
      hist[us] += sum;
    }
  }
  for (const auto& [us, n] : hist)
    run->samples += n;
  run->samples += overflow;
  run->p50_us = percentile(hist, overflow, 10000, 0.50);
  run->p99_us = percentile(hist, overflow, 10000, 0.99);
  return run->samples > 0;
}

}  // namespace

int main(int argc, char** argv) {
  archibald::FlagParser flags("bench_latency_vs_cyclictest");
  std::int64_t rounds = 5, duration = 10, interval = 1000, priority = 80;
  std::string cpus, json_out = "bench-latency-vs-cyclictest.json";
  bool help = false;
  flags.add_int("--rounds", &rounds, "alternating rounds of each tool", 1, 1000);
  flags.add_int("--duration", &duration, "seconds per run", 1, 3600, "S");
  flags.add_int("--interval", &interval, "wake-up interval", 50, 1000000, "US");
  flags.add_int("--priority", &priority, "SCHED_FIFO priority", 1, 99, "P");
  flags.add_string("--cpus", &cpus, "CPUs to measure (default: all)", "LIST");
  flags.add_string("--json-out", &json_out, "where to write the results", "FILE");
  flags.add_bool("--help", &help, "print this help");
  std::vector<std::string> positionals;
  if (auto s = flags.parse(argc, argv, &positionals); !s.ok() || !positionals.empty()) {
    std::cerr << "bench_latency_vs_cyclictest: "
              << (s.ok() ? "unexpected argument '" + positionals[0] + "'" : s.message()) << "\n";
    return 2;
  }
  if (help) {
    std::cout << flags.help();
    return 0;
  }
  if (cpus.empty()) cpus = "0-" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN) - 1);
  // Number of CPUs in the list, for cyclictest -t.
  int threads = 0;
  {
    std::istringstream in(cpus);
    std::string part;
    while (std::getline(in, part, ',')) {
      std::size_t dash = part.find('-');
      threads +=
          dash == std::string::npos ? 1 : std::stoi(part.substr(dash + 1)) - std::stoi(part) + 1;
    }
  }
  const std::string ours = "--duration " + std::to_string(duration) + " --interval " +
                           std::to_string(interval) + " --priority " + std::to_string(priority) +
                           " --cpus " + cpus;
  // -m mlockall, -d 0 same interval on every thread, -h histogram of 10 ms in 1-us bins, -q
  // summary only; cyclictest holds /dev/cpu_dma_latency at 0 by default, as audio-setup does.
  const std::string theirs = "-q -m -d 0 -h 10000 -p " + std::to_string(priority) + " -i " +
                             std::to_string(interval) + " -D " + std::to_string(duration) + " -t " +
                             std::to_string(threads) + " -a " + cpus;

  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::vector<double> ours_p99, theirs_p99;
  std::printf("%-6s %-12s %10s %10s %10s %10s\n", "round", "tool", "samples", "p50_us", "p99_us",
              "max_us");
  for (std::int64_t i = 0; i < rounds; ++i) {
    Run a, c;
    bool ok = true;
    // Alternate which tool goes first, so neither always runs on a warmer or quieter machine.
    for (int k = 0; k < 2 && ok; ++k) {
      bool audio_setup_now = (k == 0) == (i % 2 == 0);
      ok = audio_setup_now ? run_audio_setup(ours, &a) : run_cyclictest(theirs, &c);
      if (!ok) {
        std::cerr << "bench_latency_vs_cyclictest: "
                  << (audio_setup_now ? "audio-setup latency" : "cyclictest") << " failed\n";
        return 1;
      }
    }
    for (const auto& [name, r] :
         {std::pair<const char*, const Run&>{"audio-setup", a}, {"cyclictest", c}}) {
      std::printf("%-6lld %-12s %10llu %10.0f %10.0f %10.0f\n", static_cast<long long>(i + 1), name,
                  static_cast<unsigned long long>(r.samples), r.p50_us, r.p99_us, r.max_us);
    }
    ours_p99.push_back(a.p99_us);
    theirs_p99.push_back(c.p99_us);
    auto as_json = [](const Run& r) {
      return nlohmann::ordered_json{{"samples", r.samples},
                                    {"p50_us", r.p50_us},
                                    {"p99_us", r.p99_us},
                                    {"max_us", r.max_us},
                                    {"seconds", r.seconds}};
    };
    results.push_back({{"round", i + 1}, {"audio_setup", as_json(a)}, {"cyclictest", as_json(c)}});
  }
  double m_ours = median(ours_p99), m_theirs = median(theirs_p99);
  double ratio = m_theirs > 0 ? m_ours / m_theirs : 0;
  bool agree = m_theirs > 0 && std::abs(m_ours - m_theirs) <= 0.10 * m_theirs;
  std::printf("\nmedian p99: audio-setup %.0f us, cyclictest %.0f us, ratio %.3f -> %s\n", m_ours,
              m_theirs, ratio, agree ? "agree within 10%" : "DIFFER by more than 10%");
  nlohmann::ordered_json out = {
      {"config",
       {{"rounds", rounds},
        {"duration_s", duration},
        {"interval_us", interval},
        {"priority", priority},
        {"cpus", cpus},
        {"audio_setup_args", ours},
        {"cyclictest_args", theirs}}},
      {"rounds", results},
      {"median_p99_us", {{"audio_setup", m_ours}, {"cyclictest", m_theirs}}},
      {"ratio", ratio},
      {"within_10_percent", agree}};
  std::ofstream(json_out) << out.dump(2) << "\n";
  std::printf("results written to %s\n", json_out.c_str());
  return 0;
}
