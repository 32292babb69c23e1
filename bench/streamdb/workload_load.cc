// (a) Load the sample library: documents_per_commit documents per durable commit. Only the
// time inside Store::put_batch counts; the bytes are generated between commits.
#include <random>

#include "sample_library.h"
#include "workload.h"

namespace streamdb_bench {
namespace {

class LoadWorkload final : public Workload {
 public:
  explicit LoadWorkload(const BenchSizes& sizes) : sizes_(sizes), library_(sizes) {}

  Status prepare(Store&) override { return {}; }

  Result<Metrics> run(Store& store) override {
    Result<double> seconds = library_.load(store);
    if (!seconds.ok()) return seconds.status();
    // Spot-check that what was committed reads back intact (untimed).
    std::mt19937_64 rng(7);
    std::string value;
    for (int i = 0; i < 8; ++i) {
      int index = static_cast<int>(rng() % static_cast<std::uint64_t>(library_.size()));
      ARCHIBALD_RETURN_IF_ERROR(store.get(library_.path(index), &value));
      ARCHIBALD_RETURN_IF_ERROR(library_.check(index, value));
    }
    double bytes =
        static_cast<double>(library_.size()) * static_cast<double>(sizes_.document_bytes);
    return Metrics{{"seconds", *seconds},
                   {"docs_per_s", library_.size() / *seconds},
                   {"mib_per_s", bytes / (1 << 20) / *seconds}};
  }

 private:
  BenchSizes sizes_;
  SampleLibrary library_;
};

}  // namespace

std::unique_ptr<Workload> make_load_workload(const BenchSizes& sizes) {
  return std::make_unique<LoadWorkload>(sizes);
}

}  // namespace streamdb_bench
