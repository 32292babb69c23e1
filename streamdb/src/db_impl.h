// DB::Impl: the engine behind the public DB class.
//
// Writes: every write is a Writer in a queue. The writer at the front becomes the leader: it
// takes the queued writers behind it as one group, checks each batch against the index,
// appends all their records with one vectored write, calls fdatasync once for the whole group
// (group commit), publishes the new index version, and wakes the others.
// Reads: load the current immutable index version (a shared_ptr copy), look up, pread the
// blocks; readers never wait for the writer's I/O or index work.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "async_pool.h"
#include "block_io.h"
#include "codec.h"
#include "config.h"
#include "index.h"
#include "recovery.h"
#include "segment_log.h"
#include "streamdb/db.h"
#include "streamdb/env.h"

namespace streamdb {

class Snapshot {
 public:
  explicit Snapshot(std::shared_ptr<const internal::Version> v) : version(std::move(v)) {}
  std::shared_ptr<const internal::Version> version;
};

namespace internal {

struct PreparedBlock {
  std::array<std::byte, kRecordHeaderSize> header{};
  std::string stored;                // owned encoded bytes, when encoding changed them
  std::span<const std::byte> bytes;  // what gets written (stored, or the caller's data)
};

// A new document ready to commit: its blocks are either still pending (put: written by the
// leader together with the commit record) or already in the log (streaming writer).
struct PreparedDoc {
  std::shared_ptr<Doc> doc;  // not yet published: a put's block references are filled in here
  std::vector<PreparedBlock> pending;
};

struct Request {
  enum Kind { kPut, kRemove, kBind, kRemoveGuid, kRename };
  Kind kind;
  std::string path;
  std::string other;  // kBind: existing path; kRename: old path
  Guid guid;
  PreparedDoc* doc = nullptr;
};

struct Writer {
  std::vector<Request> requests;
  std::deque<PreparedDoc> docs;
  bool sync = true;
  std::function<Status()> exclusive;  // runs alone as leader (compaction steps)
  Status status;
  bool done = false;
  std::condition_variable cv;
};

}  // namespace internal

namespace internal {

// The current index version. The lock covers only copying or swapping one shared_ptr (a
// reference-count increment), never any I/O or index work, so a reader waits at most for
// that. (libstdc++ 12's std::atomic<std::shared_ptr> does the same with a spin lock that
// ThreadSanitizer cannot see.)
class VersionSlot {
 public:
  std::shared_ptr<const Version> load() const {
    std::lock_guard lock(mu_);
    return version_;
  }
  void store(std::shared_ptr<const Version> v) {
    {
      std::lock_guard lock(mu_);
      version_.swap(v);
    }
    // The old version (maybe the last reference to retired segments) is released here,
    // outside the lock.
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Version> version_;
};

}  // namespace internal

class DB::Impl {
 public:
  static Result<std::unique_ptr<Impl>> open(const std::string& dir, const Options& options);
  ~Impl();

  Status write_requests(const WriteOptions& wo, internal::Writer& w);
  // kPermissionDenied when the database was opened with Options::read_only.
  Status refuse_if_read_only() const;
  Status write_batch(const WriteOptions& wo, const WriteBatch& batch);
  Status put(const WriteOptions& wo, std::string_view path, std::span<const std::byte> data);
  Status simple(const WriteOptions& wo, internal::Request::Kind kind, std::string_view path,
                std::string_view other, const Guid& guid);
  Status flush();
  Result<std::unique_ptr<DocumentWriter>> new_writer(const WriteOptions& wo, std::string_view path);

