// The stores compiled into streamdb_bench, with the settings the README states for each.
#include "store.h"

namespace streamdb_bench {
namespace {

constexpr StoreKind kStores[] = {
#ifdef STREAMDB_BENCH_WITH_STREAMDB
    {.name = "streamdb",
     .durability = "WriteOptions::sync = true (fdatasync per commit)",
     .streaming = "DB::new_writer / DB::new_reader (the engine's own streaming)",
     .can_list = true,
     .in_default_run = true,
     .open = &open_streamdb_store},
#endif
    {.name = "lmdb",
     .durability = "default flags: mdb_txn_commit syncs data, then the meta page",
     .streaming =
         "MDB_RESERVE of the whole value in one write transaction; reads copy from the map",
     .can_list = true,
     .in_default_run = true,
     .open = &open_lmdb_store},
    {.name = "rocksdb",
     .durability = "WriteOptions::sync = true (WAL fsynced per commit); compression off",
     .streaming =
         "chunked keys: 1 MiB chunks with sync = false, then a manifest key with sync = true",
     .can_list = true,
     .in_default_run = true,
     .open = &open_rocksdb_store},
    {.name = "rocksdb_blob",
     .durability = "as rocksdb, plus enable_blob_files (values >= 4 KiB in blob files)",
     .streaming = "as rocksdb (the 1 MiB chunks land in blob files)",
     .can_list = true,
     .in_default_run = false,
     .open = &open_rocksdb_blob_store},
    {.name = "sqlite",
     .durability = "journal_mode = WAL, synchronous = FULL (WAL fsynced per COMMIT)",
     .streaming = "incremental blob I/O: zeroblob(size), sqlite3_blob_write / sqlite3_blob_read",
     .can_list = true,
     .in_default_run = true,
     .open = &open_sqlite_store},
    {.name = "raw",
     .durability = "pwrite + fdatasync per commit (index in memory only)",
     .streaming = "a file per document: pwrite per chunk, fdatasync + directory fsync; pread",
     .can_list = false,
     .in_default_run = true,
     .open = &open_raw_file_store},
};

}  // namespace

std::span<const StoreKind> available_stores() {
  return kStores;
}

}  // namespace streamdb_bench
