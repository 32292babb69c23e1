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
  char letter;                          // 'a'..'e', as in the issue
  std::string_view name;                // --workloads value besides the letter
  std::string_view title;               // table heading
  bool needs_listing;                   // skipped for stores that cannot list
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
};

std::unique_ptr<Workload> make_workload(WorkloadId id, const BenchSizes& sizes);

// One factory per workload file.
std::unique_ptr<Workload> make_load_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_read_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_list_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_small_write_workload(const BenchSizes& sizes);
std::unique_ptr<Workload> make_stream_workload(const BenchSizes& sizes);

}  // namespace streamdb_bench
