// Reading stored blocks back: every read checks the record header, that the block belongs to
// the document and position asked for, and the payload checksum before any byte is returned.
// Damage is reported as Code::kCorruption naming the document's path.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "codec.h"
#include "index.h"
#include "segment_log.h"

namespace streamdb::internal {

// An immutable index version: what a reader (or a snapshot) holds.
struct Version {
  IndexState state;
  std::uint64_t seq = 0;
  std::shared_ptr<const SegmentMap> segments;
};

// Raw (decoded) length of block `index` of a document.
inline std::uint64_t block_raw_len(const Doc& doc, std::uint32_t index, std::uint32_t block_size) {
  std::uint64_t start = static_cast<std::uint64_t>(index) * block_size;
  return std::min<std::uint64_t>(block_size, doc.size - start);
}

// Reads and checks the stored record of a block (no decoding). header receives its header.
// use_map: read through the segment's read-only mapping when the Env offers one (no system
// call; the checksum is computed while copying). Streaming readers pass false and pread, so
// passing through a large document never maps its pages into the process.
Status read_stored_block(const SegmentMap& segments, const Doc& doc, std::uint32_t index,
                         std::string_view path, std::array<std::byte, kRecordHeaderSize>* header,
                         std::string* payload, bool use_map = true);

// Reads block `index` of doc, decoded, into out (out.size() == block_raw_len). scratch is reused
// between calls to avoid allocations. On an error, out holds no bytes of the damaged block.
Status read_block(const RecordCodec& codec, const SegmentMap& segments, const Doc& doc,
                  std::uint32_t index, std::string_view path, std::span<std::byte> out,
                  std::string* scratch, bool use_map = true);

// Reads [offset, offset + out.size()) of a document (clamped to its size); returns bytes read.
Result<std::size_t> read_doc_range(const RecordCodec& codec, std::uint32_t block_size,
                                   const SegmentMap& segments, const Doc& doc,
                                   std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out);

}  // namespace streamdb::internal
