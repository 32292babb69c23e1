/* StreamDB C API.
 *
 * Opaque handles, status codes, explicit free functions. No C++ exception ever crosses this
 * interface. Every call returning streamdb_status leaves a one-line description of a failure
 * in streamdb_last_error() (per thread, valid until the next call on that thread).
 *
 * Memory: buffers and path arrays returned by StreamDB are freed with streamdb_free() and
 * streamdb_free_paths(); handles with their *_close / *_free function.
 * Thread-safety: a streamdb_t* may be used from many threads at once; writers, readers and
 * batches belong to one thread at a time.
 *
 *   streamdb_t* db;
 *   if (streamdb_open("/var/lib/samples", NULL, &db) != STREAMDB_OK) {
 *     fprintf(stderr, "%s\n", streamdb_last_error());
 *   }
 *   streamdb_write_document(db, "/samples/drums/kick.wav", data, size, 0);
 */
#ifndef STREAMDB_STREAMDB_H_
#define STREAMDB_STREAMDB_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum streamdb_status {
  STREAMDB_OK = 0,
  STREAMDB_NOT_FOUND = 1,
  STREAMDB_INVALID_ARGUMENT = 2,
  STREAMDB_CORRUPTION = 3,
  STREAMDB_IO_ERROR = 4,
  STREAMDB_BUSY = 5,
  STREAMDB_NOT_SUPPORTED = 6,
  STREAMDB_PERMISSION_DENIED = 7,
  STREAMDB_UNAVAILABLE = 8,
  STREAMDB_ABORTED = 9,
  STREAMDB_NO_MEMORY = 10
} streamdb_status;

typedef struct streamdb_t streamdb_t;
typedef struct streamdb_writer_t streamdb_writer_t;
typedef struct streamdb_reader_t streamdb_reader_t;
typedef struct streamdb_batch_t streamdb_batch_t;
typedef struct streamdb_snapshot_t streamdb_snapshot_t;

/* Write flags. Writes are durable (fdatasync, shared between concurrent writers) unless
 * STREAMDB_NO_SYNC is given; such writes become durable at the next streamdb_flush or synced
 * write. */
#define STREAMDB_NO_SYNC 1u

typedef struct streamdb_options {
  int create_if_missing;  /* default 1 */
  int compress;           /* 1: zstd (fixed when the database is created); default 0 */
  int zstd_level;         /* default 3 */
  const char* passphrase; /* non-NULL: encrypted at rest; default NULL */
  uint32_t block_size;    /* default 1 MiB, fixed at creation */
  int read_only; /* 1: change no file, take no lock, refuse writes (beside a writer, on read-only
                    media); default 0 */
} streamdb_options;

typedef struct streamdb_info {
  char guid[37]; /* canonical UUID text, NUL-terminated */
  uint64_t size;
  uint64_t checksum; /* XXH3-64 of the content */
  int64_t mtime_ns;
  uint32_t path_count;
} streamdb_info;

typedef struct streamdb_stats {
  uint64_t documents;
  uint64_t paths;
  uint64_t live_bytes;
  uint64_t file_bytes;
  uint64_t commits;
  uint64_t syncs;
} streamdb_stats;

/* Called once per streamdb_get_async, on a StreamDB thread. data is valid only during the
 * call; on failure data is NULL and message says why. */
typedef void (*streamdb_get_callback)(void* user_data, streamdb_status status, const void* data,
                                      size_t size, const char* message);

/* --- errors --- */
const char* streamdb_last_error(void);
const char* streamdb_status_name(streamdb_status status);

/* --- lifetime --- */
void streamdb_options_init(streamdb_options* options);
/* options may be NULL for the defaults. */
streamdb_status streamdb_open(const char* dir, const streamdb_options* options, streamdb_t** db);
/* Waits for pending asynchronous reads, syncs, releases the lock. NULL is ignored. */
void streamdb_close(streamdb_t* db);

/* --- writes --- */
streamdb_status streamdb_write_document(streamdb_t* db, const char* path, const void* data,
                                        size_t size, unsigned flags);
streamdb_status streamdb_delete(streamdb_t* db, const char* path, unsigned flags);
/* Deletes the document with this GUID (text form) from all its paths. */
streamdb_status streamdb_delete_guid(streamdb_t* db, const char* guid, unsigned flags);
/* Binds the document at existing_path also to new_path (a hard link). */
streamdb_status streamdb_bind_to_path(streamdb_t* db, const char* existing_path,
                                      const char* new_path, unsigned flags);
