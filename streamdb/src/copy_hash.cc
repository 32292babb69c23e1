// XXH3-64's long-input loop (inputs above 240 bytes) interleaved with the copy it checks, in
// AVX-512 and AVX2 variants picked at run time; other CPUs and short inputs copy, then hash.
// The algorithm's constants (default secret, primes) come from libxxhash's own header, and the
// unit test compares every variant with libxxhash for many lengths.
// GCC 12 warns about its own AVX-512 intrinsics (_mm512_undefined_epi32, GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#define XXH_INLINE_ALL
#include "copy_hash.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "hash.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace streamdb::internal {
namespace {

constexpr std::size_t kStripeLen = 64;
constexpr std::size_t kSecretSize = XXH_SECRET_DEFAULT_SIZE;
constexpr std::size_t kStripesPerBlock = (kSecretSize - kStripeLen) / 8;
constexpr std::size_t kBlockLen = kStripeLen * kStripesPerBlock;
// Below this, the plain copy-then-hash is as fast and XXH3 uses other code paths.
constexpr std::size_t kFusedFrom = 1024;
// Software prefetch distances (the hardware prefetcher stops at 4 KiB page boundaries), from
// random 64 KiB blocks of a mapped segment (ad-hoc probes, p50). AVX-512, on an Intel Xeon VM:
// 4 KiB ahead into L1 was the fastest of 2-16 KiB and of L1/L2 hints. AVX2, on an AMD EPYC
// (Zen 3) VM: 1.5 KiB was the fastest of 0.5-4 KiB, memcpy + 0.2 us against memcpy + 0.6 at
// 4 KiB and + 0.7 without prefetching (a plain AVX2 copy loop, without the hash, was fastest
// without: the hash's work is what keeps the loop from having enough loads in flight).
constexpr std::size_t kPrefetchAheadAvx512 = 4096;
constexpr std::size_t kPrefetchAheadAvx2 = 1536;

std::uint64_t read_le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;  // x86-64 and every other target StreamDB builds for are little-endian
}

__extension__ using Uint128 = unsigned __int128;

