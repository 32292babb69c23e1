// streamdb_bench: StreamDB against LMDB, RocksDB, SQLite and raw files, in one run.
// Exit status: 0 when every measurement ran (bars may still fail; they are reported),
// 1 when a measurement failed or the JSON could not be written, 2 on bad usage.
#include <fstream>
#include <iostream>

#include "bench_config.h"
#include "bench_run.h"
#include "report.h"

int main(int argc, char** argv) {
  using namespace streamdb_bench;
  Result<CommandLine> line = parse_command_line(argc, argv);
  if (!line.ok()) {
    std::cerr << "streamdb_bench: " << archibald::one_line(line.status().message())
              << " (see --help)\n";
    return 2;
  }
  if (line->help) {
    std::cout << line->help_text;
    return 0;
  }
  Result<BenchResults> results = run_benchmark(line->config, std::cerr);
  if (!results.ok()) {
    std::cerr << "streamdb_bench: " << archibald::one_line(results.status().message()) << '\n';
    return 1;
  }
  std::vector<BarResult> bars = evaluate_bars(*results);
  std::cout << '\n' << format_report(*results, bars) << std::flush;
  int exit_code = results->has_errors() ? 1 : 0;
  if (const std::string& path = line->config.json_path; !path.empty()) {
    std::ofstream json(path);
    json << report_json(*results, bars).dump(2) << '\n';
    json.close();
    if (!json) {
      std::cerr << "streamdb_bench: --json " << path << ": cannot write the file\n";
      exit_code = 1;
    }
  }
  return exit_code;
}
