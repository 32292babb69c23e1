#include "config.h"

#include "coding.h"
#include "hash.h"

namespace streamdb::internal {
namespace {
constexpr char kMagic[8] = {'S', 'T', 'R', 'E', 'A', 'M', 'D', 'B'};
constexpr std::uint32_t kFormatVersion = 1;
}  // namespace

std::string encode_config(const Config& c) {
  std::string out(kMagic, sizeof kMagic);
  put_u32(&out, kFormatVersion);
  put_bytes(&out, c.db_id.bytes.data(), 16);
  put_u32(&out, c.block_size);
  put_u8(&out, static_cast<std::uint8_t>(c.compression));
  put_u32(&out, static_cast<std::uint32_t>(c.zstd_level));
  put_u8(&out, c.encrypted ? 1 : 0);
  put_bytes(&out, c.salt.data(), c.salt.size());
  put_u64(&out, c.opslimit);
  put_u64(&out, c.memlimit);
  put_string(&out, c.key_check);
  put_u64(&out, xxh3(out.data(), out.size()));
  return out;
}

Result<Config> decode_config(std::string_view bytes, const std::string& file_name) {
  auto damaged = [&](const std::string& why) {
    return Status::corruption(file_name + " is damaged (" + why + ")");
  };
  if (bytes.size() < sizeof kMagic + 8 || bytes.substr(0, sizeof kMagic) != "STREAMDB") {
    return Status::corruption(file_name + " is not a StreamDB configuration file");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (load_u64(bytes.data() + body.size()) != xxh3(body.data(), body.size())) {
    return damaged("checksum mismatch");
  }
  Decoder d(body.substr(sizeof kMagic));
  Config c;
  std::uint32_t version = 0;
  std::uint8_t compression = 0;
  std::uint8_t encrypted = 0;
  std::uint32_t level = 0;
  if (!d.u32(&version)) return damaged("short");
  if (version != kFormatVersion) {
    return Status::not_supported(file_name + ": format version " + std::to_string(version) +
                                 " is not supported by this StreamDB");
  }
  if (!d.raw(c.db_id.bytes.data(), 16) || !d.u32(&c.block_size) || !d.u8(&compression) ||
      !d.u32(&level) || !d.u8(&encrypted) || !d.raw(c.salt.data(), c.salt.size()) ||
      !d.u64(&c.opslimit) || !d.u64(&c.memlimit) || !d.string(&c.key_check, 1024) ||
      d.remaining() != 0) {
    return damaged("malformed");
  }
  if (c.block_size < 4096 || c.block_size > (64u << 20) || compression > 1 || encrypted > 1) {
    return damaged("invalid parameters");
  }
  c.compression = static_cast<Compression>(compression);
  c.zstd_level = static_cast<int>(level);
  c.encrypted = encrypted != 0;
  return c;
}

Result<std::string> read_small_file(Env* env, const std::string& path) {
  Result<std::unique_ptr<File>> f = env->open_file(path, OpenMode::kRead);
  if (!f.ok()) return f.status();
  Result<std::uint64_t> size = (*f)->size();
  if (!size.ok()) return size.status();
  if (*size > (1u << 20)) return Status::corruption(path + " is too large");
  std::string bytes(*size, '\0');
  std::span<std::byte> part(reinterpret_cast<std::byte*>(bytes.data()), bytes.size());
  Result<std::size_t> n = (*f)->read_at(0, std::span(&part, 1));
  if (!n.ok()) return n.status();
  bytes.resize(*n);
  return bytes;
}

Status write_file_atomically(Env* env, const std::string& dir, const std::string& name,
                             std::string_view bytes) {
  std::string tmp = dir + "/" + name + ".tmp";
  {
    Result<std::unique_ptr<File>> f = env->open_file(tmp, OpenMode::kCreate);
    if (!f.ok()) return f.status();
    ARCHIBALD_RETURN_IF_ERROR((*f)->truncate(0));
    std::span<const std::byte> part(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
    ARCHIBALD_RETURN_IF_ERROR(write_fully(**f, 0, std::span(&part, 1)));
    ARCHIBALD_RETURN_IF_ERROR((*f)->sync());
  }
  ARCHIBALD_RETURN_IF_ERROR(env->rename_file(tmp, dir + "/" + name));
  return env->sync_dir(dir);
}

Result<Config> read_config(Env* env, const std::string& dir) {
  std::string path = dir + "/" + kConfigFileName;
  Result<std::string> bytes = read_small_file(env, path);
  if (!bytes.ok()) return bytes.status();
  return decode_config(*bytes, path);
}

Status write_config(Env* env, const std::string& dir, const Config& c) {
  return write_file_atomically(env, dir, kConfigFileName, encode_config(c));
}

}  // namespace streamdb::internal
