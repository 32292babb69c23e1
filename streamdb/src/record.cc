#include "record.h"

#include <cstdio>
#include <cstring>

#include "coding.h"
#include "hash.h"

namespace streamdb::internal {

void encode_header(const RecordHeader& h, std::byte* out) {
  std::memset(out, 0, kRecordHeaderSize);
  store_u32(out, kRecordMagic);
  out[4] = static_cast<std::byte>(h.type);
  out[5] = static_cast<std::byte>(h.flags);
  store_u32(out + 8, h.payload_len);
  store_u64(out + 12, h.seq);
  store_u64(out + 20, h.payload_checksum);
  store_u32(out + 28, static_cast<std::uint32_t>(xxh3(out, 28)));
}

bool decode_header(const std::byte* in, RecordHeader* out) {
  if (load_u32(in) != kRecordMagic) return false;
  if (load_u32(in + 28) != static_cast<std::uint32_t>(xxh3(in, 28))) return false;
  auto type = static_cast<std::uint8_t>(in[4]);
  if (type < 1 || type > 5) return false;
  if (in[6] != std::byte{0} || in[7] != std::byte{0}) return false;
  out->type = static_cast<RecordType>(type);
  out->flags = static_cast<std::uint8_t>(in[5]);
  out->payload_len = load_u32(in + 8);
  out->seq = load_u64(in + 12);
  out->payload_checksum = load_u64(in + 20);
  return out->payload_len <= kMaxPayload;
}

std::uint64_t block_seed(const Guid& guid, std::uint32_t index) {
  return xxh3(guid.bytes.data(), guid.bytes.size(), index);
}

std::uint64_t guid_tag(const Guid& guid) {
  return load_u64(guid.bytes.data());
}

std::string segment_file_name(std::uint32_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08u.seg", id);
  return buf;
}

std::uint32_t parse_segment_file_name(const std::string& name) {
  if (name.size() != 12 || name.compare(8, 4, ".seg") != 0) return 0;
  std::uint32_t id = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    id = id * 10 + static_cast<std::uint32_t>(name[i] - '0');
  }
  return id < (1u << 24) ? id : 0;
}

}  // namespace streamdb::internal
