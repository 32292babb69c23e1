// Little-endian fixed-width encoding of on-disk fields, and a bounds-checked decoder that never
// reads past its input (every on-disk byte is untrusted until its checksum matched, and even
// then the decoder must not crash on a bug elsewhere).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace streamdb::internal {

static_assert(std::endian::native == std::endian::little, "StreamDB's format is little-endian");

inline void put_u8(std::string* out, std::uint8_t v) {
  out->push_back(static_cast<char>(v));
}
inline void put_u32(std::string* out, std::uint32_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void put_u64(std::string* out, std::uint64_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void put_bytes(std::string* out, const void* p, std::size_t n) {
  out->append(static_cast<const char*>(p), n);
}
// u32 length, then the bytes.
inline void put_string(std::string* out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out->append(s);
}

inline void store_u32(void* dst, std::uint32_t v) {
  std::memcpy(dst, &v, sizeof v);
}
inline void store_u64(void* dst, std::uint64_t v) {
  std::memcpy(dst, &v, sizeof v);
}
inline std::uint32_t load_u32(const void* src) {
  std::uint32_t v;
  std::memcpy(&v, src, sizeof v);
  return v;
}
inline std::uint64_t load_u64(const void* src) {
  std::uint64_t v;
  std::memcpy(&v, src, sizeof v);
  return v;
}

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool u8(std::uint8_t* v) { return raw(v, 1); }
  bool u32(std::uint32_t* v) { return raw(v, 4); }
  bool u64(std::uint64_t* v) { return raw(v, 8); }
  bool i64(std::int64_t* v) { return raw(v, 8); }
  bool raw(void* dst, std::size_t n) {
    if (in_.size() - pos_ < n) return false;
    std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool string(std::string* s, std::size_t max_len) {
    std::uint32_t n = 0;
    if (!u32(&n) || n > max_len || in_.size() - pos_ < n) return false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace streamdb::internal
