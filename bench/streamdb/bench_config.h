// Command line of streamdb_bench -> BenchConfig.
#pragma once

#include <string>

#include "archibald/status.h"
#include "bench_run.h"

namespace streamdb_bench {

struct CommandLine {
  bool help = false;
  std::string help_text;  // set when help
  BenchConfig config;
};

// Errors name the flag and what was expected ("--stores: unknown store 'x' (have: ...)").
Result<CommandLine> parse_command_line(int argc, const char* const* argv);

}  // namespace streamdb_bench
