// SQLite adapter: one table docs(id INTEGER PRIMARY KEY, path TEXT UNIQUE, data BLOB) in WAL
// mode with synchronous = FULL, so every COMMIT fsyncs the WAL before it returns.
// Streaming (e): incremental blob I/O. The writer inserts a zeroblob of the final size inside a
// transaction, fills it with sqlite3_blob_write chunk by chunk and commits; the reader opens
// the blob and copies chunks out with sqlite3_blob_read.
#include <sqlite3.h>

#include <climits>

#include "store.h"

namespace streamdb_bench {
namespace {

Status sqlite_error(sqlite3* db, std::string_view what) {
  return Status::io_error("sqlite " + std::string(what) + ": " + sqlite3_errmsg(db));
}

Status exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Status s = Status::io_error(std::string("sqlite ") + sql + ": " +
                                (message != nullptr ? message : "unknown error"));
    sqlite3_free(message);
    return s;
  }
  return {};
}

// A prepared statement, reset (bindings kept) when the guard goes out of scope.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Status prepare(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      return sqlite_error(db, std::string("prepare ") + sql);
    }
    return {};
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() { sqlite3_reset(stmt_); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

bool bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) ==
         SQLITE_OK;
}

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  return {reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
}

std::string_view column_blob(sqlite3_stmt* stmt, int column) {
  const void* blob = sqlite3_column_blob(stmt, column);
  return {static_cast<const char*>(blob),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
}

// The smallest string greater than every string starting with prefix; empty when none is.
std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
    end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(end.back() + 1);
  return end;
}

class SqliteStreamWriter final : public StreamWriter {
 public:
  SqliteStreamWriter(sqlite3* db, sqlite3_blob* blob, std::uint64_t size)
      : db_(db), blob_(blob), size_(size) {}
  ~SqliteStreamWriter() override {
    if (blob_ != nullptr) {
      sqlite3_blob_close(blob_);
      (void)exec(db_, "ROLLBACK");
    }
  }

  Status append(std::string_view chunk) override {
    if (blob_ == nullptr) return Status::invalid_argument("sqlite writer: already committed");
    if (chunk.size() > size_ - written_ || chunk.size() > INT_MAX) {
      return Status::invalid_argument("sqlite writer: more bytes than the reserved size");
    }
    if (sqlite3_blob_write(blob_, chunk.data(), static_cast<int>(chunk.size()),
                           static_cast<int>(written_)) != SQLITE_OK) {
      return sqlite_error(db_, "blob write");
    }
    written_ += chunk.size();
    return {};
  }

  Status commit() override {
    if (blob_ == nullptr) return Status::invalid_argument("sqlite writer: already committed");
    if (written_ != size_) return Status::invalid_argument("sqlite writer: size mismatch");
    int rc = sqlite3_blob_close(blob_);
    blob_ = nullptr;
    if (rc != SQLITE_OK) {
      (void)exec(db_, "ROLLBACK");
      return sqlite_error(db_, "blob close");
    }
    return exec(db_, "COMMIT");
  }

 private:
  sqlite3* db_;
  sqlite3_blob* blob_;
  std::uint64_t size_;
  std::uint64_t written_ = 0;
};

class SqliteStreamReader final : public StreamReader {
 public:
  SqliteStreamReader(sqlite3* db, sqlite3_blob* blob)
      : db_(db), blob_(blob), size_(sqlite3_blob_bytes(blob)) {}
  ~SqliteStreamReader() override { sqlite3_blob_close(blob_); }

  Result<std::size_t> read(std::span<char> out) override {
    int n = static_cast<int>(std::min<std::size_t>(out.size(), size_ - offset_));
    if (n > 0 && sqlite3_blob_read(blob_, out.data(), n, offset_) != SQLITE_OK) {
      return sqlite_error(db_, "blob read");
    }
    offset_ += n;
    return static_cast<std::size_t>(n);
  }

 private:
  sqlite3* db_;
  sqlite3_blob* blob_;
  int size_;
  int offset_ = 0;
};

