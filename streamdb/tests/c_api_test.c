/* The C API from C: every call the original's users know, plus errors and asynchronous reads.
 * Exits 0 when everything holds, 1 with a message on the first failure. Also compiled against
 * the installed files by install_test.sh. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamdb/streamdb.h"

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              streamdb_last_error());                                                          \
      exit(1);                                                                                 \
    }                                                                                          \
  } while (0)

struct async_result {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  streamdb_status status;
  char data[64];
};

static void on_get(void* user, streamdb_status status, const void* data, size_t size,
                   const char* message) {
  struct async_result* r = user;
  (void)message;
  pthread_mutex_lock(&r->mu);
  r->status = status;
  if (status == STREAMDB_OK && size < sizeof r->data) memcpy(r->data, data, size);
  r->done = 1;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

int main(int argc, char** argv) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s/streamdb-c-XXXXXX", argc > 1 ? argv[1] : "/tmp");
  CHECK(mkdtemp(dir) != NULL);
  char path[300];
  snprintf(path, sizeof path, "%s/db", dir);

  streamdb_options options;
  streamdb_options_init(&options);
  options.block_size = 4096;
  streamdb_t* db = NULL;
  CHECK(streamdb_open(path, &options, &db) == STREAMDB_OK);

  streamdb_t* second = NULL;
  CHECK(streamdb_open(path, NULL, &second) == STREAMDB_BUSY);
  CHECK(strstr(streamdb_last_error(), "in use") != NULL);
  streamdb_options read_only;
  streamdb_options_init(&read_only);
  read_only.read_only = 1;
  CHECK(streamdb_open(path, &read_only, &second) == STREAMDB_OK); /* beside the writer */
  CHECK(streamdb_write_document(second, "/x", "x", 1, 0) == STREAMDB_PERMISSION_DENIED);
  streamdb_close(second);

  const char kick[] = "RIFF....WAVEfmt kick";
  CHECK(streamdb_write_document(db, "/samples/drums/kick.wav", kick, sizeof kick, 0) ==
        STREAMDB_OK);
  CHECK(streamdb_write_document(db, "/samples/drums/snare.wav", "snare", 5, STREAMDB_NO_SYNC) ==
        STREAMDB_OK);
  CHECK(streamdb_write_document(db, "/presets/kick.wav.json", "{}", 2, 0) == STREAMDB_OK);
  CHECK(streamdb_write_document(db, "bad-path", "x", 1, 0) == STREAMDB_INVALID_ARGUMENT);
  CHECK(streamdb_flush(db) == STREAMDB_OK);

  void* data = NULL;
  size_t size = 0;
  CHECK(streamdb_get(db, "/samples/drums/kick.wav", &data, &size) == STREAMDB_OK);
  CHECK(size == sizeof kick && memcmp(data, kick, size) == 0);
  streamdb_free(data);
  CHECK(streamdb_get(db, "/samples/none.wav", &data, &size) == STREAMDB_NOT_FOUND);
  CHECK(strstr(streamdb_last_error(), "/samples/none.wav") != NULL);

  char** paths = NULL;
  size_t count = 0;
  CHECK(streamdb_search(db, "/samples/", &paths, &count) == STREAMDB_OK);
  CHECK(count == 2 && strcmp(paths[0], "/samples/drums/kick.wav") == 0 &&
        strcmp(paths[1], "/samples/drums/snare.wav") == 0);
  streamdb_free_paths(paths, count);
  CHECK(streamdb_suffix_search(db, ".wav", &paths, &count) == STREAMDB_OK);
  CHECK(count == 2);
  streamdb_free_paths(paths, count);

  CHECK(streamdb_bind_to_path(db, "/samples/drums/kick.wav", "/kits/rock/kick.wav", 0) ==
        STREAMDB_OK);
  streamdb_info info;
  CHECK(streamdb_stat(db, "/kits/rock/kick.wav", &info) == STREAMDB_OK);
  CHECK(info.size == sizeof kick && info.path_count == 2 && strlen(info.guid) == 36);
  CHECK(streamdb_paths_of(db, info.guid, &paths, &count) == STREAMDB_OK && count == 2);
  streamdb_free_paths(paths, count);
  CHECK(streamdb_unbind_path(db, "/samples/drums/kick.wav", 0) == STREAMDB_OK);
  CHECK(streamdb_suffix_search(db, "/kick.wav", &paths, &count) == STREAMDB_OK);
  CHECK(count == 1 && strcmp(paths[0], "/kits/rock/kick.wav") == 0);
  streamdb_free_paths(paths, count);
  CHECK(streamdb_delete(db, "/samples/drums/kick.wav", 0) == STREAMDB_NOT_FOUND);

  struct async_result r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, {0}};
  streamdb_get_async(db, "/samples/drums/snare.wav", on_get, &r);
  pthread_mutex_lock(&r.mu);
  while (!r.done)
    pthread_cond_wait(&r.cv, &r.mu);
  pthread_mutex_unlock(&r.mu);
  CHECK(r.status == STREAMDB_OK && strcmp(r.data, "snare") == 0);

  streamdb_batch_t* batch = streamdb_batch_new();
  streamdb_batch_put(batch, "/batch/a", "A", 1);
  streamdb_batch_delete(batch, "/missing");
  CHECK(streamdb_write_batch(db, batch, 0) == STREAMDB_NOT_FOUND);
  CHECK(streamdb_get(db, "/batch/a", &data, &size) == STREAMDB_NOT_FOUND);
  streamdb_batch_free(batch);

  streamdb_writer_t* writer = NULL;
  CHECK(streamdb_writer_open(db, "/long.raw", 0, &writer) == STREAMDB_OK);
  char chunk[1000];
  for (int i = 0; i < 50; ++i) {
    memset(chunk, 'a' + i % 26, sizeof chunk);
    CHECK(streamdb_writer_append(writer, chunk, sizeof chunk) == STREAMDB_OK);
  }
  CHECK(streamdb_writer_commit(writer) == STREAMDB_OK);
  streamdb_writer_free(writer);
  streamdb_reader_t* reader = NULL;
  CHECK(streamdb_reader_open(db, "/long.raw", &reader) == STREAMDB_OK);
  CHECK(streamdb_reader_size(reader) == 50000);
  size_t total = 0, n = 0;
  do {
    CHECK(streamdb_reader_read(reader, chunk, 777, &n) == STREAMDB_OK);
    for (size_t i = 0; i < n; ++i)
      CHECK(chunk[i] == 'a' + (int)((total + i) / 1000) % 26);
    total += n;
  } while (n > 0);
  CHECK(total == 50000);
  streamdb_reader_free(reader);
  CHECK(streamdb_read_range(db, "/long.raw", 49990, chunk, 100, &n) == STREAMDB_OK && n == 10);

  streamdb_snapshot_t* snap = streamdb_snapshot_new(db);
  CHECK(snap != NULL);
  CHECK(streamdb_write_document(db, "/samples/drums/snare.wav", "SNARE2", 6, 0) == STREAMDB_OK);
  CHECK(streamdb_get_at(db, snap, "/samples/drums/snare.wav", &data, &size) == STREAMDB_OK);
  CHECK(size == 5 && memcmp(data, "snare", 5) == 0);
  streamdb_free(data);
  CHECK(streamdb_get(db, "/samples/drums/snare.wav", &data, &size) == STREAMDB_OK);
  CHECK(size == 6 && memcmp(data, "SNARE2", 6) == 0);
  streamdb_free(data);
  CHECK(streamdb_write_document(db, "/samples/new.wav", "n", 1, 0) == STREAMDB_OK);
  CHECK(streamdb_search_at(db, snap, "/samples/", &paths, &count) == STREAMDB_OK && count == 1);
  streamdb_free_paths(paths, count);
  CHECK(streamdb_delete(db, "/samples/new.wav", 0) == STREAMDB_OK);
  streamdb_snapshot_free(db, snap);

  /* Null handles and arguments are errors, never crashes; void calls ignore them. */
  const streamdb_status kInvalid = STREAMDB_INVALID_ARGUMENT;
  size_t damaged_count = 0;
  CHECK(streamdb_open(NULL, NULL, &second) == kInvalid);
  CHECK(streamdb_open(path, NULL, NULL) == kInvalid);
  CHECK(streamdb_write_document(NULL, "/x", "x", 1, 0) == kInvalid);
  CHECK(streamdb_write_document(db, NULL, "x", 1, 0) == kInvalid);
  CHECK(streamdb_write_document(db, "/x", NULL, 1, 0) == kInvalid);
  CHECK(streamdb_delete(db, NULL, 0) == kInvalid);
  CHECK(streamdb_delete_guid(db, NULL, 0) == kInvalid);
  CHECK(streamdb_delete_guid(db, "not-a-guid", 0) == kInvalid);
  CHECK(streamdb_bind_to_path(db, NULL, "/y", 0) == kInvalid);
  CHECK(streamdb_bind_to_path(db, "/long.raw", NULL, 0) == kInvalid);
  CHECK(streamdb_unbind_path(NULL, "/x", 0) == kInvalid);
  CHECK(streamdb_rename(db, "/long.raw", NULL, 0) == kInvalid);
  CHECK(streamdb_flush(NULL) == kInvalid);
  streamdb_batch_put(NULL, "/x", "x", 1);
  streamdb_batch_delete(NULL, "/x");
  streamdb_batch_bind(NULL, "/x", "/y");
  streamdb_batch_free(NULL);
  CHECK(streamdb_write_batch(db, NULL, 0) == kInvalid);
  CHECK(streamdb_writer_open(db, NULL, 0, &writer) == kInvalid);
  CHECK(streamdb_writer_open(db, "/w", 0, NULL) == kInvalid);
  CHECK(streamdb_writer_append(NULL, "x", 1) == kInvalid);
  CHECK(streamdb_writer_commit(NULL) == kInvalid);
  streamdb_writer_free(NULL);
  CHECK(streamdb_get(db, NULL, &data, &size) == kInvalid);
  CHECK(streamdb_get(db, "/long.raw", NULL, &size) == kInvalid);
  CHECK(streamdb_get(db, "/long.raw", &data, NULL) == kInvalid);
  CHECK(streamdb_read_range(db, "/long.raw", 0, NULL, 10, &n) == kInvalid);
  CHECK(streamdb_read_range(db, "/long.raw", 0, chunk, 10, NULL) == kInvalid);
  CHECK(streamdb_stat(db, "/long.raw", NULL) == kInvalid);
  CHECK(streamdb_stat(NULL, "/long.raw", &info) == kInvalid);
  CHECK(streamdb_reader_open(db, NULL, &reader) == kInvalid);
  CHECK(streamdb_reader_open(db, "/long.raw", NULL) == kInvalid);
  CHECK(streamdb_reader_size(NULL) == 0);
  CHECK(streamdb_reader_read(NULL, chunk, 10, &n) == kInvalid);
  streamdb_reader_free(NULL);
  CHECK(streamdb_search(db, NULL, &paths, &count) == kInvalid);
  CHECK(streamdb_search(db, "/", NULL, &count) == kInvalid);
  CHECK(streamdb_suffix_search(db, ".wav", &paths, NULL) == kInvalid);
  CHECK(streamdb_paths_of(db, NULL, &paths, &count) == kInvalid);
  CHECK(streamdb_snapshot_new(NULL) == NULL);
  streamdb_snapshot_free(db, NULL);
  CHECK(streamdb_get_stats(db, NULL) == kInvalid);
  CHECK(streamdb_verify(NULL, &damaged_count, NULL) == kInvalid);
  CHECK(streamdb_compact(NULL) == kInvalid);
  r.done = 0;
  streamdb_get_async(db, NULL, on_get, &r); /* answered at once, on this thread */
  CHECK(r.done == 1 && r.status == kInvalid);
  streamdb_free(NULL);
  streamdb_free_paths(NULL, 0);
  streamdb_close(NULL);
  CHECK(streamdb_get(db, "/long.raw", &data, &size) == STREAMDB_OK && size == 50000);
  streamdb_free(data);

  size_t damaged = 99;
  CHECK(streamdb_verify(db, &damaged, NULL) == STREAMDB_OK && damaged == 0);
  CHECK(streamdb_compact(db) == STREAMDB_OK);
  streamdb_stats stats;
  CHECK(streamdb_get_stats(db, &stats) == STREAMDB_OK && stats.paths == 4);
  streamdb_close(db);

  CHECK(streamdb_open(path, NULL, &db) == STREAMDB_OK);
  CHECK(streamdb_get(db, "/kits/rock/kick.wav", &data, &size) == STREAMDB_OK);
  CHECK(size == sizeof kick && memcmp(data, kick, size) == 0);
  streamdb_free(data);
  streamdb_close(db);

  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  printf("c api: ok\n");
  return 0;
}