std::uint64_t fold_mul128(std::uint64_t a, std::uint64_t b) {
  Uint128 p = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

// XXH3's final step for long inputs: merges the 8 accumulator lanes.
std::uint64_t merge_lanes(const std::uint64_t acc[8], std::size_t size) {
  const std::uint8_t* secret = XXH3_kSecret + 11;
  std::uint64_t h = static_cast<std::uint64_t>(size) * XXH_PRIME64_1;
  for (int i = 0; i < 4; ++i) {
    h += fold_mul128(acc[2 * i] ^ read_le64(secret + 16 * i),
                     acc[2 * i + 1] ^ read_le64(secret + 16 * i + 8));
  }
  h ^= h >> 37;
  h *= 0x165667919E3779F9ULL;
  h ^= h >> 32;
  return h;
}

constexpr std::uint64_t kInitialLanes[8] = {XXH_PRIME32_3, XXH_PRIME64_1, XXH_PRIME64_2,
                                            XXH_PRIME64_3, XXH_PRIME64_4, XXH_PRIME32_2,
                                            XXH_PRIME64_5, XXH_PRIME32_1};

#if defined(__x86_64__)

// Both variants hash like XXH3: blocks of kStripesPerBlock stripes, a scramble after every full
// block, the stripes of the last partial block, then the input's last 64 bytes (which overlap
// what came before) with a shifted secret. The AVX-512 variant copies the source ahead of the
// hash, 64 bytes at a time, and hashes from dst, kCopyLead blocks behind the copy: that keeps
// the hash arithmetic independent of the source loads still in flight from memory (on the Intel
// Xeon of round 2 in streamdb/README.md, random 64 KiB blocks from a mapped segment, p50:
// hashing the loaded registers took memcpy + 1.1-1.5 us, this memcpy + 0.1-0.4 us; ad-hoc
// probe). The AVX2 variant hashes the loaded registers, faster on another CPU (see there).
constexpr std::size_t kCopyLead = 1;

// Asks for the line kAhead bytes past `at`, when it is part of the input. Called from the copy
// loops, once per line: GCC removes a loop that does nothing but prefetch.
template <std::size_t kAhead>
inline void prefetch_ahead(const std::uint8_t* src, std::size_t at, std::size_t size) {
  if (at + kAhead < size) {
    _mm_prefetch(reinterpret_cast<const char*>(src + at + kAhead), _MM_HINT_T0);
  }
}

// Copies the bytes before dst's first 64-byte boundary; returns how many.
inline std::size_t copy_head(std::uint8_t* dst, const std::uint8_t* src, std::size_t size) {
  std::size_t head = (64 - reinterpret_cast<std::uintptr_t>(dst) % 64) % 64;
  head = std::min(head, size);
  std::memcpy(dst, src, head);
  return head;
}

#define STREAMDB_AVX512 __attribute__((target("avx512f")))
#define STREAMDB_AVX2 __attribute__((target("avx2")))

// One stripe: acc[i ^ 1] += data[i]; acc[i] += lo32(data[i] ^ key[i]) * hi32(data[i] ^ key[i]).
STREAMDB_AVX512 inline void stripe_avx512(__m512i* acc, __m512i data, const std::uint8_t* key_at) {
  __m512i mixed = _mm512_xor_si512(data, _mm512_loadu_si512(key_at));
  __m512i product = _mm512_mul_epu32(mixed, _mm512_srli_epi64(mixed, 32));
  __m512i swapped = _mm512_shuffle_epi32(data, _MM_PERM_BADC);
  *acc = _mm512_add_epi64(*acc, _mm512_add_epi64(product, swapped));
}

// After each block: acc = (acc ^ (acc >> 47) ^ key) * PRIME32_1.
STREAMDB_AVX512 inline void scramble_avx512(__m512i* acc, const std::uint8_t* key_at) {
  const __m512i prime = _mm512_set1_epi32(static_cast<int>(XXH_PRIME32_1));
  __m512i keyed = _mm512_xor_si512(_mm512_xor_si512(*acc, _mm512_srli_epi64(*acc, 47)),
                                   _mm512_loadu_si512(key_at));
  __m512i lo = _mm512_mul_epu32(keyed, prime);
  __m512i hi = _mm512_mul_epu32(_mm512_srli_epi64(keyed, 32), prime);
  *acc = _mm512_add_epi64(lo, _mm512_slli_epi64(hi, 32));
}

// Copies [*copied, end) and maybe a little more, in 64-byte chunks stored at 64-byte aligned
// addresses of dst (after copy_head): a misaligned store costs two cache-line writes, and the
// source of a block read is misaligned anyway (records start every 32 bytes). When fewer than
// 64 bytes remain, the rest of the input is copied at once.
STREAMDB_AVX512 inline void copy_ahead_avx512(std::uint8_t* dst, const std::uint8_t* src,
                                              std::size_t size, std::size_t* copied,
                                              std::size_t end) {
  std::size_t at = *copied;
  for (; at < end && at + kStripeLen <= size; at += kStripeLen) {
    prefetch_ahead<kPrefetchAheadAvx512>(src, at, size);
    _mm512_storeu_si512(dst + at, _mm512_loadu_si512(src + at));
  }
  if (at < end) {
    std::memcpy(dst + at, src + at, size - at);
    at = size;
  }
  *copied = at;
}

STREAMDB_AVX512 std::uint64_t copy_hash_avx512(std::uint8_t* dst, const std::uint8_t* src,
                                               std::size_t size) {
  const std::uint8_t* secret = XXH3_kSecret;
  __m512i acc = _mm512_loadu_si512(kInitialLanes);
  std::size_t copied = copy_head(dst, src, size);
  std::size_t blocks = (size - 1) / kBlockLen;
  std::size_t done = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    copy_ahead_avx512(dst, src, size, &copied, std::min(size, (b + 1 + kCopyLead) * kBlockLen));
    for (std::size_t s = 0; s < kStripesPerBlock; ++s, done += kStripeLen) {
      stripe_avx512(&acc, _mm512_loadu_si512(dst + done), secret + s * 8);
    }
    scramble_avx512(&acc, secret + kSecretSize - kStripeLen);
  }
  copy_ahead_avx512(dst, src, size, &copied, size);
  std::size_t stripes = (size - 1 - done) / kStripeLen;
  for (std::size_t s = 0; s < stripes; ++s, done += kStripeLen) {
    stripe_avx512(&acc, _mm512_loadu_si512(dst + done), secret + s * 8);
  }
  stripe_avx512(&acc, _mm512_loadu_si512(dst + size - kStripeLen),
                secret + kSecretSize - kStripeLen - 7);
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, acc);
  _mm256_zeroupper();
  return merge_lanes(lanes, size);
}

