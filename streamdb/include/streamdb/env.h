// Env: the one seam through which StreamDB touches the file system and the clock.
//
// The database never calls open/pwrite/fdatasync directly; it asks an Env. Env::posix() is the
// real file system. Tests wrap it to inject torn and short writes, lost unsynced data, failed
// fsync and a full disk, the way LevelDB's Env does, without mocks elsewhere in the engine.
//
// Thread-safety: an Env and the Files it opens are used from many threads at once; read_at and
// write_at on one File may run concurrently on disjoint ranges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "archibald/status.h"

namespace streamdb {

using archibald::Result;
using archibald::Status;

// A read-only memory mapping of (part of) a file; unmapped when destroyed.
class FileMapping {
 public:
  virtual ~FileMapping() = default;
  virtual const std::byte* data() const = 0;
  virtual std::uint64_t size() const = 0;
};

class File {
 public:
  virtual ~File() = default;
  // Reads into parts, in order, starting at offset. Returns the bytes read, which is less than
  // asked only when the end of the file was reached.
  virtual Result<std::size_t> read_at(std::uint64_t offset,
                                      std::span<const std::span<std::byte>> parts) = 0;
  // Writes parts, in order, starting at offset. May write fewer bytes than given (a short
  // write) and returns how many; callers continue from there. On error, an unknown prefix of
  // the data may have reached the file.
  virtual Result<std::size_t> write_at(std::uint64_t offset,
                                       std::span<const std::span<const std::byte>> parts) = 0;
  // fdatasync: on OK every byte written so far survives power loss.
  virtual Status sync() = 0;
  // A hint: start writing [offset, offset + length) to the device now, without waiting, so a
  // later sync() has less left to do. Promises nothing about durability; the default does
  // nothing.
  virtual void start_writeback(std::uint64_t offset, std::uint64_t length) {
    (void)offset;
    (void)length;
  }
  virtual Status truncate(std::uint64_t size) = 0;
  virtual Result<std::uint64_t> size() = 0;
  // Maps the first `length` bytes read-only (length may exceed the file's size; only bytes
  // below the size may then be touched, as with mmap). Null when this file cannot be mapped,
  // which is the default: an Env that injects faults or keeps files in memory need not map,
  // and callers then use read_at.
  virtual std::unique_ptr<FileMapping> map_read_only(std::uint64_t length) {
    (void)length;
    return nullptr;
  }
};

// Held while the database is open; releasing it (destruction) lets another process open it.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  kRead,       // existing file, read-only
  kReadWrite,  // existing file
  kCreate,     // read-write, created (empty) when missing
};

class Env {
 public:
  virtual ~Env() = default;

  // The real POSIX file system. Never deleted.
  static Env* posix();

  virtual Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Atomically replaces `to` (rename(2)).
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  // Creates the directory and any missing parents; OK when it exists.
  virtual Status create_dir(const std::string& path) = 0;
  // fsync of a directory: makes created, renamed and removed entries durable.
  virtual Status sync_dir(const std::string& path) = 0;
  // Names of the entries in a directory (no "." or "..").
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;
  virtual bool file_exists(const std::string& path) = 0;
  // Takes an exclusive advisory lock; Code::kBusy when another process (or another open handle
  // in this process) holds it, naming the holder's pid when known.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;
  // Wall-clock time, ns since the Unix epoch.
  virtual std::int64_t now_ns() = 0;
};

// An Env holding every file in memory, for tests and fuzzing; sync is a no-op and everything
// is gone when it is destroyed. Thread-safe.
std::unique_ptr<Env> new_memory_env();

// Writes every byte of parts at offset, continuing after short writes.
Status write_fully(File& file, std::uint64_t offset,
                   std::span<const std::span<const std::byte>> parts);

}  // namespace streamdb
