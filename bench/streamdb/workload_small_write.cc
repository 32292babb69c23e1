// (d) Single small durable writes: each iteration puts one small_write_bytes document under a
// new path (/presets/presetNNNNNN.json) as its own durable commit, timed one by one. Each write
// is one step, so the runner interleaves the stores write by write (fsync latency on a shared
// disk drifts by milliseconds within seconds).
#include <cstdio>

#include "sample_library.h"
#include "stats.h"
#include "workload.h"

namespace streamdb_bench {
namespace {

class SmallWriteWorkload final : public Workload {
 public:
  explicit SmallWriteWorkload(const BenchSizes& sizes) : sizes_(sizes) {}

  Status prepare(Store& store) override {
    int total = sizes_.small_warmup_writes + sizes_.small_writes;
    paths_.reserve(total);
    for (int i = 0; i < total; ++i) {
      char path[48];
      std::snprintf(path, sizeof path, "/presets/preset%06d.json", i);
      paths_.emplace_back(path);
    }
    data_.resize(sizes_.small_write_bytes);
    latencies_.reserve(sizes_.small_writes);
    for (int i = 0; i < sizes_.small_warmup_writes; ++i)
      ARCHIBALD_RETURN_IF_ERROR(write(store, i));
    return {};
  }

  Result<Metrics> run(Store& store) override {
    for (int i = 0; i < steps(); ++i)
      ARCHIBALD_RETURN_IF_ERROR(step(store, i));
    return finish(store);
  }

  int steps() const override { return sizes_.small_writes; }

  Status step(Store& store, int i) override {
    Clock::time_point t0 = Clock::now();
    Status s = write(store, sizes_.small_warmup_writes + i);
    latencies_.push_back(seconds_between(t0, Clock::now()) * 1e6);
    return s;
  }

  Result<Metrics> finish(Store& store) override {
    if (latencies_.empty()) return Status::invalid_argument("small writes: no step ran");
    std::string back;
    int last = sizes_.small_warmup_writes + static_cast<int>(latencies_.size()) - 1;
    ARCHIBALD_RETURN_IF_ERROR(store.get(paths_[last], &back));
    if (back != data_) return Status::corruption(paths_[last] + ": read back other bytes");
    double total_us = 0;
    for (double us : latencies_)
      total_us += us;
    // Throughput from the writes' own time: in lockstep the wall clock includes other stores.
    return Metrics{{"p50_us", percentile(latencies_, 50)},
                   {"p99_us", percentile(latencies_, 99)},
                   {"writes_per_s", static_cast<double>(latencies_.size()) * 1e6 / total_us}};
  }

 private:
  Status write(Store& store, int i) {
    fill_random(0xd0c5000000ULL + static_cast<std::uint64_t>(i), data_);
    Document doc{paths_[i], data_};
    return store.put_batch(std::span<const Document>(&doc, 1));
  }

  BenchSizes sizes_;
  std::vector<std::string> paths_;
  std::string data_;
  std::vector<double> latencies_;
};

}  // namespace

std::unique_ptr<Workload> make_small_write_workload(const BenchSizes& sizes) {
  return std::make_unique<SmallWriteWorkload>(sizes);
}

}  // namespace streamdb_bench
