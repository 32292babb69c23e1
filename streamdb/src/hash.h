// XXH3-64 (libxxhash) behind a small interface, so the whole engine hashes the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace streamdb::internal {

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed = 0);

// Incremental XXH3-64 over a stream of pieces; equals xxh3() of their concatenation.
class StreamingHash {
 public:
  StreamingHash();
  ~StreamingHash();
  StreamingHash(const StreamingHash&) = delete;
  StreamingHash& operator=(const StreamingHash&) = delete;
  void update(const void* data, std::size_t size);
  std::uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace streamdb::internal
