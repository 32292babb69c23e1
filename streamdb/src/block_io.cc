#include "block_io.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "copy_hash.h"
#include "hash.h"

namespace streamdb::internal {
namespace {

Status damaged(std::string_view path, const Doc& doc, std::uint32_t index, const SegmentFile* seg,
               const BlockRef& ref, const std::string& what) {
  std::string where = seg != nullptr ? seg->path() : "segment " + std::to_string(ref.segment);
  return Status::corruption(std::string(path) + ": damaged data (block " +
                            std::to_string(index + 1) + " of " + std::to_string(doc.blocks.size()) +
                            ", " + where + " offset " + std::to_string(ref.offset) + ": " + what +
                            ")");
}

// Checks a block's record header against what the index says it must be.
Status check_header(std::string_view path, const Doc& doc, std::uint32_t index,
                    const SegmentFile& seg, const BlockRef& ref, const std::byte* header,
                    RecordHeader* h) {
  if (!decode_header(header, h)) {
    return damaged(path, doc, index, &seg, ref, "record header checksum mismatch");
  }
  if (h->type != RecordType::kBlock || h->payload_len != ref.stored_len ||
      h->seq != guid_tag(doc.guid)) {
    return damaged(path, doc, index, &seg, ref, "record is not this document's block");
  }
  return {};
}

// Reads header + payload into the given buffers and checks everything but decoding. With
// use_map, a block inside a mappable segment is copied out of the mapping with its checksum
// computed in the same pass over the copied bytes (no system call); otherwise it is read with
// pread and then hashed. On a checksum mismatch the payload buffer is zeroed.
Status read_checked(const SegmentMap& segments, const Doc& doc, std::uint32_t index,
                    std::string_view path, std::array<std::byte, kRecordHeaderSize>* header,
                    std::span<std::byte> payload, bool use_map) {
  const BlockRef& ref = doc.blocks[index];
  auto it = segments.find(ref.segment);
  if (it == segments.end()) return damaged(path, doc, index, nullptr, ref, "segment file missing");
  SegmentFile& seg = *it->second;
  std::uint64_t end = ref.offset + kRecordHeaderSize + payload.size();
  const std::byte* map = use_map && end <= seg.size() ? seg.mapped(end) : nullptr;
  std::uint64_t hash = 0;
  RecordHeader h;
  if (map != nullptr) {
    // No prefetch of the first page here: asking for its 65 lines at once stalled on the
    // line fill buffers before the header was even read (perf), and gets were no slower
    // without (about 1% faster, within the noise of an A/B-interleaved probe against LMDB);
    // copy_and_hash prefetches ahead as it goes.
    std::memcpy(header->data(), map + ref.offset, kRecordHeaderSize);
    ARCHIBALD_RETURN_IF_ERROR(check_header(path, doc, index, seg, ref, header->data(), &h));
    hash = copy_and_hash(payload.data(), map + ref.offset + kRecordHeaderSize, payload.size());
  } else {
    std::span<std::byte> parts[] = {*header, payload};
    Result<std::size_t> n = seg.file().read_at(ref.offset, parts);
    if (!n.ok()) return n.status().with_context(std::string(path));
    if (*n != kRecordHeaderSize + payload.size()) {
      return damaged(path, doc, index, &seg, ref, "file is truncated");
    }
    ARCHIBALD_RETURN_IF_ERROR(check_header(path, doc, index, seg, ref, header->data(), &h));
    hash = xxh3(payload.data(), payload.size());
  }
  if ((hash ^ block_seed(doc.guid, index)) != h.payload_checksum) {
    std::memset(payload.data(), 0, payload.size());
    return damaged(path, doc, index, &seg, ref, "checksum mismatch");
  }
  return {};
}

}  // namespace

Status read_stored_block(const SegmentMap& segments, const Doc& doc, std::uint32_t index,
                         std::string_view path, std::array<std::byte, kRecordHeaderSize>* header,
                         std::string* payload, bool use_map) {
  payload->resize(doc.blocks[index].stored_len);
  return read_checked(segments, doc, index, path, header,
                      std::span(reinterpret_cast<std::byte*>(payload->data()), payload->size()),
                      use_map);
}

Status read_block(const RecordCodec& codec, const SegmentMap& segments, const Doc& doc,
                  std::uint32_t index, std::string_view path, std::span<std::byte> out,
                  std::string* scratch, bool use_map) {
  const BlockRef& ref = doc.blocks[index];
  std::array<std::byte, kRecordHeaderSize> header{};
  // A block stored as is (same length, not encrypted; compressed blocks are always shorter) is
  // read straight into the caller's buffer: no copy.
  if (!codec.encrypted() && ref.stored_len == out.size()) {
    ARCHIBALD_RETURN_IF_ERROR(read_checked(segments, doc, index, path, &header, out, use_map));
    if (header[5] != std::byte{0}) {
      return damaged(path, doc, index, segments.at(ref.segment).get(), ref, "unexpected flags");
    }
    return {};
  }
  ARCHIBALD_RETURN_IF_ERROR(
      read_stored_block(segments, doc, index, path, &header, scratch, use_map));
  Status s = codec.decode_block(std::as_bytes(std::span(scratch->data(), scratch->size())),
                                static_cast<std::uint8_t>(header[5]), doc.guid, index, out);
  if (!s.ok()) {
    std::memset(out.data(), 0, out.size());
    return damaged(path, doc, index, segments.at(ref.segment).get(), ref, s.message());
  }
  return {};
}

Result<std::size_t> read_doc_range(const RecordCodec& codec, std::uint32_t block_size,
                                   const SegmentMap& segments, const Doc& doc,
                                   std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out) {
  if (offset >= doc.size) return std::size_t{0};
  std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), doc.size - offset));
  std::size_t done = 0;
  std::string scratch;
  std::vector<std::byte> block;
  while (done < want) {
    std::uint64_t pos = offset + done;
    auto index = static_cast<std::uint32_t>(pos / block_size);
    std::uint64_t block_start = static_cast<std::uint64_t>(index) * block_size;
    std::uint64_t raw = block_raw_len(doc, index, block_size);
    std::size_t within = static_cast<std::size_t>(pos - block_start);
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(raw - within, want - done));
    if (within == 0 && take == raw) {
      ARCHIBALD_RETURN_IF_ERROR(
          read_block(codec, segments, doc, index, path, out.subspan(done, take), &scratch));
    } else {
      block.resize(raw);
      ARCHIBALD_RETURN_IF_ERROR(read_block(codec, segments, doc, index, path, block, &scratch));
      std::memcpy(out.data() + done, block.data() + within, take);
    }
    done += take;
  }
  return done;
}

}  // namespace streamdb::internal
