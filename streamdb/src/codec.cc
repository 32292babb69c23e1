#include "codec.h"

#include <sodium.h>
#include <zstd.h>

#include <cstring>

namespace streamdb::internal {
namespace {

constexpr char kKeyCheckAd[] = "streamdb key check";

struct BlockAd {
  std::uint8_t guid[16];
  std::uint32_t index;
};

Status init_sodium() {
  if (sodium_init() < 0) return Status::io_error("libsodium failed to initialise");
  return {};
}

Status derive_key(const std::string& passphrase, const Config& c,
                  std::array<std::uint8_t, 32>* key) {
  if (crypto_pwhash(key->data(), key->size(), passphrase.data(), passphrase.size(), c.salt.data(),
                    c.opslimit, static_cast<std::size_t>(c.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::io_error("deriving the encryption key failed (out of memory?)");
  }
  return {};
}

}  // namespace

Result<RecordCodec> RecordCodec::create(Config* config, const Options& options) {
  RecordCodec codec;
  config->compression = options.compression;
  config->zstd_level = options.zstd_level;
  codec.compression_ = options.compression;
  codec.zstd_level_ = options.zstd_level;
  if (options.passphrase.empty()) return codec;
  ARCHIBALD_RETURN_IF_ERROR(init_sodium());
  config->encrypted = true;
  randombytes_buf(config->salt.data(), config->salt.size());
  config->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  config->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  ARCHIBALD_RETURN_IF_ERROR(derive_key(options.passphrase, *config, &codec.key_));
  codec.encrypted_ = true;
  std::string check(32, '\0');
  codec.seal_with(&check, kKeyCheckAd, sizeof kKeyCheckAd);
  config->key_check = check;
  return codec;
}

Result<RecordCodec> RecordCodec::open(const Config& config, const std::string& passphrase,
                                      const std::string& dir) {
  RecordCodec codec;
  codec.compression_ = config.compression;
  codec.zstd_level_ = config.zstd_level;
  if (!config.encrypted) {
    if (!passphrase.empty()) {
      return Status::invalid_argument(dir + " is not encrypted; open it without a passphrase");
    }
    return codec;
  }
  if (passphrase.empty()) {
    return Status::invalid_argument(dir + " is encrypted; a passphrase is needed to open it");
  }
  ARCHIBALD_RETURN_IF_ERROR(init_sodium());
  ARCHIBALD_RETURN_IF_ERROR(derive_key(passphrase, config, &codec.key_));
  codec.encrypted_ = true;
  std::array<std::byte, 32> plain{};
  if (config.key_check.size() != 32 + kSealOverhead ||
      !codec.open_with(config.key_check, kKeyCheckAd, sizeof kKeyCheckAd, plain)) {
    return Status::permission_denied("wrong passphrase for " + dir);
  }
  return codec;
}

void RecordCodec::seal_with(std::string* payload, const void* ad, std::size_t ad_len) const {
  std::string out(payload->size() + kSealOverhead, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
      reinterpret_cast<const unsigned char*>(payload->data()), payload->size(),
      static_cast<const unsigned char*>(ad), ad_len, nullptr, nonce, key_.data());
  payload->swap(out);
}

bool RecordCodec::open_with(std::string_view sealed, const void* ad, std::size_t ad_len,
                            std::span<std::byte> out) const {
  if (sealed.size() < kSealOverhead || sealed.size() - kSealOverhead != out.size()) return false;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  unsigned long long mlen = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr,
             nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
             sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
             static_cast<const unsigned char*>(ad), ad_len, nonce, key_.data()) == 0 &&
         mlen == out.size();
}

void RecordCodec::seal(std::string* payload, std::uint64_t associated) const {
  if (encrypted_) seal_with(payload, &associated, sizeof associated);
}

bool RecordCodec::open_sealed(std::string* payload, std::uint64_t associated) const {
  if (!encrypted_) return true;
  if (payload->size() < kSealOverhead) return false;
  std::string plain(payload->size() - kSealOverhead, '\0');
  if (!open_with(*payload, &associated, sizeof associated,
                 std::span(reinterpret_cast<std::byte*>(plain.data()), plain.size()))) {
    return false;
  }
  payload->swap(plain);
  return true;
}

bool RecordCodec::encode_block(std::span<const std::byte> raw, const Guid& guid,
                               std::uint32_t index, std::string* stored,
                               std::uint8_t* flags) const {
  *flags = 0;
  bool transformed = false;
  if (compression_ == Compression::kZstd && !raw.empty()) {
    std::string packed(ZSTD_compressBound(raw.size()), '\0');
    std::size_t n =
        ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), zstd_level_);
    // Incompressible data is stored as is: a block must shrink by at least 1/64 to be worth
    // the decompression on every read.
    if (!ZSTD_isError(n) && n < raw.size() - raw.size() / 64) {
      packed.resize(n);
      stored->swap(packed);
      *flags |= kFlagCompressed;
      transformed = true;
    }
  }
  if (encrypted_) {
    if (!transformed) stored->assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    BlockAd ad{};
    std::memcpy(ad.guid, guid.bytes.data(), 16);
    ad.index = index;
    seal_with(stored, &ad, sizeof ad);
    *flags |= kFlagEncrypted;
    transformed = true;
  }
  return transformed;
}

Status RecordCodec::decode_block(std::span<const std::byte> stored, std::uint8_t flags,
                                 const Guid& guid, std::uint32_t index,
                                 std::span<std::byte> out) const {
  if (((flags & kFlagEncrypted) != 0) != encrypted_ || (flags & ~3u) != 0) {
    return Status::corruption("block flags do not match the database");
  }
  std::string plain;
  std::string_view body(reinterpret_cast<const char*>(stored.data()), stored.size());
  if (encrypted_) {
    if (body.size() < kSealOverhead) return Status::corruption("encrypted block too short");
    plain.resize(body.size() - kSealOverhead);
    BlockAd ad{};
    std::memcpy(ad.guid, guid.bytes.data(), 16);
    ad.index = index;
    bool ok = (flags & kFlagCompressed) != 0
                  ? open_with(body, &ad, sizeof ad,
                              std::span(reinterpret_cast<std::byte*>(plain.data()), plain.size()))
                  : plain.size() == out.size() && open_with(body, &ad, sizeof ad, out);
    if (!ok) return Status::corruption("block failed authentication");
    if ((flags & kFlagCompressed) == 0) return {};
    body = plain;
  }
  if ((flags & kFlagCompressed) != 0) {
    std::size_t n = ZSTD_decompress(out.data(), out.size(), body.data(), body.size());
    if (ZSTD_isError(n) || n != out.size()) {
      return Status::corruption("compressed block does not decompress to its length");
    }
    return {};
  }
  if (body.size() != out.size()) return Status::corruption("block has the wrong length");
  std::memcpy(out.data(), body.data(), body.size());
  return {};
}

}  // namespace streamdb::internal
