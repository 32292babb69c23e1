// RecordCodec: what turns a block's bytes into stored bytes and back (zstd, then
// XChaCha20-Poly1305), and seals metadata records (commits, checkpoints) when the database is
// encrypted. Immutable after setup; used from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "config.h"
#include "record.h"

namespace streamdb::internal {

class RecordCodec {
 public:
  // Bytes sealing adds to a payload (nonce + tag) when encrypted.
  static constexpr std::size_t kSealOverhead = 24 + 16;

  RecordCodec() = default;
  // Sets up a new database's config: salt and key check when passphrase is non-empty.
  static Result<RecordCodec> create(Config* config, const Options& options);
  // Opens an existing database's codec; a wrong or missing passphrase is a clear error.
  static Result<RecordCodec> open(const Config& config, const std::string& passphrase,
                                  const std::string& dir);

  bool encrypted() const { return encrypted_; }
  std::size_t seal_overhead() const { return encrypted_ ? kSealOverhead : 0; }

  // Encodes a block. Returns false when the block is stored exactly as given (no compression
  // gain, no encryption): the caller then writes `raw` itself and no copy is made.
  bool encode_block(std::span<const std::byte> raw, const Guid& guid, std::uint32_t index,
                    std::string* stored, std::uint8_t* flags) const;
  // Decodes a stored block into out, whose size is the block's raw length. Corruption when the
  // bytes do not decode to exactly that length or fail authentication.
  Status decode_block(std::span<const std::byte> stored, std::uint8_t flags, const Guid& guid,
                      std::uint32_t index, std::span<std::byte> out) const;

  // Metadata sealing; no-ops when not encrypted. open_sealed returns false when tampered.
  void seal(std::string* payload, std::uint64_t associated) const;
  bool open_sealed(std::string* payload, std::uint64_t associated) const;

 private:
  void seal_with(std::string* payload, const void* ad, std::size_t ad_len) const;
  bool open_with(std::string_view sealed, const void* ad, std::size_t ad_len,
                 std::span<std::byte> out) const;

  Compression compression_ = Compression::kNone;
  int zstd_level_ = 3;
  bool encrypted_ = false;
  std::array<std::uint8_t, 32> key_{};
};

}  // namespace streamdb::internal
