// Store: the adapter each benchmarked database implements, so that one copy of every workload
// runs unchanged on StreamDB, LMDB, RocksDB, SQLite and the raw-file baseline.
//
// Contracts every adapter keeps, so the comparison is fair:
// - put_batch() and StreamWriter::commit() return only after the data is on stable storage
//   (each store's own durable setting; see kind().durability).
// - get(), list() with contents and StreamReader::read() copy the bytes into memory the caller
//   owns; no adapter hands out pointers into its own cache or map.
// - An adapter is used from one thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "archibald/status.h"

namespace streamdb_bench {

using archibald::Result;
using archibald::Status;

struct Document {
  std::string_view path;
  std::string_view data;
};

// Streams one document in; nothing is visible under its path before commit() returns OK.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  virtual Status append(std::string_view chunk) = 0;
  // Durable and atomic: afterwards the whole document is on stable storage under its path.
  virtual Status commit() = 0;
};

// Streams one document out, in order.
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // Copies up to out.size() bytes into out; returns 0 at the end of the document.
  virtual Result<std::size_t> read(std::span<char> out) = 0;
};

enum class ListMode { kNamesOnly, kWithContents };

// Called once per listed path. contents is empty for kNamesOnly and otherwise views a copy of
// the document owned by the adapter, valid until the next call.
using ListVisitor = std::function<void(std::string_view path, std::string_view contents)>;

class Store {
 public:
  virtual ~Store() = default;

  // Writes every document (replacing what a path held) as one atomic, durable commit.
  virtual Status put_batch(std::span<const Document> docs) = 0;
  // Copies the document at path into *out, replacing its contents. kNotFound if absent.
  virtual Status get(std::string_view path, std::string* out) = 0;
  // Visits every path that starts with prefix, in byte order.
  virtual Status list(std::string_view prefix, ListMode mode, const ListVisitor& visit) = 0;
  // size is the document's final size; stores that must reserve space up front use it, and
  // committing a different number of bytes is an error.
  virtual Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path,
                                                           std::uint64_t size) = 0;
  virtual Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) = 0;
};

// One benchmarked store: how to open it, and the settings the README reports for it.
struct StoreKind {
  std::string_view name;        // column name and --stores value: "lmdb"
  std::string_view durability;  // the setting that makes a commit durable
  std::string_view streaming;   // how workload (e) streams a document in and out
  bool can_list;                // false: workload (c) is skipped (the raw-file baseline)
  bool in_default_run;          // false: measured only when named in --stores
  // Opens a new store in dir, an existing empty directory the store owns until it is closed.
  Result<std::unique_ptr<Store>> (*open)(const std::string& dir);
};

// Every store compiled into this program, in table column order (StreamDB first when built).
std::span<const StoreKind> available_stores();

// The adapters (one source file each).
Result<std::unique_ptr<Store>> open_lmdb_store(const std::string& dir);
Result<std::unique_ptr<Store>> open_rocksdb_store(const std::string& dir);
Result<std::unique_ptr<Store>> open_rocksdb_blob_store(const std::string& dir);
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& dir);
Result<std::unique_ptr<Store>> open_raw_file_store(const std::string& dir);
Result<std::unique_ptr<Store>> open_streamdb_store(const std::string& dir);

}  // namespace streamdb_bench
