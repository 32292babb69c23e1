// Benchmark: `audio-setup latency` against `cyclictest` (Debian rt-tests), run alternately in
// one process, configured alike: the same interval, SCHED_FIFO priority, duration, CPU list
// (one thread pinned per CPU, cyclictest -t N -a LIST), CLOCK_MONOTONIC with absolute
// clock_nanosleep, mlockall (cyclictest -m; audio-setup in this non-ASan build), and
// /dev/cpu_dma_latency held at 0 (both by default); each thread's wake-up phase is its own
// (audio-setup's default, cyclictest without -A). Both p99 values are computed the same way,
// by this program, from each tool's 1-us histogram of all threads (cyclictest -h: truncated
// microseconds; audio-setup's histogram_us: its 0.1-us bins summed per whole microsecond), with
// the samples beyond the 10 ms range counted above it. Which tool goes first alternates per
// round, after one unrecorded warm-up run of each; the medians of the rounds are compared.
// A run that was not configured as asked (no SCHED_FIFO, no mlockall, no cpu_dma_latency, a
// cyclictest warning) stops the benchmark instead of entering the table.
//
//   bench_latency_vs_cyclictest [--rounds 5] [--duration 10] [--interval 1000] [--priority 80]
//                               [--cpus 0-1] [--warmup 2] [--json-out FILE]
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
  bool comparable = true;  // false: audio-setup ran without mlockall (AddressSanitizer build)
  double load1 = 0;        // /proc/loadavg 1-minute load when the run started
  std::uint64_t samples = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double seconds = 0;
};

double load_average() {
  std::ifstream in("/proc/loadavg");
  double load1 = 0;
  in >> load1;
  return load1;
}

