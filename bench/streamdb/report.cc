#include "report.h"

#include <algorithm>
#include <cstdio>

namespace streamdb_bench {
namespace {

constexpr std::string_view kSubject = "streamdb";

enum class BarTest { kRatioAtLeast, kRatioAtMost, kValueAtMost };

struct BarSpec {
  std::string_view id;
  std::string_view text;
  WorkloadId workload;
  std::string_view metric;
  std::string_view anchor;  // empty for an absolute bar
  BarTest test;
  double limit;
};

// The bars of issue 3, item 12.
constexpr BarSpec kBars[] = {
    {"a_lmdb", "(a) load >= 1.5x LMDB", WorkloadId::kLoad, "mib_per_s", "lmdb",
     BarTest::kRatioAtLeast, 1.5},
    {"a_rocksdb", "(a) load >= 3x RocksDB", WorkloadId::kLoad, "mib_per_s", "rocksdb",
     BarTest::kRatioAtLeast, 3.0},
    {"b_lmdb", "(b) warm random get >= LMDB", WorkloadId::kRead, "gets_per_s", "lmdb",
     BarTest::kRatioAtLeast, 1.0},
    {"c_lmdb", "(c) names-only listing >= LMDB", WorkloadId::kList, "names_per_s", "lmdb",
     BarTest::kRatioAtLeast, 1.0},
    {"d_sqlite", "(d) 100-byte durable write p50 <= 1.1x SQLite WAL", WorkloadId::kSmallWrite,
     "p50_us", "sqlite", BarTest::kRatioAtMost, 1.1},
    {"e_raw", "(e) stream write >= 80% of raw-file bandwidth", WorkloadId::kStream,
     "write_mib_per_s", "raw", BarTest::kRatioAtLeast, 0.8},
    {"e_memory", "(e) stream peak memory <= 64 MiB above baseline", WorkloadId::kStream,
     "peak_rss_mib", "", BarTest::kValueAtMost, 64.0},
};

std::optional<double> median_of(const BenchResults& results, std::string_view store,
                                WorkloadId workload, std::string_view metric) {
  const Cell* cell = results.find(store, workload);
  if (cell == nullptr) return std::nullopt;
  Metrics medians = cell->medians();
  auto it = medians.find(std::string(metric));
  if (it == medians.end()) return std::nullopt;
  return it->second;
}

std::vector<double> per_round(const BenchResults& results, const BarSpec& spec) {
  const Cell* mine = results.find(kSubject, spec.workload);
  const Cell* anchor = spec.anchor.empty() ? mine : results.find(spec.anchor, spec.workload);
  std::vector<double> values;
  if (mine == nullptr || anchor == nullptr || !mine->errors.empty() || !anchor->errors.empty() ||
      mine->rounds.size() != anchor->rounds.size()) {
    return values;
  }
  const std::string key(spec.metric);
  for (std::size_t i = 0; i < mine->rounds.size(); ++i) {
    auto a = mine->rounds[i].find(key);
    auto b = anchor->rounds[i].find(key);
    if (a == mine->rounds[i].end() || b == anchor->rounds[i].end() || b->second <= 0) return {};
    values.push_back(spec.anchor.empty() ? a->second : a->second / b->second);
  }
  return values;
}

std::string_view metric_label(WorkloadId workload, std::string_view metric) {
  for (const MetricInfo& info : workload_info(workload).metrics) {
    if (info.key == metric) return info.label;
  }
  return metric;
}

std::string format_value(double v) {
  char text[32];
  if (v >= 1000 || v <= -1000) {
    std::snprintf(text, sizeof text, "%.0f", v);
  } else if (v >= 10 || v <= -10) {
    std::snprintf(text, sizeof text, "%.1f", v);
  } else {
    std::snprintf(text, sizeof text, "%.2f", v);
  }
  return text;
}

std::string format_ratio(double v) {
  return format_value(v) + "x";
}

std::string heading(const WorkloadInfo& info, const BenchSizes& s) {
  auto kib = [](std::uint64_t bytes) { return std::to_string(bytes >> 10) + " KiB"; };
  std::string text = std::string("(") + info.letter + ") ";
  switch (info.id) {
    case WorkloadId::kLoad:
      return text + "load " + std::to_string(s.documents) + " x " + kib(s.document_bytes) +
             ", durable commit every " + std::to_string(s.documents_per_commit);
    case WorkloadId::kRead:
      return text + "warm random get, " + std::to_string(s.random_reads) + " x " +
             kib(s.document_bytes) + " copied out";
    case WorkloadId::kList:
      return text + "list " + std::to_string(s.documents_per_kit) + " paths under one prefix of " +
             std::to_string(s.documents);
    case WorkloadId::kSmallWrite:
      return text + std::to_string(s.small_writes) + " single " +
             std::to_string(s.small_write_bytes) + "-byte durable writes";
    case WorkloadId::kStream:
      return text + "stream " + std::to_string(s.stream_documents) + " x " +
             std::to_string(s.stream_bytes >> 20) + " MiB in, then out, " +
             kib(s.stream_chunk_bytes) + " chunks";
  }
  return text;
}

bool has_subject(const BenchResults& results) {
  for (const StoreKind* store : results.config.stores) {
    if (store->name == kSubject) return true;
  }
  return false;
}

std::string pad(std::string_view text, std::size_t width, bool right) {
  std::string s(text);
  if (s.size() >= width) return s;
  std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::vector<BarResult> evaluate_bars(const BenchResults& results) {
  std::vector<BarResult> bars;
  for (const BarSpec& spec : kBars) {
    BarResult bar;
    bar.id = spec.id;
    bar.text = spec.text;
    bar.workload = spec.workload;
    bar.metric = spec.metric;
    bar.limit = spec.limit;
    std::string label(metric_label(spec.workload, spec.metric));
    bar.measure = spec.anchor.empty() ? "streamdb " + label
                                      : "streamdb/" + std::string(spec.anchor) + " " + label;
    std::optional<double> mine = median_of(results, kSubject, spec.workload, spec.metric);
    std::optional<double> anchor =
        spec.anchor.empty() ? std::optional<double>(1.0)
                            : median_of(results, spec.anchor, spec.workload, spec.metric);
    if (!has_subject(results)) {
      bar.status = "n/a: streamdb not in this run";
    } else if (!mine) {
      bar.status = "n/a: no streamdb measurement";
    } else if (!anchor || *anchor <= 0) {
      bar.status = "n/a: no " + std::string(spec.anchor) + " measurement";
    } else {
      double value = *mine / *anchor;
      bar.value = value;
      bar.round_values = per_round(results, spec);
      bool pass = spec.test == BarTest::kRatioAtLeast ? value >= spec.limit : value <= spec.limit;
      bar.status = pass ? "PASS" : "FAIL";
    }
    bars.push_back(std::move(bar));
  }
  return bars;
}

std::string format_report(const BenchResults& results, const std::vector<BarResult>& bars) {
  const BenchConfig& config = results.config;
  constexpr std::size_t kLabelWidth = 34;
  constexpr std::size_t kColumnWidth = 13;
  std::string out = "StreamDB benchmark: medians of " + std::to_string(config.rounds) +
                    " round(s)" + (config.quick ? ", --quick sizes" : "") + "\n\n";
  out += pad("", kLabelWidth, false);
  for (const StoreKind* store : config.stores)
    out += pad(store->name, kColumnWidth, true);
  out += "   bars\n";
  for (WorkloadId id : config.workloads) {
    const WorkloadInfo& info = workload_info(id);
    out += heading(info, config.sizes) + "\n";
    for (const MetricInfo& metric : info.metrics) {
      out += pad("    " + std::string(metric.label), kLabelWidth, false);
      for (const StoreKind* store : config.stores) {
        const Cell* cell = results.find(store->name, id);
        std::string text;
        if (cell->skipped) {
          text = "-";
        } else if (!cell->errors.empty()) {
          text = "error";
        } else if (std::optional<double> v = median_of(results, store->name, id, metric.key)) {
          text = format_value(*v);
        }
        out += pad(text, kColumnWidth, true);
      }
      std::string marks;
      for (const BarResult& bar : bars) {
        if (bar.workload == id && bar.metric == metric.key) {
          marks += "  " + bar.id + " " + (bar.value ? bar.status : std::string("n/a"));
        }
      }
      out += marks + "\n";
    }
  }

  if (has_subject(results) && config.stores.size() > 1) {
    out += "\nStreamDB relative to each store (>1 = StreamDB better; latencies inverted)\n";
    out += pad("", kLabelWidth, false);
    for (const StoreKind* store : config.stores) {
      if (store->name != kSubject) out += pad(store->name, kColumnWidth, true);
    }
    out += "\n";
    for (WorkloadId id : config.workloads) {
      const WorkloadInfo& info = workload_info(id);
      for (const MetricInfo& metric : info.metrics) {
        out += pad(std::string("(") + info.letter + ") " + std::string(metric.label), kLabelWidth,
                   false);
        std::optional<double> mine = median_of(results, kSubject, id, metric.key);
        for (const StoreKind* store : config.stores) {
          if (store->name == kSubject) continue;
          std::optional<double> other = median_of(results, store->name, id, metric.key);
          std::string text;
          if (mine && other && *mine > 0 && *other > 0) {
            text = format_ratio(metric.higher_is_better ? *mine / *other : *other / *mine);
          }
          out += pad(text, kColumnWidth, true);
        }
        out += "\n";
      }
    }
  }

  out += "\nBars (issue 3, item 12), on this run's medians:\n";
  for (const BarResult& bar : bars) {
    std::string value;
    if (bar.value) {
      value = bar.id == "e_memory" ? format_value(*bar.value) + " MiB" : format_ratio(*bar.value);
    }
    std::string spread;
    if (bar.round_values.size() > 1) {
      auto [low, high] = std::minmax_element(bar.round_values.begin(), bar.round_values.end());
      spread = "  (rounds " + format_value(*low) + "-" + format_value(*high) + ")";
    }
    out += "  " + pad(bar.text, 52, false) + pad(bar.measure, 40, false) + pad(value, 9, true) +
           "  " + bar.status + spread + "\n";
  }

  bool any_error = false;
  for (const Cell& cell : results.cells) {
    for (const std::string& error : cell.errors) {
      if (!any_error) out += "\nErrors:\n";
      any_error = true;
      out += "  " + error + "\n";
    }
  }
  return out;
}

nlohmann::json report_json(const BenchResults& results, const std::vector<BarResult>& bars) {
  const BenchConfig& config = results.config;
  const BenchSizes& s = config.sizes;
  nlohmann::json j;
  j["program"] = "streamdb_bench";
  j["rounds"] = config.rounds;
  j["quick"] = config.quick;
  j["sizes"] = {{"documents", s.documents},
                {"document_bytes", s.document_bytes},
                {"documents_per_commit", s.documents_per_commit},
                {"documents_per_kit", s.documents_per_kit},
                {"random_reads", s.random_reads},
                {"list_repeats", s.list_repeats},
                {"list_contents_repeats", s.list_contents_repeats},
                {"small_writes", s.small_writes},
                {"small_write_bytes", s.small_write_bytes},
                {"stream_documents", s.stream_documents},
                {"stream_bytes", s.stream_bytes},
                {"stream_chunk_bytes", s.stream_chunk_bytes}};
  j["stores"] = nlohmann::json::array();
  for (const StoreKind* store : config.stores) {
    j["stores"].push_back({{"name", store->name},
                           {"durability", store->durability},
                           {"streaming", store->streaming}});
  }
  j["workloads"] = nlohmann::json::array();
  for (WorkloadId id : config.workloads) {
    const WorkloadInfo& info = workload_info(id);
    j["workloads"].push_back(
        {{"id", std::string(1, info.letter)}, {"name", info.name}, {"title", heading(info, s)}});
  }
  nlohmann::json cells = nlohmann::json::object();
  for (const Cell& cell : results.cells) {
    nlohmann::json c;
    if (cell.skipped) {
      c["skipped"] = "this store cannot list";
    } else {
      c["medians"] = cell.medians();
      c["rounds"] = cell.rounds;
      c["errors"] = cell.errors;
    }
    cells[std::string(cell.store->name)][std::string(1, workload_info(cell.workload).letter)] = c;
  }
  j["results"] = cells;
  j["bars"] = nlohmann::json::array();
  for (const BarResult& bar : bars) {
    nlohmann::json b{{"id", bar.id},
                     {"text", bar.text},
                     {"measure", bar.measure},
                     {"limit", bar.limit},
                     {"status", bar.status}};
    b["value"] = bar.value ? nlohmann::json(*bar.value) : nlohmann::json(nullptr);
    b["round_values"] = bar.round_values;
    j["bars"].push_back(b);
  }
  return j;
}

}  // namespace streamdb_bench
