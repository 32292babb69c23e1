// RocksDB adapters: default options except no compression (the documents are random bytes, and
// StreamDB does not compress by default either); every commit is a WriteBatch written with
// WriteOptions::sync = true, so the WAL is fsynced before the call returns. "rocksdb" keeps
// values in the LSM tree (the default); "rocksdb_blob" turns on integrated BlobDB, RocksDB's
// own setting for large values. The bars compare with "rocksdb".
// Streaming (e): chunked keys. Each 1 MiB chunk goes under "\x01" + path + big-endian chunk
// number with sync = false as it arrives; commit() writes a small manifest ("\x02" + path ->
// size) with sync = true, which syncs the WAL and with it every earlier chunk. The document
// exists once its manifest does. Both key spaces sort before '/', so listing never sees them.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <charconv>
#include <cstring>

#include "store.h"

namespace streamdb_bench {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

Status rocks_error(std::string_view what, const rocksdb::Status& s) {
  return Status::io_error("rocksdb " + std::string(what) + ": " + s.ToString());
}

rocksdb::Slice to_slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string chunk_key(std::string_view path, std::uint64_t index) {
  std::string key = "\x01";
  key.append(path);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((index >> shift) & 0xff));
  }
  return key;
}

std::string manifest_key(std::string_view path) {
  return "\x02" + std::string(path);
}

rocksdb::WriteOptions sync_write() {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return wo;
}

class RocksStreamWriter final : public StreamWriter {
 public:
  RocksStreamWriter(rocksdb::DB* db, std::string_view path, std::uint64_t size)
      : db_(db), path_(path), size_(size) {
    pending_.reserve(kChunkBytes);
  }

  Status append(std::string_view data) override {
    while (!data.empty()) {
      std::size_t n = std::min(data.size(), kChunkBytes - pending_.size());
      pending_.append(data.substr(0, n));
      data.remove_prefix(n);
      written_ += n;
      if (pending_.size() == kChunkBytes) ARCHIBALD_RETURN_IF_ERROR(flush_chunk());
    }
    return {};
  }

  Status commit() override {
    if (written_ != size_) return Status::invalid_argument("rocksdb writer: size mismatch");
    if (!pending_.empty()) ARCHIBALD_RETURN_IF_ERROR(flush_chunk());
    std::string size_text = std::to_string(size_);
    rocksdb::Status s = db_->Put(sync_write(), manifest_key(path_), size_text);
    return s.ok() ? Status{} : rocks_error("put manifest", s);
  }

 private:
  Status flush_chunk() {
    rocksdb::Status s =
        db_->Put(rocksdb::WriteOptions(), chunk_key(path_, next_chunk_++), pending_);
    pending_.clear();
    return s.ok() ? Status{} : rocks_error("put chunk", s);
  }

  rocksdb::DB* db_;
  std::string path_;
  std::uint64_t size_;
  std::uint64_t written_ = 0;
  std::uint64_t next_chunk_ = 0;
  std::string pending_;
};

class RocksStreamReader final : public StreamReader {
 public:
  RocksStreamReader(rocksdb::DB* db, std::string_view path, std::uint64_t size)
      : db_(db), path_(path), remaining_(size) {}

  Result<std::size_t> read(std::span<char> out) override {
    std::size_t copied = 0;
    while (copied < out.size() && remaining_ > 0) {
      if (offset_ == chunk_.size()) {
        chunk_.Reset();
        rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                                     chunk_key(path_, next_chunk_++), &chunk_);
        if (!s.ok()) return rocks_error("get chunk", s);
        offset_ = 0;
      }
      std::size_t n = std::min(
          {out.size() - copied, chunk_.size() - offset_, static_cast<std::size_t>(remaining_)});
      std::memcpy(out.data() + copied, chunk_.data() + offset_, n);
      copied += n;
      offset_ += n;
      remaining_ -= n;
    }
    return copied;
  }

 private:
  rocksdb::DB* db_;
  std::string path_;
  std::uint64_t remaining_;
  std::uint64_t next_chunk_ = 0;
  rocksdb::PinnableSlice chunk_;
  std::size_t offset_ = 0;
};

class RocksStore final : public Store {
 public:
  explicit RocksStore(rocksdb::DB* db) : db_(db) {}
  ~RocksStore() override {
    (void)db_->Close();
    delete db_;
  }

  Status put_batch(std::span<const Document> docs) override {
    rocksdb::WriteBatch batch;
    for (const Document& doc : docs) {
      if (rocksdb::Status s = batch.Put(to_slice(doc.path), to_slice(doc.data)); !s.ok()) {
        return rocks_error("batch put", s);
      }
    }
    rocksdb::Status s = db_->Write(sync_write(), &batch);
    return s.ok() ? Status{} : rocks_error("write", s);
  }

  Status get(std::string_view path, std::string* out) override {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), to_slice(path), out);
    if (s.IsNotFound()) return Status::not_found(std::string(path));
    return s.ok() ? Status{} : rocks_error("get", s);
  }

  Status list(std::string_view prefix, ListMode mode, const ListVisitor& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(to_slice(prefix)); it->Valid() && it->key().starts_with(to_slice(prefix));
         it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      if (mode == ListMode::kWithContents) {
        contents_.assign(it->value().data(), it->value().size());
        visit(key, contents_);
      } else {
        visit(key, {});
      }
    }
    return it->status().ok() ? Status{} : rocks_error("iterate", it->status());
  }

  Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path,
                                                   std::uint64_t size) override {
    return std::unique_ptr<StreamWriter>(std::make_unique<RocksStreamWriter>(db_, path, size));
  }

  Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) override {
    std::string size_text;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), manifest_key(path), &size_text);
    if (s.IsNotFound()) return Status::not_found(std::string(path));
    if (!s.ok()) return rocks_error("get manifest", s);
    std::uint64_t size = 0;
    const char* end = size_text.data() + size_text.size();
    if (std::from_chars(size_text.data(), end, size).ptr != end) {
      return Status::corruption("rocksdb manifest of " + std::string(path) + " is not a size");
    }
    return std::unique_ptr<StreamReader>(std::make_unique<RocksStreamReader>(db_, path, size));
  }

 private:
  rocksdb::DB* db_;
  std::string contents_;
};

}  // namespace

namespace {

Result<std::unique_ptr<Store>> open_rocks(const std::string& dir, bool blob_files) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kNoCompression;
  if (blob_files) {
    // Integrated BlobDB: values of 4 KiB and more go to blob files and are not rewritten by
    // compaction; RocksDB's own answer for large values.
    options.enable_blob_files = true;
    options.min_blob_size = 4096;
    options.blob_compression_type = rocksdb::kNoCompression;
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return rocks_error("open " + dir, s);
  return std::unique_ptr<Store>(std::make_unique<RocksStore>(db));
}

}  // namespace

Result<std::unique_ptr<Store>> open_rocksdb_store(const std::string& dir) {
  return open_rocks(dir, /*blob_files=*/false);
}

Result<std::unique_ptr<Store>> open_rocksdb_blob_store(const std::string& dir) {
  return open_rocks(dir, /*blob_files=*/true);
}

}  // namespace streamdb_bench
