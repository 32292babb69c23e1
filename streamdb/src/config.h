// The database's creation parameters, kept in the file STREAMDB in the database directory:
// identity, block size, compression, and the Argon2id salt and key check for encryption.
// Written once, atomically (temporary file, fsync, rename, fsync of the directory).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "streamdb/env.h"
#include "streamdb/options.h"
#include "streamdb/types.h"

namespace streamdb::internal {

inline constexpr char kConfigFileName[] = "STREAMDB";

struct Config {
  Guid db_id;
  std::uint32_t block_size = 1u << 20;
  Compression compression = Compression::kNone;
  int zstd_level = 3;
  bool encrypted = false;
  std::array<std::uint8_t, 16> salt{};
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;
  std::string key_check;  // AEAD-sealed constant: opens only with the right key
};

std::string encode_config(const Config& c);
// Corruption naming `file_name` when the bytes are not a valid config.
Result<Config> decode_config(std::string_view bytes, const std::string& file_name);

Result<Config> read_config(Env* env, const std::string& dir);
Status write_config(Env* env, const std::string& dir, const Config& c);

// Reads a whole (small) file.
Result<std::string> read_small_file(Env* env, const std::string& path);
// Replaces path atomically and durably with bytes.
Status write_file_atomically(Env* env, const std::string& dir, const std::string& name,
                             std::string_view bytes);

}  // namespace streamdb::internal
