// audio-setup: real-time audio readiness checks, reversible tuning and latency measurement.
// Argument parsing only; every command is a library call.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "archibald/flags.h"
#include "audio_setup/checks.h"
#include "audio_setup/latency.h"
#include "audio_setup/rtl.h"
#include "audio_setup/tuning.h"

namespace {

using archibald::FlagParser;
using archibald::Status;

constexpr const char* kUsage =
    "usage: audio-setup [COMMAND] [FLAGS]\n"
    "commands:\n"
    "  check      real-time readiness report (default)\n"
    "  latency    scheduling latency, cyclictest-style (SCHED_FIFO threads per CPU)\n"
    "  rtl        round-trip latency of a loop of JACK ports\n"
    "  xruns      count the xruns of the running JACK/PipeWire graph\n"
    "  apply      fix findings with drop-in files and runtime writes (--dry-run: only show)\n"
    "  rollback   undo everything apply did, from its journal\n"
    "  nix        print a NixOS module snippet that fixes the findings\n"
    "  --help     this text; 'audio-setup COMMAND --help' lists a command's flags\n";

int usage_error(const std::string& message) {
  std::cerr << "audio-setup: " << archibald::one_line(message) << "\n";
  return audio_setup::kExitUsage;
}

// Parses argv (argv[0] is the command name) or returns a usage error; *help is set for --help.
bool parse_flags(FlagParser& flags, const std::vector<const char*>& argv, bool* help,
                 int* exit_status) {
  std::vector<std::string> positionals;
  flags.add_bool("--help", help, "print this help", "-h");
  Status s = flags.parse(static_cast<int>(argv.size()), argv.data(), &positionals);
  if (!s.ok()) {
    *exit_status = usage_error(s.message());
    return false;
  }
  if (!positionals.empty()) {
    *exit_status = usage_error("unexpected argument '" + positionals[0] + "'");
    return false;
  }
  return true;
}

bool colour_output() {
  return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
}

int run_check(const std::vector<const char*>& argv) {
  FlagParser flags("audio-setup check");
  std::string root_dir = "/";
  bool json = false;
  bool help = false;
  flags.add_string("--root", &root_dir, "check the system mounted at DIR (default /)", "DIR");
  flags.add_bool("--json", &json, "print the report as JSON");
  int status = 0;
  if (!parse_flags(flags, argv, &help, &status)) return status;
  if (help) {
    std::cout << "usage: audio-setup check [--root DIR] [--json]\n" << flags.help();
    return 0;
  }
  audio_setup::SystemRoot root(root_dir);
  if (Status s = root.validate(); !s.ok()) return usage_error(s.message());
  audio_setup::CheckReport report = audio_setup::run_checks(root);
  std::cout << (json ? audio_setup::report_json(report)
                     : audio_setup::report_table(report, colour_output()));
  return audio_setup::exit_code(report.worst);
}

bool write_file(const std::string& path, const std::string& contents) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  bool ok = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  return std::fclose(f) == 0 && ok;
}

int run_latency(const std::vector<const char*>& argv) {
  FlagParser flags("audio-setup latency");
  std::string duration = "10";
  std::string cpus;
  std::string svg;
  std::int64_t interval = 1000;
  std::int64_t priority = 80;
  bool json = false;
  bool load = false;
  bool no_dma = false;
  bool help = false;
  flags.add_string("--duration", &duration, "how long to measure: 10, 2.5s, 500ms, 1m", "S");
  flags.add_int("--interval", &interval, "wake-up period in microseconds", 50, 1000000, "US");
  flags.add_int("--priority", &priority, "SCHED_FIFO priority of the measuring threads", 1, 99,
                "P");
  flags.add_string("--cpus", &cpus, "CPUs to measure, e.g. 0-3 (default: all allowed)", "LIST");
  flags.add_bool("--load", &load, "run a busy thread beside each measuring thread");
  flags.add_bool("--no-dma-latency", &no_dma, "do not hold /dev/cpu_dma_latency at 0");
  flags.add_bool("--json", &json, "print the result as JSON");
  flags.add_string("--svg", &svg, "write a histogram plot to FILE", "FILE");
  int status = 0;
  if (!parse_flags(flags, argv, &help, &status)) return status;
  if (help) {
    std::cout << "usage: audio-setup latency [FLAGS]\n" << flags.help();
    return 0;
  }
  audio_setup::LatencyOptions options;
  archibald::Result<double> seconds = audio_setup::parse_duration(duration, "--duration");
  if (!seconds.ok()) return usage_error(seconds.status().message());
  options.duration_s = *seconds;
  options.interval_us = interval;
  options.priority = static_cast<int>(priority);
  options.load = load;
  options.hold_dma_latency = !no_dma;
  if (flags.is_set("--cpus")) {
    archibald::Result<std::vector<int>> list = audio_setup::parse_cpus(cpus);
    if (!list.ok()) return usage_error(list.status().message());
    options.cpus = *list;
  }
  if (Status s = audio_setup::validate(options); !s.ok()) return usage_error(s.message());
  archibald::Result<audio_setup::LatencyResult> result = audio_setup::measure_latency(options);
  if (!result.ok()) {
    std::cerr << "audio-setup: " << archibald::one_line(result.status().message()) << "\n";
    return audio_setup::kExitError;
  }
  if (!svg.empty() && !write_file(svg, audio_setup::latency_svg(*result))) {
    std::cerr << "audio-setup: --svg " << svg << ": cannot write the file\n";
    return audio_setup::kExitError;
  }
  std::cout << (json ? audio_setup::latency_json(*result) : audio_setup::latency_table(*result));
  return 0;
}

