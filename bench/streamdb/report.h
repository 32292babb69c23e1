// The report of a run: the bars evaluated on the medians, a text table and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench_run.h"

namespace streamdb_bench {

// One bar of the issue, checked on this run's medians.
struct BarResult {
  std::string id;       // "a_lmdb"
  std::string text;     // "(a) load >= 1.5x LMDB"
  std::string measure;  // "streamdb/lmdb MiB/s"
  WorkloadId workload = WorkloadId::kLoad;
  std::string metric;
  std::optional<double> value;  // the ratio of medians (or, for the memory bar, the MiB)
  // The same quantity round by round (round i of StreamDB against round i of the anchor, which
  // ran seconds apart), to show how much the machine's noise moves it. Empty when a round
  // failed.
  std::vector<double> round_values;
  double limit = 0;
  std::string status;  // "PASS", "FAIL" or "n/a: <why>"
};

std::vector<BarResult> evaluate_bars(const BenchResults& results);

// Medians table (one column per store), StreamDB's ratios to each anchor, then the bars.
std::string format_report(const BenchResults& results, const std::vector<BarResult>& bars);

nlohmann::json report_json(const BenchResults& results, const std::vector<BarResult>& bars);

}  // namespace streamdb_bench