  std::shared_ptr<const internal::Version> version(const ReadOptions& ro) const;
  Status get(const ReadOptions& ro, std::string_view path, std::string* value);
  Result<std::size_t> read_range(const ReadOptions& ro, std::string_view path, std::uint64_t offset,
                                 std::span<std::byte> out);
  Result<std::unique_ptr<DocumentReader>> new_reader(const ReadOptions& ro, std::string_view path);
  Result<DocumentInfo> stat(const ReadOptions& ro, std::string_view path);
  Result<std::vector<std::string>> paths_of(const ReadOptions& ro, const Guid& guid);
  Status list(const ReadOptions& ro, std::string_view prefix,
              const std::function<bool(const DocumentInfo&)>& visit);
  Status list_paths(const ReadOptions& ro, std::string_view prefix,
                    const std::function<bool(std::string_view)>& visit);
  Status find_suffix(const ReadOptions& ro, std::string_view suffix,
                     const std::function<bool(const DocumentInfo&)>& visit);
  void get_async(std::string_view path, std::function<void(Result<std::string>)> callback);
  const Snapshot* get_snapshot();
  void release_snapshot(const Snapshot* snapshot);

  Stats stats();
  Result<VerifyReport> verify();
  Status compact();
  // Writes the whole index of `state` into the log as checkpoint `id` (the blocks of documents
  // in `moved` at their new positions) and syncs. scan_from: the log position from which every
  // commit after `id` lies; 0 takes the checkpoint's own first record. Returns scan_from.
  Result<std::uint64_t> write_checkpoint(const internal::IndexState& state, std::uint64_t id,
                                         std::uint64_t scan_from,
                                         const std::map<Guid, internal::BlockList>& moved);
  // Records appended by a commit or a streaming writer: what the next open would walk again.
  void count_records(std::uint64_t n) { records_since_checkpoint_ += n; }

  // Used by the streaming writer.
  internal::SegmentLog& log() { return *log_; }
  const internal::RecordCodec& codec() const { return codec_; }
  std::uint32_t block_size() const { return config_.block_size; }
  void register_writer(std::uint32_t* segment);
  void unregister_writer(std::uint32_t segment);
  // Encodes one block (checksum, compression, encryption) into pb. raw_hash, when given, is
  // xxh3(raw), already computed by the caller.
  void prepare_block(std::span<const std::byte> raw, const Guid& guid, std::uint32_t index,
                     internal::PreparedBlock* pb, const std::uint64_t* raw_hash = nullptr) const;

 private:
  Impl() = default;
  Status commit(internal::Writer& w);
  Status run_exclusive(std::function<Status()> fn);
  void run_group(const std::vector<internal::Writer*>& group);
  Status resolve(internal::Writer& w, std::int64_t now, internal::IndexState* work,
                 std::vector<internal::IndexOp>* ops, std::vector<internal::PreparedDoc*>* docs);
  // content_hash: xxh3 of data when the caller already has it.
  void prepare_doc(std::span<const std::byte> data, internal::PreparedDoc* out,
                   const std::uint64_t* content_hash = nullptr) const;
  void publish(internal::IndexState state, std::uint64_t seq);
  Status check_writable();

  Env* env_ = nullptr;
  std::string dir_;
  Options options_;
  internal::Config config_;
  internal::RecordCodec codec_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<internal::SegmentLog> log_;
  internal::VersionSlot current_;

  std::mutex queue_mu_;
  std::deque<internal::Writer*> queue_;
  std::uint64_t next_seq_ = 1;         // owned by the current leader
  internal::CommittedMark committed_;  // what COMMITTED holds
  struct {
    std::uint64_t id = 0;
    std::uint64_t scan_from = 0;
  } checkpoint_;  // the newest checkpoint in the log (see CommittedMark)
  std::atomic<std::uint64_t> records_since_checkpoint_{0};
  std::atomic<std::uint64_t> commits_{0};

  std::mutex writers_mu_;
  std::multiset<std::uint32_t> writer_segments_;  // first segment of each open DocumentWriter
  std::mutex compact_mu_;

  std::vector<std::string> open_notes_;
  std::unique_ptr<internal::AsyncPool> pool_;
};

}  // namespace streamdb