streamdb_status streamdb_unbind_path(streamdb_t* db, const char* path, unsigned flags);
streamdb_status streamdb_rename(streamdb_t* db, const char* old_path, const char* new_path,
                                unsigned flags);
streamdb_status streamdb_flush(streamdb_t* db);

streamdb_batch_t* streamdb_batch_new(void);
void streamdb_batch_put(streamdb_batch_t* batch, const char* path, const void* data, size_t size);
void streamdb_batch_delete(streamdb_batch_t* batch, const char* path);
void streamdb_batch_bind(streamdb_batch_t* batch, const char* existing_path, const char* new_path);
/* All operations or none. */
streamdb_status streamdb_write_batch(streamdb_t* db, const streamdb_batch_t* batch, unsigned flags);
void streamdb_batch_free(streamdb_batch_t* batch);

/* Streaming writer: nothing is visible until commit; the handle must be freed either way and
 * before the database is closed. */
streamdb_status streamdb_writer_open(streamdb_t* db, const char* path, unsigned flags,
                                     streamdb_writer_t** writer);
streamdb_status streamdb_writer_append(streamdb_writer_t* writer, const void* data, size_t size);
streamdb_status streamdb_writer_commit(streamdb_writer_t* writer);
void streamdb_writer_free(streamdb_writer_t* writer);

/* --- reads --- */
/* *data is malloc'ed (free with streamdb_free); *size is its length. */
streamdb_status streamdb_get(streamdb_t* db, const char* path, void** data, size_t* size);
/* Never blocks the caller. */
void streamdb_get_async(streamdb_t* db, const char* path, streamdb_get_callback callback,
                        void* user_data);
streamdb_status streamdb_read_range(streamdb_t* db, const char* path, uint64_t offset, void* buffer,
                                    size_t size, size_t* bytes_read);
streamdb_status streamdb_stat(streamdb_t* db, const char* path, streamdb_info* info);

streamdb_status streamdb_reader_open(streamdb_t* db, const char* path, streamdb_reader_t** reader);
uint64_t streamdb_reader_size(const streamdb_reader_t* reader);
/* *bytes_read is 0 at the end of the document. */
streamdb_status streamdb_reader_read(streamdb_reader_t* reader, void* buffer, size_t size,
                                     size_t* bytes_read);
void streamdb_reader_free(streamdb_reader_t* reader);

/* Paths starting with prefix, in byte order. Free with streamdb_free_paths. */
streamdb_status streamdb_search(streamdb_t* db, const char* prefix, char*** paths, size_t* count);
/* Paths ending with suffix ("kick.wav", ".wav"), in byte order. */
streamdb_status streamdb_suffix_search(streamdb_t* db, const char* suffix, char*** paths,
                                       size_t* count);
/* Paths bound to the document with this GUID. */
streamdb_status streamdb_paths_of(streamdb_t* db, const char* guid, char*** paths, size_t* count);

/* A consistent view as of now: reads through it do not see later writes. Free every snapshot
 * (with the database it came from) before closing the database. NULL on failure. */
streamdb_snapshot_t* streamdb_snapshot_new(streamdb_t* db);
void streamdb_snapshot_free(streamdb_t* db, streamdb_snapshot_t* snapshot);
streamdb_status streamdb_get_at(streamdb_t* db, const streamdb_snapshot_t* snapshot,
                                const char* path, void** data, size_t* size);
streamdb_status streamdb_search_at(streamdb_t* db, const streamdb_snapshot_t* snapshot,
                                   const char* prefix, char*** paths, size_t* count);

/* --- maintenance --- */
streamdb_status streamdb_get_stats(streamdb_t* db, streamdb_stats* stats);
/* Full checksum scan. *damaged receives the number of damaged documents; their paths, one per
 * document, go to *paths when paths is non-NULL (free with streamdb_free_paths). */
streamdb_status streamdb_verify(streamdb_t* db, size_t* damaged, char*** paths);
streamdb_status streamdb_compact(streamdb_t* db);

void streamdb_free(void* data);
void streamdb_free_paths(char** paths, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* STREAMDB_STREAMDB_H_ */
