#include "bench_run.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "child_run.h"
#include "stats.h"

namespace streamdb_bench {

Metrics Cell::medians() const {
  std::map<std::string, std::vector<double>> values;
  for (const Metrics& round : rounds) {
    for (const auto& [key, value] : round)
      values[key].push_back(value);
  }
  Metrics result;
  for (const auto& [key, list] : values)
    result[key] = median(list);
  return result;
}

const Cell* BenchResults::find(std::string_view store, WorkloadId workload) const {
  for (const Cell& cell : cells) {
    if (cell.store->name == store && cell.workload == workload) return &cell;
  }
  return nullptr;
}

bool BenchResults::has_errors() const {
  for (const Cell& cell : cells) {
    if (!cell.errors.empty()) return true;
  }
  return false;
}

namespace {

// One measurement: a fresh directory, a child process, the directory removed, a progress line.
std::filesystem::path cell_dir(const Cell& cell, int round, const std::filesystem::path& run_dir) {
  return run_dir / (std::string(cell.store->name) + "-" + workload_info(cell.workload).letter +
                    "-r" + std::to_string(round));
}

// Records one measurement in its cell, with a progress line.
void record(Cell& cell, int round, const BenchConfig& config, double seconds,
            Result<Metrics> metrics, std::ostream& progress) {
  const WorkloadInfo& info = workload_info(cell.workload);
  char line[160];
  std::snprintf(line, sizeof line, "round %d/%d  %-12s (%c) %-12s %7.1f s  %s", round,
                config.rounds, std::string(cell.store->name).c_str(), info.letter,
                std::string(info.name).c_str(), seconds, metrics.ok() ? "ok" : "FAILED");
  progress << line << '\n';
  if (metrics.ok()) {
    cell.rounds.push_back(std::move(metrics).value());
  } else {
    progress << "  " << metrics.status().message() << '\n';
    cell.errors.push_back(metrics.status().message());
  }
  progress.flush();
}

// One store on one workload: a fresh directory, a child process, the directory removed.
void run_cell(Cell& cell, int round, const BenchConfig& config,
              const std::filesystem::path& run_dir, std::ostream& progress) {
  if (cell.skipped) return;
  std::filesystem::path dir = cell_dir(cell, round, run_dir);
  std::error_code ec;
  std::filesystem::create_directory(dir, ec);
  Clock::time_point start = Clock::now();
  Result<Metrics> metrics =
      ec ? Result<Metrics>(Status::io_error(dir.string() + ": " + ec.message()))
         : run_in_child(*cell.store, cell.workload, config.sizes, dir.string());
  std::filesystem::remove_all(dir, ec);
  record(cell, round, config, seconds_between(start, Clock::now()), std::move(metrics), progress);
}

// Every store on one stepped workload, interleaved step by step (run_in_lockstep).
void run_cells_in_lockstep(std::vector<Cell*> cells, int round, const BenchConfig& config,
                           const std::filesystem::path& run_dir, std::ostream& progress) {
  std::vector<const StoreKind*> kinds;
  std::vector<std::string> dirs;
  std::vector<Cell*> runnable;
  for (Cell* cell : cells) {
    if (cell->skipped) continue;
    std::filesystem::path dir = cell_dir(*cell, round, run_dir);
    std::error_code ec;
    std::filesystem::create_directory(dir, ec);
    if (ec) {
      record(*cell, round, config, 0, Status::io_error(dir.string() + ": " + ec.message()),
             progress);
      continue;
    }
    runnable.push_back(cell);
    kinds.push_back(cell->store);
    dirs.push_back(dir.string());
  }
  if (runnable.empty()) return;
  Clock::time_point start = Clock::now();
  std::vector<Result<Metrics>> results =
      run_in_lockstep(kinds, runnable[0]->workload, config.sizes, dirs);
  double seconds = seconds_between(start, Clock::now());
  for (std::size_t k = 0; k < runnable.size(); ++k) {
    std::error_code ec;
    std::filesystem::remove_all(dirs[k], ec);
    record(*runnable[k], round, config, seconds, std::move(results[k]), progress);
  }
}

}  // namespace

Result<BenchResults> run_benchmark(const BenchConfig& config, std::ostream& progress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(config.dir, ec);
  if (ec) return Status::io_error("--dir " + config.dir + ": " + ec.message());
  std::string pattern = (fs::path(config.dir) / "streamdb_bench.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::from_errno("--dir " + config.dir + ": cannot make a scratch directory", errno);
  }
  const fs::path run_dir = pattern;

  BenchResults results;
  results.config = config;
  for (const StoreKind* store : config.stores) {
    for (WorkloadId id : config.workloads) {
      Cell cell;
      cell.store = store;
      cell.workload = id;
      cell.skipped = workload_info(id).needs_listing && !store->can_list;
      results.cells.push_back(std::move(cell));
    }
  }

  const std::size_t store_count = config.stores.size();
  const std::size_t workload_count = config.workloads.size();
  for (int round = 1; round <= config.rounds; ++round) {
    for (std::size_t w = 0; w < workload_count; ++w) {
      // cells are stores x workloads; the first store rotates from round to round.
      std::vector<Cell*> order;
      for (std::size_t k = 0; k < store_count; ++k) {
        std::size_t s = (k + static_cast<std::size_t>(round - 1)) % store_count;
        order.push_back(&results.cells[s * workload_count + w]);
      }
      if (workload_info(config.workloads[w]).lockstep) {
        run_cells_in_lockstep(order, round, config, run_dir, progress);
      } else {
        for (Cell* cell : order)
          run_cell(*cell, round, config, run_dir, progress);
      }
    }
  }
  fs::remove_all(run_dir, ec);
  if (ec)
    progress << "warning: could not remove " << run_dir.string() << ": " << ec.message() << '\n';
  return results;
}

}  // namespace streamdb_bench
