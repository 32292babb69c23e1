#include "bench_config.h"

#include "archibald/flags.h"

namespace streamdb_bench {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// Comma-separated names of the stores compiled in (only_default: of those run by default).
std::string store_names(bool only_default) {
  std::string names;
  for (const StoreKind& kind : available_stores()) {
    if (only_default && !kind.in_default_run) continue;
    names += (names.empty() ? "" : ",") + std::string(kind.name);
  }
  return names;
}

Result<std::vector<const StoreKind*>> parse_stores(const std::string& text) {
  std::vector<const StoreKind*> stores;
  for (const std::string& name : split_list(text)) {
    const StoreKind* found = nullptr;
    for (const StoreKind& kind : available_stores()) {
      if (kind.name == name) found = &kind;
    }
    if (found == nullptr && name == "streamdb") {
      return Status::invalid_argument(
          "--stores: streamdb is not built into this program (the StreamDB engine was not "
          "part of the build); have: " +
          store_names(false));
    }
    if (found == nullptr) {
      return Status::invalid_argument("--stores: unknown store '" + name +
                                      "' (have: " + store_names(false) + ")");
    }
    bool duplicate = false;
    for (const StoreKind* s : stores)
      duplicate = duplicate || s == found;
    if (!duplicate) stores.push_back(found);
  }
  if (stores.empty()) return Status::invalid_argument("--stores: no store named");
  return stores;
}

Result<std::vector<WorkloadId>> parse_workloads(const std::string& text) {
  std::vector<bool> chosen(all_workloads().size(), false);
  for (const std::string& name : split_list(text)) {
    std::optional<WorkloadId> id = find_workload(name);
    if (!id) {
      return Status::invalid_argument("--workloads: unknown workload '" + name +
                                      "' (have: a/load, b/read, c/list, d/small_write, e/stream)");
    }
    chosen[static_cast<std::size_t>(*id)] = true;
  }
  std::vector<WorkloadId> workloads;
  for (const WorkloadInfo& info : all_workloads()) {
    if (chosen[static_cast<std::size_t>(info.id)]) workloads.push_back(info.id);
  }
  if (workloads.empty()) return Status::invalid_argument("--workloads: no workload named");
  return workloads;
}

}  // namespace

Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  CommandLine line;
  BenchConfig& config = line.config;
  std::int64_t rounds = 3;
  std::string stores = store_names(true);
  std::string workloads = "a,b,c,d,e";
  archibald::FlagParser flags("streamdb_bench");
  flags.add_bool("--help", &line.help, "print this help", "-h");
  flags.add_int("--rounds", &rounds, "rounds of every measurement; medians are reported", 1, 100);
  flags.add_string("--dir", &config.dir,
                   "scratch directories are made and removed inside DIR (default /tmp)", "DIR");
  flags.add_string("--json", &config.json_path, "also write the results as JSON to FILE", "FILE");
  flags.add_bool("--quick", &config.quick, "tiny sizes (smoke test), not a measurement");
  flags.add_string(
      "--stores", &stores,
      "comma-separated stores of " + store_names(false) + " (default: " + store_names(true) + ")",
      "LIST");
  flags.add_string("--workloads", &workloads,
                   "comma-separated workloads: a/load b/read c/list d/small_write e/stream "
                   "(default: all)",
                   "LIST");
  std::vector<std::string> positionals;
  ARCHIBALD_RETURN_IF_ERROR(flags.parse(argc, argv, &positionals));
  if (line.help) {
    line.help_text =
        "Usage: streamdb_bench [flags]\n"
        "Runs the StreamDB workloads of issue 3 on StreamDB, LMDB, RocksDB, SQLite and a raw-file\n"
        "baseline; prints a table of medians, StreamDB's ratios and the bars.\n\n" +
        flags.help();
    return line;
  }
  if (!positionals.empty()) {
    return Status::invalid_argument("unexpected argument '" + positionals[0] + "'");
  }
  if (config.dir.empty()) return Status::invalid_argument("--dir: empty directory name");
  config.rounds = static_cast<int>(rounds);
  config.sizes = config.quick ? quick_sizes() : full_sizes();
  Result<std::vector<const StoreKind*>> store_list = parse_stores(stores);
  if (!store_list.ok()) return store_list.status();
  config.stores = std::move(store_list).value();
  Result<std::vector<WorkloadId>> workload_list = parse_workloads(workloads);
  if (!workload_list.ok()) return workload_list.status();
  config.workloads = std::move(workload_list).value();
  return line;
}

}  // namespace streamdb_bench
