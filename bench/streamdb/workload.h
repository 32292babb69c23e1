// Workload: one of the measurements, run the same way on every Store.
//
// The runner calls prepare() (untimed setup, e.g. loading the library a read workload reads),
// then takes the memory baseline, then run(), which times what the issue asks for and returns
// its metrics. Each call happens in a fresh child process on a fresh store directory.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "archibald/status.h"
#include "bench_sizes.h"
#include "store.h"

namespace streamdb_bench {

// Metric key -> value, e.g. {"mib_per_s": 812.5}.
using Metrics = std::map<std::string, double>;

enum class WorkloadId { kLoad, kRead, kList, kSmallWrite, kStream };

struct MetricInfo {
  std::string_view key;    // JSON key
  std::string_view label;  // table label
  bool higher_is_better;
};

struct WorkloadInfo {
  WorkloadId id;
  char letter;             // 'a'..'e', as in the issue
  std::string_view name;   // --workloads value besides the letter
  std::string_view title;  // table heading
  bool needs_listing;      // skipped for stores that cannot list
  bool lockstep;           // all stores run it interleaved, step by step (Workload::steps)
  std::span<const MetricInfo> metrics;  // table rows, in order
};

std::span<const WorkloadInfo> all_workloads();
const WorkloadInfo& workload_info(WorkloadId id);
// Accepts the letter ("a") or the name ("load").
std::optional<WorkloadId> find_workload(std::string_view text);

class Workload {
 public:
  virtual ~Workload() = default;
  virtual Status prepare(Store& store) = 0;
  virtual Result<Metrics> run(Store& store) = 0;

  // A workload made of many small independent operations also runs as steps, so that the
  // runner can interleave it with the same workload on other stores (see run_in_lockstep):
  // step(store, 0 .. steps() - 1), then finish() for the metrics. run() does the same in one
  // go. steps() == 0: the workload has no steps.
  virtual int steps() const { return 0; }
  virtual Status step(Store&, int) { return Status::not_supported("workload has no steps"); }
  virtual Result<Metrics> finish(Store&) { return Status::not_supported("workload has no steps"); }
};

std::unique_ptr<Workload> make_workload(WorkloadId id, const BenchSizes& sizes);

// One factory per workload file.
std::unique_ptr<Workload> make_load_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_read_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_list_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_small_write_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_stream_workload(const BenchSizes& sizes);

}  // namespace streamdb_bench
