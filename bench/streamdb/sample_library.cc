#include "sample_library.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "stats.h"

namespace streamdb_bench {

void fill_random(std::uint64_t seed, std::span<char> out) {
  std::uint64_t state = seed;
  std::size_t i = 0;
  while (i < out.size()) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::size_t n = std::min(sizeof z, out.size() - i);
    std::memcpy(out.data() + i, &z, n);
    i += n;
  }
}

SampleLibrary::SampleLibrary(const BenchSizes& sizes) : sizes_(sizes) {
  paths_.reserve(sizes.documents);
  for (int i = 0; i < sizes.documents; ++i) {
    char sample[32];
    std::snprintf(sample, sizeof sample, "sample%04d.wav", i % sizes.documents_per_kit);
    paths_.push_back(kit_prefix(i / sizes.documents_per_kit) + sample);
  }
  insert_order_.resize(sizes.documents);
  for (int i = 0; i < sizes.documents; ++i)
    insert_order_[i] = i;
  std::shuffle(insert_order_.begin(), insert_order_.end(), std::mt19937_64(20240611));
}

int SampleLibrary::kits() const {
  return (sizes_.documents + sizes_.documents_per_kit - 1) / sizes_.documents_per_kit;
}

std::string SampleLibrary::kit_prefix(int kit) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "/samples/kit%02d/", kit);
  return prefix;
}

void SampleLibrary::fill(int index, std::span<char> out) const {
  fill_random(0x5a3b1e000000ULL + static_cast<std::uint64_t>(index), out);
}

Status SampleLibrary::check(int index, std::string_view data) const {
  std::string expected(sizes_.document_bytes, '\0');
  fill(index, expected);
  if (data != expected) {
    return Status::corruption(paths_[index] + ": the store returned other bytes than were put (" +
                              std::to_string(data.size()) + " bytes)");
  }
  return {};
}

Result<double> SampleLibrary::load(Store& store) const {
  const std::size_t doc_bytes = sizes_.document_bytes;
  std::vector<char> buffer(static_cast<std::size_t>(sizes_.documents_per_commit) * doc_bytes);
  std::vector<Document> batch;
  double seconds = 0;
  for (int start = 0; start < size(); start += sizes_.documents_per_commit) {
    batch.clear();
    int end = std::min(size(), start + sizes_.documents_per_commit);
    for (int k = start; k < end; ++k) {
      int index = insert_order_[k];
      std::span<char> slot(buffer.data() + (k - start) * doc_bytes, doc_bytes);
      fill(index, slot);
      batch.push_back(Document{paths_[index], std::string_view(slot.data(), slot.size())});
    }
    Clock::time_point t0 = Clock::now();
    Status s = store.put_batch(batch);
    seconds += seconds_between(t0, Clock::now());
    if (!s.ok()) return s.with_context("load");
  }
  return seconds;
}

}  // namespace streamdb_bench
