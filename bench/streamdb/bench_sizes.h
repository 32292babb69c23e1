// Sizes of the workloads: the numbers, and tiny ones for the smoke test (--quick).
#pragma once

#include <cstddef>
#include <cstdint>

namespace streamdb_bench {

struct BenchSizes {
  // (a)-(c): a sample library of `documents` random documents, `documents_per_kit` per kit
  // directory (/samples/kitNN/sampleNNNN.wav), written `documents_per_commit` per commit.
  int documents = 10'000;
  std::size_t document_bytes = 64 * 1024;
  int documents_per_commit = 100;
  int documents_per_kit = 1'000;
  // (b) timed random gets after one untimed warm-up pass over every document.
  int random_reads = 20'000;
  // (c) timed listings of one kit, names only and with contents.
  int list_repeats = 30;
  int list_contents_repeats = 5;
  // (d) single durable writes of small documents, after a few untimed ones.
  int small_writes = 2'000;
  int small_warmup_writes = 20;
  std::size_t small_write_bytes = 100;
  // (e) documents written and read by streaming, in chunks of stream_chunk_bytes.
  int stream_documents = 4;
  std::uint64_t stream_bytes = std::uint64_t{128} << 20;
  std::size_t stream_chunk_bytes = std::size_t{1} << 20;
};

inline BenchSizes full_sizes() {
  return {};
}

inline BenchSizes quick_sizes() {
  BenchSizes s;
  s.documents = 200;
  s.documents_per_commit = 20;
  s.documents_per_kit = 50;
  s.random_reads = 300;
  s.list_repeats = 3;
  s.list_contents_repeats = 2;
  s.small_writes = 40;
  s.small_warmup_writes = 2;
  s.stream_bytes = std::uint64_t{2} << 20;
  s.stream_chunk_bytes = std::size_t{256} << 10;
  return s;
}

}  // namespace streamdb_bench