// Owns the connection; declared before the statements so that it closes after them.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db_); }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : connection_(db), db_(db) {}

  Status prepare() {
    ARCHIBALD_RETURN_IF_ERROR(
        upsert_.prepare(db_,
                        "INSERT INTO docs(path, data) VALUES(?1, ?2) "
                        "ON CONFLICT(path) DO UPDATE SET data = excluded.data"));
    ARCHIBALD_RETURN_IF_ERROR(
        reserve_.prepare(db_,
                         "INSERT INTO docs(path, data) VALUES(?1, zeroblob(?2)) "
                         "ON CONFLICT(path) DO UPDATE SET data = excluded.data RETURNING id"));
    ARCHIBALD_RETURN_IF_ERROR(select_.prepare(db_, "SELECT data FROM docs WHERE path = ?1"));
    ARCHIBALD_RETURN_IF_ERROR(select_id_.prepare(db_, "SELECT id FROM docs WHERE path = ?1"));
    ARCHIBALD_RETURN_IF_ERROR(list_names_.prepare(
        db_, "SELECT path FROM docs WHERE path >= ?1 AND path < ?2 ORDER BY path"));
    ARCHIBALD_RETURN_IF_ERROR(list_contents_.prepare(
        db_, "SELECT path, data FROM docs WHERE path >= ?1 AND path < ?2 ORDER BY path"));
    return {};
  }

  Status put_batch(std::span<const Document> docs) override {
    bool transaction = docs.size() > 1;
    if (transaction) ARCHIBALD_RETURN_IF_ERROR(exec(db_, "BEGIN"));
    for (const Document& doc : docs) {
      Status s = put_one(doc);
      if (!s.ok()) {
        if (transaction) (void)exec(db_, "ROLLBACK");
        return s;
      }
    }
    return transaction ? exec(db_, "COMMIT") : Status{};
  }

  Status get(std::string_view path, std::string* out) override {
    sqlite3_stmt* stmt = select_.get();
    ResetOnExit reset(stmt);
    if (!bind_text(stmt, 1, path)) return sqlite_error(db_, "bind");
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return Status::not_found(std::string(path));
    if (rc != SQLITE_ROW) return sqlite_error(db_, "select");
    out->assign(column_blob(stmt, 0));
    return {};
  }

  Status list(std::string_view prefix, ListMode mode, const ListVisitor& visit) override {
    bool with_contents = mode == ListMode::kWithContents;
    sqlite3_stmt* stmt = with_contents ? list_contents_.get() : list_names_.get();
    ResetOnExit reset(stmt);
    std::string end = prefix_end(prefix);
    // An all-0xff prefix has no upper bound; no path in the benchmark has one.
    if (end.empty()) return Status::invalid_argument("sqlite list: unsupported prefix");
    if (!bind_text(stmt, 1, prefix) || !bind_text(stmt, 2, end)) {
      return sqlite_error(db_, "bind");
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (with_contents) {
        contents_.assign(column_blob(stmt, 1));
        visit(column_text(stmt, 0), contents_);
      } else {
        visit(column_text(stmt, 0), {});
      }
    }
    return rc == SQLITE_DONE ? Status{} : sqlite_error(db_, "list");
  }

  Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path,
                                                   std::uint64_t size) override {
    if (size > INT_MAX) return Status::invalid_argument("sqlite writer: blob over 2 GiB");
    ARCHIBALD_RETURN_IF_ERROR(exec(db_, "BEGIN"));
    sqlite3_int64 id = 0;
    {
      sqlite3_stmt* stmt = reserve_.get();
      ResetOnExit reset(stmt);
      if (!bind_text(stmt, 1, path) ||
          sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(size)) != SQLITE_OK ||
          sqlite3_step(stmt) != SQLITE_ROW) {
        Status s = sqlite_error(db_, "reserve blob");
        sqlite3_reset(stmt);
        (void)exec(db_, "ROLLBACK");
        return s;
      }
      id = sqlite3_column_int64(stmt, 0);
      // RETURNING rows must be stepped to the end for the statement to finish.
      while (sqlite3_step(stmt) == SQLITE_ROW) {
      }
    }
    sqlite3_blob* blob = nullptr;
    if (sqlite3_blob_open(db_, "main", "docs", "data", id, 1, &blob) != SQLITE_OK) {
      Status s = sqlite_error(db_, "blob open");
      (void)exec(db_, "ROLLBACK");
      return s;
    }
    return std::unique_ptr<StreamWriter>(std::make_unique<SqliteStreamWriter>(db_, blob, size));
  }

  Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) override {
    sqlite3_int64 id = 0;
    {
      sqlite3_stmt* stmt = select_id_.get();
      ResetOnExit reset(stmt);
      if (!bind_text(stmt, 1, path)) return sqlite_error(db_, "bind");
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Status::not_found(std::string(path));
      if (rc != SQLITE_ROW) return sqlite_error(db_, "select id");
      id = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_blob* blob = nullptr;
    if (sqlite3_blob_open(db_, "main", "docs", "data", id, 0, &blob) != SQLITE_OK) {
      return sqlite_error(db_, "blob open");
    }
    return std::unique_ptr<StreamReader>(std::make_unique<SqliteStreamReader>(db_, blob));
  }

 private:
  Status put_one(const Document& doc) {
    sqlite3_stmt* stmt = upsert_.get();
    ResetOnExit reset(stmt);
    if (!bind_text(stmt, 1, doc.path) ||
        sqlite3_bind_blob64(stmt, 2, doc.data.data(), doc.data.size(), SQLITE_STATIC) !=
            SQLITE_OK) {
      return sqlite_error(db_, "bind");
    }
    return sqlite3_step(stmt) == SQLITE_DONE ? Status{} : sqlite_error(db_, "insert");
  }

  Connection connection_;
  sqlite3* db_;
  Statement upsert_, reserve_, select_, select_id_, list_names_, list_contents_;
  std::string contents_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& dir) {
  sqlite3* db = nullptr;
  std::string file = dir + "/bench.sqlite";
  int rc = sqlite3_open_v2(
      file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto store = std::make_unique<SqliteStore>(db);
  if (rc != SQLITE_OK) return sqlite_error(db, "open " + file);
  ARCHIBALD_RETURN_IF_ERROR(exec(db, "PRAGMA journal_mode = WAL"));
  ARCHIBALD_RETURN_IF_ERROR(exec(db, "PRAGMA synchronous = FULL"));
  ARCHIBALD_RETURN_IF_ERROR(exec(db,
                                 "CREATE TABLE docs(id INTEGER PRIMARY KEY, "
                                 "path TEXT NOT NULL UNIQUE, data BLOB NOT NULL)"));
  ARCHIBALD_RETURN_IF_ERROR(store->prepare());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace streamdb_bench
