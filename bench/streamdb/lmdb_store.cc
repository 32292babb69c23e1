// LMDB adapter: one B+tree keyed by path, default (durable) commits: mdb_txn_commit syncs the
// data pages and then the meta page before it returns.
// Streaming (e): MDB_RESERVE allocates the whole value inside the write transaction and the
// writer fills it chunk by chunk; LMDB keeps a transaction's dirty pages in process memory
// until commit, so a 128 MiB document costs about 128 MiB of RSS. The reader copies chunks out
// of the memory map.
#include <lmdb.h>

#include <cstring>

#include "store.h"

namespace streamdb_bench {
namespace {

// Virtual address space only; LMDB grows the file as pages are used.
constexpr std::size_t kMapSize = std::size_t{16} << 30;

Status lmdb_error(std::string_view what, int rc) {
  return Status::io_error(std::string("lmdb ") + std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view to_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

class LmdbStreamWriter final : public StreamWriter {
 public:
  LmdbStreamWriter(MDB_txn* txn, char* dest, std::uint64_t size)
      : txn_(txn), dest_(dest), size_(size) {}
  ~LmdbStreamWriter() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }

  Status append(std::string_view chunk) override {
    if (txn_ == nullptr) return Status::invalid_argument("lmdb writer: already committed");
    if (chunk.size() > size_ - written_) {
      return Status::invalid_argument("lmdb writer: more bytes than the reserved size");
    }
    std::memcpy(dest_ + written_, chunk.data(), chunk.size());
    written_ += chunk.size();
    return {};
  }

  Status commit() override {
    if (txn_ == nullptr) return Status::invalid_argument("lmdb writer: already committed");
    if (written_ != size_)
      return Status::invalid_argument("lmdb writer: fewer bytes than reserved");
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc == MDB_SUCCESS ? Status{} : lmdb_error("commit", rc);
  }

 private:
  MDB_txn* txn_;
  char* dest_;
  std::uint64_t size_;
  std::uint64_t written_ = 0;
};

class LmdbStreamReader final : public StreamReader {
 public:
  LmdbStreamReader(MDB_txn* txn, std::string_view value) : txn_(txn), value_(value) {}
  ~LmdbStreamReader() override { mdb_txn_abort(txn_); }

  Result<std::size_t> read(std::span<char> out) override {
    std::size_t n = std::min(out.size(), value_.size() - offset_);
    std::memcpy(out.data(), value_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  MDB_txn* txn_;
  std::string_view value_;
  std::size_t offset_ = 0;
};

class LmdbStore final : public Store {
 public:
  LmdbStore(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  ~LmdbStore() override {
    if (read_txn_ != nullptr) mdb_txn_abort(read_txn_);
    mdb_env_close(env_);
  }

  Status put_batch(std::span<const Document> docs) override {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS) {
      return lmdb_error("begin", rc);
    }
    for (const Document& doc : docs) {
      MDB_val key = to_val(doc.path);
      MDB_val val = to_val(doc.data);
      if (int rc = mdb_put(txn, dbi_, &key, &val, 0); rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return lmdb_error("put", rc);
      }
    }
    int rc = mdb_txn_commit(txn);
    return rc == MDB_SUCCESS ? Status{} : lmdb_error("commit", rc);
  }

  Status get(std::string_view path, std::string* out) override {
    ARCHIBALD_RETURN_IF_ERROR(begin_read());
    MDB_val key = to_val(path);
    MDB_val val;
    int rc = mdb_get(read_txn_, dbi_, &key, &val);
    if (rc == MDB_SUCCESS) out->assign(to_view(val));
    mdb_txn_reset(read_txn_);
    if (rc == MDB_NOTFOUND) return Status::not_found(std::string(path));
    return rc == MDB_SUCCESS ? Status{} : lmdb_error("get", rc);
  }

  Status list(std::string_view prefix, ListMode mode, const ListVisitor& visit) override {
    ARCHIBALD_RETURN_IF_ERROR(begin_read());
    MDB_cursor* cursor = nullptr;
    if (int rc = mdb_cursor_open(read_txn_, dbi_, &cursor); rc != MDB_SUCCESS) {
      mdb_txn_reset(read_txn_);
      return lmdb_error("cursor", rc);
    }
    MDB_val key = to_val(prefix);
    MDB_val val;
    int rc = mdb_cursor_get(cursor, &key, &val, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && to_view(key).starts_with(prefix)) {
      if (mode == ListMode::kWithContents) {
        contents_.assign(to_view(val));
        visit(to_view(key), contents_);
      } else {
        visit(to_view(key), {});
      }
      rc = mdb_cursor_get(cursor, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cursor);
    mdb_txn_reset(read_txn_);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? Status{} : lmdb_error("cursor next", rc);
  }

  Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path,
                                                   std::uint64_t size) override {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS) {
      return lmdb_error("begin", rc);
    }
    MDB_val key = to_val(path);
    MDB_val val{size, nullptr};
    if (int rc = mdb_put(txn, dbi_, &key, &val, MDB_RESERVE); rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return lmdb_error("reserve", rc);
    }
    return std::unique_ptr<StreamWriter>(
        std::make_unique<LmdbStreamWriter>(txn, static_cast<char*>(val.mv_data), size));
  }

  Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) override {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != MDB_SUCCESS) {
      return lmdb_error("begin read", rc);
    }
    MDB_val key = to_val(path);
    MDB_val val;
    if (int rc = mdb_get(txn, dbi_, &key, &val); rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      return rc == MDB_NOTFOUND ? Status::not_found(std::string(path)) : lmdb_error("get", rc);
    }
    return std::unique_ptr<StreamReader>(std::make_unique<LmdbStreamReader>(txn, to_view(val)));
  }

 private:
  // One read transaction, reset after each read and renewed for the next: LMDB's fast path.
  Status begin_read() {
    int rc = read_txn_ == nullptr ? mdb_txn_begin(env_, nullptr, MDB_RDONLY, &read_txn_)
                                  : mdb_txn_renew(read_txn_);
    return rc == MDB_SUCCESS ? Status{} : lmdb_error("begin read", rc);
  }

  MDB_env* env_;
  MDB_dbi dbi_;
  MDB_txn* read_txn_ = nullptr;
  std::string contents_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_lmdb_store(const std::string& dir) {
  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != MDB_SUCCESS) return lmdb_error("env create", rc);
  int rc = mdb_env_set_mapsize(env, kMapSize);
  // MDB_NOTLS lets the long-lived read transaction be reset and renewed without slot churn;
  // it does not change durability.
  if (rc == MDB_SUCCESS) rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  if (rc == MDB_SUCCESS) rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc == MDB_SUCCESS) {
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (rc == MDB_SUCCESS) {
      rc = mdb_txn_commit(txn);
    } else {
      mdb_txn_abort(txn);
    }
  }
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env);
    return lmdb_error("open " + dir, rc);
  }
  return std::unique_ptr<Store>(std::make_unique<LmdbStore>(env, dbi));
}

}  // namespace streamdb_bench