// Operational failures (no server, no signal): one line, exit 4.
int operational_error(const Status& s) {
  std::cerr << "audio-setup: " << archibald::one_line(s.message()) << "\n";
  return audio_setup::kExitError;
}

int run_rtl(const std::vector<const char*>& argv) {
  FlagParser flags("audio-setup rtl");
  audio_setup::RtlOptions options;
  std::string timeout = "10";
  bool json = false;
  bool help = false;
  flags.add_string("--server", &options.server, "JACK server name (default: the default server)",
                   "NAME");
  flags.add_string("--out", &options.out_port, "port the test signal is sent to", "PORT");
  flags.add_string("--in", &options.in_port, "port the signal comes back from", "PORT");
  flags.add_string("--timeout", &timeout, "give up after this long without a signal", "S");
  flags.add_bool("--json", &json, "print the result as JSON");
  int status = 0;
  if (!parse_flags(flags, argv, &help, &status)) return status;
  if (help) {
    std::cout << "usage: audio-setup rtl --out PORT --in PORT [--server NAME] [--timeout S]\n"
              << flags.help();
    return 0;
  }
  if (options.out_port.empty() || options.in_port.empty()) {
    return usage_error("rtl: --out PORT and --in PORT are required");
  }
  archibald::Result<double> seconds = audio_setup::parse_duration(timeout, "--timeout");
  if (!seconds.ok()) return usage_error(seconds.status().message());
  options.timeout_s = *seconds;
  archibald::Result<audio_setup::RtlResult> r = audio_setup::measure_round_trip(options);
  if (!r.ok()) {
    if (r.status().code() == archibald::Code::kInvalidArgument) {
      return usage_error(r.status().message());
    }
    return operational_error(r.status());
  }
  std::cout << (json ? audio_setup::rtl_json(*r) : audio_setup::rtl_text(*r));
  return 0;
}

int run_xruns(const std::vector<const char*>& argv) {
  FlagParser flags("audio-setup xruns");
  audio_setup::XrunOptions options;
  std::string duration = "60s";
  bool json = false;
  bool help = false;
  flags.add_string("--server", &options.server, "JACK server name", "NAME");
  flags.add_string("--for", &duration, "how long to count: 60s, 5m, 500ms", "DURATION");
  flags.add_bool("--json", &json, "print the result as JSON");
  int status = 0;
  if (!parse_flags(flags, argv, &help, &status)) return status;
  if (help) {
    std::cout << "usage: audio-setup xruns [--for 60s] [--server NAME] [--json]\n" << flags.help();
    return 0;
  }
  archibald::Result<double> seconds = audio_setup::parse_duration(duration, "--for");
  if (!seconds.ok()) return usage_error(seconds.status().message());
  options.duration_s = *seconds;
  archibald::Result<audio_setup::XrunResult> r = audio_setup::count_xruns(options);
  if (!r.ok()) return operational_error(r.status());
  if (json) {
    std::cout << audio_setup::xruns_json(*r);
  } else {
    std::cout << r->xruns << " xruns in " << r->seconds << " s (" << r->period << " frames at "
              << r->sample_rate << " Hz)\n";
  }
  return 0;
}

