#define XXH_INLINE_ALL
#include "hash.h"

#include <xxhash.h>

namespace streamdb::internal {

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

struct StreamingHash::State {
  XXH3_state_t state;
};

StreamingHash::StreamingHash() : state_(std::make_unique<State>()) {
  XXH3_64bits_reset(&state_->state);
}
StreamingHash::~StreamingHash() = default;

void StreamingHash::update(const void* data, std::size_t size) {
  XXH3_64bits_update(&state_->state, data, size);
}

std::uint64_t StreamingHash::digest() const {
  return XXH3_64bits_digest(&state_->state);
}

}  // namespace streamdb::internal
