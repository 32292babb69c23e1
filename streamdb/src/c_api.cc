// The C API over the C++ one. Every entry point catches everything: no exception crosses.
#include "streamdb/streamdb.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "streamdb/db.h"

using streamdb::Code;
using streamdb::Status;

struct streamdb_t {
  std::unique_ptr<streamdb::DB> db;
};
struct streamdb_writer_t {
  std::unique_ptr<streamdb::DocumentWriter> writer;
};
struct streamdb_reader_t {
  std::unique_ptr<streamdb::DocumentReader> reader;
};
struct streamdb_batch_t {
  streamdb::WriteBatch batch;
};
struct streamdb_snapshot_t {
  const streamdb::Snapshot* snapshot;
};

namespace {

thread_local std::string last_error;

streamdb_status to_c(Code code) {
  switch (code) {
    case Code::kOk:
      return STREAMDB_OK;
    case Code::kNotFound:
      return STREAMDB_NOT_FOUND;
    case Code::kInvalidArgument:
      return STREAMDB_INVALID_ARGUMENT;
    case Code::kCorruption:
      return STREAMDB_CORRUPTION;
    case Code::kIoError:
      return STREAMDB_IO_ERROR;
    case Code::kBusy:
      return STREAMDB_BUSY;
    case Code::kNotSupported:
      return STREAMDB_NOT_SUPPORTED;
    case Code::kPermissionDenied:
      return STREAMDB_PERMISSION_DENIED;
    case Code::kUnavailable:
      return STREAMDB_UNAVAILABLE;
    case Code::kAborted:
      return STREAMDB_ABORTED;
  }
  return STREAMDB_IO_ERROR;
}

streamdb_status report(const Status& s) {
  if (s.ok()) {
    last_error.clear();
    return STREAMDB_OK;
  }
  last_error = s.message();
  return to_c(s.code());
}

streamdb_status invalid(const char* what) {
  last_error = what;
  return STREAMDB_INVALID_ARGUMENT;
}

template <typename F>
streamdb_status guard(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return STREAMDB_NO_MEMORY;
  } catch (...) {
    last_error = "internal error";
    return STREAMDB_IO_ERROR;
  }
}

streamdb::WriteOptions write_options(unsigned flags) {
  streamdb::WriteOptions wo;
  wo.sync = (flags & STREAMDB_NO_SYNC) == 0;
  return wo;
}

std::string_view bytes(const void* data, std::size_t size) {
  return size == 0 ? std::string_view() : std::string_view(static_cast<const char*>(data), size);
}

// Copies paths into a malloc'ed array of malloc'ed strings.
streamdb_status export_paths(const std::vector<std::string>& in, char*** paths, size_t* count) {
  *paths = nullptr;
  *count = 0;
  if (in.empty()) return STREAMDB_OK;
  auto** out = static_cast<char**>(std::calloc(in.size(), sizeof(char*)));
  if (out == nullptr) throw std::bad_alloc();
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[i] = static_cast<char*>(std::malloc(in[i].size() + 1));
    if (out[i] == nullptr) {
      streamdb_free_paths(out, i);
      throw std::bad_alloc();
    }
    std::memcpy(out[i], in[i].c_str(), in[i].size() + 1);
  }
  *paths = out;
  *count = in.size();
  return STREAMDB_OK;
}

template <typename Visit>
streamdb_status collect(Visit&& visit, char*** paths, size_t* count) {
  std::vector<std::string> found;
  Status s = visit([&](const streamdb::DocumentInfo& info) {
    found.push_back(info.path);
    return true;
  });
  if (!s.ok()) return report(s);
  last_error.clear();
  return export_paths(found, paths, count);
}

}  // namespace

