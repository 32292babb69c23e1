// (c) List one kit (documents_per_kit paths under one prefix, with kits on both sides of it):
// names only, and with every document's bytes copied out. Each listing is timed on its own
// and the median listing is reported. Every listing is checked for count and order.
#include "sample_library.h"
#include "stats.h"
#include "workload.h"

namespace streamdb_bench {
namespace {

class ListWorkload final : public Workload {
 public:
  explicit ListWorkload(const BenchSizes& sizes)
      : sizes_(sizes), library_(sizes), kit_(library_.kits() / 2) {}

  Status prepare(Store& store) override {
    Result<double> loaded = library_.load(store);
    if (!loaded.ok()) return loaded.status();
    names_.reserve(sizes_.documents_per_kit);
    // Warm up both paths once, untimed.
    ARCHIBALD_RETURN_IF_ERROR(list_once(store, ListMode::kNamesOnly).status());
    return list_once(store, ListMode::kWithContents).status();
  }

  Result<Metrics> run(Store& store) override {
    std::vector<double> names_seconds, contents_seconds;
    for (int i = 0; i < sizes_.list_repeats; ++i) {
      Result<double> s = list_once(store, ListMode::kNamesOnly);
      if (!s.ok()) return s.status();
      names_seconds.push_back(*s);
    }
    for (int i = 0; i < sizes_.list_contents_repeats; ++i) {
      Result<double> s = list_once(store, ListMode::kWithContents);
      if (!s.ok()) return s.status();
      contents_seconds.push_back(*s);
    }
    double names = median(names_seconds);
    double contents = median(contents_seconds);
    double kit_mib = static_cast<double>(sizes_.documents_per_kit) *
                     static_cast<double>(sizes_.document_bytes) / (1 << 20);
    return Metrics{{"names_ms", names * 1e3},
                   {"names_per_s", sizes_.documents_per_kit / names},
                   {"contents_ms", contents * 1e3},
                   {"contents_mib_per_s", kit_mib / contents}};
  }

 private:
  // Lists the kit once; returns the seconds it took after checking what was listed.
  Result<double> list_once(Store& store, ListMode mode) {
    names_.clear();
    std::uint64_t bytes = 0;
    std::string prefix = SampleLibrary::kit_prefix(kit_);
    Clock::time_point t0 = Clock::now();
    Status s = store.list(prefix, mode, [&](std::string_view path, std::string_view contents) {
      names_.emplace_back(path);
      bytes += contents.size();
    });
    double seconds = seconds_between(t0, Clock::now());
    if (!s.ok()) return s;
    int first = kit_ * sizes_.documents_per_kit;
    int count = std::min(sizes_.documents_per_kit, library_.size() - first);
    std::uint64_t expected_bytes =
        mode == ListMode::kWithContents ? count * sizes_.document_bytes : 0;
    bool in_order = true;
    for (int i = 0; in_order && i < static_cast<int>(names_.size()) && i < count; ++i) {
      in_order = names_[i] == library_.path(first + i);
    }
    if (static_cast<int>(names_.size()) != count || !in_order || bytes != expected_bytes) {
      return Status::corruption("list " + prefix + ": got " + std::to_string(names_.size()) +
                                " paths, " + std::to_string(bytes) + " bytes; expected " +
                                std::to_string(count) + " paths in order, " +
                                std::to_string(expected_bytes) + " bytes");
    }
    return seconds;
  }

  BenchSizes sizes_;
  SampleLibrary library_;
  int kit_;
  std::vector<std::string> names_;
};

}  // namespace

std::unique_ptr<Workload> make_list_workload(const BenchSizes& sizes) {
  return std::make_unique<ListWorkload>(sizes);
}

}  // namespace streamdb_bench