// Shared by apply, rollback and nix: --root and --help, the root validated.
bool parse_root_flags(const char* name, const char* usage, const std::vector<const char*>& argv,
                      std::string* root_dir, bool* dry_run, int* exit_status) {
  FlagParser flags(std::string("audio-setup ") + name);
  bool help = false;
  flags.add_string("--root", root_dir, "act on the system mounted at DIR (default /)", "DIR");
  if (dry_run != nullptr) flags.add_bool("--dry-run", dry_run, "print every change, touch nothing");
  if (!parse_flags(flags, argv, &help, exit_status)) return false;
  if (help) {
    std::cout << usage << flags.help();
    *exit_status = 0;
    return false;
  }
  if (Status s = audio_setup::SystemRoot(*root_dir).validate(); !s.ok()) {
    *exit_status = usage_error(s.message());
    return false;
  }
  return true;
}

int run_apply(const std::vector<const char*>& argv) {
  std::string root_dir = "/";
  bool dry_run = false;
  int status = 0;
  if (!parse_root_flags("apply", "usage: audio-setup apply [--dry-run] [--root DIR]\n", argv,
                        &root_dir, &dry_run, &status)) {
    return status;
  }
  audio_setup::SystemRoot root(root_dir);
  audio_setup::CheckReport report = audio_setup::run_checks(root);
  if (audio_setup::is_nixos(root)) {
    std::cerr << "audio-setup: NixOS keeps /etc immutable; apply changes nothing. Add this to "
                 "your configuration instead (printed below) and run nixos-rebuild switch.\n";
    std::cout << audio_setup::nix_snippet(root, report);
    return audio_setup::kExitError;
  }
  audio_setup::Plan plan = audio_setup::plan_fixes(root, report);
  std::cout << audio_setup::describe_plan(plan, dry_run);
  if (dry_run || plan.changes.empty()) return 0;
  if (Status s = audio_setup::apply_changes(root, plan); !s.ok()) {
    std::cerr << "audio-setup: apply stopped: " << archibald::one_line(s.message())
              << " (audio-setup rollback undoes what was done)\n";
    return audio_setup::kExitError;
  }
  std::cout << "applied " << plan.changes.size() << " change(s); journal "
            << audio_setup::kJournalPath << "; undo with: audio-setup rollback\n";
  return 0;
}

int run_rollback(const std::vector<const char*>& argv) {
  std::string root_dir = "/";
  int status = 0;
  if (!parse_root_flags("rollback", "usage: audio-setup rollback [--root DIR]\n", argv, &root_dir,
                        nullptr, &status)) {
    return status;
  }
  int restored = 0;
  if (Status s = audio_setup::rollback(audio_setup::SystemRoot(root_dir), &restored); !s.ok()) {
    return operational_error(s);
  }
  if (restored == 0) {
    std::cout << "nothing to roll back: no journal at " << audio_setup::kJournalPath << "\n";
  } else {
    std::cout << "restored " << restored << " path(s) to their state before apply\n";
  }
  return 0;
}

int run_nix(const std::vector<const char*>& argv) {
  std::string root_dir = "/";
  int status = 0;
  if (!parse_root_flags("nix", "usage: audio-setup nix [--root DIR]\n", argv, &root_dir, nullptr,
                        &status)) {
    return status;
  }
  audio_setup::SystemRoot root(root_dir);
  std::cout << audio_setup::nix_snippet(root, audio_setup::run_checks(root));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = "check";
  std::vector<const char*> rest = {"check"};
  int first = 1;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    rest[0] = argv[1];
    first = 2;
  } else if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") &&
             argc == 2) {
    std::cout << kUsage;
    return 0;
  }
  for (int i = first; i < argc; ++i)
    rest.push_back(argv[i]);
  const std::map<std::string, std::function<int(const std::vector<const char*>&)>> commands = {
      {"check", run_check}, {"latency", run_latency},   {"rtl", run_rtl}, {"xruns", run_xruns},
      {"apply", run_apply}, {"rollback", run_rollback}, {"nix", run_nix},
  };
  auto it = commands.find(command);
  if (it == commands.end()) {
    return usage_error("unknown command '" + command + "' (try: audio-setup --help)");
  }
  return it->second(rest);
}