extern "C" {

const char* streamdb_last_error(void) {
  return last_error.c_str();
}

const char* streamdb_status_name(streamdb_status status) {
  switch (status) {
    case STREAMDB_OK:
      return "ok";
    case STREAMDB_NOT_FOUND:
      return "not_found";
    case STREAMDB_INVALID_ARGUMENT:
      return "invalid_argument";
    case STREAMDB_CORRUPTION:
      return "corruption";
    case STREAMDB_IO_ERROR:
      return "io_error";
    case STREAMDB_BUSY:
      return "busy";
    case STREAMDB_NOT_SUPPORTED:
      return "not_supported";
    case STREAMDB_PERMISSION_DENIED:
      return "permission_denied";
    case STREAMDB_UNAVAILABLE:
      return "unavailable";
    case STREAMDB_ABORTED:
      return "aborted";
    case STREAMDB_NO_MEMORY:
      return "no_memory";
  }
  return "unknown";
}

void streamdb_options_init(streamdb_options* options) {
  if (options == nullptr) return;
  options->create_if_missing = 1;
  options->compress = 0;
  options->zstd_level = 3;
  options->passphrase = nullptr;
  options->block_size = 1u << 20;
  options->read_only = 0;
}

streamdb_status streamdb_open(const char* dir, const streamdb_options* options, streamdb_t** db) {
  return guard([&] {
    if (dir == nullptr || db == nullptr) return invalid("streamdb_open: dir and db are required");
    *db = nullptr;
    streamdb::Options o;
    if (options != nullptr) {
      o.create_if_missing = options->create_if_missing != 0;
      o.compression =
          options->compress != 0 ? streamdb::Compression::kZstd : streamdb::Compression::kNone;
      o.zstd_level = options->zstd_level;
      if (options->passphrase != nullptr) o.passphrase = options->passphrase;
      if (options->block_size != 0) o.block_size = options->block_size;
      o.read_only = options->read_only != 0;
    }
    auto opened = streamdb::DB::open(dir, o);
    if (!opened.ok()) return report(opened.status());
    *db = new streamdb_t{std::move(*opened)};
    return report({});
  });
}

void streamdb_close(streamdb_t* db) {
  try {
    delete db;
  } catch (...) {
  }
}

streamdb_status streamdb_write_document(streamdb_t* db, const char* path, const void* data,
                                        size_t size, unsigned flags) {
  return guard([&] {
    if (db == nullptr || path == nullptr || (data == nullptr && size != 0)) {
      return invalid("streamdb_write_document: db, path and data are required");
    }
    return report(db->db->put(write_options(flags), path, bytes(data, size)));
  });
}

streamdb_status streamdb_delete(streamdb_t* db, const char* path, unsigned flags) {
  return guard([&] {
    if (db == nullptr || path == nullptr) return invalid("streamdb_delete: db and path required");
    return report(db->db->remove(write_options(flags), path));
  });
}

streamdb_status streamdb_delete_guid(streamdb_t* db, const char* guid, unsigned flags) {
  return guard([&] {
    if (db == nullptr || guid == nullptr) return invalid("streamdb_delete_guid: db, guid required");
    auto g = streamdb::Guid::parse(guid);
    if (!g.ok()) return report(g.status());
    return report(db->db->remove_guid(write_options(flags), *g));
  });
}

streamdb_status streamdb_bind_to_path(streamdb_t* db, const char* existing_path,
                                      const char* new_path, unsigned flags) {
  return guard([&] {
    if (db == nullptr || existing_path == nullptr || new_path == nullptr) {
      return invalid("streamdb_bind_to_path: db and both paths are required");
    }
    return report(db->db->bind(write_options(flags), existing_path, new_path));
  });
}

streamdb_status streamdb_unbind_path(streamdb_t* db, const char* path, unsigned flags) {
  return guard([&] {
    if (db == nullptr || path == nullptr) return invalid("streamdb_unbind_path: db, path required");
    return report(db->db->unbind(write_options(flags), path));
  });
}

streamdb_status streamdb_rename(streamdb_t* db, const char* old_path, const char* new_path,
                                unsigned flags) {
  return guard([&] {
    if (db == nullptr || old_path == nullptr || new_path == nullptr) {
      return invalid("streamdb_rename: db and both paths are required");
    }
    return report(db->db->rename(write_options(flags), old_path, new_path));
  });
}

streamdb_status streamdb_flush(streamdb_t* db) {
  return guard([&] {
    if (db == nullptr) return invalid("streamdb_flush: db is required");
    return report(db->db->flush());
  });
}

streamdb_batch_t* streamdb_batch_new(void) {
  try {
    return new streamdb_batch_t();
  } catch (...) {
    return nullptr;
  }
}

void streamdb_batch_put(streamdb_batch_t* batch, const char* path, const void* data, size_t size) {
  try {
    if (batch != nullptr && path != nullptr) batch->batch.put(path, bytes(data, size));
  } catch (...) {
  }
}

void streamdb_batch_delete(streamdb_batch_t* batch, const char* path) {
  try {
    if (batch != nullptr && path != nullptr) batch->batch.remove(path);
  } catch (...) {
  }
}

void streamdb_batch_bind(streamdb_batch_t* batch, const char* existing_path, const char* new_path) {
  try {
    if (batch != nullptr && existing_path != nullptr && new_path != nullptr) {
      batch->batch.bind(existing_path, new_path);
    }
  } catch (...) {
  }
}

streamdb_status streamdb_write_batch(streamdb_t* db, const streamdb_batch_t* batch,
                                     unsigned flags) {
  return guard([&] {
    if (db == nullptr || batch == nullptr)
      return invalid("streamdb_write_batch: db, batch required");
    return report(db->db->write(write_options(flags), batch->batch));
  });
}

void streamdb_batch_free(streamdb_batch_t* batch) {
  delete batch;
}

streamdb_status streamdb_writer_open(streamdb_t* db, const char* path, unsigned flags,
                                     streamdb_writer_t** writer) {
  return guard([&] {
    if (db == nullptr || path == nullptr || writer == nullptr) {
      return invalid("streamdb_writer_open: db, path and writer are required");
    }
    *writer = nullptr;
    auto w = db->db->new_writer(write_options(flags), path);
    if (!w.ok()) return report(w.status());
    *writer = new streamdb_writer_t{std::move(*w)};
    return report({});
  });
}

streamdb_status streamdb_writer_append(streamdb_writer_t* writer, const void* data, size_t size) {
  return guard([&] {
    if (writer == nullptr || (data == nullptr && size != 0)) {
      return invalid("streamdb_writer_append: writer and data are required");
    }
    return report(
        writer->writer->append(std::as_bytes(std::span(static_cast<const char*>(data), size))));
  });
}

streamdb_status streamdb_writer_commit(streamdb_writer_t* writer) {
  return guard([&] {
    if (writer == nullptr) return invalid("streamdb_writer_commit: writer is required");
    return report(writer->writer->commit());
  });
}

void streamdb_writer_free(streamdb_writer_t* writer) {
  try {
    delete writer;
  } catch (...) {
  }
}

streamdb_status streamdb_get(streamdb_t* db, const char* path, void** data, size_t* size) {
  return streamdb_get_at(db, nullptr, path, data, size);
}

streamdb_status streamdb_get_at(streamdb_t* db, const streamdb_snapshot_t* snapshot,
                                const char* path, void** data, size_t* size) {
  return guard([&] {
    if (db == nullptr || path == nullptr || data == nullptr || size == nullptr) {
      return invalid("streamdb_get: db, path, data and size are required");
    }
    *data = nullptr;
    *size = 0;
    std::string value;
    streamdb::ReadOptions ro;
    if (snapshot != nullptr) ro.snapshot = snapshot->snapshot;
    Status s = db->db->get(ro, path, &value);
    if (!s.ok()) return report(s);
    void* out = std::malloc(value.empty() ? 1 : value.size());
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, value.data(), value.size());
    *data = out;
    *size = value.size();
    return report({});
  });
}

