// (b) Warm random reads: the library is loaded and read once in full (untimed), then
// random_reads documents chosen at random are copied into the caller's buffer, each timed.
#include <random>

#include "sample_library.h"
#include "stats.h"
#include "workload.h"

namespace streamdb_bench {
namespace {

class ReadWorkload final : public Workload {
 public:
  explicit ReadWorkload(const BenchSizes& sizes) : sizes_(sizes), library_(sizes) {}

  Status prepare(Store& store) override {
    Result<double> loaded = library_.load(store);
    if (!loaded.ok()) return loaded.status();
    for (int i = 0; i < library_.size(); ++i) {
      ARCHIBALD_RETURN_IF_ERROR(store.get(library_.path(i), &value_));
      // Every 64th document is compared in full; the rest by size.
      if (i % 64 == 0) {
        ARCHIBALD_RETURN_IF_ERROR(library_.check(i, value_));
      } else if (value_.size() != sizes_.document_bytes) {
        return Status::corruption(library_.path(i) + ": wrong size");
      }
    }
    std::mt19937_64 rng(11);
    order_.resize(sizes_.random_reads);
    for (int& index : order_) {
      index = static_cast<int>(rng() % static_cast<std::uint64_t>(library_.size()));
    }
    latencies_.reserve(order_.size());
    return {};
  }

  Result<Metrics> run(Store& store) override {
    Clock::time_point start = Clock::now();
    for (int index : order_) {
      Clock::time_point t0 = Clock::now();
      Status s = store.get(library_.path(index), &value_);
      latencies_.push_back(seconds_between(t0, Clock::now()) * 1e6);
      if (!s.ok()) return s;
      if (value_.size() != sizes_.document_bytes) {
        return Status::corruption(library_.path(index) + ": wrong size");
      }
    }
    double seconds = seconds_between(start, Clock::now());
    ARCHIBALD_RETURN_IF_ERROR(library_.check(order_.back(), value_));
    double reads = static_cast<double>(order_.size());
    return Metrics{
        {"gets_per_s", reads / seconds},
        {"mib_per_s", reads * static_cast<double>(sizes_.document_bytes) / (1 << 20) / seconds},
        {"p50_us", percentile(latencies_, 50)},
        {"p99_us", percentile(latencies_, 99)}};
  }

 private:
  BenchSizes sizes_;
  SampleLibrary library_;
  std::vector<int> order_;
  std::vector<double> latencies_;
  std::string value_;
};

}  // namespace

std::unique_ptr<Workload> make_read_workload(const BenchSizes& sizes) {
  return std::make_unique<ReadWorkload>(sizes);
}

}  // namespace streamdb_bench