// The AVX2 variant keeps the 8 lanes in two registers. Unlike the AVX-512 variant it hashes the
// registers it stores into dst: the same bytes, without loading them back. On an AMD EPYC
// (Zen 3, no AVX-512) this took memcpy + 0.5 us per random 64 KiB block from memory where
// hashing from dst took memcpy + 1.1 us, and 2.1 instead of 2.5 us for a block in cache (p50,
// ad-hoc probe): the loop is bound by its loads and stores, and this has fewer loads.
STREAMDB_AVX2 inline void stripe_avx2(__m256i* acc, const __m256i data[2],
                                      const std::uint8_t* key_at) {
  for (int h = 0; h < 2; ++h) {
    __m256i key = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(key_at + 32 * h));
    __m256i mixed = _mm256_xor_si256(data[h], key);
    __m256i product = _mm256_mul_epu32(mixed, _mm256_srli_epi64(mixed, 32));
    __m256i swapped = _mm256_shuffle_epi32(data[h], 0x4E);
    acc[h] = _mm256_add_epi64(acc[h], _mm256_add_epi64(product, swapped));
  }
}

STREAMDB_AVX2 inline void load_stripe_avx2(const std::uint8_t* in, __m256i data[2]) {
  for (int h = 0; h < 2; ++h)
    data[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + 32 * h));
}

STREAMDB_AVX2 inline void scramble_avx2(__m256i* acc, const std::uint8_t* key_at) {
  const __m256i prime = _mm256_set1_epi32(static_cast<int>(XXH_PRIME32_1));
  for (int h = 0; h < 2; ++h) {
    __m256i key = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(key_at + 32 * h));
    __m256i keyed = _mm256_xor_si256(_mm256_xor_si256(acc[h], _mm256_srli_epi64(acc[h], 47)), key);
    __m256i lo = _mm256_mul_epu32(keyed, prime);
    __m256i hi = _mm256_mul_epu32(_mm256_srli_epi64(keyed, 32), prime);
    acc[h] = _mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32));
  }
}