void streamdb_get_async(streamdb_t* db, const char* path, streamdb_get_callback callback,
                        void* user_data) {
  if (callback == nullptr) return;
  try {
    if (db == nullptr || path == nullptr) {
      callback(user_data, STREAMDB_INVALID_ARGUMENT, nullptr, 0, "db and path are required");
      return;
    }
    db->db->get_async(path, [callback, user_data](streamdb::Result<std::string> r) {
      if (r.ok()) {
        callback(user_data, STREAMDB_OK, r->data(), r->size(), "");
      } else {
        std::string message = r.status().message();
        callback(user_data, to_c(r.status().code()), nullptr, 0, message.c_str());
      }
    });
  } catch (...) {
    callback(user_data, STREAMDB_NO_MEMORY, nullptr, 0, "out of memory");
  }
}

streamdb_status streamdb_read_range(streamdb_t* db, const char* path, uint64_t offset, void* buffer,
                                    size_t size, size_t* bytes_read) {
  return guard([&] {
    if (db == nullptr || path == nullptr || (buffer == nullptr && size != 0) ||
        bytes_read == nullptr) {
      return invalid("streamdb_read_range: db, path, buffer and bytes_read are required");
    }
    *bytes_read = 0;
    auto n = db->db->read_range({}, path, offset, std::span(static_cast<std::byte*>(buffer), size));
    if (!n.ok()) return report(n.status());
    *bytes_read = *n;
    return report({});
  });
}

streamdb_status streamdb_stat(streamdb_t* db, const char* path, streamdb_info* info) {
  return guard([&] {
    if (db == nullptr || path == nullptr || info == nullptr) {
      return invalid("streamdb_stat: db, path and info are required");
    }
    auto r = db->db->stat({}, path);
    if (!r.ok()) return report(r.status());
    std::string g = r->guid.to_string();
    std::memcpy(info->guid, g.c_str(), g.size() + 1);
    info->size = r->size;
    info->checksum = r->checksum;
    info->mtime_ns = r->mtime_ns;
    info->path_count = r->path_count;
    return report({});
  });
}

streamdb_status streamdb_reader_open(streamdb_t* db, const char* path, streamdb_reader_t** reader) {
  return guard([&] {
    if (db == nullptr || path == nullptr || reader == nullptr) {
      return invalid("streamdb_reader_open: db, path and reader are required");
    }
    *reader = nullptr;
    auto r = db->db->new_reader({}, path);
    if (!r.ok()) return report(r.status());
    *reader = new streamdb_reader_t{std::move(*r)};
    return report({});
  });
}

uint64_t streamdb_reader_size(const streamdb_reader_t* reader) {
  return reader == nullptr ? 0 : reader->reader->size();
}

