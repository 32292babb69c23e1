// copy_and_hash: memcpy and XXH3-64 in one pass over the source.
//
// Reading a stored block means copying it into the caller's buffer and checking its checksum.
// Doing both in one loop reads the source once (from memory, for a cold block); the hash covers
// what was stored into dst (read back from L1, or the very registers stored), so it covers
// exactly the bytes returned, and a source that changed during the copy can never pass the
// check with bytes other than the ones returned.
#pragma once

#include <cstddef>
#include <cstdint>

namespace streamdb::internal {

// Copies size bytes from src to dst (which must not overlap) and returns XXH3-64 (seed 0) of
// the copied bytes: always equal to xxh3(dst, size) afterwards.
std::uint64_t copy_and_hash(void* dst, const void* src, std::size_t size);

// For tests: copy_and_hash with one implementation forced. Returns false (and does nothing) when
// this CPU lacks it.
enum class CopyHashVariant { kPlain, kAvx2, kAvx512 };
bool copy_and_hash_with(CopyHashVariant variant, void* dst, const void* src, std::size_t size,
                        std::uint64_t* hash);

}  // namespace streamdb::internal