// Stores of 32 bytes that straddle two cache lines cost both: random 64 KiB blocks from memory
// took memcpy + 0.55 us into a 64-byte aligned dst, + 0.85 us into dst at 48 mod 64, and a
// std::string's buffer (malloc: 16-byte aligned) is at 16 or 48 mod 64 half the time (p50,
// ad-hoc probe, AMD EPYC Zen 3). With kHalfOff (dst at 16 mod 32) every store goes to an aligned
// address: it takes the upper half of one loaded register and the lower half of the next.
template <bool kHalfOff>
STREAMDB_AVX2 std::uint64_t copy_hash_avx2(std::uint8_t* dst, const std::uint8_t* src,
                                           std::size_t size) {
  const std::uint8_t* secret = XXH3_kSecret;
  __m256i acc[2] = {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(kInitialLanes)),
                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kInitialLanes + 4))};
  __m256i data[2];
  __m256i carry = _mm256_setzero_si256();  // kHalfOff: the last register loaded, not yet stored
  std::size_t blocks = (size - 1) / kBlockLen;
  std::size_t done = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    for (std::size_t s = 0; s < kStripesPerBlock; ++s, done += kStripeLen) {
      prefetch_ahead<kPrefetchAheadAvx2>(src, done, size);
      load_stripe_avx2(src + done, data);
      if constexpr (kHalfOff) {
        auto* at = reinterpret_cast<__m256i*>(dst + done + 16);
        if (done == 0) {
          _mm_store_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(data[0]));
        } else {
          _mm256_store_si256(at - 1, _mm256_permute2x128_si256(carry, data[0], 0x21));
        }
        _mm256_store_si256(at, _mm256_permute2x128_si256(data[0], data[1], 0x21));
        carry = data[1];
      } else {
        for (int h = 0; h < 2; ++h)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + done + 32 * h), data[h]);
      }
      stripe_avx2(acc, data, secret + s * 8);
    }
    scramble_avx2(acc, secret + kSecretSize - kStripeLen);
  }
  if (kHalfOff && done != 0) {
    _mm_store_si128(reinterpret_cast<__m128i*>(dst + done - 16),
                    _mm256_extracti128_si256(carry, 1));
  }
  // The last, partial block: copied at once, then hashed from dst like the AVX-512 variant.
  std::memcpy(dst + done, src + done, size - done);
  std::size_t stripes = (size - 1 - done) / kStripeLen;
  for (std::size_t s = 0; s < stripes; ++s, done += kStripeLen) {
    load_stripe_avx2(dst + done, data);
    stripe_avx2(acc, data, secret + s * 8);
  }
  load_stripe_avx2(dst + size - kStripeLen, data);
  stripe_avx2(acc, data, secret + kSecretSize - kStripeLen - 7);
  alignas(32) std::uint64_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[0]);
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 4), acc[1]);
  _mm256_zeroupper();
  return merge_lanes(lanes, size);
}

#endif  // __x86_64__

using Variant = CopyHashVariant;

bool supported(Variant v) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (v == Variant::kAvx512) return __builtin_cpu_supports("avx512f");
  if (v == Variant::kAvx2) return __builtin_cpu_supports("avx2");
#endif
  return v == Variant::kPlain;
}

Variant pick_variant() {
  if (supported(Variant::kAvx512)) return Variant::kAvx512;
  if (supported(Variant::kAvx2)) return Variant::kAvx2;
  return Variant::kPlain;
}

const Variant kVariant = pick_variant();

std::uint64_t copy_and_hash_as(Variant variant, void* dst, const void* src, std::size_t size) {
  auto* out = static_cast<std::uint8_t*>(dst);
  const auto* in = static_cast<const std::uint8_t*>(src);
#if defined(__x86_64__)
  if (size >= kFusedFrom) {
    if (variant == Variant::kAvx512) return copy_hash_avx512(out, in, size);
    if (variant == Variant::kAvx2) {
      return reinterpret_cast<std::uintptr_t>(out) % 32 == 16
                 ? copy_hash_avx2<true>(out, in, size)
                 : copy_hash_avx2<false>(out, in, size);
    }
  }
#endif
  if (size != 0) std::memcpy(out, in, size);
  return xxh3(out, size);
}

}  // namespace

std::uint64_t copy_and_hash(void* dst, const void* src, std::size_t size) {
  return copy_and_hash_as(kVariant, dst, src, size);
}

bool copy_and_hash_with(CopyHashVariant variant, void* dst, const void* src, std::size_t size,
                        std::uint64_t* hash) {
  if (!supported(variant)) return false;
  *hash = copy_and_hash_as(variant, dst, src, size);
  return true;
}

}  // namespace streamdb::internal