streamdb_status streamdb_reader_read(streamdb_reader_t* reader, void* buffer, size_t size,
                                     size_t* bytes_read) {
  return guard([&] {
    if (reader == nullptr || (buffer == nullptr && size != 0) || bytes_read == nullptr) {
      return invalid("streamdb_reader_read: reader, buffer and bytes_read are required");
    }
    *bytes_read = 0;
    auto n = reader->reader->read(std::span(static_cast<std::byte*>(buffer), size));
    if (!n.ok()) return report(n.status());
    *bytes_read = *n;
    return report({});
  });
}

void streamdb_reader_free(streamdb_reader_t* reader) {
  delete reader;
}

streamdb_status streamdb_search(streamdb_t* db, const char* prefix, char*** paths, size_t* count) {
  return streamdb_search_at(db, nullptr, prefix, paths, count);
}

streamdb_status streamdb_search_at(streamdb_t* db, const streamdb_snapshot_t* snapshot,
                                   const char* prefix, char*** paths, size_t* count) {
  return guard([&] {
    if (db == nullptr || prefix == nullptr || paths == nullptr || count == nullptr) {
      return invalid("streamdb_search: db, prefix, paths and count are required");
    }
    streamdb::ReadOptions ro;
    if (snapshot != nullptr) ro.snapshot = snapshot->snapshot;
    std::vector<std::string> found;
    Status s = db->db->list_paths(ro, prefix, [&](std::string_view path) {
      found.emplace_back(path);
      return true;
    });
    if (!s.ok()) return report(s);
    last_error.clear();
    return export_paths(found, paths, count);
  });
}

streamdb_snapshot_t* streamdb_snapshot_new(streamdb_t* db) {
  if (db == nullptr) return nullptr;
  try {
    return new streamdb_snapshot_t{db->db->get_snapshot()};
  } catch (...) {
    return nullptr;
  }
}

void streamdb_snapshot_free(streamdb_t* db, streamdb_snapshot_t* snapshot) {
  if (db == nullptr || snapshot == nullptr) return;
  db->db->release_snapshot(snapshot->snapshot);
  delete snapshot;
}

streamdb_status streamdb_suffix_search(streamdb_t* db, const char* suffix, char*** paths,
                                       size_t* count) {
  return guard([&] {
    if (db == nullptr || suffix == nullptr || paths == nullptr || count == nullptr) {
      return invalid("streamdb_suffix_search: db, suffix, paths and count are required");
    }
    return collect([&](const auto& visit) { return db->db->find_suffix({}, suffix, visit); }, paths,
                   count);
  });
}

streamdb_status streamdb_paths_of(streamdb_t* db, const char* guid, char*** paths, size_t* count) {
  return guard([&] {
    if (db == nullptr || guid == nullptr || paths == nullptr || count == nullptr) {
      return invalid("streamdb_paths_of: db, guid, paths and count are required");
    }
    auto g = streamdb::Guid::parse(guid);
    if (!g.ok()) return report(g.status());
    auto r = db->db->paths_of({}, *g);
    if (!r.ok()) return report(r.status());
    last_error.clear();
    return export_paths(*r, paths, count);
  });
}

streamdb_status streamdb_get_stats(streamdb_t* db, streamdb_stats* stats) {
  return guard([&] {
    if (db == nullptr || stats == nullptr) return invalid("streamdb_get_stats: db, stats required");
    streamdb::Stats s = db->db->stats();
    stats->documents = s.documents;
    stats->paths = s.paths;
    stats->live_bytes = s.live_bytes;
    stats->file_bytes = s.file_bytes;
    stats->commits = s.commits;
    stats->syncs = s.syncs;
    return report({});
  });
}

streamdb_status streamdb_verify(streamdb_t* db, size_t* damaged, char*** paths) {
  return guard([&] {
    if (db == nullptr || damaged == nullptr)
      return invalid("streamdb_verify: db, damaged required");
    *damaged = 0;
    if (paths != nullptr) *paths = nullptr;
    auto r = db->db->verify();
    if (!r.ok()) return report(r.status());
    *damaged = r->damaged.size();
    last_error.clear();
    if (paths == nullptr) return STREAMDB_OK;
    std::vector<std::string> names;
    for (const auto& d : r->damaged)
      names.push_back(d.path);
    std::size_t count = 0;
    return export_paths(names, paths, &count);
  });
}

streamdb_status streamdb_compact(streamdb_t* db) {
  return guard([&] {
    if (db == nullptr) return invalid("streamdb_compact: db is required");
    return report(db->db->compact());
  });
}

void streamdb_free(void* data) {
  std::free(data);
}

void streamdb_free_paths(char** paths, size_t count) {
  if (paths == nullptr) return;
  for (std::size_t i = 0; i < count; ++i)
    std::free(paths[i]);
  std::free(paths);
}

}  // extern "C"