// Runs cmd with stderr merged into out when merge_stderr, else discarded.
bool run_command(const std::string& cmd, std::string* out, bool merge_stderr = false) {
  FILE* pipe = popen((cmd + (merge_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
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

// Each returns false with *why set when the tool failed or did not run as configured.
bool run_audio_setup(const std::string& common, Run* run, std::string* why) {
  std::string out;
  run->load1 = load_average();
  double t0 = now_s();
  if (!run_command(std::string(AUDIO_SETUP_BINARY) + " latency --json " + common, &out)) {
    *why = "exited with an error";
    return false;
  }
  run->seconds = now_s() - t0;
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) {
    *why = "printed no JSON";
    return false;
  }
  // An AddressSanitizer build (the dev preset, used by the smoke test) cannot mlockall: it
  // runs, but the results are marked as not comparable.
  bool asan = false;
  for (const auto& note : j.value("notes", nlohmann::json::array())) {
    asan = asan || (note.is_string() &&
                    note.get<std::string>().find("AddressSanitizer") != std::string::npos);
  }
  run->comparable = j.value("memory_locked", false);
  if (j.value("policy", "") != "SCHED_FIFO" || (!run->comparable && !asan) ||
      j.value("cpu_dma_latency", "") != "held at 0 us") {
    *why = "did not run as cyclictest does (policy " + j.value("policy", "?") + ", memory_locked " +
           (j.value("memory_locked", false) ? "true" : "false") + ", cpu_dma_latency " +
           j.value("cpu_dma_latency", "?") + ")";
    return false;
  }
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

bool run_cyclictest(const std::string& args, Run* run, std::string* why) {
  std::string out;
  run->load1 = load_average();
  double t0 = now_s();
  if (!run_command("cyclictest " + args, &out, true)) {
    *why = "exited with an error: " + out.substr(0, out.find('\n'));
    return false;
  }
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
      if (!(words >> us)) {
        // A warning (no high-resolution timers, cpu_dma_latency not held, ...).
        *why = "warned: " + line;
        return false;
      }
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
  if (run->samples == 0) *why = "printed no histogram";
  return run->samples > 0;
}

}  // namespace

int main(int argc, char** argv) {
  archibald::FlagParser flags("bench_latency_vs_cyclictest");
  std::int64_t rounds = 5, duration = 10, interval = 1000, priority = 80, warmup = 2;
  std::string cpus, json_out = "bench-latency-vs-cyclictest.json";
  bool help = false;
  flags.add_int("--rounds", &rounds, "alternating rounds of each tool", 1, 1000);
  flags.add_int("--duration", &duration, "seconds per run", 1, 3600, "S");
  flags.add_int("--interval", &interval, "wake-up interval", 50, 1000000, "US");
  flags.add_int("--priority", &priority, "SCHED_FIFO priority", 1, 99, "P");
  flags.add_string("--cpus", &cpus, "CPUs to measure (default: all)", "LIST");
  flags.add_int("--warmup", &warmup, "seconds of one unrecorded run of each tool first (0: none)",
                0, 600, "S");
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
  auto args_for = [&](std::int64_t seconds) {
    return std::pair<std::string, std::string>{
        "--duration " + std::to_string(seconds) + " --interval " + std::to_string(interval) +
            " --priority " + std::to_string(priority) + " --cpus " + cpus,
        // -m mlockall, -h histogram of 10 ms in 1-us bins (which also gives every thread the
        // same interval; cyclictest 2.4 warns about an explicit -d 0), -q summary only;
        // cyclictest holds /dev/cpu_dma_latency at 0 by default, as audio-setup does.
        "-q -m -h 10000 -p " + std::to_string(priority) + " -i " + std::to_string(interval) +
            " -D " + std::to_string(seconds) + " -t " + std::to_string(threads) + " -a " + cpus};
  };
  const auto [ours, theirs] = args_for(duration);
  auto run_tool = [&](bool audio_setup_now, const std::string& args, Run* r) {
    std::string why;
    bool ok = audio_setup_now ? run_audio_setup(args, r, &why) : run_cyclictest(args, r, &why);
    if (!ok) {
      std::cerr << "bench_latency_vs_cyclictest: "
                << (audio_setup_now ? "audio-setup latency " : "cyclictest ") << why << "\n";
    }
    return ok;
  };

  const double load_start = load_average();
  if (warmup > 0) {
    // First runs page in binaries and libraries and wake idle CPUs; neither tool gets them.
    const auto [ours_w, theirs_w] = args_for(warmup);
    Run w;
    if (!run_tool(true, ours_w, &w) || !run_tool(false, theirs_w, &w)) return 1;
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::vector<double> ours_p99, theirs_p99, ratios;
  int ours_lower = 0, theirs_lower = 0;
  bool comparable = true;
  std::printf("%-6s %-12s %6s %10s %10s %10s %10s\n", "round", "tool", "load1", "samples", "p50_us",
              "p99_us", "max_us");
  for (std::int64_t i = 0; i < rounds; ++i) {
    Run a, c;
    // Alternate which tool goes first, so neither always runs on a warmer or quieter machine.
    for (int k = 0; k < 2; ++k) {
      bool audio_setup_now = (k == 0) == (i % 2 == 0);
      if (!run_tool(audio_setup_now, audio_setup_now ? ours : theirs, audio_setup_now ? &a : &c)) {
        return 1;
      }
    }
    for (const auto& [name, r] :
         {std::pair<const char*, const Run&>{"audio-setup", a}, {"cyclictest", c}}) {
      std::printf("%-6lld %-12s %6.2f %10llu %10.0f %10.0f %10.0f\n", static_cast<long long>(i + 1),
                  name, r.load1, static_cast<unsigned long long>(r.samples), r.p50_us, r.p99_us,
                  r.max_us);
    }
    comparable = comparable && a.comparable;
    ours_p99.push_back(a.p99_us);
    theirs_p99.push_back(c.p99_us);
    if (c.p99_us > 0) ratios.push_back(a.p99_us / c.p99_us);
    ours_lower += a.p99_us < c.p99_us;
    theirs_lower += c.p99_us < a.p99_us;
    auto as_json = [](const Run& r) {
      return nlohmann::ordered_json{{"load1", r.load1},   {"samples", r.samples},
                                    {"p50_us", r.p50_us}, {"p99_us", r.p99_us},
                                    {"max_us", r.max_us}, {"seconds", r.seconds}};
    };
    results.push_back({{"round", i + 1},
                       {"first", i % 2 == 0 ? "audio-setup" : "cyclictest"},
                       {"audio_setup", as_json(a)},
                       {"cyclictest", as_json(c)}});
  }
  const double load_end = load_average();
  double m_ours = median(ours_p99), m_theirs = median(theirs_p99);
  if (!comparable) {
    std::printf(
        "\nNOT COMPARABLE: audio-setup is an AddressSanitizer build and ran without "
        "mlockall; use the bench preset\n");
  }
  double ratio = m_theirs > 0 ? m_ours / m_theirs : 0;
  bool agree = m_theirs > 0 && std::abs(m_ours - m_theirs) <= 0.10 * m_theirs;
  std::printf("\nmedian p99: audio-setup %.0f us, cyclictest %.0f us, ratio %.3f -> %s\n", m_ours,
              m_theirs, ratio, agree ? "agree within 10%" : "DIFFER by more than 10%");
  std::printf("per round: median ratio %.3f; lower p99: audio-setup %d, cyclictest %d, tie %d\n",
              median(ratios), ours_lower, theirs_lower,
              static_cast<int>(rounds) - ours_lower - theirs_lower);
  std::printf("load average (1 min): %.2f at start, %.2f at end\n", load_start, load_end);
  nlohmann::ordered_json out = {
      {"config",
       {{"rounds", rounds},
        {"duration_s", duration},
        {"interval_us", interval},
        {"priority", priority},
        {"cpus", cpus},
        {"warmup_s", warmup},
        {"audio_setup_args", ours},
        {"cyclictest_args", theirs}}},
      {"rounds", results},
      {"median_p99_us", {{"audio_setup", m_ours}, {"cyclictest", m_theirs}}},
      {"ratio", ratio},
      {"median_round_ratio", median(ratios)},
      {"rounds_lower_p99", {{"audio_setup", ours_lower}, {"cyclictest", theirs_lower}}},
      {"load1", {{"start", load_start}, {"end", load_end}}},
      {"within_10_percent", agree},
      {"comparable", comparable}};
  std::ofstream(json_out) << out.dump(2) << "\n";
  std::printf("results written to %s\n", json_out.c_str());
  return 0;
}
