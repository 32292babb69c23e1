// Options for opening a database, writing and reading.
#pragma once

#include <cstdint>
#include <string>

namespace streamdb {

class Env;
class Snapshot;

enum class Compression {
  kNone,
  kZstd,  // per stored block; a block that does not shrink is stored as is
};

struct Options {
  bool create_if_missing = true;
  bool error_if_exists = false;
  // Fixed when the database is created; opening an existing database uses what it was created
  // with, and a mismatch in encryption is an error.
  Compression compression = Compression::kNone;
  int zstd_level = 3;
  // Non-empty: encrypt at rest (XChaCha20-Poly1305, key from the passphrase by Argon2id).
  // Opening an encrypted database with a wrong passphrase fails with a clear error.
  std::string passphrase;
  // File-system seam; nullptr means the real POSIX file system. Not owned.
  Env* env = nullptr;
  // Threads serving get_async()/get_future().
  int async_threads = 2;
  // Documents are stored in blocks of this many bytes (4 KiB..64 MiB); streaming writers and
  // readers hold one block in memory. Fixed when the database is created.
  std::uint32_t block_size = 1u << 20;
  // A new segment file is started when the active one would grow past this; 0 = 256 MiB.
  std::uint64_t segment_size = 0;
  // Opening a database whose log lost commit records (damaged below the point known durable)
  // normally fails with Code::kCorruption rather than serve older data silently. With salvage,
  // the lost batches are skipped, later operations that depended on them are dropped, and the
  // rest is kept; verify() lists what was skipped in its notes. The database is then compacted
  // so that later opens need no salvage.
  bool salvage = false;
  // Open an existing database without changing any of its files: no LOCK is taken or created,
  // a torn tail left by a crash is skipped in memory instead of cut off, and every write,
  // streaming writer and compact() fails with Code::kPermissionDenied. The handle reads the
  // database as it was when opened. Any number of read-only handles may be open, in any
  // process, also beside the one writer, and on read-only media. Not together with salvage.
  bool read_only = false;
};

struct WriteOptions {
  // true: the call returns after the commit is on stable storage (fdatasync), sharing the sync
  // with concurrent writers (group commit). false: durable at the next flush() or synced write.
  bool sync = true;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::get_snapshot); nullptr reads the latest state.
  const Snapshot* snapshot = nullptr;
};

}  // namespace streamdb
