// Small inputs (record headers) use the inlined XXH3; large ones (blocks) go through
// libxxhash's runtime dispatch on x86-64, which picks AVX2/AVX-512 when the CPU has them.
#define XXH_INLINE_ALL
#include "hash.h"

#include <xxhash.h>

#if defined(__x86_64__)
extern "C" {
XXH64_hash_t XXH3_64bits_withSeed_dispatch(const void* input, size_t len, XXH64_hash_t seed);
XXH_errorcode XXH3_64bits_update_dispatch(XXH3_state_t* state, const void* input, size_t len);
}
#endif

namespace streamdb::internal {

namespace {
constexpr std::size_t kDispatchAbove = 4096;

#if defined(__x86_64__)
// libxxhash's AVX2/AVX-512 code returns with the upper vector registers dirty; the SSE code
// compiled for baseline x86-64 that runs next then pays a transition penalty on every vector
// instruction (measured: listing 1000 paths went from 20 us to 250 us after a large commit).
// vzeroupper clears that state; it exists only on CPUs with AVX.
const bool kHasAvx = __builtin_cpu_supports("avx");

inline void clean_upper_state() {
  if (kHasAvx) asm volatile("vzeroupper" ::: "memory");
}
#endif
}  // namespace

std::uint64_t xxh3(const void* data, std::size_t size, std::uint64_t seed) {
#if defined(__x86_64__)
  if (size > kDispatchAbove) {
    std::uint64_t h = XXH3_64bits_withSeed_dispatch(data, size, seed);
    clean_upper_state();
    return h;
  }
#endif
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
#if defined(__x86_64__)
  if (size > kDispatchAbove) {
    XXH3_64bits_update_dispatch(&state_->state, data, size);
    clean_upper_state();
    return;
  }
#endif
  XXH3_64bits_update(&state_->state, data, size);
}

std::uint64_t StreamingHash::digest() const {
  return XXH3_64bits_digest(&state_->state);
}

}  // namespace streamdb::internal
