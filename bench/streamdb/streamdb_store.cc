// StreamDB adapter, written against the public API only (streamdb/db.h). Every commit uses
// WriteOptions::sync = true (fdatasync before the call returns); a batch of documents is one
// WriteBatch. Streaming (e) uses the engine's own DocumentWriter/DocumentReader.
// Listing with contents lists the names under a snapshot, then gets each document from that
// snapshot, since DB::list visits metadata only.
#include <memory>
#include <vector>

#include "store.h"
#include "streamdb/db.h"

namespace streamdb_bench {
namespace {

streamdb::WriteOptions durable() {
  streamdb::WriteOptions wo;
  wo.sync = true;
  return wo;
}

class StreamDbWriter final : public StreamWriter {
 public:
  explicit StreamDbWriter(std::unique_ptr<streamdb::DocumentWriter> writer)
      : writer_(std::move(writer)) {}
  Status append(std::string_view chunk) override {
    return writer_->append(std::as_bytes(std::span<const char>(chunk.data(), chunk.size())));
  }
  Status commit() override { return writer_->commit(); }

 private:
  std::unique_ptr<streamdb::DocumentWriter> writer_;
};

class StreamDbReader final : public StreamReader {
 public:
  explicit StreamDbReader(std::unique_ptr<streamdb::DocumentReader> reader)
      : reader_(std::move(reader)) {}
  Result<std::size_t> read(std::span<char> out) override {
    return reader_->read(std::as_writable_bytes(out));
  }

 private:
  std::unique_ptr<streamdb::DocumentReader> reader_;
};

class StreamDbStore final : public Store {
 public:
  explicit StreamDbStore(std::unique_ptr<streamdb::DB> db) : db_(std::move(db)) {}

  Status put_batch(std::span<const Document> docs) override {
    if (docs.size() == 1) return db_->put(durable(), docs[0].path, docs[0].data);
    streamdb::WriteBatch batch;
    for (const Document& doc : docs)
      batch.put(doc.path, doc.data);
    return db_->write(durable(), batch);
  }

  Status get(std::string_view path, std::string* out) override {
    return db_->get(streamdb::ReadOptions(), path, out);
  }

  Status list(std::string_view prefix, ListMode mode, const ListVisitor& visit) override {
    if (mode == ListMode::kNamesOnly) {
      return db_->list_paths(streamdb::ReadOptions(), prefix, [&](std::string_view path) {
        visit(path, {});
        return true;
      });
    }
    streamdb::ReadOptions ro;
    ro.snapshot = db_->get_snapshot();
    names_.clear();
    Status s = db_->list(ro, prefix, [&](const streamdb::DocumentInfo& info) {
      names_.push_back(info.path);
      return true;
    });
    for (std::size_t i = 0; s.ok() && i < names_.size(); ++i) {
      s = db_->get(ro, names_[i], &contents_);
      if (s.ok()) visit(names_[i], contents_);
    }
    db_->release_snapshot(ro.snapshot);
    return s;
  }

  Result<std::unique_ptr<StreamWriter>> new_writer(std::string_view path, std::uint64_t) override {
    auto writer = db_->new_writer(durable(), path);
    if (!writer.ok()) return writer.status();
    return std::unique_ptr<StreamWriter>(
        std::make_unique<StreamDbWriter>(std::move(writer).value()));
  }

  Result<std::unique_ptr<StreamReader>> new_reader(std::string_view path) override {
    auto reader = db_->new_reader(streamdb::ReadOptions(), path);
    if (!reader.ok()) return reader.status();
    return std::unique_ptr<StreamReader>(
        std::make_unique<StreamDbReader>(std::move(reader).value()));
  }

 private:
  std::unique_ptr<streamdb::DB> db_;
  std::vector<std::string> names_;
  std::string contents_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_streamdb_store(const std::string& dir) {
  auto db = streamdb::DB::open(dir, streamdb::Options());
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(std::make_unique<StreamDbStore>(std::move(db).value()));
}

}  // namespace streamdb_bench
