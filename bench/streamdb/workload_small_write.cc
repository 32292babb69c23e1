// (d) Single small durable writes: each iteration puts one small_write_bytes document under a
// new path (/presets/presetNNNNNN.json) as its own durable commit, timed one by one.
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
    Clock::time_point start = Clock::now();
    for (int i = sizes_.small_warmup_writes; i < static_cast<int>(paths_.size()); ++i) {
      Clock::time_point t0 = Clock::now();
      Status s = write(store, i);
      latencies_.push_back(seconds_between(t0, Clock::now()) * 1e6);
      if (!s.ok()) return s;
    }
    double seconds = seconds_between(start, Clock::now());
    std::string back;
    ARCHIBALD_RETURN_IF_ERROR(store.get(paths_.back(), &back));
    if (back != data_) return Status::corruption(paths_.back() + ": read back other bytes");
    return Metrics{{"p50_us", percentile(latencies_, 50)},
                   {"p99_us", percentile(latencies_, 99)},
                   {"writes_per_s", sizes_.small_writes / seconds}};
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
