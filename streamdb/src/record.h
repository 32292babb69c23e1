// The on-disk record: the unit of every segment file.
//
//   offset size field
//   0      4    magic "SDB1"
//   4      1    type (RecordType)
//   5      1    flags (kFlagCompressed | kFlagEncrypted, blocks only for compression)
//   6      2    reserved, zero
//   8      4    payload length in bytes
//   12     8    seq: commit sequence (commit), checkpoint id (checkpoint), first 8 GUID bytes
//                (block), segment id (segment header)
//   20     8    XXH3-64 of the payload; for blocks XORed with block_seed(GUID, index), so a
//                block read for the wrong document or position fails its check, while a
//                one-block document's content checksum and block checksum share one pass
//   28     4    low 32 bits of XXH3-64 of bytes 0..27
//   32     payload
//
// The header checksum lets recovery walk past block payloads without reading them and
// resynchronise after a damaged region; the payload checksum guards the bytes themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "streamdb/types.h"

namespace streamdb::internal {

enum class RecordType : std::uint8_t {
  kSegmentHeader = 1,
  kBlock = 2,
  kCommit = 3,
  kCheckpointChunk = 4,
  kCheckpointEnd = 5,
};

inline constexpr std::uint8_t kFlagCompressed = 1;
inline constexpr std::uint8_t kFlagEncrypted = 2;
inline constexpr std::size_t kRecordHeaderSize = 32;
inline constexpr std::uint32_t kRecordMagic = 0x31424453;  // "SDB1" little-endian
// Commit and checkpoint records above this size are split or rejected; blocks are far smaller.
inline constexpr std::uint32_t kMaxPayload = 1u << 30;

struct RecordHeader {
  RecordType type = RecordType::kBlock;
  std::uint8_t flags = 0;
  std::uint32_t payload_len = 0;
  std::uint64_t seq = 0;
  std::uint64_t payload_checksum = 0;
};

void encode_header(const RecordHeader& h, std::byte* out);
// False unless the magic, the header checksum, the type and the length are valid.
bool decode_header(const std::byte* in, RecordHeader* out);

// What a block's payload XXH3 is XORed with in its record header.
std::uint64_t block_seed(const Guid& guid, std::uint32_t index);
// The seq field of a block record.
std::uint64_t guid_tag(const Guid& guid);

// A position in the log: segment id in the top 24 bits, offset in the low 40. Ordered like
// the log itself.
inline std::uint64_t log_pos(std::uint32_t segment, std::uint64_t offset) {
  return (static_cast<std::uint64_t>(segment) << 40) | offset;
}
inline std::uint32_t pos_segment(std::uint64_t pos) {
  return static_cast<std::uint32_t>(pos >> 40);
}
inline std::uint64_t pos_offset(std::uint64_t pos) {
  return pos & ((1ull << 40) - 1);
}

std::string segment_file_name(std::uint32_t id);  // "00000001.seg"
// The id of a segment file name, or 0 when the name is not one.
std::uint32_t parse_segment_file_name(const std::string& name);

}  // namespace streamdb::internal
