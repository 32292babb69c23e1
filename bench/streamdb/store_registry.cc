// The stores compiled into streamdb_bench, with the settings the README states for each.
#include "store.h"

namespace streamdb_bench {
namespace {

constexpr StoreKind kStores[] = {
#ifdef STREAMDB_BENCH_WITH_STREAMDB
    {"streamdb", "WriteOptions::sync = true (fdatasync per commit)",
     "DB::new_writer / DB::new_reader (the engine's own streaming)", true, &open_streamdb_store},
#endif
    {"lmdb", "default flags: mdb_txn_commit syncs data, then the meta page",
     "MDB_RESERVE of the whole value in one write transaction; reads copy from the map", true, true,
     &open_lmdb_store},
    {"rocksdb", "WriteOptions::sync = true (WAL fsynced per commit); compression off",
     "chunked keys: 1 MiB chunks with sync = false, then a manifest key with sync = true", true,
     true, &open_rocksdb_store},
    {"rocksdb_blob", "as rocksdb, plus enable_blob_files (values >= 4 KiB in blob files)",
     "as rocksdb (the 1 MiB chunks land in blob files)", true,
     /*in_default_run=*/false, &open_rocksdb_blob_store},
    {"sqlite", "journal_mode = WAL, synchronous = FULL (WAL fsynced per COMMIT)",
     "incremental blob I/O: zeroblob(size), sqlite3_blob_write / sqlite3_blob_read", true, true,
     &open_sqlite_store},
    {"raw", "pwrite + fdatasync per commit (index in memory only)",
     "a file per document: pwrite per chunk, fdatasync + directory fsync; pread", false, true,
     &open_raw_file_store},
};

}  // namespace

std::span<const StoreKind> available_stores() {
  return kStores;
}

}  // namespace streamdb_bench
