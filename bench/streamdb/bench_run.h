// The benchmark run: every selected store x workload, once per round, each in a fresh child
// process on a fresh directory that is removed afterwards.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench_sizes.h"
#include "store.h"
#include "workload.h"

namespace streamdb_bench {

struct BenchConfig {
  int rounds = 3;
  std::string dir = "/tmp";  // scratch directories are made (and removed) inside it
  std::string json_path;     // empty: no JSON file
  bool quick = false;
  BenchSizes sizes;
  std::vector<const StoreKind*> stores;
  std::vector<WorkloadId> workloads;
};

// The measurements of one store on one workload.
struct Cell {
  const StoreKind* store = nullptr;
  WorkloadId workload = WorkloadId::kLoad;
  bool skipped = false;  // the store cannot run this workload (the raw baseline cannot list)
  std::vector<Metrics> rounds;
  std::vector<std::string> errors;

  // Per metric, the median over the successful rounds; empty when none succeeded.
  Metrics medians() const;
};

struct BenchResults {
  BenchConfig config;
  std::vector<Cell> cells;  // stores x workloads (store-major), in config order

  const Cell* find(std::string_view store, WorkloadId workload) const;
  bool has_errors() const;
};

// Runs rounds x workloads x stores: rounds outermost, and within a round all stores run one
// workload back to back, starting from a different store each round, so that drift on a
// shared machine hits the stores being compared alike. Writes one progress line per
// measurement. Fails only when the scratch directory cannot be
// made; a failed measurement is recorded in its Cell and the run goes on.
Result<BenchResults> run_benchmark(const BenchConfig& config, std::ostream& progress);

}  // namespace streamdb_bench
