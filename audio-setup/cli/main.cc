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

namespace {

using archibald::FlagParser;
using archibald::Status;

constexpr const char* kUsage =
    "usage: audio-setup [COMMAND] [FLAGS]\n"
    "commands:\n"
    "  check      real-time readiness report (default)\n"
    "  --help     this text; 'audio-setup COMMAND --help' lists a command's flags\n";

int usage_error(const std::string& message) {
  std::cerr << "audio-setup: " << message << "\n";
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
      {"check", run_check},
  };
  auto it = commands.find(command);
  if (it == commands.end()) {
    return usage_error("unknown command '" + command + "' (try: audio-setup --help)");
  }
  return it->second(rest);
}
