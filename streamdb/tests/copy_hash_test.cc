// copy_and_hash must copy exactly and return libxxhash's XXH3-64 of the bytes, for every
// implementation this CPU can run, every length around XXH3's internal boundaries (240-byte
// short inputs, 64-byte stripes, 1024-byte blocks) and unaligned buffers.
#include "copy_hash.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace streamdb::internal {
namespace {

TEST(CopyHashTest, EveryVariantCopiesExactlyAndMatchesLibxxhash) {
  std::mt19937_64 rng(42);
  std::vector<std::uint8_t> src((3u << 20) + 128);
  for (auto& b : src)
    b = static_cast<std::uint8_t>(rng());
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 4200; ++n)
    lengths.push_back(n);
  for (std::size_t n : {65535u, 65536u, 65537u, 1u << 20, (1u << 20) + 33, 3u << 20})
    lengths.push_back(n);
  int variants_run = 0;
  for (CopyHashVariant v :
       {CopyHashVariant::kPlain, CopyHashVariant::kAvx2, CopyHashVariant::kAvx512}) {
    std::uint64_t probe = 0;
    std::uint8_t dummy = 0;
    if (!copy_and_hash_with(v, &dummy, &dummy, 1, &probe)) continue;
    ++variants_run;
    std::vector<std::uint8_t> buffer(src.size() + 192);
    // 64-byte aligned, with a guard byte before it.
    std::uint8_t* dst = buffer.data() + 64 - reinterpret_cast<std::uintptr_t>(buffer.data()) % 64;
    for (std::size_t n : lengths) {
      // Destinations at 16 and 48 mod 64 (where a malloc'd buffer often is) take their own
      // path in the AVX2 variant: every length is copied to one of them and to a random one.
      for (std::size_t dst_off :
           {n % 2 == 0 ? std::size_t{16} : std::size_t{48}, static_cast<std::size_t>(rng() % 64)}) {
        std::size_t src_off = rng() % 64;
        std::memset(dst - 1, 0xAB, n + dst_off + 2);
        std::uint64_t hash = 0;
        ASSERT_TRUE(copy_and_hash_with(v, dst + dst_off, src.data() + src_off, n, &hash));
        ASSERT_EQ(hash, XXH3_64bits(src.data() + src_off, n))
            << "variant " << static_cast<int>(v) << " length " << n << " dst at " << dst_off;
        ASSERT_EQ(std::memcmp(dst + dst_off, src.data() + src_off, n), 0)
            << "length " << n << " dst at " << dst_off;
        ASSERT_EQ(dst[dst_off + n], 0xAB) << "wrote past the end, length " << n;
        ASSERT_EQ(dst[dst_off - 1], 0xAB) << "wrote before the start, length " << n;
      }
    }
  }
  EXPECT_GE(variants_run, 1);
  std::vector<std::uint8_t> dst(70000);
  EXPECT_EQ(copy_and_hash(dst.data(), src.data() + 3, 70000), XXH3_64bits(src.data() + 3, 70000));
}

}  // namespace
}  // namespace streamdb::internal
