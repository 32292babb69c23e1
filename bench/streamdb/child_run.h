// Runs store/workload measurements in forked child processes, so that every measurement
// starts from a clean process (no caches, mappings or heap left by another store) and its
// memory can be read honestly from /proc/self/status.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "bench_sizes.h"
#include "store.h"
#include "workload.h"

namespace streamdb_bench {

// In the child: opens kind's store in dir (an existing empty directory), runs the workload's
// prepare(), resets the peak-RSS counter and reads VmRSS (the baseline), runs the workload,
// then reads VmHWM. The metrics come back through a pipe; peak_rss_mib is VmHWM minus the
// baseline, baseline_rss_mib the baseline, and end_rss_anon_mib / end_rss_file_mib split the
// RSS growth at the end into heap (anonymous) and mapped file pages. A failure in the child
// (error, crash, signal) comes back as a Status naming the store and workload.
Result<Metrics> run_in_child(const StoreKind& kind, WorkloadId workload, const BenchSizes& sizes,
                             const std::string& dir);

// The same for several stores at once, one child each, for a workload made of steps (see
// Workload::steps): after every child has prepared, the children take turns, one step each,
// in order, until all steps are done; then each finishes. Only one child works at any time,
// and a disturbance on the machine (another job's fsyncs) hits every store alike instead of
// whichever store happened to run then. Returns one result per store, in order.
std::vector<Result<Metrics>> run_in_lockstep(std::span<const StoreKind* const> kinds,
                                             WorkloadId workload, const BenchSizes& sizes,
                                             std::span<const std::string> dirs);

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
Result<std::uint64_t> read_proc_status_kib(std::string_view field);

}  // namespace streamdb_bench
