#include "hydramesh/session_keys.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "byte_order.h"

namespace hydramesh {
namespace {

constexpr char kSalt[crypto_pwhash_SALTBYTES + 1] = "HydraMesh sess01";
constexpr char kStreamPersonal[crypto_generichash_blake2b_PERSONALBYTES + 1] = "HydraMesh-strm01";
constexpr char kHelloPersonal[crypto_generichash_blake2b_PERSONALBYTES + 1] = "HydraMesh-hell01";
constexpr std::size_t kMinSecretLength = 8;

const unsigned char* bytes(const char* s) {
  return reinterpret_cast<const unsigned char*>(s);
}

}  // namespace

archibald::Status init_crypto() {
  if (sodium_init() < 0) return archibald::Status::unavailable("libsodium failed to initialise");
  return {};
}

archibald::Result<std::string> read_secret_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return archibald::Status::from_errno("secret file " + path, errno);
  }
  if ((st.st_mode & S_IROTH) != 0) {
    return archibald::Status::permission_denied("secret file " + path +
                                                " is world-readable; run: chmod o-rwx " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return archibald::Status::from_errno("secret file " + path, errno);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const char* kSpace = " \t\r\n\v\f";
  const std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string::npos) {
    return archibald::Status::invalid_argument("secret file " + path + " is empty");
  }
  text = text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
  if (text.size() < kMinSecretLength) {
    return archibald::Status::invalid_argument("secret file " + path +
                                               ": the secret must have at least " +
                                               std::to_string(kMinSecretLength) + " characters");
  }
  return text;
}

archibald::Result<Key> derive_master_key(std::string_view secret) {
  ARCHIBALD_RETURN_IF_ERROR(init_crypto());
  Key key{};
  if (crypto_pwhash(key.data(), key.size(), secret.data(), secret.size(), bytes(kSalt),
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return archibald::Status::unavailable("deriving the session key: out of memory");
  }
  return key;
}

Key derive_stream_key(const Key& master, std::string_view source_node,
                      std::string_view destination_node, std::uint32_t stream_id) {
  std::string message;
  message.push_back(static_cast<char>(source_node.size()));
  message.append(source_node);
  message.push_back(static_cast<char>(destination_node.size()));
  message.append(destination_node);
  std::uint8_t id[4];
  store_be32(id, stream_id);
  message.append(reinterpret_cast<const char*>(id), 4);
  Key key{};
  crypto_generichash_blake2b_salt_personal(key.data(), key.size(), bytes(message.data()),
                                           message.size(), master.data(), master.size(), nullptr,
                                           bytes(kStreamPersonal));
  return key;
}

Key derive_hello_key(const Key& master) {
  Key key{};
  crypto_generichash_blake2b_salt_personal(key.data(), key.size(), bytes("hello"), 5, master.data(),
                                           master.size(), nullptr, bytes(kHelloPersonal));
  return key;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace hydramesh
