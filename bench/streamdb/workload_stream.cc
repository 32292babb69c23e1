// (e) Stream stream_documents documents of stream_bytes in (stream_chunk_bytes per append,
// durable commit per document), then stream each back out into a chunk-sized buffer. The
// chunks are slices of a 16 MiB random pool allocated in prepare(), so the memory baseline
// already holds the caller's buffers and the peak above it is the store's own.
#include <cstring>

#include "sample_library.h"
#include "stats.h"
#include "workload.h"

namespace streamdb_bench {
namespace {

constexpr std::size_t kPoolBytes = std::size_t{16} << 20;

class StreamWorkload final : public Workload {
 public:
  explicit StreamWorkload(const BenchSizes& sizes) : sizes_(sizes) {}

  Status prepare(Store&) override {
    pool_.resize(kPoolBytes + sizes_.stream_chunk_bytes);
    fill_random(0x57e4a000ULL, pool_);
    buffer_.resize(sizes_.stream_chunk_bytes);
    return {};
  }

  Result<Metrics> run(Store& store) override {
    Clock::time_point t0 = Clock::now();
    for (int doc = 0; doc < sizes_.stream_documents; ++doc) {
      ARCHIBALD_RETURN_IF_ERROR(write_document(store, doc));
    }
    Clock::time_point t1 = Clock::now();
    for (int doc = 0; doc < sizes_.stream_documents; ++doc) {
      ARCHIBALD_RETURN_IF_ERROR(read_document(store, doc, /*check=*/false));
    }
    Clock::time_point t2 = Clock::now();
    ARCHIBALD_RETURN_IF_ERROR(read_document(store, 0, /*check=*/true));  // untimed
    double mib = static_cast<double>(sizes_.stream_documents) *
                 static_cast<double>(sizes_.stream_bytes) / (1 << 20);
    return Metrics{{"write_mib_per_s", mib / seconds_between(t0, t1)},
                   {"read_mib_per_s", mib / seconds_between(t1, t2)}};
  }

 private:
  static std::string path(int doc) { return "/stream/take" + std::to_string(doc) + ".wav"; }

  // The bytes of chunk number `chunk` of document doc: a pool slice chosen from both.
  std::string_view chunk(int doc, std::uint64_t chunk, std::size_t length) const {
    std::uint64_t slot = static_cast<std::uint64_t>(doc) * 1'000'003ULL + chunk * 7'919ULL;
    std::size_t offset = static_cast<std::size_t>((slot * 4'096) % kPoolBytes);
    return {pool_.data() + offset, length};
  }

  Status write_document(Store& store, int doc) {
    auto writer = store.new_writer(path(doc), sizes_.stream_bytes);
    if (!writer.ok()) return writer.status();
    std::uint64_t chunk_index = 0;
    for (std::uint64_t done = 0; done < sizes_.stream_bytes; ++chunk_index) {
      std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(sizes_.stream_chunk_bytes, sizes_.stream_bytes - done));
      ARCHIBALD_RETURN_IF_ERROR((*writer)->append(chunk(doc, chunk_index, n)));
      done += n;
    }
    return (*writer)->commit();
  }

  // Reads the document through; with check, compares it with what was written. Chunk
  // boundaries of the reader need not match the writer's, so the comparison tracks offsets.
  Status read_document(Store& store, int doc, bool check) {
    auto reader = store.new_reader(path(doc));
    if (!reader.ok()) return reader.status();
    std::uint64_t total = 0;
    for (;;) {
      Result<std::size_t> n = (*reader)->read(buffer_);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      if (check)
        ARCHIBALD_RETURN_IF_ERROR(compare(doc, total, std::string_view(buffer_.data(), *n)));
      total += *n;
    }
    if (total != sizes_.stream_bytes) {
      return Status::corruption(path(doc) + ": streamed " + std::to_string(total) +
                                " bytes, expected " + std::to_string(sizes_.stream_bytes));
    }
    return {};
  }

  Status compare(int doc, std::uint64_t offset, std::string_view got) const {
    const std::uint64_t chunk_bytes = sizes_.stream_chunk_bytes;
    while (!got.empty()) {
      std::uint64_t index = offset / chunk_bytes;
      std::size_t within = static_cast<std::size_t>(offset % chunk_bytes);
      std::size_t n = std::min<std::size_t>(got.size(), chunk_bytes - within);
      std::string_view expected = chunk(doc, index, chunk_bytes).substr(within, n);
      if (got.substr(0, n) != expected) {
        return Status::corruption(path(doc) + ": streamed bytes differ at offset " +
                                  std::to_string(offset));
      }
      got.remove_prefix(n);
      offset += n;
    }
    return {};
  }

  BenchSizes sizes_;
  std::vector<char> pool_;
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<Workload> make_stream_workload(const BenchSizes& sizes) {
  return std::make_unique<StreamWorkload>(sizes);
}

}  // namespace streamdb_bench
