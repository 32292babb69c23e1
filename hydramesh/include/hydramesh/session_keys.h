// Session secret handling and key derivation (docs/protocol.md, "Keys").
//
//   master      = Argon2id(secret text, salt "HydraMesh sess01", opslimit 2, memlimit 64 MiB)
//   stream key  = BLAKE2b-256(key = master, personal "HydraMesh-strm01",
//                             len(src) || src || len(dst) || dst || stream id (BE32))
//   hello key   = BLAKE2b-256(key = master, personal "HydraMesh-hell01", "hello")
//
// A stream key is used by one sender (src node, one run = one stream id) towards one receiver,
// so every direction between two peers has its own key, and a restarted sender never reuses a
// (key, nonce) pair. Derivation is done off the audio thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "archibald/status.h"

namespace hydramesh {

using Key = std::array<std::uint8_t, 32>;

// Initialises libsodium once; safe to call from any thread, any number of times.
archibald::Status init_crypto();

// Reads the session secret: surrounding whitespace is ignored; the file must exist, must not
// be readable by others (mode & 0004), and must hold at least 8 characters.
archibald::Result<std::string> read_secret_file(const std::string& path);

// Slow on purpose (about 0.1-0.5 s): guessing a weak secret from captured traffic costs the same.
archibald::Result<Key> derive_master_key(std::string_view secret);

Key derive_stream_key(const Key& master, std::string_view source_node,
                      std::string_view destination_node, std::uint32_t stream_id);

Key derive_hello_key(const Key& master);

// Lower-case hex, for test vectors and diagnostics.
std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace hydramesh
