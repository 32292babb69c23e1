// SampleLibrary: the document set of workloads (a)-(c). Document i lives at
// /samples/kitNN/sampleNNNN.wav and holds document_bytes pseudo-random bytes derived from i
// alone, so a workload can check what a store returns without keeping a copy.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/status.h"
#include "bench_sizes.h"
#include "store.h"

namespace streamdb_bench {

// Fills out with the pseudo-random byte stream of seed (splitmix64).
void fill_random(std::uint64_t seed, std::span<char> out);

class SampleLibrary {
 public:
  explicit SampleLibrary(const BenchSizes& sizes);

  int size() const { return static_cast<int>(paths_.size()); }
  int kits() const;
  const std::string& path(int index) const { return paths_[index]; }
  // "/samples/kitNN/": the prefix of the documents_per_kit documents of one kit.
  static std::string kit_prefix(int kit);
  // REQUIRES: out.size() == document_bytes.
  void fill(int index, std::span<char> out) const;
  // kCorruption naming the path when data is not document index's bytes.
  Status check(int index, std::string_view data) const;

  // Writes every document, documents_per_commit per durable commit, in a fixed shuffled order
  // (a directory walk does not return names sorted). Returns the seconds spent inside
  // Store::put_batch; generating the bytes is not timed.
  Result<double> load(Store& store) const;

 private:
  BenchSizes sizes_;
  std::vector<std::string> paths_;
  std::vector<int> insert_order_;
};

}  // namespace streamdb_bench
