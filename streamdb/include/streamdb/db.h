// StreamDB: an embedded, crash-safe document store keyed by path.
//
// A document is bytes plus metadata (GUID, size, checksum, modification time). It is bound to
// one or more paths ("/samples/drums/kick.wav"), like a file with hard links; removing its last
// path deletes it. Paths are absolute, '/'-separated, without empty, "." or ".." components and
// at most 4096 bytes.
//
// Thread-safety: a DB may be used from any number of threads at once. Readers see consistent
// snapshots and never block the writer. One process at a time may open a database directory
// (a lock file enforces it; a second open fails with Code::kBusy). A DocumentWriter or
// DocumentReader belongs to one thread at a time.
//
// Lifetime: destroy every DocumentWriter and DocumentReader, and release every Snapshot, before
// the DB. Destroying the DB runs the get_async callbacks already queued, then syncs.
//
// Errors are values: every call returns Status or Result<T>; nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "archibald/status.h"
#include "streamdb/options.h"
#include "streamdb/types.h"
#include "streamdb/write_batch.h"

namespace streamdb {

using archibald::Code;
using archibald::Result;
using archibald::Status;

class Snapshot;

// Streams a new document to disk without holding it in memory. Nothing is visible until
// commit() returns OK; destroying an uncommitted writer discards the data.
class DocumentWriter {
 public:
  virtual ~DocumentWriter() = default;
  virtual Status append(std::span<const std::byte> data) = 0;
  // Binds the document to its path atomically (replacing any previous binding), durably when
  // WriteOptions::sync was set. After commit() the writer accepts nothing more.
  virtual Status commit() = 0;
};

// Streams a document out in order. Verifies each stored block's checksum before returning it.
class DocumentReader {
 public:
  virtual ~DocumentReader() = default;
  virtual std::uint64_t size() const = 0;
  // Reads up to out.size() bytes; returns 0 at the end of the document.
  virtual Result<std::size_t> read(std::span<std::byte> out) = 0;
};

class DB {
 public:
  // Opens (creating, per options) the database in directory dir, recovering from any crash.
  static Result<std::unique_ptr<DB>> open(const std::string& dir, const Options& options);

  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  ~DB();

  // --- writes (each is an atomic batch of one) ---
  Status put(const WriteOptions& wo, std::string_view path, std::span<const std::byte> data);
  Status put(const WriteOptions& wo, std::string_view path, std::string_view data);
  // Applies every operation of the batch, or none, as one commit.
  Status write(const WriteOptions& wo, const WriteBatch& batch);
  // Removes a path; the document goes when its last path does. kNotFound if unbound.
  Status remove(const WriteOptions& wo, std::string_view path);
  // Removes every path of a document.
  Status remove_guid(const WriteOptions& wo, const Guid& guid);
  // Binds the document at existing_path also to new_path (replacing what new_path held).
  Status bind(const WriteOptions& wo, std::string_view existing_path, std::string_view new_path);
  // Same as remove(): unbinds one path.
  Status unbind(const WriteOptions& wo, std::string_view path);
  // Atomic rename: bind new_path, unbind old_path, in one commit.
  Status rename(const WriteOptions& wo, std::string_view old_path, std::string_view new_path);
  Result<std::unique_ptr<DocumentWriter>> new_writer(const WriteOptions& wo, std::string_view path);
  // Makes every write so far durable (those made with sync = false included).
  Status flush();

  // --- reads ---
  Status get(const ReadOptions& ro, std::string_view path, std::string* value);
  Result<std::string> get(const ReadOptions& ro, std::string_view path);
  // Reads up to out.size() bytes starting at offset; returns how many were read.
  Result<std::size_t> read_range(const ReadOptions& ro, std::string_view path, std::uint64_t offset,
                                 std::span<std::byte> out);
  Result<std::unique_ptr<DocumentReader>> new_reader(const ReadOptions& ro, std::string_view path);
  Result<DocumentInfo> stat(const ReadOptions& ro, std::string_view path);
  // Paths of a document, in order.
  Result<std::vector<std::string>> paths_of(const ReadOptions& ro, const Guid& guid);

  // Visits every path starting with prefix, in byte order of the path; the visitor returns
  // false to stop. DocumentInfo::path is the visited path.
  Status list(const ReadOptions& ro, std::string_view prefix,
              const std::function<bool(const DocumentInfo&)>& visit);
  // Names only: the same paths in the same order as list, without reading any document's
  // metadata (much cheaper per path). The string_view is valid during the call only.
  Status list_paths(const ReadOptions& ro, std::string_view prefix,
                    const std::function<bool(std::string_view path)>& visit);
  // Visits every path ending with suffix ("kick.wav", ".wav"), in byte order of the path.
  Status find_suffix(const ReadOptions& ro, std::string_view suffix,
                     const std::function<bool(const DocumentInfo&)>& visit);

  // Never blocks the caller: the read runs on a background thread and the callback runs there.
  void get_async(std::string_view path, std::function<void(Result<std::string>)> callback);
  std::future<Result<std::string>> get_future(std::string_view path);

  // A consistent view as of now, for ReadOptions::snapshot. Release every snapshot taken.
  const Snapshot* get_snapshot();
  void release_snapshot(const Snapshot* snapshot);

  // --- maintenance ---
  Stats stats();
  // Reads every stored byte and checks every checksum; damaged paths are listed in the report.
  Result<VerifyReport> verify();
  // Reclaims the space of deleted and overwritten data; readers keep working meanwhile.
  Status compact();

  class Impl;

 private:
  explicit DB(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamdb
