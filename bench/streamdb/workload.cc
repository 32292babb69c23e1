#include "workload.h"

namespace streamdb_bench {
namespace {

constexpr MetricInfo kLoadMetrics[] = {
    {"mib_per_s", "MiB/s", true},
    {"docs_per_s", "docs/s", true},
};
constexpr MetricInfo kReadMetrics[] = {
    {"gets_per_s", "gets/s", true},
    {"mib_per_s", "MiB/s", true},
    {"p50_us", "p50 us", false},
    {"p99_us", "p99 us", false},
};
constexpr MetricInfo kListMetrics[] = {
    {"names_per_s", "names only: paths/s", true},
    {"names_ms", "names only: ms/listing", false},
    {"contents_mib_per_s", "with contents: MiB/s", true},
    {"contents_ms", "with contents: ms/listing", false},
};
constexpr MetricInfo kSmallWriteMetrics[] = {
    {"p50_us", "p50 us", false},
    {"p99_us", "p99 us", false},
    {"writes_per_s", "writes/s", true},
};
constexpr MetricInfo kStreamMetrics[] = {
    {"write_mib_per_s", "write MiB/s", true},
    {"read_mib_per_s", "read MiB/s", true},
    {"peak_rss_mib", "peak RSS above baseline MiB", false},
};

constexpr WorkloadInfo kWorkloads[] = {
    {WorkloadId::kLoad, 'a', "load", "load 64 KiB documents, durable commit per batch", false,
     false, kLoadMetrics},
    {WorkloadId::kRead, 'b', "read", "warm random get of 64 KiB documents", false, false,
     kReadMetrics},
    {WorkloadId::kList, 'c', "list", "list one kit prefix", true, false, kListMetrics},
    {WorkloadId::kSmallWrite, 'd', "small_write", "single 100-byte durable write", false, true,
     kSmallWriteMetrics},
    {WorkloadId::kStream, 'e', "stream", "stream large documents in and out", false, false,
     kStreamMetrics},
};

}  // namespace

std::span<const WorkloadInfo> all_workloads() {
  return kWorkloads;
}

const WorkloadInfo& workload_info(WorkloadId id) {
  for (const WorkloadInfo& info : kWorkloads) {
    if (info.id == id) return info;
  }
  return kWorkloads[0];  // unreachable: every WorkloadId is in the table
}

std::optional<WorkloadId> find_workload(std::string_view text) {
  for (const WorkloadInfo& info : kWorkloads) {
    if (text == info.name || (text.size() == 1 && text[0] == info.letter)) return info.id;
  }
  return std::nullopt;
}

std::unique_ptr<Workload> make_workload(WorkloadId id, const BenchSizes& sizes) {
  switch (id) {
    case WorkloadId::kLoad:
      return make_load_workload(sizes);
    case WorkloadId::kRead:
      return make_read_workload(sizes);
    case WorkloadId::kList:
      return make_list_workload(sizes);
    case WorkloadId::kSmallWrite:
      return make_small_write_workload(sizes);
    case WorkloadId::kStream:
      return make_stream_workload(sizes);
  }
  return nullptr;
}

}  // namespace streamdb_bench
